import { canonicalDuration } from '../durations';
import { audit, EffectiveFault, field, list, RenderedObject, serviceRouting, ServiceRouting, str, toPercent, Workloads } from '../effective-routing';
import { INGRESS_SERVICE_ACCOUNT } from './istio-names';
import { MOCK_APP, SELECTOR_LABEL } from '../mesh';

const NETWORKING = 'networking.istio.io/';
const SECURITY = 'security.istio.io/';

/**
 * A host as the cluster-local name it stands for, relative to the namespace of the rule that
 * names it. Wildcard hosts are kept as they are.
 */
export function clusterLocal(host: string, namespace: string): string {
  if (host.includes('*')) {
    return host;
  }
  const parts = host.split('.');
  if (parts.length === 1) {
    return `${host}.${namespace}.svc.cluster.local`;
  }
  if (parts.length === 2) {
    return `${host}.svc.cluster.local`;
  }
  return parts.length === 3 && parts[2] === 'svc' ? `${host}.cluster.local` : host;
}

/**
 * Reads the effective routing of every real service from rendered Istio objects: the
 * VirtualService that sidecars use for the service's host (the first matching HTTP route wins),
 * resolved through the DestinationRule subsets, plus faults, breakers and AuthorizationPolicies.
 */
export function readIstioRouting(objects: readonly RenderedObject[], workloads: Workloads): ServiceRouting[] {
  // Index rules by the host they name (in its cluster-local form), policies by namespace and the workload they select.
  const byHost = new Map<string, Record<string, unknown>[]>();
  const policies = new Map<string, Record<string, unknown>[]>();
  const add = (map: Map<string, Record<string, unknown>[]>, key: string, o: Record<string, unknown>) => {
    const list = map.get(key) ?? [];
    if (list[list.length - 1] !== o) {
      list.push(o);
    }
    map.set(key, list);
  };
  for (const { object } of objects) {
    const namespace = str(object, 'metadata', 'namespace') ?? 'default';
    if (String(object.apiVersion).startsWith(NETWORKING) && object.kind === 'DestinationRule') {
      add(byHost, clusterLocal(str(object, 'spec', 'host') ?? '', namespace), object);
    } else if (String(object.apiVersion).startsWith(NETWORKING) && object.kind === 'VirtualService') {
      list(object, 'spec', 'hosts').forEach((h) => add(byHost, clusterLocal(String(h), namespace), object));
    } else if (String(object.apiVersion).startsWith(SECURITY) && object.kind === 'AuthorizationPolicy') {
      const selected = str(object, 'spec', 'selector', 'matchLabels', SELECTOR_LABEL);
      if (selected !== undefined) {
        add(policies, `${namespace}/${selected}`, object);
      }
    }
  }
  const out: ServiceRouting[] = [];
  for (const { name, namespace, replicas } of workloads.real.values()) {
    const key = `${namespace}/${name}`;
    const mock = workloads.mocks.get(key);
    // byHost is keyed by the cluster-local host, so every rule found names this service.
    const forHost = (kind: string) => (byHost.get(`${name}.${namespace}.svc.cluster.local`) ?? []).filter((o) => o.kind === kind);
    const rules = forHost('DestinationRule');
    const subsets = new Map<string, 'real' | 'mock' | 'all'>();
    for (const dr of rules) {
      for (const subset of list(dr, 'spec', 'subsets')) {
        const app = str(subset, 'labels', 'app');
        subsets.set(str(subset, 'name') ?? '', app === MOCK_APP ? 'mock' : app === name ? 'real' : 'all');
      }
    }
    const services = forHost('VirtualService').filter((vs) => {
      const gateways = list(vs, 'spec', 'gateways');
      return gateways.length === 0 || gateways.includes('mesh');
    });
    const inconsistencies: string[] = [];
    if (services.length > 1) {
      inconsistencies.push(`${services.length} VirtualServices for the host: Istio uses one of them`);
    }
    if (rules.length > 1) {
      inconsistencies.push(`${rules.length} DestinationRules for the host`);
    }
    // Destinations without a subset reach every endpoint of the Service: the mock's too.
    const unsubsetted = mock === undefined ? { real: 1, mock: 0 } : { real: replicas, mock: mock.replicas };
    const shareOf = (route: unknown): { real: number; mock: number } => {
      let real = 0;
      let mockShare = 0;
      const destinations = list(route, 'route');
      for (const d of destinations) {
        const weight = typeof field(d, 'weight') === 'number' ? (field(d, 'weight') as number) : destinations.length === 1 ? 100 : 0;
        const subset = str(d, 'destination', 'subset');
        const which = subset === undefined ? 'all' : (subsets.get(subset) ?? 'all');
        if (which === 'real') {
          real += weight;
        } else if (which === 'mock') {
          mockShare += weight;
        } else {
          const total = unsubsetted.real + unsubsetted.mock;
          real += (weight * unsubsetted.real) / total;
          mockShare += (weight * unsubsetted.mock) / total;
        }
      }
      return toPercent(real, mockShare);
    };

    const vs = services[0];
    const http = list(vs, 'spec', 'http');
    // Routes of a multi-port Service match a port each; the first port's routes stand for the service.
    const isHeaderOnly = (route: unknown) => {
      const matches = list(route, 'match');
      return matches.length > 0 && matches.every((m) => field(m, 'headers') !== undefined && field(m, 'uri') === undefined);
    };
    const portOnly = (m: unknown) => Object.keys(m as object).every((k) => k === 'port');
    const defaultRoute = http.find((r) => list(r, 'match').every(portOnly));
    const headerRoute = http.find(isHeaderOnly);
    const weights = vs === undefined || defaultRoute === undefined ? toPercent(unsubsetted.real, unsubsetted.mock) : shareOf(defaultRoute);
    let header: ServiceRouting['header'] = null;
    if (headerRoute !== undefined) {
      const headers = field(list(headerRoute, 'match')[0], 'headers') as Record<string, unknown>;
      const [headerName] = Object.keys(headers);
      const share = shareOf(headerRoute);
      header = { name: headerName, value: str(headers[headerName], 'exact') ?? '', to: share.mock > 0 ? 'mock' : 'real' };
    }
    const faults: EffectiveFault[] = [];
    for (const route of [headerRoute, defaultRoute]) {
      const fault = field(route, 'fault');
      if (fault === undefined) {
        continue;
      }
      const share = shareOf(route);
      const appliesTo = share.mock === 0 ? 'real' : share.real === 0 ? 'mock' : 'all';
      const delay = field(fault, 'delay');
      if (delay !== undefined) {
        faults.push({
          kind: 'delay',
          value: canonicalDuration(str(delay, 'fixedDelay') ?? '0s'),
          percent: Number(field(delay, 'percentage', 'value') ?? 100),
          appliesTo,
        });
      }
      const abort = field(fault, 'abort');
      if (abort !== undefined) {
        faults.push({
          kind: 'abort',
          httpStatus: Number(field(abort, 'httpStatus')),
          percent: Number(field(abort, 'percentage', 'value') ?? 100),
          appliesTo,
        });
      }
    }
    const policy = (dr: unknown) => field(dr, 'spec', 'trafficPolicy');
    const circuitBreaker = rules.some(
      (dr) =>
        field(policy(dr), 'outlierDetection') !== undefined ||
        (Object.keys(field(policy(dr), 'connectionPool') ?? {}).length > 0 && hasLimits(field(policy(dr), 'connectionPool'))),
    );
    const timeouts =
      http.some((r) => field(r, 'timeout') !== undefined) ||
      rules.some(
        (dr) =>
          field(policy(dr), 'connectionPool', 'tcp', 'connectTimeout') !== undefined ||
          field(policy(dr), 'connectionPool', 'http', 'idleTimeout') !== undefined,
      );
    const retries = http.some((r) => field(r, 'retries') !== undefined);

    let callers: Set<string> | null = null;
    for (const object of policies.get(key) ?? []) {
      if ((str(object, 'spec', 'action') ?? 'ALLOW') !== 'ALLOW') {
        continue;
      }
      callers ??= new Set<string>();
      for (const rule of list(object, 'spec', 'rules')) {
        for (const from of list(rule, 'from')) {
          for (const principal of list(from, 'source', 'principals')) {
            const sa = /\/sa\/([^/]+)$/.exec(String(principal))?.[1];
            // A recording mock let in to call the real instances is not a caller of the service.
            if (sa !== undefined && sa !== `${name}-mock`) {
              callers.add(sa === INGRESS_SERVICE_ACCOUNT ? 'ingress-gateway' : sa);
            }
          }
        }
      }
    }
    out.push(
      serviceRouting({
        name,
        namespace,
        mock,
        weights,
        header,
        faults,
        circuitBreaker,
        timeouts,
        retries,
        ...audit(vs),
        callers,
        inconsistencies,
      }),
    );
  }
  return out;
}

/** Whether a connectionPool sets a limit (not only timeouts). */
function hasLimits(pool: unknown): boolean {
  const tcp = (field(pool, 'tcp') ?? {}) as Record<string, unknown>;
  const http = (field(pool, 'http') ?? {}) as Record<string, unknown>;
  return Object.keys(tcp).some((k) => k !== 'connectTimeout') || Object.keys(http).some((k) => k !== 'idleTimeout');
}
