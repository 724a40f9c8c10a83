import { EnvironmentSpec, isKuma, ServiceSpec } from '../model/spec';
import { Rule } from './rules';

/** Whether requests reach `service` through the ingress gateway: Istio renders its `ingress:` routes, Kuma none (MF1020). */
function behindGateway(env: EnvironmentSpec, service: ServiceSpec): boolean {
  return !isKuma(env.mesh) && service.ingress.length > 0;
}

/**
 * The services that can send `header` to each service: where requests come in (the ingress
 * gateway for a service with gateway routes; a service nothing calls, such as a client pod), and
 * services whose application propagates the header when something that sends it calls them.
 */
export function headerSenders(env: EnvironmentSpec, header: string): Set<string> {
  const callers = (name: string) => env.services.filter((s) => s.calls.includes(name)).map((s) => s.name);
  const sends = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const s of env.services) {
      const fromOutside = behindGateway(env, s) || callers(s.name).length === 0;
      if (!sends.has(s.name) && (fromOutside || (s.propagates.includes(header) && callers(s.name).some((c) => sends.has(c))))) {
        sends.add(s.name);
        grew = true;
      }
    }
  }
  return sends;
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
    for (const route of env.routes) {
      const service = env.services.find((s) => s.name === route.service);
      if (route.header === undefined || route.origin === undefined || service === undefined || behindGateway(env, service)) {
        continue;
      }
      const callers = env.services.filter((s) => s.calls.includes(service.name));
      if (callers.length === 0) {
        continue;
      }
      const sends = headerSenders(env, route.header.name);
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
