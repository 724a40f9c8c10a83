import { field, list, RenderedObject, str } from '../effective-routing';
import { describeObject, Finding } from '../findings';
import { clusterLocal } from './istio-reader';
import { MOCK_APP } from '../mesh';

const NETWORKING = 'networking.istio.io/';

/**
 * Checks over the rendered objects of an Istio / OpenShift Service Mesh environment: mTLS is
 * strict, exactly one VirtualService per host, every subset a route names exists in a
 * DestinationRule, weights add up to 100 and every destination is a service of the environment.
 */
export function checkIstio(env: string, objects: readonly RenderedObject[], protectedEnv: boolean): Finding[] {
  const findings: Finding[] = [];
  const envAnchor: RenderedObject = { file: `${env}/`, object: {}, line: 1 };
  const ossm = objects.filter((o) => o.object.kind === 'ServiceMeshControlPlane');
  const peerAuthentications = objects.filter((o) => o.object.kind === 'PeerAuthentication');
  for (const pa of peerAuthentications) {
    const mode = str(pa.object, 'spec', 'mtls', 'mode');
    if (mode !== undefined && mode !== 'STRICT' && mode !== 'UNSET') {
      findings.push({ at: pa, severity: 'error', message: `${describeObject(pa.object)} sets mTLS to ${mode}: every mesh runs strict mTLS` });
    }
  }
  if (ossm.length > 0) {
    for (const smcp of ossm) {
      if (field(smcp.object, 'spec', 'security', 'dataPlane', 'mtls') !== true) {
        findings.push({
          at: smcp,
          severity: 'error',
          message: `mTLS is off in ${describeObject(smcp.object)}: set spec.security.dataPlane.mtls to true`,
        });
      }
    }
  } else if (
    !peerAuthentications.some((pa) => str(pa.object, 'spec', 'mtls', 'mode') === 'STRICT' && field(pa.object, 'spec', 'selector') === undefined)
  ) {
    findings.push({ at: envAnchor, severity: 'error', message: 'mTLS is not strict: no PeerAuthentication with mode STRICT covers the mesh' });
  }

  const services = new Set<string>();
  for (const { object } of objects) {
    if (object.kind === 'Service' && object.apiVersion === 'v1') {
      services.add(`${str(object, 'metadata', 'name')}.${str(object, 'metadata', 'namespace') ?? 'default'}.svc.cluster.local`);
    }
  }
  const subsets = new Map<string, Set<string>>();
  const mockSubsets = new Set<string>();
  const rulesPerHost = new Map<string, RenderedObject[]>();
  for (const o of objects) {
    if (o.object.kind !== 'DestinationRule' || !String(o.object.apiVersion).startsWith(NETWORKING)) {
      continue;
    }
    const host = clusterLocal(str(o.object, 'spec', 'host') ?? '', str(o.object, 'metadata', 'namespace') ?? 'default');
    const names = subsets.get(host) ?? new Set<string>();
    list(o.object, 'spec', 'subsets').forEach((s) => {
      names.add(str(s, 'name') ?? '');
      if (str(s, 'labels', 'app') === MOCK_APP) {
        mockSubsets.add(`${host}#${str(s, 'name')}`);
      }
    });
    subsets.set(host, names);
    rulesPerHost.set(host, [...(rulesPerHost.get(host) ?? []), o]);
  }
  for (const [host, rules] of rulesPerHost) {
    if (rules.length > 1) {
      findings.push({
        at: rules[1],
        severity: 'error',
        message: `${describeObject(rules[1].object)} is a second DestinationRule for ${host} (also ${describeObject(rules[0].object)}): Istio applies only one`,
      });
    }
  }

  const owners = new Map<string, RenderedObject>();
  for (const o of objects) {
    if (o.object.kind !== 'VirtualService' || !String(o.object.apiVersion).startsWith(NETWORKING)) {
      continue;
    }
    const namespace = str(o.object, 'metadata', 'namespace') ?? 'default';
    const what = describeObject(o.object);
    const gateways = list(o.object, 'spec', 'gateways').map(String);
    for (const host of list(o.object, 'spec', 'hosts').map(String)) {
      const key = `${clusterLocal(host, namespace)} @ ${gateways.length === 0 ? 'mesh' : [...gateways].sort().join(',')}`;
      const owner = owners.get(key);
      if (owner !== undefined) {
        findings.push({
          at: o,
          severity: 'error',
          message: `${what} shares host ${host} with ${describeObject(owner.object)}: exactly one VirtualService per host, or they fight`,
        });
      } else {
        owners.set(key, o);
      }
    }
    for (const route of list(o.object, 'spec', 'http')) {
      const destinations = list(route, 'route');
      if (protectedEnv && field(route, 'fault') !== undefined) {
        findings.push({ at: o, severity: 'error', message: `${what} injects faults in a protected environment` });
      }
      if (
        protectedEnv &&
        destinations.some(
          (d) =>
            field(d, 'weight') !== 0 &&
            mockSubsets.has(`${clusterLocal(str(d, 'destination', 'host') ?? '', namespace)}#${str(d, 'destination', 'subset')}`),
        )
      ) {
        findings.push({ at: o, severity: 'error', message: `${what} routes to a mock in a protected environment` });
      }
      const total = destinations.reduce<number>((sum, d) => sum + (typeof field(d, 'weight') === 'number' ? (field(d, 'weight') as number) : 0), 0);
      if (destinations.length > 1 && total !== 100) {
        findings.push({ at: o, severity: 'error', message: `${what} has a route whose weights add up to ${total}, not 100` });
      }
      for (const d of destinations) {
        const host = clusterLocal(str(d, 'destination', 'host') ?? '', namespace);
        const subset = str(d, 'destination', 'subset');
        if (!services.has(host)) {
          findings.push({ at: o, severity: 'error', message: `${what} routes to ${host}, which is not a Service of this environment` });
        } else if (subset !== undefined && !(subsets.get(host)?.has(subset) ?? false)) {
          findings.push({ at: o, severity: 'error', message: `${what} routes to subset ${subset} of ${host}, which no DestinationRule defines` });
        }
      }
    }
  }
  return findings;
}
