import { Chart, Testing } from 'cdk8s';
import { MeshService } from '../../src/constructs/mesh-service';
import { PodMeshSettings } from '../../src/meshes/mesh';
import { manifestsOfKind } from '../util';
import { fixtureEnv, fixtureService } from './helpers';

const KUMA_POD = { labels: {}, annotations: { 'kuma.io/service-account-token-volume': 'kuma-sa-token' }, sidecarTokenVolume: 'kuma-sa-token' };
const ISTIO_POD = { labels: {}, annotations: { 'sidecar.istio.io/inject': 'true' } };

function synth(env: string, service: string, mesh: PodMeshSettings = ISTIO_POD) {
  const chart = new Chart(Testing.app(), 'test');
  new MeshService(chart, 'Workload', { env: fixtureEnv(env), service: fixtureService(env, service), mesh });
  return Testing.synth(chart);
}

describe('MeshService', () => {
  test('renders a ServiceAccount, Deployment and Service named after the service', () => {
    // WHEN
    const manifests = synth('istio', 'backend');
    // THEN
    expect(manifests.map((m) => `${m.kind}/${m.metadata.namespace}/${m.metadata.name}`)).toEqual([
      'ServiceAccount/shop/backend',
      'Deployment/shop/backend',
      'Service/shop/backend',
    ]);
  });

  test('selects pods by name and app, and the Service selects real and mock pods alike', () => {
    // WHEN
    const manifests = synth('istio', 'backend');
    const [deployment] = manifestsOfKind(manifests, 'Deployment');
    const [service] = manifestsOfKind(manifests, 'Service');
    // THEN the Deployment keeps to its own pods; the Service reaches every pod of the service, mock included
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: 'backend', 'app.kubernetes.io/name': 'backend' } });
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': 'backend' });
    expect(deployment.spec.template.metadata.labels).not.toHaveProperty(['cdk8s.io/metadata.addr']);
  });

  test('hardens the container: non-root, no privilege escalation, no capabilities, read-only root, runtime default seccomp', () => {
    // WHEN
    const [deployment] = manifestsOfKind(synth('istio', 'backend'), 'Deployment');
    const pod = deployment.spec.template.spec;
    // THEN
    expect(pod.containers[0].securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // Not at pod level: the mesh's init container redirects traffic as root.
    expect(pod.securityContext.runAsNonRoot).toBe(false);
    expect(pod.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.automountServiceAccountToken).toBe(false);
    // A read-only root file system still gets a writable /tmp.
    expect(pod.containers[0].volumeMounts).toEqual([{ mountPath: '/tmp', name: 'writable' }]);
  });

  test('lets a service override what its image needs', () => {
    // WHEN the db runs as UID 999 with a writable root file system
    const [deployment] = manifestsOfKind(synth('istio', 'db'), 'Deployment');
    // THEN
    expect(deployment.spec.template.spec.containers[0].securityContext).toMatchObject({
      runAsUser: 999,
      readOnlyRootFilesystem: false,
      runAsNonRoot: true,
    });
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('keeps credentials in Secrets: env values reference them by name and key', () => {
    // WHEN
    const [deployment] = manifestsOfKind(synth('istio', 'backend'), 'Deployment');
    // THEN
    expect(deployment.spec.template.spec.containers[0].env).toEqual([
      { name: 'DB_HOST', value: 'db' },
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { key: 'password', name: 'backend-db' } } },
    ]);
  });

  test('gives the mesh its pod template annotations and the Kuma sidecar its own token volume', () => {
    // WHEN
    const [deployment] = manifestsOfKind(synth('kuma-zone', 'backend', KUMA_POD), 'Deployment');
    const pod = deployment.spec.template;
    // THEN the token reaches the sidecar only, through the projected volume the annotation names
    expect(pod.metadata.annotations).toEqual({ 'kuma.io/service-account-token-volume': 'kuma-sa-token' });
    expect(
      pod.spec.volumes.find((v: { name: string }) => v.name === 'kuma-sa-token').projected.sources.map((s: object) => Object.keys(s)[0]),
    ).toEqual(['serviceAccountToken', 'configMap', 'downwardAPI']);
  });

  test('sets appProtocol on every Service port and renders probes and resources as declared', () => {
    // WHEN
    const manifests = synth('istio', 'frontend');
    const [service] = manifestsOfKind(manifests, 'Service');
    const [deployment] = manifestsOfKind(manifests, 'Deployment');
    const container = deployment.spec.template.spec.containers[0];
    // THEN
    expect(service.spec.ports).toEqual([{ appProtocol: 'http', name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }]);
    expect(container.ports).toEqual([{ containerPort: 8080, name: 'http', protocol: 'TCP' }]);
    expect(container.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 8080 } });
    expect(container.startupProbe).toBeUndefined();
    expect(container.resources).toEqual({ limits: { memory: '256Mi' }, requests: { cpu: '50m', memory: '64Mi' } });
  });

  test('keeps data: the claim of a stateful service is never pruned or deleted by Argo CD', () => {
    // WHEN
    const [claim] = manifestsOfKind(synth('istio', 'db'), 'PersistentVolumeClaim');
    // THEN
    expect(claim.metadata.name).toBe('db-data');
    expect(claim.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('Prune=false,Delete=false');
    expect(claim.spec.resources.requests.storage).toBe('2Gi');
  });

  test('renders a client without ports as a Deployment alone', () => {
    // GIVEN a service with no ports (a client)
    const env = fixtureEnv('istio');
    const client = { ...fixtureService('istio', 'frontend'), name: 'client', ports: [], probes: {}, ingress: [] };
    const chart = new Chart(Testing.app(), 'test');
    // WHEN
    new MeshService(chart, 'Workload', { env, service: client, mesh: ISTIO_POD });
    // THEN
    expect(Testing.synth(chart).map((m) => m.kind)).toEqual(['ServiceAccount', 'Deployment']);
  });

  test('keeps its overall shape', () => {
    expect(synth('istio', 'backend')).toMatchSnapshot();
  });
});
