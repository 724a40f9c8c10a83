import { EnvironmentSpec, isKuma, ServiceSpec } from '../model/spec';
import { Rule } from './rules';

/** Whether requests reach `service` through the ingress gateway: Istio renders its `ingress:` routes, Kuma none (MF1020). */
function behindGateway(env: EnvironmentSpec, service: ServiceSpec): boolean {
  return !isKuma(env.mesh) && service.ingress.length > 0;
}

/** Who calls whom in one environment, indexed once: the rule asks for every route, a fleet has thousands. */
class CallGraph {
  /** The services that call each service name, in the order of `env.services`. */
  private readonly callersOf = new Map<string, ServiceSpec[]>();
  /** The services of each name (one, in a valid environment). */
  private readonly byName = new Map<string, ServiceSpec[]>();
  private readonly sendersOf = new Map<string, Set<string>>();

  constructor(private readonly env: EnvironmentSpec) {
    for (const s of env.services) {
      push(this.byName, s.name, s);
      for (const callee of new Set(s.calls)) {
        push(this.callersOf, callee, s);
      }
    }
  }

  public service(name: string): ServiceSpec | undefined {
    return this.byName.get(name)?.[0];
  }

  public callers(name: string): readonly ServiceSpec[] {
    return this.callersOf.get(name) ?? [];
  }

  /**
   * The least set that holds every service requests come into (behind the gateway, or called by
   * nothing) and every service that propagates `header` and has a caller in the set: a worklist
   * from the entry points along the calls, each name visited once, each header computed once.
   */
  public senders(header: string): Set<string> {
    const known = this.sendersOf.get(header);
    if (known !== undefined) {
      return known;
    }
    const sends = new Set<string>();
    const queue: string[] = [];
    const add = (name: string) => {
      if (!sends.has(name)) {
        sends.add(name);
        queue.push(name);
      }
    };
    for (const s of this.env.services) {
      if (behindGateway(this.env, s) || this.callers(s.name).length === 0) {
        add(s.name);
      }
    }
    for (let i = 0; i < queue.length; i++) {
      for (const caller of this.byName.get(queue[i]) ?? []) {
        for (const callee of caller.calls) {
          if (!sends.has(callee) && (this.byName.get(callee) ?? []).some((s) => s.propagates.includes(header))) {
            add(callee);
          }
        }
      }
    }
    this.sendersOf.set(header, sends);
    return sends;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) {
    map.set(key, [value]);
  } else {
    list.push(value);
  }
}

/**
 * The services that can send `header` to each service: where requests come in (the ingress
 * gateway for a service with gateway routes; a service nothing calls, such as a client pod), and
 * services whose application propagates the header when something that sends it calls them.
 */
export function headerSenders(env: EnvironmentSpec, header: string): Set<string> {
  return new CallGraph(env).senders(header);
}

/**
 * A header-scoped route no request can match: the mesh matches headers on the caller's outbound
 * request and never copies inbound headers onto outbound calls, so only the gateway, a client, or
 * an application that propagates the header sends it. Mesh-independent: Envoy routes each request
 * on its own headers in Kuma and Istio alike.
 */
export const UNREACHABLE_HEADER_ROUTE: Rule = {
  code: 'MF0001',
  level: 'warning',
  title: 'header-scoped route that no caller can trigger',
  upstream:
    'istio/istio#26828 and the Istio FAQ on header propagation; envoyproxy/envoy source/common/router/config_impl.cc (header matchers read the request being routed)',
  check({ env }, report) {
    const graph = new CallGraph(env);
    for (const route of env.routes) {
      const service = graph.service(route.service);
      if (route.header === undefined || route.origin === undefined || service === undefined || behindGateway(env, service)) {
        continue;
      }
      const callers = graph.callers(service.name);
      if (callers.length === 0) {
        continue;
      }
      const sends = graph.senders(route.header.name);
      if (!callers.some((c) => sends.has(c.name))) {
        report(
          route.origin,
          `no caller of ${service.name} can send ${route.header.name}: ${callers.map((c) => c.name).join(', ')} ${callers.length === 1 ? 'does' : 'do'} not propagate it from a caller that has it, and the mesh never copies headers onto outbound calls`,
          `list ${route.header.name} under propagates of a calling service whose application copies it, or route from the gateway`,
        );
      }
    }
  },
};

/** Rules about routing that hold for every mesh. */
export const ROUTING_RULES: readonly Rule[] = [UNREACHABLE_HEADER_ROUTE];
