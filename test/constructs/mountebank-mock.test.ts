import { Chart, Testing } from 'cdk8s';
import { IMPOSTERS_HASH_ANNOTATION, MountebankMock } from '../../src/constructs/mountebank-mock';
import { IMPOSTERS_LOADED_SCRIPT } from '../../src/mocks/imposters-loaded-probe';
import { ServiceSpec } from '../../src/model/spec';
import { manifestsOfKind } from '../util';
import { fixtureEnv, fixtureService } from './helpers';

const POD = { labels: {}, annotations: { 'sidecar.istio.io/inject': 'true' } };

function synth(target: ServiceSpec, ownService = false) {
  const chart = new Chart(Testing.app(), 'test');
  new MountebankMock(chart, 'Mock', { env: fixtureEnv('istio'), target, mesh: POD, ownService });
  return Testing.synth(chart);
}

describe('MountebankMock', () => {
  const backend = fixtureService('istio', 'backend');

  test('loads the imposters from a ConfigMap at start-up, with no operator and no admin call', () => {
    // WHEN
    const manifests = synth(backend);
    const [configMap] = manifestsOfKind(manifests, 'ConfigMap');
    const [deployment] = manifestsOfKind(manifests, 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    // THEN the ConfigMap holds the imposters file as written
    expect(JSON.parse(configMap.data['imposters.json'])).toEqual({ imposters: [backend.mock!.imposters[0].document] });
    // and Mountebank reads it as data (no EJS), listening on the service's target port
    expect(container.command).toEqual(['mb']);
    expect(container.args).toEqual([
      'start',
      '--configfile',
      '/etc/mountebank/imposters.json',
      '--noParse',
      '--port',
      '2525',
      '--nologfile',
      '--pidfile',
      '/tmp/mb.pid',
    ]);
    expect(container.ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([2525, 8080]);
    expect(deployment.spec.template.spec.volumes).toContainEqual({ configMap: { name: 'backend-imposters' }, name: 'imposters' });
  });

  test('carries the identity of the service it stands in for, and the tag that tells it apart', () => {
    // WHEN
    const [deployment] = manifestsOfKind(synth(backend), 'Deployment');
    // THEN
    expect(deployment.metadata.name).toBe('backend-mock');
    expect(deployment.spec.template.metadata.labels).toMatchObject({ app: 'mountebank', 'app.kubernetes.io/name': 'backend' });
    expect(deployment.spec.selector.matchLabels).toEqual({ app: 'mountebank', 'app.kubernetes.io/name': 'backend' });
  });

  test('rolls the mock pods when an imposter changes, and only then', () => {
    // GIVEN the same mock twice, and once with a changed response
    const hash = (target: ServiceSpec) =>
      manifestsOfKind(synth(target), 'Deployment')[0].spec.template.metadata.annotations[IMPOSTERS_HASH_ANNOTATION];
    const changedDocument = { ...backend.mock!.imposters[0].document, stubs: [] };
    const changed: ServiceSpec = {
      ...backend,
      mock: { ...backend.mock!, imposters: [{ ...backend.mock!.imposters[0], document: changedDocument }] },
    };
    // THEN
    expect(hash(backend)).toMatch(/^[0-9a-f]{64}$/);
    expect(hash(backend)).toBe(hash(backend));
    expect(hash(changed)).not.toBe(hash(backend));
  });

  test("publishes a Service with the real service's name and ports where the real one does not run", () => {
    // WHEN
    const [service] = manifestsOfKind(synth(backend, true), 'Service');
    // THEN
    expect(service.metadata.name).toBe('backend');
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'backend' });
    expect(service.spec.ports).toEqual([{ appProtocol: 'http', name: 'http', port: 8080, protocol: 'TCP', targetPort: 8080 }]);
    expect(manifestsOfKind(synth(backend, false), 'Service')).toEqual([]);
  });

  test('is ready only when Mountebank lists an imposter on every port of the mock, not when its admin API answers', () => {
    // GIVEN a mock with imposters on two ports
    const second = { ...backend.mock!.imposters[0], port: 9090, document: { ...backend.mock!.imposters[0].document, port: 9090 } };
    const target: ServiceSpec = { ...backend, mock: { ...backend.mock!, imposters: [...backend.mock!.imposters, second] } };
    // WHEN
    const probe = manifestsOfKind(synth(target), 'Deployment')[0].spec.template.spec.containers[0].readinessProbe;
    // THEN an exec probe with the image's node, against the admin port, naming both imposter ports
    expect(probe.exec.command).toEqual(['node', '-e', IMPOSTERS_LOADED_SCRIPT, '2525', '8080', '9090']);
    expect(probe.httpGet).toBeUndefined();
    expect(probe).toMatchObject({ periodSeconds: 5, timeoutSeconds: 5 });
  });

  test('runs unprivileged with a read-only root file system', () => {
    const [deployment] = manifestsOfKind(synth(backend), 'Deployment');
    expect(deployment.spec.template.spec.containers[0].securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
  });

  test('keeps its overall shape', () => {
    expect(synth(backend)).toMatchSnapshot();
  });
});
