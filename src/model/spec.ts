import { FieldPath, SourceFile } from './source-file';
import { Version } from './version';

/**
 * The resolved, validated model that constructs are built from. Every default is applied, every
 * reference checked; values keep a pointer to where they were written (`Origin`) so that later
 * checks and audit annotations can name the file and line.
 */

/** The mesh products meshflip renders for. */
export enum MeshFlavor {
  KONG_MESH = 'kong-mesh',
  KUMA = 'kuma',
  OPENSHIFT_SERVICE_MESH = 'openshift-service-mesh',
  ISTIO = 'istio',
}

/** Where a value was written. */
export interface Origin {
  readonly file: SourceFile;
  readonly path: FieldPath;
}

export interface SettingsSpec {
  readonly repoURL: string;
  readonly revision: string;
  /** Folder of dist/ inside the repository. */
  readonly distPath: string;
  readonly argocdNamespace: string;
  readonly argocdCluster: string;
  /** The Argo CD version that runs dist/ (`argocd.version`): what it renders depends on it. */
  readonly argocdVersion: Version;
  readonly clusters: ReadonlyMap<string, ClusterSpec>;
  /** Deliberate exceptions to the credential checks (`allowedSecrets`), in file order. */
  readonly allowedSecrets: readonly AllowedSecret[];
  readonly file: SourceFile;
}

/**
 * One entry of `allowedSecrets` in environments/meshflip.yaml: a value that looks like a
 * credential and may be committed all the same. Plain data (it crosses worker threads).
 */
export interface AllowedSecret {
  /** Its position in the list. */
  readonly index: number;
  /** The file and field it allows (together), or... */
  readonly file?: string;
  readonly field?: string;
  /** ...the fingerprint of the value it allows, wherever it is. */
  readonly fingerprint?: string;
  readonly reason: string;
  /** Where the entry is written, for messages. */
  readonly at: { readonly file: string; readonly line: number; readonly col: number; readonly field: string };
}

export interface ClusterSpec {
  readonly name: string;
  /** The server URL as written: what Argo CD Applications name. */
  readonly server: string;
  /**
   * Which API server the entry reaches: the normalised server URL, the cluster Argo CD runs in for
   * an in-cluster address. Entries with the same identity are one cluster for every check.
   */
  readonly identity: string;
}

export type AppProtocol = 'http' | 'http2' | 'grpc' | 'tcp';

export interface PortSpec {
  readonly name: string;
  readonly port: number;
  readonly targetPort: number;
  readonly protocol: AppProtocol;
}

export interface ProbeSpec {
  readonly http?: { readonly path: string; readonly port: number };
  readonly tcp?: { readonly port: number };
  readonly exec?: { readonly command: readonly string[] };
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly failureThreshold?: number;
}

export type EnvValue =
  | { readonly value: string }
  | { readonly secretKeyRef: { readonly name: string; readonly key: string } }
  | { readonly configMapKeyRef: { readonly name: string; readonly key: string } };

export interface ResourcesSpec {
  readonly requests: { readonly cpu?: string; readonly memory?: string };
  readonly limits: { readonly cpu?: string; readonly memory?: string };
}

export interface SecurityContextSpec {
  readonly runAsUser?: number;
  readonly runAsGroup?: number;
  readonly fsGroup?: number;
  readonly runAsNonRoot: boolean;
  readonly readOnlyRootFilesystem: boolean;
}

export interface StorageSpec {
  readonly size: string;
  readonly mountPath: string;
  readonly accessMode: string;
  readonly storageClassName?: string;
}

export interface IngressRouteSpec {
  readonly name: string;
  readonly match: readonly ({ readonly exact: string } | { readonly prefix: string })[];
  readonly rewrite?: string;
  /** Service port number. */
  readonly port: number;
}

/** One Mountebank imposter, read from its file. */
export interface ImposterSpec {
  /** Repository-relative path of the file. */
  readonly file: string;
  readonly port: number;
  readonly protocol: string;
  /** The imposter document as written. */
  readonly document: Record<string, unknown>;
}

/** The latency a mock adds to every response (`mock.latency`): a fixed delay when min and max are equal. */
export interface LatencySpec {
  readonly minMs: number;
  readonly maxMs: number;
  readonly origin: Origin;
}

export interface MockSpec {
  readonly imposters: readonly ImposterSpec[];
  /** Added to every response of the mock, as Mountebank `wait` behaviours. */
  readonly latency?: LatencySpec;
  readonly replicas: number;
  readonly image: string;
  readonly origin: Origin;
}

export interface ServiceSpec {
  readonly name: string;
  readonly namespace: string;
  readonly description?: string;
  readonly image: string;
  readonly imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly ports: readonly PortSpec[];
  readonly replicas: number;
  readonly resources: ResourcesSpec;
  readonly probes: { readonly readiness?: ProbeSpec; readonly liveness?: ProbeSpec; readonly startup?: ProbeSpec };
  /** Sorted by name. */
  readonly env: readonly (readonly [string, EnvValue])[];
  readonly securityContext: SecurityContextSpec;
  readonly writablePaths: readonly string[];
  readonly storage?: StorageSpec;
  readonly strategy: 'RollingUpdate' | 'Recreate';
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** Names of the services this one calls, sorted. */
  readonly calls: readonly string[];
  /** HTTP headers the application copies onto the requests it makes (lowercase, sorted). */
  readonly propagates: readonly string[];
  readonly ingress: readonly IngressRouteSpec[];
  readonly mock?: MockSpec;
  /** Kuma zones the service runs in (empty for Istio flavors). */
  readonly zones: readonly string[];
  /** Where the environment lists the service. */
  readonly origin: Origin;
  /** Where the service is defined (a catalogue or the environment). */
  readonly definedIn: Origin;
}

export interface HeaderMatch {
  readonly name: string;
  readonly value: string;
}

/** Where traffic for one service goes, after `routing.default` and `routing.services` are combined. */
export interface RouteSpec {
  readonly service: string;
  /** Percent of default (header-less) traffic that goes to the mock, 0-100. */
  readonly mockWeight: number;
  /** `to: record`: the mock proxies every request to the real instances and records the answers. */
  readonly record?: boolean;
  /** When set, requests carrying this header go to the mock. */
  readonly header?: HeaderMatch;
  readonly expires?: string;
  readonly reason?: string;
  /** The routing line this comes from, or undefined for the implicit "real". */
  readonly origin?: Origin;
}

export interface FaultSpec {
  readonly service: string;
  readonly delay?: { readonly value: string; readonly percent: number };
  readonly abort?: { readonly httpStatus: number; readonly percent: number };
  readonly expires?: string;
  readonly reason?: string;
  readonly origin: Origin;
}

export interface CircuitBreakerSpec {
  readonly service: string;
  readonly maxConnections?: number;
  readonly maxPendingRequests?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
  readonly maxRequestsPerConnection?: number;
  readonly outlierDetection?: {
    readonly consecutive5xxErrors: number;
    readonly interval?: string;
    readonly baseEjectionTime?: string;
    readonly maxEjectionPercent?: number;
  };
  readonly origin: Origin;
}

export interface TimeoutSpec {
  readonly service: string;
  readonly connect?: string;
  readonly request?: string;
  readonly idle?: string;
  readonly origin: Origin;
}

export type RetryCondition = '5xx' | 'gateway-error' | 'reset' | 'connect-failure' | 'retriable-4xx' | 'refused-stream';

export interface RetrySpec {
  readonly service: string;
  readonly attempts: number;
  readonly perTryTimeout?: string;
  readonly on: readonly RetryCondition[];
  readonly origin: Origin;
}

export interface ZoneSpec {
  readonly name: string;
  readonly cluster: ClusterSpec;
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly tokenSecret: { readonly name: string; readonly key: string };
}

export type KumaGlobalSpec =
  | { readonly kind: 'konnect'; readonly region: string; readonly controlPlaneId: string; readonly kdsAddress: string }
  | {
      readonly kind: 'self-hosted';
      readonly cluster: ClusterSpec;
      readonly kdsAddress: string;
      /** The Secrets of the KDS server certificate (global) and of its CA (zones), when declared. */
      readonly kdsTls?: { readonly serverSecretName: string; readonly caSecretName: string };
    };

/** How the control planes get their webhook and API certificate; undefined when nothing was declared and the chart has no safe default. */
export type KumaControlPlaneTls =
  | { readonly kind: 'cert-manager'; readonly issuer?: { readonly name: string; readonly kind: 'Issuer' | 'ClusterIssuer' } }
  | { readonly kind: 'secret'; readonly secretName: string; readonly caBundle: string };

export interface KumaMeshSpec {
  readonly flavor: MeshFlavor.KONG_MESH | MeshFlavor.KUMA;
  readonly version: Version;
  readonly meshName: string;
  readonly policies: 'targetRef' | 'legacy';
  readonly placement: 'global' | 'zone';
  /** kong-mesh-system or kuma-system. */
  readonly systemNamespace: string;
  readonly mtls: { readonly backend: string; readonly certificateRotation: string; readonly caExpiration: string; readonly caRsaBits: number };
  readonly global: KumaGlobalSpec;
  readonly zones: readonly ZoneSpec[];
  readonly mocksZone: string;
  readonly kdsSkipVerify: boolean;
  readonly controlPlaneTls?: KumaControlPlaneTls;
  /** The licence Secret of a self-hosted Kong Mesh global control plane. */
  readonly license?: { readonly name: string; readonly key: string };
  readonly chart: { readonly repoURL: string; readonly name: string; readonly version: string };
}

export interface OperatorSpec {
  readonly enabled: boolean;
  readonly channel: string;
  readonly source: string;
  readonly approval: 'Automatic' | 'Manual';
  readonly startingCSV?: string;
}

export interface IstioMeshSpec {
  readonly flavor: MeshFlavor.OPENSHIFT_SERVICE_MESH | MeshFlavor.ISTIO;
  readonly version: Version;
  readonly cluster: ClusterSpec;
  /** networking.istio.io / security.istio.io version: v1 for Istio 1.22+, v1beta1 for OSSM 2.x. */
  readonly apiVersion: 'v1' | 'v1beta1';
  readonly controlPlaneNamespace: string;
  /**
   * Namespace of the ingress gateway's Deployment, Service, Route and Istio Gateway: the control
   * plane namespace, except on OpenShift Service Mesh 3, whose gateways are injected into a
   * namespace of their own.
   */
  readonly gatewayNamespace: string;
  /** `api: gateway-api` (OpenShift Service Mesh 3): a Gateway API Gateway and HTTPRoutes instead of an Istio Gateway and VirtualService. */
  readonly ingress?: { readonly gateway: string; readonly host: string; readonly api?: 'istio' | 'gateway-api' };
  /** OpenShift Service Mesh 3.x: the Sail operator's `Istio` and `IstioCNI` (sailoperator.io/v1). */
  readonly sail?: SailControlPlaneSpec;
  /**
   * OpenShift Service Mesh 2.6 on its way to 3.x: the `smcp` and the 3.x `sail` control plane run
   * side by side in the control plane namespace, and each namespace is served by one of them.
   */
  readonly migration?: MigrationSpec;
  /** OpenShift Service Mesh 2.x only. */
  readonly smcp?: {
    readonly name: string;
    readonly version: string;
    readonly tracing: { readonly type: 'Jaeger' | 'None'; readonly sampling: number };
    readonly addons: { readonly kiali: boolean; readonly grafana: boolean; readonly prometheus: boolean };
  };
  readonly operators?: {
    readonly elasticsearch: OperatorSpec;
    readonly jaeger: OperatorSpec;
    readonly kiali: OperatorSpec;
    readonly serviceMesh: OperatorSpec;
    /** The OpenShift Service Mesh 3 operator beside the 2.6 one, while a migration runs. */
    readonly serviceMesh3?: OperatorSpec;
  };
}

/** The move of an OpenShift Service Mesh 2.6 environment to 3.x, between its first and its last namespace. */
export interface MigrationSpec {
  /** The OpenShift Service Mesh 3 operator version the mesh moves to (`mesh.migration.to.version`). */
  readonly to: Version;
  /**
   * The 3.x revision migrated namespaces name in `istio.io/rev`: the `Istio` resource's name
   * (InPlace), or `<name>-v1-28-10` (RevisionBased).
   */
  readonly revision: string;
  /** The namespaces served by the 3.x revision, sorted; every other one is a member of the 2.6 control plane. */
  readonly migrated: readonly string[];
}

/** The control plane of an OpenShift Service Mesh 3.x environment, as the Sail operator's resources take it. */
export interface SailControlPlaneSpec {
  /** Name of the `Istio` resource (and, with the InPlace strategy, of its only revision). */
  readonly name: string;
  /** `Istio.spec.version` / `IstioCNI.spec.version`: `v1.28.10`, or `v1.28-latest` when only a minor was declared. */
  readonly istioVersion: string;
  readonly updateStrategy: 'InPlace' | 'RevisionBased';
  /** Namespace of the Istio CNI node agent (`IstioCNI.spec.namespace`). */
  readonly cniNamespace: string;
  /** The namespace label the `Istio` resource's discoverySelectors match: every mesh namespace carries it. */
  readonly discoveryLabel: { readonly key: string; readonly value: string };
  /** Kiali through the Kiali operator (`Kiali` and `OSSMConsole`, kiali.io/v1alpha1). */
  readonly kiali: boolean;
  /** ServiceMonitor and PodMonitor for OpenShift user-workload monitoring. */
  readonly metrics: boolean;
  /** Tracing through an OpenTelemetry collector, or none. */
  readonly tracing:
    { readonly type: 'None' } | { readonly type: 'OpenTelemetry'; readonly service: string; readonly port: number; readonly sampling: number };
}

export type MeshSpec = KumaMeshSpec | IstioMeshSpec;

export function isKuma(mesh: MeshSpec): mesh is KumaMeshSpec {
  return mesh.flavor === MeshFlavor.KONG_MESH || mesh.flavor === MeshFlavor.KUMA;
}

export interface EnvironmentSpec {
  readonly name: string;
  readonly description?: string;
  readonly protected: boolean;
  /** Repository-relative path of the environment file. */
  readonly file: string;
  readonly source: SourceFile;
  readonly mesh: MeshSpec;
  /** Sorted by name. */
  readonly services: readonly ServiceSpec[];
  readonly mocks: {
    readonly enabled: boolean;
    readonly image: string;
    /** What `meshflip mock-record` removes from recordings besides the fixed list (`mocks.scrub`). */
    readonly scrub?: { readonly headers: readonly string[]; readonly fields: readonly string[] };
  };
  /** One per service that has a deployed mock or an explicit routing intent, sorted by service. */
  readonly routes: readonly RouteSpec[];
  readonly faults: readonly FaultSpec[];
  readonly circuitBreakers: readonly CircuitBreakerSpec[];
  readonly timeouts: readonly TimeoutSpec[];
  readonly retries: readonly RetrySpec[];
  readonly trafficPermissions: boolean;
  readonly delivery: { readonly automated: boolean; readonly prune: boolean; readonly selfHeal: boolean };
  readonly settings: SettingsSpec;
}

/** Looks up a service by name. */
export function serviceByName(env: EnvironmentSpec, name: string): ServiceSpec | undefined {
  return env.services.find((s) => s.name === name);
}

/** The HTTP-family ports of a service: the ones routing and mocks apply to. */
export function httpPorts(service: ServiceSpec): PortSpec[] {
  return service.ports.filter((p) => p.protocol !== 'tcp');
}
