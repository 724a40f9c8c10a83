import { audit, EffectiveFault, field, list, RenderedObject, serviceRouting, ServiceRouting, str, toPercent, Workloads } from '../effective-routing';
import { canonicalDuration } from '../durations';
import { parseKumaServiceName } from './kuma-names';
import { MOCK_APP } from '../mesh';

/** A Kuma resource in either form: Kubernetes (`kind`, `spec`) or universal (`type`, fields at top level). */
export interface KumaResource {
  readonly kind: string;
  readonly spec: Record<string, unknown>;
  readonly object: Record<string, unknown>;
}

/** The kind and spec of a Kuma resource in either form, or undefined for anything else. */
export function normalize(object: Record<string, unknown>): KumaResource | undefined {
  if (typeof object.kind === 'string' && typeof object.apiVersion === 'string' && object.apiVersion.startsWith('kuma.io/')) {
    return { kind: object.kind, spec: (object.spec ?? {}) as Record<string, unknown>, object };
  }
  if (typeof object.type === 'string' && object.apiVersion === undefined) {
    // Universal format: targetRef policies keep a spec; legacy policies have their fields at top level.
    const spec = (object.spec ?? object) as Record<string, unknown>;
    return { kind: object.type, spec, object };
  }
  return undefined;
}

/** Which instances a tag set selects, relative to service `name`. */
function side(tags: Record<string, string>, name: string): 'real' | 'mock' | 'all' {
  return tags.app === MOCK_APP ? 'mock' : tags.app === name ? 'real' : 'all';
}

function tagsOf(ref: unknown): Record<string, string> {
  return (field(ref, 'tags') ?? field(ref, 'labels') ?? {}) as Record<string, string>;
}

/**
 * Reads the effective routing of every real service from rendered Kuma objects (Kubernetes
 * manifests and kumactl universal documents alike): MeshHTTPRoute or TrafficRoute for where
 * traffic goes, MeshFaultInjection or FaultInjection for faults, and so on.
 */
export function readKumaRouting(objects: readonly RenderedObject[], workloads: Workloads): ServiceRouting[] {
  const all = objects.map((o) => normalize(o.object)).filter((r): r is KumaResource => r !== undefined);
  // Index the resources by the services they name, so each service only looks at its own.
  const byService = new Map<string, KumaResource[]>();
  for (const r of all) {
    // servicesNamed gives each key once, so a resource is listed once per service.
    for (const key of servicesNamed(r)) {
      const list = byService.get(key) ?? [];
      list.push(r);
      byService.set(key, list);
    }
  }
  const out: ServiceRouting[] = [];
  for (const { name, namespace, replicas } of workloads.real.values()) {
    const key = `${namespace}/${name}`;
    const resources = byService.get(key) ?? [];
    const mock = workloads.mocks.get(key);
    const isService = (kumaService: unknown) => {
      const identity = parseKumaServiceName(kumaService);
      return identity?.name === name && identity.namespace === namespace;
    };
    const selectsService = (tags: Record<string, string>) =>
      (tags['k8s.kuma.io/service-name'] === name && (tags['k8s.kuma.io/namespace'] ?? namespace) === namespace) || isService(tags['kuma.io/service']);

    const routings: { weights: { real: number; mock: number }; header: ServiceRouting['header']; obj: Record<string, unknown> }[] = [];
    const faults: EffectiveFault[] = [];
    let circuitBreaker = false;
    let timeouts = false;
    let retries = false;
    let callers: Set<string> | null = null;
    for (const r of resources) {
      switch (r.kind) {
        case 'MeshHTTPRoute':
          // The route of a recording mock's own calls to the real instances is not where the service's traffic goes.
          if (field(r.spec, 'targetRef', 'kind') === 'MeshSubset' && tagsOf(field(r.spec, 'targetRef')).app === MOCK_APP) {
            break;
          }
          for (const to of list(r.spec, 'to')) {
            if (field(to, 'targetRef', 'kind') === 'MeshService' && isService(field(to, 'targetRef', 'name'))) {
              routings.push({ ...readMeshHttpRules(list(to, 'rules'), name), obj: r.object });
            }
          }
          break;
        case 'TrafficRoute':
          if (list(r.spec, 'destinations').some((d) => isService(field(d, 'match', 'kuma.io/service')))) {
            routings.push({ ...readTrafficRoute(r.spec, name), obj: r.object });
          }
          break;
        case 'MeshFaultInjection': {
          const tags = tagsOf(field(r.spec, 'targetRef'));
          if (selectsService(tags) || (tags.app === name && tags['k8s.kuma.io/namespace'] === namespace)) {
            const entries = [...list(r.spec, 'from'), ...list(r.spec, 'rules')];
            for (const entry of entries) {
              for (const http of list(entry, 'default', 'http')) {
                faults.push(...readFault(http, side(tags, name)));
              }
            }
          }
          break;
        }
        case 'FaultInjection':
          for (const d of list(r.spec, 'destinations')) {
            const match = (field(d, 'match') ?? {}) as Record<string, string>;
            if (isService(match['kuma.io/service'])) {
              faults.push(...readFault(field(r.spec, 'conf'), side(match, name)));
            }
          }
          break;
        case 'MeshCircuitBreaker':
        case 'MeshTimeout':
        case 'MeshRetry':
        case 'CircuitBreaker':
        case 'Timeout':
        case 'Retry':
          // targetRef policies name the service under to[]; legacy ones under destinations[].match.
          if (
            list(r.spec, 'to').some((to) => isService(field(to, 'targetRef', 'name'))) ||
            list(r.spec, 'destinations').some((d) => isService(field(d, 'match', 'kuma.io/service')))
          ) {
            const what = r.kind.replace(/^Mesh/, '');
            circuitBreaker ||= what === 'CircuitBreaker';
            timeouts ||= what === 'Timeout';
            retries ||= what === 'Retry';
          }
          break;
        case 'MeshTrafficPermission':
          if (selectsService(tagsOf(field(r.spec, 'targetRef')))) {
            callers ??= new Set<string>();
            for (const from of list(r.spec, 'from')) {
              const caller = tagsOf(field(from, 'targetRef')).app;
              // A recording mock let in to call the real instances is not a caller of the service.
              if (field(from, 'default', 'action') === 'Allow' && caller !== undefined && caller !== MOCK_APP) {
                callers.add(caller);
              }
            }
          }
          break;
        case 'TrafficPermission':
          if (list(r.spec, 'destinations').some((d) => selectsService((field(d, 'match') ?? {}) as Record<string, string>))) {
            callers ??= new Set<string>();
            for (const source of list(r.spec, 'sources')) {
              const caller = str(source, 'match', 'app');
              if (caller !== undefined) {
                callers.add(caller);
              }
            }
          }
          break;
        default:
          break;
      }
    }

    const inconsistencies: string[] = [];
    let weights: { real: number; mock: number };
    let header: ServiceRouting['header'] = null;
    const first = routings[0];
    if (first === undefined) {
      // Without a route the mesh balances over every instance with the identity, mock included.
      weights = mock === undefined ? { real: 100, mock: 0 } : toPercent(replicas, mock.replicas);
    } else {
      weights = first.weights;
      header = first.header;
      for (const other of routings.slice(1)) {
        if (JSON.stringify([other.weights, other.header]) !== JSON.stringify([first.weights, first.header])) {
          inconsistencies.push('route copies disagree (between zones or ports)');
          break;
        }
      }
    }
    const annotated = audit(first?.obj ?? resources.find((r) => r.kind.endsWith('FaultInjection') && faults.length > 0)?.object);
    out.push(
      serviceRouting({
        name,
        namespace,
        mock,
        weights,
        header,
        faults: dedupe(faults),
        circuitBreaker,
        timeouts,
        retries,
        ...annotated,
        callers,
        inconsistencies,
      }),
    );
  }
  return out;
}

/** `<namespace>/<name>` of every service a resource refers to (by kuma.io/service or by Kubernetes name). */
function servicesNamed(r: KumaResource): string[] {
  const keys: string[] = [];
  const fromIdentity = (value: unknown) => {
    const identity = parseKumaServiceName(value);
    if (identity !== undefined) {
      keys.push(`${identity.namespace}/${identity.name}`);
    }
  };
  const fromTags = (tags: Record<string, string>) => {
    fromIdentity(tags['kuma.io/service']);
    const namespace = tags['k8s.kuma.io/namespace'];
    if (namespace !== undefined) {
      for (const name of [tags['k8s.kuma.io/service-name'], tags.app]) {
        if (name !== undefined) {
          keys.push(`${namespace}/${name}`);
        }
      }
    }
  };
  for (const to of list(r.spec, 'to')) {
    fromIdentity(field(to, 'targetRef', 'name'));
  }
  fromTags(tagsOf(field(r.spec, 'targetRef')));
  for (const d of list(r.spec, 'destinations')) {
    fromTags((field(d, 'match') ?? {}) as Record<string, string>);
  }
  return [...new Set(keys)];
}

function readMeshHttpRules(rules: readonly unknown[], name: string): { weights: { real: number; mock: number }; header: ServiceRouting['header'] } {
  let header: ServiceRouting['header'] = null;
  let weights = { real: 100, mock: 0 };
  for (const rule of rules) {
    const matches = list(rule, 'matches');
    const headerMatch = matches.flatMap((m) => list(m, 'headers')).find((h) => (str(h, 'type') ?? 'Exact') === 'Exact');
    const split = backendSplit(list(rule, 'default', 'backendRefs'), name);
    if (headerMatch !== undefined) {
      header ??= { name: str(headerMatch, 'name') ?? '', value: str(headerMatch, 'value') ?? '', to: split.mock > 0 ? 'mock' : 'real' };
    } else if (matches.some((m) => field(m, 'path', 'value') === '/' && field(m, 'path', 'type') === 'PathPrefix') || matches.length === 0) {
      weights = split;
    }
  }
  return { weights, header };
}

function backendSplit(refs: readonly unknown[], name: string): { real: number; mock: number } {
  let real = 0;
  let mock = 0;
  for (const ref of refs) {
    const weight = typeof field(ref, 'weight') === 'number' ? (field(ref, 'weight') as number) : 1;
    const which = side(tagsOf(ref), name);
    if (which === 'mock') {
      mock += weight;
    } else {
      // A reference to the whole service (no subset tag) reaches the real instances as well.
      real += weight;
    }
  }
  return toPercent(real, mock);
}

function readTrafficRoute(
  spec: Record<string, unknown>,
  name: string,
): { weights: { real: number; mock: number }; header: ServiceRouting['header'] } {
  const fromSplit = (split: readonly unknown[]) => {
    let real = 0;
    let mock = 0;
    for (const s of split) {
      const weight = typeof field(s, 'weight') === 'number' ? (field(s, 'weight') as number) : 0;
      if (side((field(s, 'destination') ?? {}) as Record<string, string>, name) === 'mock') {
        mock += weight;
      } else {
        real += weight;
      }
    }
    return toPercent(real, mock);
  };
  let header: ServiceRouting['header'] = null;
  for (const http of list(spec, 'conf', 'http')) {
    const headers = (field(http, 'match', 'headers') ?? {}) as Record<string, unknown>;
    const [headerName] = Object.keys(headers);
    if (headerName !== undefined && header === null) {
      const split = fromSplit(list(http, 'split'));
      header = { name: headerName, value: str(headers[headerName], 'exact') ?? '', to: split.mock > 0 ? 'mock' : 'real' };
    }
  }
  const split = list(spec, 'conf', 'split');
  return { weights: split.length > 0 ? fromSplit(split) : { real: 100, mock: 0 }, header };
}

function readFault(http: unknown, appliesTo: EffectiveFault['appliesTo']): EffectiveFault[] {
  const out: EffectiveFault[] = [];
  const delay = field(http, 'delay');
  if (delay !== undefined) {
    out.push({ kind: 'delay', value: canonicalDuration(str(delay, 'value') ?? '0s'), percent: Number(field(delay, 'percentage')), appliesTo });
  }
  const abort = field(http, 'abort');
  if (abort !== undefined) {
    out.push({ kind: 'abort', httpStatus: Number(field(abort, 'httpStatus')), percent: Number(field(abort, 'percentage')), appliesTo });
  }
  return out;
}

function dedupe(faults: EffectiveFault[]): EffectiveFault[] {
  const seen = new Map<string, EffectiveFault>();
  for (const f of faults) {
    seen.set(JSON.stringify(f), f);
  }
  return [...seen.values()];
}
