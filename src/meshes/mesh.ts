import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { formatPath } from '../model/source-file';
import {
  CircuitBreakerSpec,
  ClusterSpec,
  EnvironmentSpec,
  FaultSpec,
  MeshFlavor,
  Origin,
  RetrySpec,
  RouteSpec,
  ServiceSpec,
  TimeoutSpec,
} from '../model/spec';

/**
 * Argo CD sync waves inside an Application: namespaces and operators first, then control planes,
 * then permissions, workloads and mocks, then routing policy.
 *
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/sync-waves/
 */
export enum Wave {
  NAMESPACES = -10,
  OPERATORS = -8,
  CONTROL_PLANE = -6,
  MESH_MEMBERSHIP = -4,
  GATEWAY = -3,
  PERMISSIONS = -2,
  WORKLOADS = 0,
  // eslint-disable-next-line @typescript-eslint/no-duplicate-enum-values -- mocks deploy in the same wave as the workloads they stand in for
  MOCKS = 0,
  /** Subsets before the routes that use them (make-before-break). */
  SUBSETS = 4,
  ROUTING = 5,
}

/** The `app` label (and Kuma tag) of every mock pod: what tells a mock from the real service (`app: <service>`). */
export const MOCK_APP = 'mountebank';
/** The key of the imposters document in a mock's ConfigMap (Mountebank's `--configfile`). */
export const IMPOSTERS_KEY = 'imposters.json';
/** The label every Service selects on; real and mock pods of a service share it, so both carry its identity. */
export const SELECTOR_LABEL = 'app.kubernetes.io/name';

/** Sets the Argo CD sync wave of an object (an ApiObject, or a cdk8s-plus resource wrapping one). */
export function setWave(obj: IConstruct, wave: Wave): void {
  ApiObject.of(obj).metadata.addAnnotation('argocd.argoproj.io/sync-wave', String(wave));
}

/** Argo CD's per-object sync options (argoproj/gitops-engine `pkg/sync/common` `AnnotationSyncOptions`). */
export const SYNC_OPTIONS_ANNOTATION = 'argocd.argoproj.io/sync-options';

/**
 * The sync options of an object that holds data: never pruned (gitops-engine `pkg/sync/sync_context.go`,
 * `Prune=false`) and kept when its Application is deleted with cascade (argoproj/argo-cd
 * `controller/appcontroller.go` `shouldBeDeleted`, `Delete=false`).
 */
export const KEEP_DATA = 'Prune=false,Delete=false';

/**
 * Marks an object whose CRD is installed by an operator or chart that Argo CD may sync in the
 * same run: the dry run is skipped while the CRD is still missing.
 */
export function skipDryRunWhileCrdMissing(obj: ApiObject): void {
  obj.metadata.addAnnotation(SYNC_OPTIONS_ANNOTATION, 'SkipDryRunOnMissingResource=true');
}

/** Labels meshflip puts on everything it renders. */
export function commonLabels(env: EnvironmentSpec): Record<string, string> {
  return { 'app.kubernetes.io/managed-by': 'meshflip', 'meshflip.io/environment': env.name };
}

/**
 * Audit annotations on a routing object: which file and field it came from, what it does, why
 * and until when.
 */
export function auditAnnotations(
  env: EnvironmentSpec,
  intent: string,
  origin: Origin | undefined,
  reason?: string,
  expires?: string,
): Record<string, string> {
  return {
    'meshflip.io/source': origin === undefined ? env.file : `${origin.file.path}#${formatPath(origin.path)}`,
    'meshflip.io/intent': intent,
    ...(reason === undefined ? {} : { 'meshflip.io/reason': reason }),
    ...(expires === undefined ? {} : { 'meshflip.io/expires': expires }),
  };
}

/** A one-line human description of a route intent, also used in annotations and tables. */
export function describeRoute(route: RouteSpec | undefined): string {
  if (route === undefined || (route.mockWeight === 0 && route.header === undefined)) {
    return 'real';
  }
  const base =
    route.mockWeight === 100 ? 'mock' : route.mockWeight === 0 ? 'real' : `split ${100 - route.mockWeight}% real / ${route.mockWeight}% mock`;
  return route.header === undefined ? base : `${base}; ${route.header.name}: ${route.header.value} -> mock`;
}

/** A one-line human description of a fault. */
export function describeFault(fault: FaultSpec): string {
  const parts: string[] = [];
  if (fault.delay) {
    parts.push(`delay ${fault.delay.value} on ${fault.delay.percent}%`);
  }
  if (fault.abort) {
    parts.push(`abort ${fault.abort.httpStatus} on ${fault.abort.percent}%`);
  }
  return parts.join(', ');
}

/** How the files of a target folder are applied. */
export enum TargetFormat {
  /** Kubernetes manifests, applied by an Argo CD Application. */
  KUBERNETES = 'kubernetes',
  /** Kuma universal-format resources, applied with `kumactl apply -f` (Konnect-hosted global control plane). */
  KUMACTL = 'kumactl',
}

/** A folder of an environment in dist/, applied as a whole to one place. */
export interface TargetPlan {
  /** Folder name under dist/<env>/. */
  readonly name: string;
  readonly format: TargetFormat;
  /** The cluster an Argo CD Application applies the folder to (Kubernetes targets). */
  readonly cluster?: ClusterSpec;
  /** The Application's default namespace. */
  readonly namespace: string;
  /** Sync wave of the Application in the root app: lower goes first. */
  readonly wave: number;
  /** One line for the Application description and the README table. */
  readonly description: string;
  /** Sync options the content needs. */
  readonly syncOptions: readonly string[];
}

/** An Argo CD Application that installs a Helm chart (a control plane). */
export interface HelmApplicationPlan {
  readonly name: string;
  readonly cluster: ClusterSpec;
  readonly namespace: string;
  readonly repoURL: string;
  readonly chart: string;
  readonly version: string;
  readonly releaseName: string;
  readonly values: Record<string, unknown>;
  readonly wave: number;
  readonly description: string;
  /** Cluster-scoped kinds the chart creates (for the AppProject). */
  readonly clusterKinds: readonly { readonly group: string; readonly kind: string }[];
  /**
   * Fields of the chart's objects that a controller rewrites after Argo CD applies them: Argo CD
   * ignores them when it compares and when it syncs (`RespectIgnoreDifferences=true`), so self-heal
   * does not fight the controller.
   *
   * @default - none
   */
  readonly ignoreDifferences?: readonly ControllerOwnedFields[];
}

/** Fields of one kind that a controller owns once the object is applied, with who rewrites them. */
export interface ControllerOwnedFields {
  readonly group: string;
  readonly kind: string;
  /** jq paths, as Argo CD's `ignoreDifferences.jqPathExpressions` takes them. */
  readonly jqPathExpressions: readonly string[];
  /** The controller and upstream code that rewrites the fields. */
  readonly rewrittenBy: string;
}

/** Files of a kumactl target: universal-format resources, grouped per file. */
export interface IKumactlFile {
  add(resource: Record<string, unknown>): void;
}

/**
 * Where a mesh defines its objects: a chart per file of a target folder, created on first use.
 * Implemented by the environment construct.
 */
export interface IEnvironmentScope {
  readonly env: EnvironmentSpec;
  /** The chart of `dist/<env>/<target>/<file>.k8s.yaml`. */
  chart(target: string, file: string): Chart;
  /** The file `dist/<env>/<target>/<file>.kumactl.yaml`. */
  kumactl(target: string, file: string): IKumactlFile;
}

/** Everything the overlay says about one service. */
export interface ServicePolicies {
  readonly service: ServiceSpec;
  /** Undefined when traffic simply goes to the real service and no mock is deployed. */
  readonly route?: RouteSpec;
  readonly fault?: FaultSpec;
  readonly circuitBreaker?: CircuitBreakerSpec;
  readonly timeout?: TimeoutSpec;
  readonly retry?: RetrySpec;
  /** Whether the service's mock is deployed (it then shares the service's identity). */
  readonly mockDeployed: boolean;
}

/** The pod template additions a mesh needs on its workloads. */
export interface PodMeshSettings {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /**
   * A projected service account token volume the sidecar reads (the app container keeps
   * automountServiceAccountToken off).
   */
  readonly sidecarTokenVolume?: string;
  /**
   * Pods are admitted by OpenShift's `restricted-v2` SCC: it assigns the UID and fsGroup from the
   * namespace's range and refuses pinned ones, and no mesh init container runs as root (the CNI
   * plugin redirects traffic), so pods run as non-root at pod level and pin no UID.
   *
   * @default false
   */
  readonly openshiftRestricted?: boolean;
}

/**
 * One service mesh product. Constructs talk only to this interface; a new flavour of a family is
 * one new file in its folder (`meshes/kuma/`, `meshes/istio/`), registered by its `MeshFamily`.
 */
export interface IMesh {
  readonly flavor: MeshFlavor;
  /** The environment's folders in dist/, in the order Argo CD should sync them. */
  readonly targets: readonly TargetPlan[];
  /** Targets the workloads of `service` are deployed to. */
  workloadTargets(service: ServiceSpec): readonly string[];
  /** The target the mock of `service` is deployed to. */
  mockTarget(service: ServiceSpec): string;
  /** Whether the mock needs a Service of its own in its target (no real instance there). */
  mockNeedsOwnService(service: ServiceSpec): boolean;
  /** Labels (and annotations) on every workload namespace. */
  namespaceMetadata(namespace: string): { readonly labels: Readonly<Record<string, string>>; readonly annotations: Readonly<Record<string, string>> };
  /** What the pod template of every mesh workload in `namespace` needs. */
  podSettings(namespace: string): PodMeshSettings;
  /** Defines the control plane objects: operators, control plane resources, the mesh itself, gateways. */
  addControlPlane(scope: IEnvironmentScope): void;
  /** Defines the routing and resilience policies of one service. */
  addServicePolicies(scope: IEnvironmentScope, policies: ServicePolicies): void;
  /** Defines the traffic permission that lets exactly `callers` reach `service` (and its mock). */
  addTrafficPermissions(scope: IEnvironmentScope, service: ServiceSpec, callers: readonly ServiceSpec[]): void;
  /** Argo CD Applications that install control planes from Helm charts. */
  controlPlaneApplications(): readonly HelmApplicationPlan[];
}

/** Names a Kubernetes object after a service, within the 63-character limit. */
export function objectName(...parts: string[]): string {
  const name = parts.filter((p) => p !== '').join('-');
  if (name.length > 63) {
    throw new Error(`object name ${name} is longer than 63 characters`);
  }
  return name;
}

/** Drops undefined entries, so optional settings do not render as nulls. */
export function definedOnly<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
