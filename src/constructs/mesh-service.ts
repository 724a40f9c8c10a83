import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { PROPAGATES_ANNOTATION } from '../meshes/effective-routing';
import { commonLabels, KEEP_DATA, PodMeshSettings, SELECTOR_LABEL, setWave, SYNC_OPTIONS_ANNOTATION, Wave } from '../meshes/mesh';
import { EnvironmentSpec, ProbeSpec, ResourcesSpec, ServiceSpec } from '../model/spec';

/** cdk8s-plus labels every pod with its construct address; meshflip selects by name instead. */
const CDK8S_ADDRESS_LABEL = 'cdk8s.io/metadata.addr';

/** Properties for `MeshService`. */
export interface MeshServiceProps {
  readonly env: EnvironmentSpec;
  readonly service: ServiceSpec;
  /** What the mesh needs on the pod template. */
  readonly mesh: PodMeshSettings;
}

/**
 * One service's workload: a ServiceAccount, a Deployment, a Service (when it has ports) and a
 * PersistentVolumeClaim (when it has storage), built with cdk8s-plus.
 *
 * Pods run as non-root without privilege escalation, with all capabilities dropped, the runtime
 * default seccomp profile and a read-only root file system (writable paths get an emptyDir),
 * unless the service overrides it.
 */
export class MeshService extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly service?: kplus.Service;
  public readonly serviceAccount: kplus.ServiceAccount;

  constructor(scope: Construct, id: string, props: MeshServiceProps) {
    super(scope, id);
    const { env, service, mesh } = props;
    const labels = { ...commonLabels(env), ...service.labels, app: service.name, [SELECTOR_LABEL]: service.name };
    const metadata = { name: service.name, namespace: service.namespace, labels };

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata, automountToken: false });
    setWave(this.serviceAccount, Wave.WORKLOADS);

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      // Read back by ROUTING.md, explain and the summary: which header-scoped routes this service's calls can trigger.
      metadata: service.propagates.length === 0 ? metadata : { ...metadata, annotations: { [PROPAGATES_ANNOTATION]: service.propagates.join(',') } },
      replicas: service.replicas,
      select: false,
      serviceAccount: this.serviceAccount,
      automountServiceAccountToken: false,
      strategy: service.strategy === 'Recreate' ? kplus.DeploymentStrategy.recreate() : kplus.DeploymentStrategy.rollingUpdate(),
      podMetadata: { labels: { ...labels, ...mesh.labels }, annotations: { ...service.annotations, ...mesh.annotations } },
      securityContext: {
        // Not at pod level where mesh init containers (traffic redirection) run as root.
        ensureNonRoot: mesh.openshiftRestricted ?? false,
        fsGroup: service.securityContext.fsGroup,
      },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: { app: service.name, [SELECTOR_LABEL]: service.name } }));
    setWave(this.deployment, Wave.WORKLOADS);

    const container = this.deployment.addContainer({
      name: service.name,
      image: service.image,
      imagePullPolicy: service.imagePullPolicy as kplus.ImagePullPolicy,
      command: service.command ? [...service.command] : undefined,
      args: service.args ? [...service.args] : undefined,
      ports: uniqueTargetPorts(service).map((p) => ({ number: p.targetPort, name: p.name, protocol: kplus.Protocol.TCP })),
      resources: containerResources(service.resources),
      securityContext: {
        ensureNonRoot: service.securityContext.runAsNonRoot,
        user: service.securityContext.runAsUser,
        group: service.securityContext.runAsGroup,
        readOnlyRootFilesystem: service.securityContext.readOnlyRootFilesystem,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { drop: [kplus.Capability.ALL] },
        seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
      },
      readiness: probe(service.probes.readiness),
      liveness: probe(service.probes.liveness),
      startup: probe(service.probes.startup),
    });
    for (const [name, value] of service.env) {
      if ('value' in value) {
        container.env.addVariable(name, kplus.EnvValue.fromValue(value.value));
      } else if ('secretKeyRef' in value) {
        const secret = kplus.Secret.fromSecretName(this, `Secret-${name}`, value.secretKeyRef.name);
        container.env.addVariable(name, kplus.EnvValue.fromSecretValue({ secret, key: value.secretKeyRef.key }));
      } else {
        const configMap = kplus.ConfigMap.fromConfigMapName(this, `ConfigMap-${name}`, value.configMapKeyRef.name);
        container.env.addVariable(name, kplus.EnvValue.fromConfigMap(configMap, value.configMapKeyRef.key));
      }
    }
    service.writablePaths.forEach((path, index) => {
      const volume = kplus.Volume.fromEmptyDir(this, `Writable${index}`, index === 0 ? 'writable' : `writable-${index}`);
      container.mount(path, volume);
    });
    if (service.storage !== undefined) {
      const claim = new kplus.PersistentVolumeClaim(this, 'Storage', {
        metadata: {
          name: `${service.name}-data`,
          namespace: service.namespace,
          labels,
          // Data outlives syncs: Argo CD never prunes or deletes the claim.
          annotations: { [SYNC_OPTIONS_ANNOTATION]: KEEP_DATA },
        },
        storage: size(service.storage.size),
        accessModes: [service.storage.accessMode as kplus.PersistentVolumeAccessMode],
        storageClassName: service.storage.storageClassName,
      });
      setWave(claim, Wave.WORKLOADS);
      container.mount(service.storage.mountPath, kplus.Volume.fromPersistentVolumeClaim(this, 'StorageVolume', claim, { name: 'data' }));
    }

    const deployment = ApiObject.of(this.deployment);
    deployment.addJsonPatch(
      JsonPatch.remove(`/spec/template/metadata/labels/${CDK8S_ADDRESS_LABEL.replace('/', '~1')}`),
      JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    );
    if (mesh.sidecarTokenVolume !== undefined) {
      // The sidecar authenticates with the service account token; the app container does not get it.
      deployment.addJsonPatch(JsonPatch.add('/spec/template/spec/volumes/-', projectedTokenVolume(mesh.sidecarTokenVolume)));
    }

    if (service.ports.length > 0) {
      this.service = new kplus.Service(this, 'Service', {
        metadata,
        ports: service.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: kplus.Protocol.TCP })),
      });
      this.service.selectLabel(SELECTOR_LABEL, service.name);
      service.ports.forEach((p, index) => {
        // Both meshes read the application protocol from appProtocol.
        ApiObject.of(this.service!).addJsonPatch(JsonPatch.add(`/spec/ports/${index}/appProtocol`, p.protocol));
      });
      setWave(this.service, Wave.WORKLOADS);
    }
  }
}

/** Container ports are keyed by number: two Service ports may share one target port. */
function uniqueTargetPorts(service: ServiceSpec) {
  const seen = new Set<number>();
  return service.ports.filter((p) => (seen.has(p.targetPort) ? false : (seen.add(p.targetPort), true)));
}

function probe(spec: ProbeSpec | undefined): kplus.Probe | undefined {
  if (spec === undefined) {
    return undefined;
  }
  const options = {
    initialDelaySeconds: spec.initialDelaySeconds === undefined ? undefined : Duration.seconds(spec.initialDelaySeconds),
    periodSeconds: spec.periodSeconds === undefined ? undefined : Duration.seconds(spec.periodSeconds),
    timeoutSeconds: spec.timeoutSeconds === undefined ? undefined : Duration.seconds(spec.timeoutSeconds),
    failureThreshold: spec.failureThreshold,
  };
  if (spec.http) {
    return kplus.Probe.fromHttpGet(spec.http.path, { ...options, port: spec.http.port });
  }
  if (spec.tcp) {
    return kplus.Probe.fromTcpSocket({ ...options, port: spec.tcp.port });
  }
  return kplus.Probe.fromCommand([...spec.exec!.command], options);
}

/** Requests and limits; cdk8s-plus renders memory in Mi. */
export function containerResources(resources: ResourcesSpec): kplus.ContainerResources {
  const cpu = (amount?: string) =>
    amount === undefined ? undefined : amount.endsWith('m') ? kplus.Cpu.millis(Number(amount.slice(0, -1))) : kplus.Cpu.units(Number(amount));
  const memory = (amount?: string) => (amount === undefined ? undefined : size(amount));
  const pair = <T>(request?: T, limit?: T) => (request === undefined && limit === undefined ? undefined : { request, limit });
  return {
    cpu: pair(cpu(resources.requests.cpu), cpu(resources.limits.cpu)),
    memory: pair(memory(resources.requests.memory), memory(resources.limits.memory)),
  };
}

/** A `<n>Mi|Gi|Ti` quantity (validated by the model) as a cdk8s Size. */
function size(quantity: string): Size {
  const amount = Number(quantity.slice(0, -2));
  switch (quantity.slice(-2)) {
    case 'Mi':
      return Size.mebibytes(amount);
    case 'Gi':
      return Size.gibibytes(amount);
    default:
      return Size.tebibytes(amount);
  }
}

/**
 * A projected volume with the pod's service account token, its CA and namespace.
 *
 * Written with the property names of cdk8s-plus's `k8s` types (`downwardApi`): JSON patches on
 * cdk8s-plus objects apply before those types are rendered to the wire format.
 */
export function projectedTokenVolume(name: string): Record<string, unknown> {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardApi: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}
