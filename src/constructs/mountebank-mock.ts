import { createHash } from 'crypto';
import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { commonLabels, IMPOSTERS_KEY, MOCK_APP, PodMeshSettings, SELECTOR_LABEL, setWave, Wave } from '../meshes/mesh';
import { impostersLoadedCommand } from '../mocks/imposters-loaded-probe';
import { recordingImposter } from '../mocks/recording';
import { impostersConfiguration } from '../model/imposters';
import { EnvironmentSpec, httpPorts, ServiceSpec } from '../model/spec';
import { containerResources, projectedTokenVolume } from './mesh-service';

/** Port of Mountebank's admin API inside the mock pod. */
export const MOUNTEBANK_ADMIN_PORT = 2525;
/** Where the imposters ConfigMap is mounted. */
export const IMPOSTERS_DIR = '/etc/mountebank';
/** Pod template annotation that changes whenever the imposters do, so the mock pods roll. */
export const IMPOSTERS_HASH_ANNOTATION = 'meshflip.io/imposters-sha256';
/** The UID the mock runs as outside OpenShift (the `node` user of the Mountebank image); OpenShift assigns one from the namespace's range. */
const MOUNTEBANK_UID = 1000;

/** Properties for `MountebankMock`. */
export interface MountebankMockProps {
  readonly env: EnvironmentSpec;
  /** The service this mock stands in for. */
  readonly target: ServiceSpec;
  /** What the mesh needs on the pod template. */
  readonly mesh: PodMeshSettings;
  /**
   * Also render a Service with the target's name, ports and selector, so the mock gets the same
   * mesh identity in a zone where the real service does not run.
   *
   * @default false
   */
  readonly ownService?: boolean;
}

/**
 * A Mountebank deployment that impersonates `target` inside the mesh. The imposters come from the
 * repository, are mounted from a ConfigMap and loaded at start-up (`mb --configfile`); no operator
 * or admin API call is involved. The pods carry the target's `app.kubernetes.io/name`, so they are
 * published under the target's identity, and `app: mountebank`, which tells them apart.
 */
export class MountebankMock extends Construct {
  /** The imposters document, as mounted into the pod. */
  public readonly configuration: string;
  /** The routing records the target through this mock (`to: record`): its imposters are proxies to the real instances. */
  public readonly recording: boolean;
  public readonly deployment: kplus.Deployment;

  constructor(scope: Construct, id: string, props: MountebankMockProps) {
    super(scope, id);
    const { env, target, mesh } = props;
    const mock = target.mock!;
    const name = `${target.name}-mock`;
    const labels = { ...commonLabels(env), app: MOCK_APP, [SELECTOR_LABEL]: target.name, 'app.kubernetes.io/component': 'mock' };
    // to: record replaces the imposters by proxies to the real instances (no latency: the recording is of the real answers).
    this.recording = env.routes.some((r) => r.service === target.name && r.record === true);
    const recordPorts = [...new Map(httpPorts(target).map((p) => [p.targetPort, p])).values()];
    this.configuration = this.recording
      ? `${JSON.stringify(
          {
            imposters: recordPorts.map((p) =>
              recordingImposter(p.targetPort, `http://${target.name}.${target.namespace}.svc.cluster.local:${p.port}`, `${target.name} (recording)`),
            ),
          },
          null,
          2,
        )}\n`
      : impostersConfiguration(mock.imposters, mock.latency);
    const servedPorts = this.recording ? recordPorts.map((p) => p.targetPort) : mock.imposters.map((i) => i.port);

    const configMap = new kplus.ConfigMap(this, 'Imposters', {
      metadata: { name: `${target.name}-imposters`, namespace: target.namespace, labels },
      data: { [IMPOSTERS_KEY]: this.configuration },
    });
    setWave(configMap, Wave.MOCKS);
    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name, namespace: target.namespace, labels },
      automountToken: false,
    });
    setWave(serviceAccount, Wave.MOCKS);

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name, namespace: target.namespace, labels },
      replicas: mock.replicas,
      select: false,
      serviceAccount,
      automountServiceAccountToken: false,
      podMetadata: {
        labels: { ...labels, ...mesh.labels },
        annotations: { ...mesh.annotations, [IMPOSTERS_HASH_ANNOTATION]: createHash('sha256').update(this.configuration).digest('hex') },
      },
      securityContext: { ensureNonRoot: mesh.openshiftRestricted ?? false },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: { app: MOCK_APP, [SELECTOR_LABEL]: target.name } }));
    setWave(this.deployment, Wave.MOCKS);

    const imposterPorts = servedPorts.map((port) => ({
      number: port,
      name: target.ports.find((p) => p.targetPort === port)?.name,
      protocol: kplus.Protocol.TCP,
    }));
    const container = this.deployment.addContainer({
      name: 'mountebank',
      image: mock.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['mb'],
      args: [
        'start',
        '--configfile',
        `${IMPOSTERS_DIR}/${IMPOSTERS_KEY}`,
        // The imposters are data, not an EJS template.
        '--noParse',
        '--port',
        String(MOUNTEBANK_ADMIN_PORT),
        // Keep the root file system read-only: no log file, pid file in /tmp.
        '--nologfile',
        '--pidfile',
        '/tmp/mb.pid',
      ],
      ports: [{ number: MOUNTEBANK_ADMIN_PORT, name: 'mb-admin', protocol: kplus.Protocol.TCP }, ...imposterPorts],
      resources: containerResources({ requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } }),
      securityContext: {
        ensureNonRoot: true,
        user: mesh.openshiftRestricted ? undefined : MOUNTEBANK_UID,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
      // Ready once every imposter is loaded, not when the admin API answers: mb opens it before it loads --configfile.
      readiness: kplus.Probe.fromCommand(impostersLoadedCommand(MOUNTEBANK_ADMIN_PORT, servedPorts), {
        periodSeconds: Duration.seconds(5),
        // node starts in well under a second, but the mock has a CPU request of 50m.
        timeoutSeconds: Duration.seconds(5),
      }),
      liveness: kplus.Probe.fromTcpSocket({ port: MOUNTEBANK_ADMIN_PORT, periodSeconds: Duration.seconds(20) }),
    });
    container.mount(IMPOSTERS_DIR, kplus.Volume.fromConfigMap(this, 'ImpostersVolume', configMap, { name: 'imposters' }), { readOnly: true });
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp'));

    const deployment = ApiObject.of(this.deployment);
    deployment.addJsonPatch(
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    );
    if (mesh.sidecarTokenVolume !== undefined) {
      deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/volumes/-', projectedTokenVolume(mesh.sidecarTokenVolume)));
    }

    if (props.ownService ?? false) {
      // Same name, namespace and ports as the real Service: the mock is published under the same mesh identity.
      const service = new kplus.Service(this, 'Service', {
        metadata: { name: target.name, namespace: target.namespace, labels: { ...labels, app: target.name } },
        ports: target.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: kplus.Protocol.TCP })),
      });
      service.selectLabel(SELECTOR_LABEL, target.name);
      target.ports.forEach((p, index) => ApiObject.of(service).addJsonPatch(JsonPatch.add(`/spec/ports/${index}/appProtocol`, p.protocol)));
      setWave(service, Wave.MOCKS);
    }
  }
}
