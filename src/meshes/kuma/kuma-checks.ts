import { field, list, RenderedObject, str } from '../effective-routing';
import { describeObject, Finding, labelsOf, targetOf } from '../findings';
import { kumaServiceName, parseKumaServiceName } from './kuma-names';
import { normalize } from './kuma-reader';
import { IMPOSTERS_KEY, MOCK_APP, SELECTOR_LABEL } from '../mesh';

const SYSTEM_NAMESPACES = new Set(['kong-mesh-system', 'kuma-system']);
/** Source/destination policies of Kuma 2.x (removed in 3.0); a zone control plane refuses every one of them. */
const LEGACY_KINDS = new Set([
  'Mesh',
  'TrafficRoute',
  'FaultInjection',
  'CircuitBreaker',
  'Timeout',
  'Retry',
  'TrafficPermission',
  'HealthCheck',
  'TrafficLog',
  'TrafficTrace',
  'RateLimit',
  'ProxyTemplate',
  'VirtualOutbound',
  'MeshGatewayRoute',
  'ExternalService',
]);

/**
 * Checks over the rendered objects of a Kuma / Kong Mesh environment: mTLS is on, every policy
 * sits where a control plane accepts it, and every route points at something that exists.
 */
export function checkKuma(env: string, objects: readonly RenderedObject[], protectedEnv: boolean): Finding[] {
  const findings: Finding[] = [];
  const envAnchor: RenderedObject = { file: `${env}/`, object: {}, line: 1 };
  const meshes = objects.filter((o) => normalize(o.object)?.kind === 'Mesh');
  if (meshes.length === 0) {
    findings.push({ at: envAnchor, severity: 'error', message: 'no Mesh resource: the mesh and its mTLS backend must be declared' });
  }
  for (const mesh of meshes) {
    const mtls = field(mesh.object, 'spec', 'mtls') ?? field(mesh.object, 'mtls');
    const enabled = str(mtls, 'enabledBackend');
    if (enabled === undefined || !list(mtls, 'backends').some((b) => str(b, 'name') === enabled)) {
      findings.push({
        at: mesh,
        severity: 'error',
        message: `mTLS is off in ${describeObject(mesh.object)}: set an enabledBackend that names one of its backends`,
      });
    }
  }

  // Service identities (kuma.io/service) and which instances carry them.
  // The port of the instances behind each service identity.
  const targetPorts = new Map<string, number>();
  for (const { object } of objects) {
    if (object.kind === 'Service' && object.apiVersion === 'v1') {
      const name = str(object, 'metadata', 'name')!;
      const namespace = str(object, 'metadata', 'namespace') ?? 'default';
      for (const port of list(object, 'spec', 'ports')) {
        targetPorts.set(
          kumaServiceName({ name, namespace }, { port: Number(field(port, 'port')) }),
          Number(field(port, 'targetPort') ?? field(port, 'port')),
        );
      }
    }
  }
  const mockImposterPorts = new Map<string, Set<number>>();
  for (const { object } of objects) {
    if (object.kind === 'ConfigMap' && labelsOf(object).app === MOCK_APP) {
      const service = labelsOf(object)[SELECTOR_LABEL];
      const ports = new Set<number>();
      const text = str(object, 'data', IMPOSTERS_KEY);
      try {
        const parsed = JSON.parse(text ?? '{}') as { imposters?: { port?: number }[] };
        (parsed.imposters ?? []).forEach((i) => ports.add(Number(i.port)));
      } catch {
        // Not an imposters document: the mock has no imposter on any port.
      }
      mockImposterPorts.set(`${str(object, 'metadata', 'namespace')}/${service}`, ports);
    }
  }

  for (const o of objects) {
    const resource = normalize(o.object);
    const kind = resource?.kind;
    if (resource === undefined || kind === undefined || (!LEGACY_KINDS.has(kind) && !kind.startsWith('Mesh'))) {
      continue;
    }
    const target = targetOf(o);
    const universal = o.object.apiVersion === undefined;
    const labels = labelsOf(o.object);
    const namespace = str(o.object, 'metadata', 'namespace');
    const what = describeObject(o.object);
    if (LEGACY_KINDS.has(kind) && target.startsWith('zone-')) {
      findings.push({
        at: o,
        severity: 'error',
        message: `${what} is a legacy policy in a zone folder: only the global control plane accepts it (a zone control plane rejects it with 403)`,
      });
    }
    if (!LEGACY_KINDS.has(kind) && !universal) {
      const inSystem = namespace !== undefined && SYSTEM_NAMESPACES.has(namespace);
      if (target.startsWith('zone-') && inSystem && labels['kuma.io/origin'] !== 'zone') {
        findings.push({
          at: o,
          severity: 'error',
          message: `${what} is applied on a zone control plane without the label kuma.io/origin: zone, which the zone requires`,
        });
      }
      if (target === 'global' && !inSystem) {
        findings.push({
          at: o,
          severity: 'error',
          message: `${what} must be in the system namespace (kong-mesh-system or kuma-system): a global control plane on Kubernetes only accepts policies there`,
        });
      }
      if (target === 'global' && labels['kuma.io/origin'] === 'zone') {
        findings.push({ at: o, severity: 'error', message: `${what} is labelled kuma.io/origin: zone but is applied on the global control plane` });
      }
    }
    const { spec } = resource;
    if (protectedEnv) {
      if (kind === 'MeshFaultInjection' || kind === 'FaultInjection') {
        findings.push({ at: o, severity: 'error', message: `${what} injects faults in a protected environment` });
      }
      const toMock =
        kind === 'MeshHTTPRoute'
          ? list(spec, 'to').some((to) =>
              list(to, 'rules').some((r) =>
                list(r, 'default', 'backendRefs').some((b) => str(b, 'tags', 'app') === MOCK_APP && field(b, 'weight') !== 0),
              ),
            )
          : kind === 'TrafficRoute'
            ? [...list(spec, 'conf', 'split'), ...list(spec, 'conf', 'http').flatMap((h) => list(h, 'split'))].some(
                (sp) => str(sp, 'destination', 'app') === MOCK_APP && field(sp, 'weight') !== 0,
              )
            : false;
      if (toMock) {
        findings.push({ at: o, severity: 'error', message: `${what} routes to a mock in a protected environment` });
      }
    }
    if (kind === 'MeshHTTPRoute') {
      for (const to of list(spec, 'to')) {
        const name = str(to, 'targetRef', 'name');
        if (field(to, 'targetRef', 'kind') === 'MeshService' && name !== undefined && !targetPorts.has(name)) {
          findings.push({ at: o, severity: 'error', message: `${what} routes to ${name}, which no Service in this environment publishes` });
          continue;
        }
        const identity = parseKumaServiceName(name);
        for (const rule of list(to, 'rules')) {
          const refs = list(rule, 'default', 'backendRefs');
          if (refs.length > 0 && refs.every((r) => field(r, 'weight') === 0)) {
            findings.push({ at: o, severity: 'error', message: `${what} has a rule whose backends all weigh 0: its requests go nowhere` });
          }
          for (const ref of refs) {
            const app = str(ref, 'tags', 'app');
            if (identity === undefined || app === undefined) {
              continue;
            }
            const { name: service, namespace: ns, port } = identity;
            if (app === MOCK_APP) {
              const ports = mockImposterPorts.get(`${ns}/${service}`);
              const targetPort = targetPorts.get(name!) ?? port;
              if (ports === undefined) {
                findings.push({
                  at: o,
                  severity: 'error',
                  message: `${what} sends traffic to the mock of ${service}, but no mock of it is deployed`,
                });
              } else if (!ports.has(targetPort)) {
                findings.push({
                  at: o,
                  severity: 'error',
                  message: `${what} sends port ${port} of ${service} to its mock, which has no imposter on ${targetPort}`,
                });
              }
            } else if (app !== service) {
              findings.push({
                at: o,
                severity: 'error',
                message: `${what} selects instances tagged app: ${app}, which ${service} does not have (real: app: ${service}, mock: app: ${MOCK_APP})`,
              });
            }
          }
        }
      }
    }
  }
  return findings;
}
