import * as path from 'path';
import { clusterIdentities, sameServerNote } from './cluster-identity';
import { impostersConfiguration, ReadImposters, readImposters } from './imposters';
import { formatBytes, MAX_CONFIGMAP_BYTES } from './limits';
import { latencyConflicts, latencyTimeoutProblems, resolveLatency } from './mock-latency';
import { protocolFitProblems } from './mock-protocol';
import { outputPathProblem } from './output-path';
import {
  CatalogInput,
  CatalogServiceInput,
  CircuitBreakerInput,
  EnvironmentInput,
  EnvironmentServiceInput,
  EnvValueInput,
  FaultInput,
  KumaMeshInput,
  IstioMeshInput,
  OssmMeshInput,
  PortInput,
  RetryInput,
  RouteIntentInput,
  SettingsInput,
} from './schema';
import { FieldPath, formatPath, InputText, SourceFile } from './source-file';
import {
  CircuitBreakerSpec,
  ClusterSpec,
  EnvironmentSpec,
  EnvValue,
  FaultSpec,
  httpPorts,
  ImposterSpec,
  IngressRouteSpec,
  IstioMeshSpec,
  isKuma,
  KumaControlPlaneTls,
  KumaMeshSpec,
  LatencySpec,
  MeshFlavor,
  MeshSpec,
  MockSpec,
  OperatorSpec,
  PortSpec,
  ProbeSpec,
  RetryCondition,
  RetrySpec,
  RouteSpec,
  ServiceSpec,
  SettingsSpec,
  TimeoutSpec,
} from './spec';
import { compareStrings, didYouMean, Problem } from './spec-error';
import { ARGOCD_MIN_VERSION } from './argocd-version';
import { escapeUnsafeText } from './unsafe-text';
import { Version } from './version';

/** The OpenShift Service Mesh 3 operator meshflip renders for: its CRDs are the pinned schemas (alternatives/ossm-3). */
export const OSSM3_OPERATOR = '3.4';

/**
 * The `Istio.spec.version` values of the OpenShift Service Mesh 3.4.1 operator from Istio 1.27 on,
 * newest first: the enum of its CRD (openshift-service-mesh/sail-operator v3.4.1
 * chart/crds/sailoperator.io_istios.yaml), which has no 1.29 and still lists 1.26.
 */
export const OSSM3_ISTIO_VERSIONS: readonly string[] = [
  'v1.30.3',
  'v1.30-latest',
  'v1.30.1',
  'v1.28-latest',
  'v1.28.10',
  'v1.28.8',
  'v1.28.6',
  'v1.28.5',
  'v1.28.4',
  'v1.27-latest',
  'v1.27.9',
  'v1.27.8',
  'v1.27.5',
  'v1.27.3',
];

/** Control plane settings of one major only. */
const OSSM3_ONLY = ['istioVersion', 'updateStrategy', 'cniNamespace', 'gatewayNamespace', 'kiali', 'metrics'] as const;
const OSSM2_ONLY = ['addons'] as const;

/** Where dist/ sits in the repository unless environments/meshflip.yaml says otherwise (repository.path). */
export const DEFAULT_DIST_PATH = 'dist';

/** Mountebank image used for mocks unless an environment says otherwise. */
export const DEFAULT_MOUNTEBANK_IMAGE = 'bbyars/mountebank:2.9.1';
const DEFAULT_RETRY_ON: readonly RetryCondition[] = ['5xx', 'connect-failure', 'refused-stream'];

/** A parsed, schema-valid catalogue file. */
export interface LoadedCatalog {
  readonly name: string;
  readonly file: SourceFile;
  readonly input: CatalogInput;
}

/** k8s.io/apimachinery pkg/util/validation `DNS1123SubdomainMaxLength`: the longest prefix of a label or annotation key. */
const DNS1123_SUBDOMAIN_MAX = 253;

/**
 * The annotations a service may set on its pod template: Kubernetes allows 256 KiB per object
 * (`TotalAnnotationSizeLimitB`), and 16 KiB are kept for what the mesh and meshflip add there.
 */
export const MAX_USER_ANNOTATION_BYTES = 240 * 1024;

/**
 * The one map key cdk8s cannot render: `sanitizeValue` (cdk8s lib/_util.js) checks
 * `obj.constructor.name === 'Object'` on every map, and an own `constructor` entry hides the real one.
 */
const CDK8S_UNRENDERABLE_KEY = 'constructor';
const CDK8S_UNRENDERABLE_MESSAGE = 'cannot be "constructor": cdk8s, which renders the objects, cannot write a map with this key';

/** Reads a file relative to the repository root; undefined when it does not exist. */
export type ReadFile = (repoPath: string, maxBytes?: number) => ReadResult;

/**
 * An imposter file read and checked on its own (parsed, schema, injection, unique ports): the
 * same for every mock that lists it, so read once per load however many services share it.
 */
export interface ImposterFile extends ReadImposters {
  readonly file: SourceFile;
}

/** An input file that is, or lies behind, a symbolic link: never read. */
export interface LinkedInput {
  /** The repository path of the link. */
  readonly link: string;
}

/**
 * A file's bytes (or text handed in), undefined when there is no regular file, the size of a file over the limit asked
 * for (not read), or the link on its way (not read).
 */
export type ReadResult = InputText | undefined | ReadFailure;

/** A file that was not read: over the size limit asked for, or behind a symbolic link. */
export type ReadFailure = { readonly tooLarge: number } | LinkedInput;

/** Whether a read stopped short of the file's content (see `ReadFailure`). */
export function isReadFailure(result: ReadResult): result is ReadFailure {
  return result !== undefined && typeof result === 'object' && !(result instanceof Uint8Array);
}

/** Resolves the settings file into a `SettingsSpec`. */
export function resolveSettings(file: SourceFile, input: SettingsInput, problems: Problem[]): SettingsSpec {
  const names = Object.keys(input.clusters).sort(compareStrings);
  const identities = clusterIdentities(
    new Map(names.map((name) => [name, input.clusters[name].server])),
    input.argocd.cluster,
    input.argocd.namespace ?? 'argocd',
  );
  const clusters = new Map<string, ClusterSpec>();
  for (const name of names) {
    clusters.set(name, { name, server: input.clusters[name].server, identity: identities.get(name)! });
  }
  if (!clusters.has(input.argocd.cluster)) {
    problems.push(
      file.problem(['argocd', 'cluster'], `must name a cluster under clusters (${[...clusters.keys()].join(', ')})`, {
        hint: didYouMean(input.argocd.cluster, clusters.keys()),
      }),
    );
  }
  const distProblem = outputPathProblem(input.repository.path ?? DEFAULT_DIST_PATH);
  if (distProblem !== undefined && input.repository.path !== undefined) {
    problems.push(file.problem(['repository', 'path'], distProblem.message, { hint: distProblem.hint }));
  }
  const argocdVersion = Version.parse(input.argocd.version ?? ARGOCD_MIN_VERSION);
  if (!argocdVersion.atLeast(ARGOCD_MIN_VERSION)) {
    problems.push(
      file.problem(
        ['argocd', 'version'],
        `must be ${ARGOCD_MIN_VERSION} or later: meshflip renders Helm values as valuesObject and keeps data with helm.sh/resource-policy, both from Argo CD ${ARGOCD_MIN_VERSION}`,
        {
          hint: 'upgrade Argo CD and declare the version it runs',
        },
      ),
    );
  }
  return {
    repoURL: input.repository.url,
    revision: input.repository.revision ?? 'main',
    distPath: input.repository.path ?? DEFAULT_DIST_PATH,
    argocdNamespace: input.argocd.namespace ?? 'argocd',
    argocdCluster: input.argocd.cluster,
    argocdVersion,
    clusters,
    allowedSecrets: (input.allowedSecrets ?? []).map((entry, index) => {
      const at: FieldPath = ['allowedSecrets', index];
      return { index, ...entry, at: { file: file.path, ...file.locate(at), field: formatPath(at) } };
    }),
    file,
  };
}

/**
 * Environment names that would share a file or folder of dist/ with the Argo CD objects of every
 * environment: dist/<env>/ and dist/argocd/<env>.k8s.yaml are an environment's.
 */
const RESERVED_ENVIRONMENT_NAMES: ReadonlyMap<string, string> = new Map([
  ['argocd', "dist/argocd/ holds the Argo CD objects of every environment, and would hold this environment's files too"],
  ['root', "dist/argocd/root.k8s.yaml holds the root Application, and would hold this environment's Argo CD objects too"],
]);

/**
 * Resolves one environment: applies catalogues and defaults, checks every reference, and reports
 * each problem at the line that caused it.
 */
export function resolveEnvironment(
  file: SourceFile,
  input: EnvironmentInput,
  catalogs: ReadonlyMap<string, LoadedCatalog>,
  brokenCatalogs: ReadonlySet<string>,
  settings: SettingsSpec | undefined,
  readFile: ReadFile,
  problems: Problem[],
  imposterFiles?: Map<string, ImposterFile>,
): EnvironmentSpec | undefined {
  const before = problems.length;
  const r = new EnvironmentResolver(file, input, catalogs, brokenCatalogs, settings, readFile, problems, imposterFiles);
  const spec = r.resolve();
  return problems.length === before ? spec : undefined;
}

/** A number for each imposter read, by identity: the key of `configurationSizes`. */
const imposterIds = new WeakMap<ImposterSpec, number>();
let nextImposterId = 0;
/**
 * The size of the imposters document (`impostersConfiguration`) of each set of imposters and
 * latency, under the first imposter of the set: the mocks that list the same imposter files (each
 * read once per load, so the same imposters) with the same latency render the same document, and
 * serializing it once per mock to measure it was most of resolving a large environment's mocks.
 */
const configurationSizes = new WeakMap<ImposterSpec, Map<string, number>>();

/** The UTF-8 size of the imposters document a mock's ConfigMap holds, as rendered. */
function configurationSize(imposters: readonly ImposterSpec[], latency: LatencySpec | undefined): number {
  if (imposters.length === 0) {
    return Buffer.byteLength(impostersConfiguration(imposters, latency), 'utf8');
  }
  const idOf = (imposter: ImposterSpec) => {
    let id = imposterIds.get(imposter);
    if (id === undefined) {
      id = nextImposterId++;
      imposterIds.set(imposter, id);
    }
    return id;
  };
  const key = `${imposters.map(idOf).join(',')} ${JSON.stringify(latency ?? null)}`;
  let sizes = configurationSizes.get(imposters[0]);
  if (sizes === undefined) {
    sizes = new Map();
    configurationSizes.set(imposters[0], sizes);
  }
  let size = sizes.get(key);
  if (size === undefined) {
    size = Buffer.byteLength(impostersConfiguration(imposters, latency), 'utf8');
    sizes.set(key, size);
  }
  return size;
}

class EnvironmentResolver {
  private readonly isProtected: boolean;
  private readonly defaultNamespace: string;
  private mesh!: MeshSpec;
  /** The OpenShift Service Mesh 3 mesh a migration ends in. */
  private migrationTarget?: IstioMeshSpec;
  /** Where each service's calls are written, for reporting unknown callees. */
  private readonly callsAt = new Map<string, { file: SourceFile; path: FieldPath }>();

  constructor(
    private readonly file: SourceFile,
    private readonly input: EnvironmentInput,
    private readonly catalogs: ReadonlyMap<string, LoadedCatalog>,
    /** Catalogues that exist but could not be read: their own problems are reported. */
    private readonly brokenCatalogs: ReadonlySet<string>,
    private readonly settings: SettingsSpec | undefined,
    private readonly readFile: ReadFile,
    private readonly problems: Problem[],
    /**
     * Every imposter file read, by path: for the secret scan, and so that each is read and checked
     * once however many mocks (of however many environments loaded together) list it.
     */
    private readonly imposterFiles: Map<string, ImposterFile> = new Map(),
  ) {
    this.isProtected = input.protected ?? false;
    this.defaultNamespace = input.namespace ?? input.name;
  }

  public resolve(): EnvironmentSpec | undefined {
    const { file, input } = this;
    const expectedName = path.posix.basename(file.path).replace(/\.ya?ml$/, '');
    if (input.name !== expectedName) {
      this.problems.push(
        file.problem(['name'], `must match the file name "${expectedName}"`, { hint: `rename the file or set name: ${expectedName}` }),
      );
    }
    const reserved = RESERVED_ENVIRONMENT_NAMES.get(input.name);
    if (reserved !== undefined) {
      this.problems.push(
        file.problem(['name'], `is reserved: ${reserved}`, { hint: `rename the file and its name: to another one, such as ${input.name}-lab` }),
      );
    }
    const settings = this.settings;
    let meshSpec = this.resolveMesh();
    if (meshSpec === undefined || settings === undefined) {
      return undefined;
    }
    this.mesh = meshSpec;
    const mocksEnabled = input.mocks?.enabled ?? !this.isProtected;
    if (this.isProtected && input.mocks?.enabled === true) {
      this.problems.push(file.problem(['mocks', 'enabled'], 'must be false in a protected environment: protected environments never run mocks'));
    }
    if (input.mocks?.zone !== undefined && !('zones' in input.mesh)) {
      this.problems.push(file.problem(['mocks', 'zone'], 'is only for Kuma / Kong Mesh zones', { hint: 'remove it' }));
    }
    const mockImage = input.mocks?.image ?? DEFAULT_MOUNTEBANK_IMAGE;
    this.checkImage(mockImage, ['mocks', 'image']);
    const services = this.resolveServices(mockImage, input.mocks?.replicas);
    const byName = new Map(services.map((s) => [s.name, s]));
    this.checkCalls(services, byName);
    if (!isKuma(meshSpec) && meshSpec.sail !== undefined) {
      this.checkSailNamespaces(meshSpec, services, meshSpec.migration === undefined ? ['mesh'] : ['mesh', 'migration', 'to']);
    }
    if (!isKuma(meshSpec) && meshSpec.migration !== undefined) {
      meshSpec = this.migrationPhase(meshSpec, services);
      this.mesh = meshSpec;
    }
    const routes = this.resolveRoutes(services, byName, mocksEnabled);
    const faults = this.resolveFaults(byName, routes);
    const circuitBreakers = this.resolvePerService(input.circuitBreakers, 'circuitBreakers', byName, (service, cb, origin) =>
      this.circuitBreaker(service, cb, origin),
    );
    const timeouts = this.resolvePerService(input.timeouts, 'timeouts', byName, (service, t, origin): TimeoutSpec => ({ service, ...t, origin }));
    this.problems.push(...latencyTimeoutProblems(services, timeouts, isKuma(meshSpec)));
    const retries = this.resolvePerService(input.retries, 'retries', byName, (service, r: RetryInput, origin): RetrySpec => ({
      service,
      attempts: r.attempts,
      perTryTimeout: r.perTryTimeout,
      on: r.on ?? DEFAULT_RETRY_ON,
      origin,
    }));
    if (!isKuma(meshSpec) && meshSpec.ingress?.api === 'gateway-api') {
      this.checkGatewayApi(meshSpec, services, mocksEnabled, [...routes, ...faults, ...timeouts, ...retries]);
    }
    return {
      name: input.name,
      description: input.description,
      protected: this.isProtected,
      file: file.path,
      source: file,
      mesh: meshSpec,
      services,
      mocks: {
        enabled: mocksEnabled,
        image: mockImage,
        scrub: input.mocks?.scrub && { headers: input.mocks.scrub.headers ?? [], fields: input.mocks.scrub.fields ?? [] },
      },
      routes,
      faults,
      circuitBreakers,
      timeouts,
      retries,
      trafficPermissions: input.trafficPermissions ?? true,
      delivery: {
        automated: input.delivery?.automated ?? true,
        prune: input.delivery?.prune ?? !this.isProtected,
        selfHeal: input.delivery?.selfHeal ?? true,
      },
      settings,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Mesh
  // -------------------------------------------------------------------------------------------

  private cluster(name: string, at: FieldPath): ClusterSpec | undefined {
    const cluster = this.settings?.clusters.get(name);
    if (cluster === undefined && this.settings !== undefined) {
      const known = [...this.settings.clusters.keys()];
      this.problems.push(
        this.file.problem(at, `must name a cluster declared in ${this.settings.file.path} (${known.join(', ')})`, {
          hint: didYouMean(name, known) ?? `add it under clusters: in ${this.settings.file.path}`,
        }),
      );
    }
    return cluster;
  }

  private resolveMesh(): MeshSpec | undefined {
    const mesh = this.input.mesh;
    switch (mesh.flavor) {
      case 'kong-mesh':
      case 'kuma':
        return this.resolveKuma(mesh);
      case 'openshift-service-mesh':
      case 'istio':
        return this.resolveIstio(mesh);
    }
  }

  private resolveKuma(mesh: KumaMeshInput): KumaMeshSpec | undefined {
    const { file } = this;
    const version = Version.parse(mesh.version);
    const before = this.problems.length;
    const product = mesh.flavor === 'kong-mesh' ? 'Kong Mesh' : 'Kuma';
    const policies = mesh.policies ?? (version.atLeast('2.6') ? 'targetRef' : 'legacy');
    if (version.atLeast('3.0')) {
      if (mesh.policies === 'legacy') {
        this.problems.push(
          file.problem(
            ['mesh', 'policies'],
            `cannot be legacy on ${product} ${version}: TrafficRoute, FaultInjection, CircuitBreaker and the other legacy policies were removed in 3.0`,
            {
              hint: 'use policies: targetRef, or declare the 2.x version the mesh really runs',
            },
          ),
        );
      } else {
        this.problems.push(
          file.problem(
            ['mesh', 'version'],
            `is not supported yet: ${product} 3.x removed MeshServiceSubset, which meshflip uses to tell a mock from the real service`,
            {
              hint: 'declare a 2.x version (2.6 to 2.14)',
            },
          ),
        );
      }
    }
    if (!version.atLeast('2.0')) {
      this.problems.push(file.problem(['mesh', 'version'], `must be 2.0 or later`));
    }
    if (policies === 'targetRef' && !version.atLeast('2.0')) {
      this.problems.push(file.problem(['mesh', 'policies'], `cannot be targetRef before ${product} 2.0`));
    }
    const konnect = 'konnect' in mesh.global ? mesh.global.konnect : undefined;
    const selfHosted = 'selfHosted' in mesh.global ? mesh.global.selfHosted : undefined;
    if (konnect !== undefined && mesh.flavor === 'kuma') {
      this.problems.push(
        file.problem(['mesh', 'global', 'konnect'], 'needs flavor kong-mesh: Konnect hosts Kong Mesh global control planes', { noGot: true }),
      );
    }
    const placement = mesh.placement ?? (policies === 'legacy' || selfHosted !== undefined ? 'global' : 'zone');
    if (policies === 'legacy' && placement === 'zone') {
      this.problems.push(
        file.problem(
          ['mesh', 'placement'],
          'cannot be zone with legacy policies: a zone control plane rejects them; they can only be created on the global control plane',
          {
            hint: 'use placement: global, or policies: targetRef',
          },
        ),
      );
    }
    if (policies === 'targetRef' && placement === 'zone' && !version.atLeast('2.6')) {
      this.problems.push(
        file.problem(
          ['mesh', 'placement'],
          `cannot be zone before ${product} 2.6: zones accept targetRef policies (kuma.io/origin: zone) from 2.6 on`,
          {
            hint: 'use placement: global',
          },
        ),
      );
    }
    const zoneNames = new Set<string>();
    const zones = mesh.zones.map((zone, index) => {
      if (zoneNames.has(zone.name)) {
        this.problems.push(file.problem(['mesh', 'zones', index, 'name'], 'must be unique'));
      }
      zoneNames.add(zone.name);
      const cluster = this.cluster(zone.cluster, ['mesh', 'zones', index, 'cluster']);
      return {
        name: zone.name,
        cluster: cluster ?? { name: zone.cluster, server: '', identity: '' },
        ingress: zone.ingress ?? true,
        egress: zone.egress ?? false,
        tokenSecret: { name: zone.tokenSecret?.name ?? 'cp-token', key: zone.tokenSecret?.key ?? 'token' },
      };
    });
    // Keyed on the API server, not the cluster's name: two names for one server are one cluster.
    const clustersUsed = new Map<string, number>();
    zones.forEach((zone, index) => {
      if (zone.cluster.identity === '') {
        return;
      }
      const other = clustersUsed.get(zone.cluster.identity);
      if (other !== undefined) {
        this.problems.push(
          file.problem(
            ['mesh', 'zones', index, 'cluster'],
            `is already used by zone ${zones[other].name}${sameServerNote(zone.cluster, zones[other].cluster)}: one zone control plane per cluster`,
          ),
        );
      }
      clustersUsed.set(zone.cluster.identity, index);
    });
    let global: KumaMeshSpec['global'];
    if (selfHosted !== undefined) {
      if (version.atLeast('3.0')) {
        this.problems.push(
          file.problem(
            ['mesh', 'global', 'selfHosted'],
            `cannot run on Kubernetes with ${product} 3.x (the global control plane runs on Universal only)`,
            { noGot: true },
          ),
        );
      }
      const cluster = this.cluster(selfHosted.cluster, ['mesh', 'global', 'selfHosted', 'cluster']);
      const zoneThere = cluster === undefined ? undefined : clustersUsed.get(cluster.identity);
      if (zoneThere !== undefined) {
        this.problems.push(
          file.problem(
            ['mesh', 'global', 'selfHosted', 'cluster'],
            `must not run a zone${sameServerNote(cluster!, zones[zoneThere].cluster)}: the global control plane needs a cluster of its own`,
          ),
        );
      }
      global = {
        kind: 'self-hosted',
        cluster: cluster ?? { name: selfHosted.cluster, server: '', identity: '' },
        kdsAddress: selfHosted.kdsAddress,
        kdsTls: selfHosted.kdsTls,
      };
    } else {
      const k = konnect!;
      global = { kind: 'konnect', region: k.region, controlPlaneId: k.controlPlaneId, kdsAddress: `grpcs://${k.region}.mesh.sync.konghq.com:443` };
    }
    if (mesh.license !== undefined && (mesh.flavor !== 'kong-mesh' || selfHosted === undefined)) {
      this.problems.push(
        file.problem(['mesh', 'license'], 'is only for a self-hosted Kong Mesh global control plane (Konnect manages the licence; Kuma needs none)', {
          noGot: true,
          hint: 'remove it',
        }),
      );
    }
    const chartVersion = Version.parse(mesh.chartVersion ?? mesh.version);
    if (mesh.controlPlaneTls !== undefined && 'certManager' in mesh.controlPlaneTls && !chartVersion.atLeast('2.13')) {
      this.problems.push(
        file.problem(
          ['mesh', 'controlPlaneTls', 'certManager'],
          `needs chart 2.13 or later (controlPlane.tls.general.certManager), the chart is ${chartVersion}`,
          {
            noGot: true,
            hint: 'declare controlPlaneTls.secret with a pre-created Secret and its CA',
          },
        ),
      );
    }
    const tls = mesh.controlPlaneTls;
    if (
      tls !== undefined &&
      'secret' in tls &&
      !/^-----BEGIN CERTIFICATE-----\r?\n(?![^]*PRIVATE KEY)[^]*-----END CERTIFICATE-----\s*$/.test(
        Buffer.from(tls.secret.caBundle, 'base64').toString('latin1'),
      )
    ) {
      this.problems.push(
        file.problem(
          ['mesh', 'controlPlaneTls', 'secret', 'caBundle'],
          'must be the base64 of PEM certificates only (a private key must never be in git)',
          {
            noGot: true,
            hint: 'base64 -w0 ca.crt',
          },
        ),
      );
    }
    const controlPlaneTls: KumaControlPlaneTls | undefined =
      tls === undefined
        ? chartVersion.atLeast('2.13')
          ? { kind: 'cert-manager' }
          : undefined
        : 'certManager' in tls
          ? {
              kind: 'cert-manager',
              ...(tls.certManager.issuer ? { issuer: { name: tls.certManager.issuer.name, kind: tls.certManager.issuer.kind ?? 'Issuer' } } : {}),
            }
          : { kind: 'secret', secretName: tls.secret.name, caBundle: tls.secret.caBundle };
    const mocksZone = this.input.mocks?.zone ?? zones[zones.length - 1].name;
    if (!zoneNames.has(mocksZone)) {
      this.problems.push(
        file.problem(['mocks', 'zone'], `must be one of the mesh zones (${[...zoneNames].join(', ')})`, { hint: didYouMean(mocksZone, zoneNames) }),
      );
    }
    if (this.problems.length !== before) {
      return undefined;
    }
    const kongMesh = mesh.flavor === 'kong-mesh';
    return {
      flavor: kongMesh ? MeshFlavor.KONG_MESH : MeshFlavor.KUMA,
      version,
      meshName: mesh.name ?? 'default',
      policies,
      placement,
      systemNamespace: kongMesh ? 'kong-mesh-system' : 'kuma-system',
      mtls: {
        backend: mesh.mtls?.backend ?? 'ca-1',
        certificateRotation: mesh.mtls?.certificateRotation ?? '1d',
        caExpiration: mesh.mtls?.caExpiration ?? '10y',
        caRsaBits: mesh.mtls?.caRsaBits ?? 2048,
      },
      global,
      zones,
      mocksZone,
      kdsSkipVerify: mesh.kdsSkipVerify ?? false,
      controlPlaneTls,
      license: mesh.license && { name: mesh.license.name, key: mesh.license.key ?? 'license.json' },
      chart: kongMesh
        ? { repoURL: 'https://kong.github.io/kong-mesh-charts', name: 'kong-mesh', version: mesh.chartVersion ?? mesh.version }
        : { repoURL: 'https://kumahq.github.io/charts', name: 'kuma', version: mesh.chartVersion ?? mesh.version },
    };
  }

  private resolveIstio(mesh: OssmMeshInput | IstioMeshInput): IstioMeshSpec | undefined {
    const { file } = this;
    const version = Version.parse(mesh.version);
    const cluster = this.cluster(mesh.cluster, ['mesh', 'cluster']);
    if (cluster === undefined) {
      return undefined;
    }
    if (mesh.flavor === 'istio') {
      if (!version.atLeast('1.10')) {
        this.problems.push(file.problem(['mesh', 'version'], 'must be 1.10 or later'));
        return undefined;
      }
      return {
        flavor: MeshFlavor.ISTIO,
        version,
        cluster,
        apiVersion: version.atLeast('1.22') ? 'v1' : 'v1beta1',
        controlPlaneNamespace: mesh.controlPlane?.namespace ?? 'istio-system',
        gatewayNamespace: mesh.controlPlane?.namespace ?? 'istio-system',
        ingress: mesh.ingress,
      };
    }
    if (version.major === 3) {
      return this.resolveOssm3(mesh, version, cluster);
    }
    if (version.major !== 2 || !version.atLeast('2.3')) {
      this.problems.push(
        file.problem(['mesh', 'version'], 'must be an OpenShift Service Mesh version: 2.x from 2.3 on (2.3, 2.4, 2.5, ...) or 3.4', {
          hint: 'use 3.4 for the Sail-based OpenShift Service Mesh 3, or flavor: istio for upstream Istio',
        }),
      );
      return undefined;
    }
    for (const key of OSSM3_ONLY) {
      if (mesh.controlPlane?.[key] !== undefined) {
        this.problems.push(
          file.problem(['mesh', 'controlPlane', key], `is an OpenShift Service Mesh 3.x setting; ${version.text} has a ServiceMeshControlPlane`, {
            hint: `remove it, or set mesh.version to ${OSSM3_OPERATOR}`,
          }),
        );
      }
    }
    if (mesh.controlPlane?.tracing?.type === 'OpenTelemetry') {
      this.problems.push(
        file.problem(['mesh', 'controlPlane', 'tracing', 'type'], `must be Jaeger or None on OpenShift Service Mesh ${version.text}`, {
          hint: `OpenTelemetry tracing needs OpenShift Service Mesh 3 (mesh.version: ${OSSM3_OPERATOR})`,
        }),
      );
    }
    const cp = mesh.controlPlane;
    // No tracing by default: the Jaeger operator left the redhat-operators catalog (see rule MF2003).
    const tracing = { type: cp?.tracing?.type === 'Jaeger' ? 'Jaeger' : 'None', sampling: cp?.tracing?.sampling ?? 10000 } as const;
    const addons = { kiali: cp?.addons?.kiali ?? true, grafana: cp?.addons?.grafana ?? true, prometheus: cp?.addons?.prometheus ?? true };
    if (addons.kiali && !addons.prometheus) {
      this.problems.push(
        file.problem(['mesh', 'controlPlane', 'addons', 'kiali'], 'needs the prometheus addon: the operator rejects Kiali without Prometheus', {
          hint: 'set prometheus: true or kiali: false',
        }),
      );
    }
    const ops = mesh.operators;
    const operator = (
      o: OssmMeshInput['operators'] extends infer T ? (T extends object ? T[keyof T] : never) : never,
      enabled: boolean,
    ): OperatorSpec => ({
      enabled: o?.enabled ?? enabled,
      channel: o?.channel ?? 'stable',
      source: o?.source ?? 'redhat-operators',
      // Protected environments upgrade operators only when someone approves (rule MF2006).
      approval: o?.approval ?? (this.isProtected ? 'Manual' : 'Automatic'),
      startingCSV: o?.startingCSV,
    });
    const operators = {
      elasticsearch: operator(ops?.elasticsearch, false),
      jaeger: operator(ops?.jaeger, tracing.type === 'Jaeger'),
      kiali: operator(ops?.kiali, addons.kiali),
      serviceMesh: operator(ops?.serviceMesh, true),
    };
    if (tracing.type === 'Jaeger' && !operators.jaeger.enabled) {
      this.problems.push(
        file.problem(
          ['mesh', 'operators', 'jaeger', 'enabled'],
          'must be true while tracing is Jaeger: the control plane needs the Jaeger operator',
          { hint: 'or set controlPlane.tracing.type: None' },
        ),
      );
    }
    if (addons.kiali && !operators.kiali.enabled) {
      this.problems.push(
        file.problem(['mesh', 'operators', 'kiali', 'enabled'], 'must be true while the kiali addon is on', {
          hint: 'or set controlPlane.addons.kiali: false',
        }),
      );
    }
    if (!operators.serviceMesh.enabled) {
      this.problems.push(
        file.problem(['mesh', 'operators', 'serviceMesh', 'enabled'], 'must be true: the control plane needs the Service Mesh operator'),
      );
    }
    const ossm2: IstioMeshSpec = {
      flavor: MeshFlavor.OPENSHIFT_SERVICE_MESH,
      version,
      cluster,
      apiVersion: 'v1beta1',
      controlPlaneNamespace: cp?.namespace ?? 'istio-system',
      gatewayNamespace: cp?.namespace ?? 'istio-system',
      ingress: mesh.ingress,
      smcp: { name: cp?.name ?? 'basic', version: `v${version.major}.${version.minor}`, tracing, addons },
      operators,
    };
    return mesh.migration === undefined ? ossm2 : this.resolveMigration(mesh, ossm2);
  }

  /**
   * An OpenShift Service Mesh 2.6 environment that declares its move to 3.x: the 3.x control plane
   * (`mesh.migration.to`) beside the 2.6 one, as in Red Hat's "Migrating from Service Mesh 2 to
   * Service Mesh 3" (sail-operator docs/ossm/ossm2-migration). Which namespaces have moved is
   * decided once the services are known (`migrationPhase`).
   */
  private resolveMigration(mesh: OssmMeshInput, ossm2: IstioMeshSpec): IstioMeshSpec | undefined {
    const { file } = this;
    const migration = mesh.migration!;
    const version = ossm2.version;
    let ok = true;
    const fail = (problem: Problem) => {
      this.problems.push(problem);
      ok = false;
    };
    if (version.major !== 2 || version.minor !== 6) {
      fail(
        file.problem(
          ['mesh', 'version'],
          'must be 2.6 while mesh.migration is declared: Red Hat migrates to OpenShift Service Mesh 3 only from 2.6',
          {
            hint: 'upgrade the control plane to 2.6 first (mesh.version: "2.6", synced and healthy), then declare mesh.migration',
          },
        ),
      );
    }
    // Red Hat's pre-migration checklist: what 3.x does not manage is off on the 2.6 control plane first.
    const smcp = ossm2.smcp!;
    for (const addon of ['kiali', 'grafana', 'prometheus'] as const) {
      if (smcp.addons[addon]) {
        fail(
          file.problem(
            ['mesh', 'controlPlane', 'addons', addon],
            'must be false while migrating to OpenShift Service Mesh 3: the 3.x operator manages no addons',
            {
              hint:
                addon === 'kiali'
                  ? 'set addons.kiali: false; the standalone Kiali of mesh.migration.to replaces it (controlPlane.kiali, on by default)'
                  : addon === 'prometheus'
                    ? 'set addons.prometheus: false; OpenShift user-workload monitoring replaces it (mesh.migration.to.controlPlane.metrics)'
                    : 'set addons.grafana: false; OpenShift Service Mesh 3 has no Grafana',
              ...(mesh.controlPlane?.addons?.[addon] === undefined ? { noGot: true } : {}),
            },
          ),
        );
      }
    }
    if (smcp.tracing.type !== 'None') {
      fail(
        file.problem(
          ['mesh', 'controlPlane', 'tracing', 'type'],
          'must be None while migrating to OpenShift Service Mesh 3: the 3.x operator has no Jaeger',
          {
            hint: 'send spans to an OpenTelemetry collector instead (mesh.migration.to.controlPlane.tracing)',
          },
        ),
      );
    }
    const to = migration.to;
    const namespace = ossm2.controlPlaneNamespace;
    if (to.controlPlane?.namespace !== undefined && to.controlPlane.namespace !== namespace) {
      fail(
        file.problem(
          ['mesh', 'migration', 'to', 'controlPlane', 'namespace'],
          `must be the 2.6 control plane's namespace ${namespace}: ` +
            'the 3.x istiod signs its certificates with the CA secret the 2.6 one created there, so that migrated and unmigrated sidecars trust each other',
          {
            hint: 'remove it (it defaults to the 2.6 namespace)',
          },
        ),
      );
    }
    if (to.controlPlane?.name === smcp.name) {
      fail(
        file.problem(
          ['mesh', 'migration', 'to', 'controlPlane', 'name'],
          `must differ from the ServiceMeshControlPlane's name ${smcp.name}: both name a revision (istio.io/rev)`,
          {
            hint: 'keep the default, default',
          },
        ),
      );
    }
    const ossm3 = this.resolveOssm3(
      { ...mesh, migration: undefined, version: to.version, controlPlane: { ...to.controlPlane, namespace }, operators: to.operators },
      Version.parse(to.version),
      ossm2.cluster,
      ['mesh', 'migration', 'to'],
    );
    if (ossm3 === undefined || !ok) {
      return undefined;
    }
    this.migrationTarget = ossm3;
    const sail = ossm3.sail!;
    // The revision migrated namespaces name: the Istio's name (InPlace) or `<name>-<spec.version, dots
    // as dashes>` (RevisionBased), as sail-operator v3.4.1 controllers/istio/istio_controller.go
    // getActiveRevisionName names it.
    const revision = sail.updateStrategy === 'RevisionBased' ? `${sail.name}-${sail.istioVersion.replace(/\./g, '-')}` : sail.name;
    return {
      ...ossm2,
      // The ingress gateway is deployed by gateway injection from the 3.x revision (the checklist
      // turns the ServiceMeshControlPlane's gateways off), in the 3.x gateway namespace.
      gatewayNamespace: ossm3.gatewayNamespace,
      sail,
      operators: { ...ossm2.operators!, kiali: ossm3.operators!.kiali, serviceMesh3: ossm3.operators!.serviceMesh },
      migration: { to: ossm3.version, revision, migrated: [...new Set(migration.migrated ?? [])].sort(compareStrings) },
    };
  }

  /**
   * The phase of a migration once the services are known: every listed namespace must be a
   * service's; when all of them have moved, the environment is OpenShift Service Mesh 3 alone.
   */
  private migrationPhase(mesh: IstioMeshSpec, services: readonly ServiceSpec[]): IstioMeshSpec {
    const namespaces = [...new Set(services.map((s) => s.namespace))].sort(compareStrings);
    const listed = this.input.mesh.flavor === 'openshift-service-mesh' ? (this.input.mesh.migration?.migrated ?? []) : [];
    listed.forEach((ns, index) => {
      if (!namespaces.includes(ns)) {
        this.problems.push(
          this.file.problem(['mesh', 'migration', 'migrated', index], `must be the namespace of a service: ${namespaces.join(', ')}`, {
            hint: didYouMean(ns, namespaces) ?? 'list only the namespaces of services that have moved to the 3.x control plane',
          }),
        );
      }
    });
    const migration = mesh.migration!;
    if (!namespaces.every((ns) => migration.migrated.includes(ns))) {
      return mesh;
    }
    // Finished: the environment is what its mesh.migration.to declares, and nothing of 2.6 is rendered.
    return this.migrationTarget!;
  }

  /**
   * OpenShift Service Mesh 3.x: the Sail operator's `Istio` and `IstioCNI`, Kiali through its own
   * operator. Only the 3.4 operator is known: its CRDs are what dist/ is validated against, and
   * they fix which Istio versions `Istio.spec.version` takes.
   */
  private resolveOssm3(mesh: OssmMeshInput, version: Version, cluster: ClusterSpec, base: readonly string[] = ['mesh']): IstioMeshSpec | undefined {
    const { file } = this;
    const cp = mesh.controlPlane;
    let ok = true;
    const fail = (problem: Problem) => {
      this.problems.push(problem);
      ok = false;
    };
    if (version.major !== 3 || version.minor !== 4) {
      fail(
        file.problem(
          [...base, 'version'],
          `must be ${OSSM3_OPERATOR} or one of its patch releases: the OpenShift Service Mesh 3 operator whose CRDs meshflip validates against`,
          {
            hint: 'OpenShift Service Mesh 3.0 to 3.3 operators accept other Istio versions; upgrade the operator to 3.4 first',
          },
        ),
      );
    }
    if (mesh.migration !== undefined) {
      fail(
        file.problem(
          ['mesh', 'migration'],
          `is for an OpenShift Service Mesh 2.6 environment on its way to 3.x; this one is on ${version.text} already`,
          {
            hint: 'remove it: what migration.to says is what mesh: says on OpenShift Service Mesh 3',
            noGot: true,
          },
        ),
      );
    }
    for (const key of OSSM2_ONLY) {
      if (cp?.[key] !== undefined) {
        fail(
          file.problem([...base, 'controlPlane', key], `is an OpenShift Service Mesh 2.x setting; ${version.text} has no ServiceMeshControlPlane`, {
            hint:
              key === 'addons'
                ? 'use controlPlane.kiali and controlPlane.metrics (Kiali through its operator, metrics through user-workload monitoring)'
                : 'remove it',
          }),
        );
      }
    }
    for (const key of ['jaeger', 'elasticsearch'] as const) {
      if (mesh.operators?.[key] !== undefined) {
        fail(
          file.problem(
            [...base, 'operators', key],
            `is an OpenShift Service Mesh 2.x operator; ${version.text} subscribes only servicemeshoperator3 and kiali-ossm`,
            { hint: 'remove it' },
          ),
        );
      }
    }
    const declared = cp?.istioVersion;
    const istioVersion = declared === undefined ? OSSM3_ISTIO_VERSIONS[0] : declared.split('.').length === 2 ? `v${declared}-latest` : `v${declared}`;
    if (!OSSM3_ISTIO_VERSIONS.includes(istioVersion)) {
      fail(
        file.problem(
          [...base, 'controlPlane', 'istioVersion'],
          `must be an Istio version the OpenShift Service Mesh ${OSSM3_OPERATOR} operator runs: ` +
            `${OSSM3_ISTIO_VERSIONS.map((v) => v.replace(/^v/, '').replace(/-latest$/, '')).join(', ')}`,
          {
            hint: 'its Istio CRD (sailoperator.io_istios.yaml, spec.version) lists no other version from 1.27 on: pick a listed patch, or a minor alone (1.28) for its newest patch',
          },
        ),
      );
    }
    const tracingType = cp?.tracing?.type ?? 'None';
    if (tracingType === 'Jaeger') {
      fail(
        file.problem([...base, 'controlPlane', 'tracing', 'type'], `must be OpenTelemetry or None on OpenShift Service Mesh ${version.text}`, {
          hint: 'OpenShift Service Mesh 3 has no Jaeger addon: send spans to an OpenTelemetry collector (tracing.type: OpenTelemetry, tracing.service)',
        }),
      );
    }
    if (tracingType === 'OpenTelemetry' && cp?.tracing?.service === undefined) {
      fail(
        file.problem([...base, 'controlPlane', 'tracing'], 'needs service: the OTLP gRPC host of the OpenTelemetry collector spans are sent to', {
          hint: 'e.g. service: otel-collector.observability.svc.cluster.local',
          noGot: true,
        }),
      );
    }
    if (tracingType !== 'OpenTelemetry') {
      for (const key of ['service', 'port'] as const) {
        if (cp?.tracing?.[key] !== undefined) {
          fail(
            file.problem([...base, 'controlPlane', 'tracing', key], 'is only read with tracing type OpenTelemetry', {
              hint: 'set type: OpenTelemetry, or remove it',
            }),
          );
        }
      }
    }
    const kiali = cp?.kiali ?? true;
    const ops = mesh.operators;
    const operator = (o: NonNullable<OssmMeshInput['operators']>['kiali'], enabled: boolean): OperatorSpec => ({
      enabled: o?.enabled ?? enabled,
      channel: o?.channel ?? 'stable',
      source: o?.source ?? 'redhat-operators',
      // Protected environments upgrade operators only when someone approves (rule MF2006).
      approval: o?.approval ?? (this.isProtected ? 'Manual' : 'Automatic'),
      startingCSV: o?.startingCSV,
    });
    const operators = {
      elasticsearch: { ...operator(undefined, false) },
      jaeger: { ...operator(undefined, false) },
      kiali: operator(ops?.kiali, kiali),
      serviceMesh: operator(ops?.serviceMesh, true),
    };
    if (kiali && !operators.kiali.enabled) {
      fail(
        file.problem(
          [...base, 'operators', 'kiali', 'enabled'],
          'must be true while controlPlane.kiali is: the Kiali resource needs the Kiali operator',
          { hint: 'or set controlPlane.kiali: false' },
        ),
      );
    }
    if (!operators.serviceMesh.enabled) {
      fail(file.problem([...base, 'operators', 'serviceMesh', 'enabled'], 'must be true: the Istio resource needs the Service Mesh 3 operator'));
    }
    if (!ok) {
      return undefined;
    }
    const sampling = cp?.tracing?.sampling ?? 10000;
    return {
      flavor: MeshFlavor.OPENSHIFT_SERVICE_MESH,
      version,
      cluster,
      apiVersion: 'v1',
      controlPlaneNamespace: cp?.namespace ?? 'istio-system',
      gatewayNamespace: cp?.gatewayNamespace ?? 'istio-ingress',
      ingress: mesh.ingress,
      sail: {
        name: cp?.name ?? 'default',
        istioVersion,
        updateStrategy: cp?.updateStrategy ?? 'InPlace',
        cniNamespace: cp?.cniNamespace ?? 'istio-cni',
        discoveryLabel: { key: 'istio-discovery', value: 'enabled' },
        kiali,
        metrics: cp?.metrics ?? false,
        tracing:
          tracingType === 'OpenTelemetry'
            ? { type: 'OpenTelemetry', service: cp!.tracing!.service!, port: cp?.tracing?.port ?? 4317, sampling }
            : { type: 'None' },
      },
      operators,
    };
  }

  /**
   * A Gateway API ingress (OpenShift Service Mesh 3 only) routes each HTTPRoute straight to the
   * Service: istiod's gateway applies no VirtualService or DestinationRule subset of the mesh to it
   * (istio/istio pilot/pkg/config/kube/gateway/conversion.go builds the gateway's routes from
   * HTTPRoutes alone), and the Service selects a service's mock pods too.
   */
  private checkGatewayApi(
    mesh: IstioMeshSpec,
    services: readonly ServiceSpec[],
    mocksEnabled: boolean,
    intents: readonly { readonly service: string }[],
  ): void {
    const path = ['mesh', 'ingress', 'api'];
    if (mesh.sail === undefined) {
      this.problems.push(
        this.file.problem(
          path,
          `must be istio on ${mesh.flavor} ${mesh.version.text}: meshflip renders the Gateway API ingress for OpenShift Service Mesh 3 only`,
          {
            hint: `remove it, or set mesh.version to ${OSSM3_OPERATOR}`,
          },
        ),
      );
      return;
    }
    for (const service of services.filter((s) => s.ingress.length > 0)) {
      const reasons = [
        ...(mocksEnabled && service.mock !== undefined ? ['a mock behind its Service'] : []),
        ...(intents.some((i) => i.service === service.name) ? ['routing, faults, timeouts or retries'] : []),
      ];
      if (reasons.length > 0) {
        this.problems.push(
          this.file.problem(
            path,
            `cannot expose ${service.name}, which has ${reasons.join(' and ')}: an HTTPRoute sends the gateway's requests ` +
              'straight to its Service, past the mesh routes and subsets that keep them apart',
            {
              hint: 'keep api: istio (the default) for this environment, or expose only services without mocks and routing intents',
            },
          ),
        );
      }
    }
  }

  /**
   * The CNI node agent's namespace holds no mesh workload: the injection label of a mesh
   * namespace would put sidecars on the agent's pods, and the agent would wait for itself.
   */
  private checkSailNamespaces(mesh: IstioMeshSpec, services: readonly ServiceSpec[], base: readonly string[]): void {
    const cni = mesh.sail!.cniNamespace;
    const owner = services.find((s) => s.namespace === cni)?.name;
    const clash =
      owner !== undefined
        ? `the namespace of service ${owner}`
        : cni === mesh.controlPlaneNamespace
          ? 'the control plane namespace'
          : cni === mesh.gatewayNamespace && mesh.ingress !== undefined
            ? 'the gateway namespace'
            : undefined;
    if (clash !== undefined) {
      this.problems.push(
        this.file.problem(
          [...base, 'controlPlane', 'cniNamespace'],
          `must be a namespace of its own, not ${clash}: ` +
            "the Istio CNI node agent runs outside the mesh, and a mesh namespace's injection label would put sidecars on it",
          {
            hint: 'keep the default istio-cni, or name a namespace no service uses',
            gotText: JSON.stringify(cni),
          },
        ),
      );
    }
  }

  // -------------------------------------------------------------------------------------------
  // Services
  // -------------------------------------------------------------------------------------------

  private resolveServices(mockImage: string, mockReplicas: number | undefined): ServiceSpec[] {
    const { file, input } = this;
    const catalogNames = input.catalog ?? [];
    catalogNames.forEach((name, index) => {
      if (!this.catalogs.has(name) && !this.brokenCatalogs.has(name)) {
        this.problems.push(
          file.problem(['catalog', index], `must name a catalogue in environments/catalog/ (${[...this.catalogs.keys()].join(', ') || 'none'})`, {
            hint: didYouMean(name, this.catalogs.keys()),
          }),
        );
      }
    });
    const used = catalogNames.map((n) => this.catalogs.get(n)).filter((c): c is LoadedCatalog => c !== undefined);
    const services: ServiceSpec[] = [];
    for (const name of Object.keys(input.services).sort(compareStrings)) {
      const entry = input.services[name];
      const at: FieldPath = ['services', name];
      // Names come from the user: look them up as own keys, so that `constructor` is not found on every map.
      const found = used.filter((c) => Object.hasOwn(c.input.services, name));
      if (found.length > 1) {
        this.problems.push(
          file.problem(at, `is defined in more than one catalogue (${found.map((c) => c.name).join(', ')})`, {
            atKey: true,
            noGot: true,
            hint: 'list only one of them under catalog:',
          }),
        );
        continue;
      }
      const catalog = found[0];
      if (catalog === undefined && (entry === null || entry.image === undefined)) {
        // It may well be in a catalogue that could not be read, whose problems say why.
        if (catalogNames.some((n) => this.brokenCatalogs.has(n))) {
          continue;
        }
        const known = used.flatMap((c) => Object.keys(c.input.services));
        this.problems.push(
          file.problem(
            at,
            used.length === 0
              ? 'is not in a catalogue and has no image: list a catalogue under catalog: or define the service here'
              : `is not in the catalogues ${catalogNames.join(', ')} and has no image`,
            {
              atKey: true,
              gotText: JSON.stringify(name),
              hint: didYouMean(name, known),
            },
          ),
        );
        continue;
      }
      const service = this.resolveService(name, entry, catalog, mockImage, mockReplicas);
      if (service !== undefined) {
        services.push(service);
      }
    }
    // The mock of a service is named <service>-mock in the service's namespace.
    const taken = new Set(services.map((s) => `${s.namespace}/${s.name}`));
    for (const service of services) {
      if (service.mock !== undefined && taken.has(`${service.namespace}/${service.name}-mock`)) {
        this.problems.push(
          file.problem(['services', `${service.name}-mock`], `clashes with the mock of ${service.name}, which is named ${service.name}-mock`, {
            atKey: true,
            noGot: true,
            hint: 'rename the service',
          }),
        );
      }
    }
    return services;
  }

  private resolveService(
    name: string,
    entry: EnvironmentServiceInput,
    catalog: LoadedCatalog | undefined,
    mockImage: string,
    mockReplicas: number | undefined,
  ): ServiceSpec | undefined {
    const before = this.problems.length;
    const base: CatalogServiceInput | undefined = catalog?.input.services[name];
    const override = entry ?? {};
    const origin = { file: this.file, path: ['services', name] as FieldPath };
    const definedIn = catalog !== undefined ? { file: catalog.file, path: ['services', name] as FieldPath } : origin;
    /** Where a field's value comes from: the environment when it overrides, else the catalogue. */
    const at = (field: string): { file: SourceFile; path: FieldPath } =>
      (override as Record<string, unknown>)[field] !== undefined || catalog === undefined
        ? { file: this.file, path: ['services', name, field] }
        : { file: catalog.file, path: ['services', name, field] };
    const pick = <K extends keyof CatalogServiceInput>(field: K): CatalogServiceInput[K] =>
      ((override as Record<string, unknown>)[field] ?? base?.[field]) as CatalogServiceInput[K];

    const image = pick('image');
    const imageAt = at('image');
    this.checkImage(image, imageAt.path, imageAt.file);
    const ports = this.resolvePorts(pick('ports') ?? [], at('ports'));
    const probes = this.resolveProbes(pick('probes'), ports, at('probes'));
    const env = this.resolveEnv(base?.env, override.env);
    const zones = this.resolveZones(override.zones, name);
    const namespace = override.namespace ?? base?.namespace ?? this.defaultNamespace;
    const storage = pick('storage');
    const sc = pick('securityContext');
    const labels = { ...(base?.labels ?? {}), ...(override.labels ?? {}) };
    const annotations = { ...(base?.annotations ?? {}), ...(override.annotations ?? {}) };
    for (const [key, where] of [...Object.keys(labels).map((k) => [k, 'labels']), ...Object.keys(annotations).map((k) => [k, 'annotations'])]) {
      if (/^(app|app\.kubernetes\.io\/(name|managed-by)|meshflip\.io\/.*|kuma\.io\/.*|sidecar\.istio\.io\/.*)$/.test(key)) {
        const loc = at(where);
        this.problems.push(
          loc.file.problem([...loc.path, key], 'is set by meshflip and cannot be overridden', { atKey: true, gotText: JSON.stringify(key) }),
        );
      } else if (key.indexOf('/') > DNS1123_SUBDOMAIN_MAX) {
        const loc = at(where);
        this.problems.push(
          loc.file.problem(
            [...loc.path, key],
            `has a prefix of ${key.indexOf('/')} characters, over the limit of ${DNS1123_SUBDOMAIN_MAX} (k8s.io/apimachinery IsQualifiedName: the prefix is a DNS-1123 subdomain)`,
            { atKey: true, gotText: JSON.stringify(key.slice(0, 60)) },
          ),
        );
      } else if (key === CDK8S_UNRENDERABLE_KEY) {
        const loc = at(where);
        this.problems.push(
          loc.file.problem([...loc.path, key], CDK8S_UNRENDERABLE_MESSAGE, {
            atKey: true,
            gotText: JSON.stringify(key),
            hint: 'use another key, for example with a prefix (example.com/constructor)',
          }),
        );
      }
    }
    // k8s.io/apimachinery pkg/api/validation ValidateAnnotations: keys and values of one object
    // together at most TotalAnnotationSizeLimitB (256 KiB). These go on the pod template.
    const annotationBytes = Object.entries(annotations).reduce((sum, [k, v]) => sum + Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8'), 0);
    if (annotationBytes > MAX_USER_ANNOTATION_BYTES) {
      const loc = at('annotations');
      this.problems.push(
        loc.file.problem(
          loc.path,
          `are ${formatBytes(annotationBytes)} bytes together (keys and values), over the ${formatBytes(MAX_USER_ANNOTATION_BYTES)} left of the ${formatBytes(256 * 1024)} Kubernetes allows on a pod template once the mesh's own annotations are added`,
          {
            noGot: true,
            hint: 'keep large data out of annotations: a ConfigMap holds up to 1 MiB',
          },
        ),
      );
    }
    const calls = [...new Set(pick('calls') ?? [])].sort(compareStrings);
    this.callsAt.set(name, at('calls'));
    const propagates = [...new Set(pick('propagates') ?? [])].sort(compareStrings);
    const ingress = this.resolveIngress(pick('ingress') ?? [], ports, at('ingress'));
    const mockInput = pick('mock');
    let mock: MockSpec | undefined;
    if (mockInput !== undefined) {
      const mockAt = at('mock');
      mock = this.resolveMock(name, mockInput, ports, mockAt, mockImage, mockReplicas);
    }
    if (this.problems.length !== before) {
      return undefined;
    }
    return {
      name,
      namespace,
      description: pick('description'),
      image,
      imagePullPolicy: pick('imagePullPolicy') ?? 'IfNotPresent',
      command: pick('command'),
      args: pick('args'),
      ports,
      replicas: pick('replicas') ?? 1,
      resources: {
        requests: { cpu: '50m', memory: '64Mi', ...(pick('resources')?.requests ?? {}) },
        limits: { memory: '256Mi', ...(pick('resources')?.limits ?? {}) },
      },
      probes,
      env,
      securityContext: {
        runAsUser: sc?.runAsUser,
        runAsGroup: sc?.runAsGroup,
        fsGroup: sc?.fsGroup,
        runAsNonRoot: sc?.runAsNonRoot ?? true,
        readOnlyRootFilesystem: sc?.readOnlyRootFilesystem ?? true,
      },
      writablePaths: [...new Set(pick('writablePaths') ?? ['/tmp'])].sort(compareStrings),
      storage:
        storage === undefined
          ? undefined
          : {
              size: storage.size,
              mountPath: storage.mountPath,
              accessMode: storage.accessMode ?? 'ReadWriteOnce',
              storageClassName: storage.storageClassName,
            },
      strategy: pick('strategy') ?? (storage !== undefined ? 'Recreate' : 'RollingUpdate'),
      labels,
      annotations,
      calls,
      propagates,
      ingress,
      mock,
      zones,
      origin,
      definedIn,
    };
  }

  private checkImage(image: string, at: FieldPath, file: SourceFile = this.file): void {
    const ref =
      /^(?<repo>[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*)(:(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(@(?<digest>sha256:[a-f0-9]{64}))?$/.exec(
        image,
      );
    if (ref === null) {
      this.problems.push(file.problem(at, 'must be an image reference such as registry.example.com/team/app:1.2.3'));
      return;
    }
    const { tag, digest } = ref.groups!;
    if (digest === undefined && tag === undefined) {
      this.problems.push(file.problem(at, 'must be pinned by tag or digest', { hint: `for example ${image}:1.0.0 or ${image}@sha256:<digest>` }));
    } else if (digest === undefined && tag === 'latest') {
      this.problems.push(
        file.problem(at, 'must not use the latest tag: pin a version or a digest', { hint: 'a moving tag makes dist/ say nothing about what runs' }),
      );
    }
  }

  private resolvePorts(ports: PortInput[], at: { file: SourceFile; path: FieldPath }): PortSpec[] {
    const names = new Set<string>();
    const numbers = new Set<number>();
    return ports.map((p, index) => {
      if (names.has(p.name)) {
        this.problems.push(at.file.problem([...at.path, index, 'name'], 'must be unique among the ports'));
      }
      if (numbers.has(p.port)) {
        this.problems.push(at.file.problem([...at.path, index, 'port'], 'must be unique among the ports'));
      }
      names.add(p.name);
      numbers.add(p.port);
      return { name: p.name, port: p.port, targetPort: p.targetPort ?? p.port, protocol: p.protocol ?? 'http' };
    });
  }

  /** Resolves a port reference (a number or a port name) to a container port. */
  private containerPort(ref: number | string, ports: readonly PortSpec[], at: { file: SourceFile; path: FieldPath }): number {
    if (typeof ref === 'number') {
      return ref;
    }
    const port = ports.find((p) => p.name === ref);
    if (port === undefined) {
      this.problems.push(
        at.file.problem(at.path, `must name one of the service's ports (${ports.map((p) => p.name).join(', ') || 'none'}) or be a number`, {
          hint: didYouMean(
            ref,
            ports.map((p) => p.name),
          ),
        }),
      );
      return 0;
    }
    return port.targetPort;
  }

  private resolveProbes(
    probes: CatalogServiceInput['probes'],
    ports: readonly PortSpec[],
    at: { file: SourceFile; path: FieldPath },
  ): ServiceSpec['probes'] {
    const out: Record<string, ProbeSpec> = {};
    for (const kind of ['readiness', 'liveness', 'startup'] as const) {
      const probe = probes?.[kind];
      if (probe === undefined) {
        continue;
      }
      const where = (...rest: string[]) => ({ file: at.file, path: [...at.path, kind, ...rest] });
      out[kind] = {
        http: probe.http && { path: probe.http.path, port: this.containerPort(probe.http.port, ports, where('http', 'port')) },
        tcp: probe.tcp && { port: this.containerPort(probe.tcp.port, ports, where('tcp', 'port')) },
        exec: probe.exec,
        initialDelaySeconds: probe.initialDelaySeconds,
        periodSeconds: probe.periodSeconds,
        timeoutSeconds: probe.timeoutSeconds,
        failureThreshold: probe.failureThreshold,
      };
    }
    return out;
  }

  /** The environment overrides replace the catalogue's variables of the same name. Credentials in plain values are found by the secret scan (secret-scan.ts). */
  private resolveEnv(
    base: Record<string, EnvValueInput> | undefined,
    override: Record<string, EnvValueInput> | undefined,
  ): (readonly [string, EnvValue])[] {
    const all = { ...(base ?? {}), ...(override ?? {}) };
    return Object.keys(all)
      .sort(compareStrings)
      .map((key) => {
        const value = all[key];
        return [key, typeof value === 'string' ? { value } : value] as const;
      });
  }

  private resolveZones(zones: string[] | undefined, service: string): string[] {
    const mesh = this.mesh;
    if (mesh.flavor !== MeshFlavor.KONG_MESH && mesh.flavor !== MeshFlavor.KUMA) {
      if (zones !== undefined) {
        this.problems.push(this.file.problem(['services', service, 'zones'], 'is only for Kuma / Kong Mesh environments', { hint: 'remove it' }));
      }
      return [];
    }
    const known = mesh.zones.map((z) => z.name);
    const chosen = zones ?? [known[0]];
    chosen.forEach((zone, index) => {
      if (!known.includes(zone)) {
        this.problems.push(
          this.file.problem(['services', service, 'zones', index], `must be one of the mesh zones (${known.join(', ')})`, {
            hint: didYouMean(zone, known),
          }),
        );
      }
    });
    return [...new Set(chosen)].sort(compareStrings);
  }

  private resolveIngress(
    routes: NonNullable<CatalogServiceInput['ingress']>,
    ports: readonly PortSpec[],
    at: { file: SourceFile; path: FieldPath },
  ): IngressRouteSpec[] {
    return routes.map((route, index) => {
      let port = ports[0]?.port ?? 0;
      if (route.port !== undefined) {
        const found = ports.find((p) => p.name === route.port || p.port === route.port);
        if (found === undefined) {
          this.problems.push(
            at.file.problem(
              [...at.path, index, 'port'],
              `must be one of the service's ports (${ports.map((p) => `${p.name}/${p.port}`).join(', ')})`,
            ),
          );
        } else {
          port = found.port;
        }
      } else if (ports.length === 0) {
        this.problems.push(at.file.problem([...at.path, index], 'needs a service with ports', { noGot: true }));
      }
      return { name: route.name, match: route.match, rewrite: route.rewrite, port };
    });
  }

  private resolveMock(
    service: string,
    mock: NonNullable<CatalogServiceInput['mock']>,
    ports: readonly PortSpec[],
    at: { file: SourceFile; path: FieldPath },
    image: string,
    replicas: number | undefined,
  ): MockSpec | undefined {
    const imposters: ImposterSpec[] = [];
    const latency = resolveLatency(mock.latency, at, this.problems);
    mock.imposters.forEach((relative, index) => {
      const repoPath = path.posix.normalize(path.posix.join(path.posix.dirname(at.file.path), relative));
      const known = this.imposterFiles.get(repoPath);
      const text = known !== undefined || repoPath.startsWith('..') ? undefined : this.readFile(repoPath, MAX_CONFIGMAP_BYTES);
      if (isReadFailure(text) && 'link' in text) {
        this.problems.push(
          at.file.problem(
            [...at.path, 'imposters', index],
            `must name a file in the repository, not a symbolic link (${escapeUnsafeText(text.link)} is one): meshflip reads nothing through links`,
            {
              hint: 'replace the link by a copy of the imposter file',
            },
          ),
        );
        return;
      }
      if (isReadFailure(text)) {
        this.problems.push(
          at.file.problem(
            [...at.path, 'imposters', index],
            `names a file of ${formatBytes(text.tooLarge)} bytes (${escapeUnsafeText(repoPath)}), over the limit of ${formatBytes(MAX_CONFIGMAP_BYTES)}: a mock's imposters go into one ConfigMap, which Kubernetes limits to 1 MiB`,
            {
              hint: 'make the imposter smaller: fewer or shorter stubs, or large bodies from a proxy response',
            },
          ),
        );
        return;
      }
      if (text === undefined && known === undefined) {
        this.problems.push(
          at.file.problem([...at.path, 'imposters', index], `must name an imposter file that exists (looked for ${escapeUnsafeText(repoPath)})`, {
            hint: 'paths are relative to the file that declares the mock',
          }),
        );
        return;
      }
      const { file: imposterFile, imposters: read, paths, problems } = known ?? this.readImposterFile(repoPath, text!);
      this.problems.push(...problems, ...protocolFitProblems(imposterFile, read, paths, service, ports));
      if (mock.latency !== undefined) {
        this.problems.push(...latencyConflicts(imposterFile, read, paths, service));
      }
      imposters.push(...read);
    });
    const httpTargets = httpPorts({ ports } as ServiceSpec).map((p) => p.targetPort);
    for (const imposter of imposters) {
      if (!ports.some((p) => p.targetPort === imposter.port)) {
        this.problems.push(
          at.file.problem(
            [...at.path, 'imposters'],
            `has an imposter on port ${imposter.port} (${imposter.file}), which is not a target port of the service (${ports.map((p) => p.targetPort).join(', ') || 'none'})`,
            {
              noGot: true,
              hint: 'the mock stands in for the service, so each imposter listens on one of its target ports',
            },
          ),
        );
      }
    }
    if (httpTargets.length === 0 && ports.length > 0) {
      this.problems.push(at.file.problem(at.path, 'needs an http, http2 or grpc port: meshflip routes HTTP traffic to mocks', { noGot: true }));
    }
    const sorted = [...imposters].sort((a, b) => a.port - b.port);
    // k8s.io/kubernetes pkg/apis/core/validation ValidateConfigMap: the values of data together
    // must not exceed corev1.MaxSecretSize (1 MiB). The document is re-indented, so it is measured as rendered.
    const size = configurationSize(sorted, latency);
    if (size > MAX_CONFIGMAP_BYTES) {
      this.problems.push(
        at.file.problem(
          [...at.path, 'imposters'],
          `make a ConfigMap of ${formatBytes(size)} bytes as rendered, over the limit of ${formatBytes(MAX_CONFIGMAP_BYTES)} bytes (1 MiB) Kubernetes sets on a ConfigMap's data`,
          {
            noGot: true,
            hint: `make the imposters of this mock smaller together (${imposters
              .map((i) => i.file)
              .filter((f, i, all) => all.indexOf(f) === i)
              .join(', ')}): fewer or shorter stubs, or large bodies from a proxy response`,
          },
        ),
      );
    }
    return { imposters: sorted, latency, replicas: mock.replicas ?? replicas ?? 1, image, origin: at };
  }

  private readImposterFile(repoPath: string, text: InputText): ImposterFile {
    const file = SourceFile.parse(repoPath, text, { maxStringLength: MAX_CONFIGMAP_BYTES, json: true });
    const read = { file, ...readImposters(file) };
    this.imposterFiles.set(repoPath, read);
    return read;
  }

  private checkCalls(services: readonly ServiceSpec[], byName: ReadonlyMap<string, ServiceSpec>): void {
    for (const service of services) {
      const at = this.callsAt.get(service.name)!;
      const declared = (at.file.valueAt(at.path) as string[] | undefined) ?? [];
      declared.forEach((callee, index) => {
        // A service that is listed but failed to resolve has its own problem; do not report it twice.
        if (!byName.has(callee) && !Object.hasOwn(this.input.services, callee)) {
          this.problems.push(
            at.file.problem([...at.path, index], `must name a service of environment ${this.input.name} (${[...byName.keys()].join(', ')})`, {
              hint: didYouMean(callee, byName.keys()) ?? `add ${callee} under services: in ${this.file.path}`,
            }),
          );
        } else if (callee === service.name) {
          this.problems.push(at.file.problem([...at.path, index], 'must name another service: a service does not need permission to call itself'));
        }
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Routing overlay
  // -------------------------------------------------------------------------------------------

  private resolveRoutes(services: readonly ServiceSpec[], byName: ReadonlyMap<string, ServiceSpec>, mocksEnabled: boolean): RouteSpec[] {
    const { file } = this;
    const routing = this.input.routing;
    const explicit = routing?.services ?? {};
    for (const name of Object.keys(explicit)) {
      // A service that is listed but failed to resolve has its own problem; do not report it twice.
      if (!byName.has(name) && !Object.hasOwn(this.input.services, name)) {
        this.problems.push(
          file.problem(['routing', 'services', name], `must name a service of this environment (${[...byName.keys()].join(', ')})`, {
            atKey: true,
            gotText: JSON.stringify(name),
            hint: didYouMean(name, byName.keys()),
          }),
        );
      }
    }
    const routes: RouteSpec[] = [];
    for (const service of services) {
      const own = Object.hasOwn(explicit, service.name) ? explicit[service.name] : undefined;
      const intent = own ?? (service.mock !== undefined ? routing?.default : undefined);
      const at: FieldPath = own !== undefined ? ['routing', 'services', service.name] : ['routing', 'default'];
      if (intent === undefined) {
        if (service.mock !== undefined && mocksEnabled) {
          routes.push({ service: service.name, mockWeight: 0 });
        }
        continue;
      }
      const route = this.routeFromIntent(service, intent, at, mocksEnabled);
      if (route !== undefined) {
        routes.push(route);
      }
    }
    return routes;
  }

  private routeFromIntent(service: ServiceSpec, intent: RouteIntentInput, at: FieldPath, mocksEnabled: boolean): RouteSpec | undefined {
    const { file } = this;
    const object = typeof intent === 'string' ? { to: intent } : intent;
    const origin = { file, path: at };
    const base = { service: service.name, expires: object.expires, reason: object.reason, origin };
    if (object.to === 'real') {
      if (object.weight !== undefined || object.header !== undefined) {
        this.problems.push(
          file.problem([...at, object.weight !== undefined ? 'weight' : 'header'], 'only applies with to: mock', {
            hint: 'to: mock with weight splits traffic; to: mock with header sends only requests carrying it to the mock',
          }),
        );
        return undefined;
      }
      if (service.mock === undefined && at[1] === 'services') {
        // "real" for a service without a mock is harmless and the natural way to write an exception.
        return undefined;
      }
      return mocksEnabled ? { ...base, mockWeight: 0 } : undefined;
    }
    const where = typeof intent === 'string' ? at : [...at, 'to'];
    if (service.mock === undefined) {
      this.problems.push(
        file.problem(where, `cannot be ${object.to}: service ${service.name} has no mock`, {
          got: object.to,
          hint: `add mock: {imposters: [...]} to ${service.name} in ${service.definedIn.file.path}`,
        }),
      );
      return undefined;
    }
    if (this.isProtected) {
      this.problems.push(
        file.problem(where, 'cannot route to a mock in a protected environment', {
          got: object.to,
          hint: 'protected: true environments only serve real traffic',
        }),
      );
      return undefined;
    }
    if (!mocksEnabled) {
      this.problems.push(file.problem(where, 'cannot route to a mock while mocks.enabled is false', { got: object.to }));
      return undefined;
    }
    if (object.to === 'record') {
      return this.recordRoute(service, object, at, where, base);
    }
    if (
      object.header?.name === CDK8S_UNRENDERABLE_KEY &&
      (this.mesh.flavor === MeshFlavor.OPENSHIFT_SERVICE_MESH || this.mesh.flavor === MeshFlavor.ISTIO)
    ) {
      // Istio's HTTPMatchRequest.headers is a map keyed by the header name; Kuma's is a list.
      this.problems.push(
        file.problem([...at, 'header', 'name'], `${CDK8S_UNRENDERABLE_MESSAGE} (a VirtualService match keys its headers by name)`, {
          hint: 'use another header name',
        }),
      );
      return undefined;
    }
    const mockWeight = object.weight ?? (object.header !== undefined ? 0 : 100);
    const targets = new Set(service.mock.imposters.map((i) => i.port));
    for (const port of httpPorts(service)) {
      if (!targets.has(port.targetPort) && (port.protocol === 'http2' || port.protocol === 'grpc')) {
        this.problems.push(
          file.problem(
            where,
            `cannot be mock: port ${port.name} (${port.targetPort}) of ${service.name} is ${port.protocol}, which Mountebank cannot serve (HTTP/1.1 and TCP only)`,
            {
              got: 'mock',
              hint: `keep ${service.name} routed to real`,
            },
          ),
        );
        return undefined;
      }
      if (!targets.has(port.targetPort)) {
        this.problems.push(
          file.problem(
            where,
            `cannot be mock: the mock of ${service.name} has no imposter on port ${port.name} (${port.targetPort}), which would receive traffic`,
            {
              got: 'mock',
              hint: `add an imposter listening on ${port.targetPort} to ${service.mock.origin.file.path}`,
            },
          ),
        );
        return undefined;
      }
    }
    return { ...base, mockWeight, header: object.header };
  }

  /**
   * `to: record`: all traffic goes to the mock, which runs a Mountebank proxy in front of the real
   * instances and records what they answer (the mesh sends the mock's own calls to the real ones).
   */
  private recordRoute(
    service: ServiceSpec,
    object: Exclude<RouteIntentInput, string>,
    at: FieldPath,
    where: FieldPath,
    base: Omit<RouteSpec, 'mockWeight'>,
  ): RouteSpec | undefined {
    const { file } = this;
    if (object.weight !== undefined || object.header !== undefined) {
      this.problems.push(
        file.problem([...at, object.weight !== undefined ? 'weight' : 'header'], 'only applies with to: mock', {
          hint: 'to: record sends all traffic through the recording mock, so that every answer the test needs is recorded',
        }),
      );
      return undefined;
    }
    if (isKuma(this.mesh) && this.mesh.policies === 'legacy') {
      this.problems.push(
        file.problem(
          where,
          "needs targetRef policies: meshflip sends the recording mock's own calls to the real instances with a MeshHTTPRoute that targets the mock's proxies",
          {
            got: 'record',
            hint: 'record with a mesh on Kuma / Kong Mesh 2.6 or later (mesh.policies: targetRef)',
          },
        ),
      );
      return undefined;
    }
    const unserved = httpPorts(service).find((p) => p.protocol !== 'http');
    if (unserved !== undefined) {
      this.problems.push(
        file.problem(
          where,
          `cannot be record: port ${unserved.name} (${unserved.targetPort}) of ${service.name} is ${unserved.protocol}, which a Mountebank proxy cannot serve (HTTP/1.1 only)`,
          {
            got: 'record',
            hint: `keep ${service.name} routed to real`,
          },
        ),
      );
      return undefined;
    }
    return { ...base, mockWeight: 100, record: true };
  }

  private resolveFaults(byName: ReadonlyMap<string, ServiceSpec>, routes: readonly RouteSpec[]): FaultSpec[] {
    const faults = this.resolvePerService(this.input.faults, 'faults', byName, (service, fault: FaultInput, origin): FaultSpec | undefined => {
      if (fault.delay === undefined && fault.abort === undefined) {
        this.problems.push(this.file.problem(origin.path, 'must have a delay or an abort', { noGot: true }));
        return undefined;
      }
      if (this.isProtected) {
        this.problems.push(
          this.file.problem(origin.path, 'cannot inject faults in a protected environment', {
            atKey: true,
            noGot: true,
            hint: 'protected: true environments carry no faults',
          }),
        );
        return undefined;
      }
      return { service, ...fault, origin };
    });
    if (this.mesh.flavor === MeshFlavor.OPENSHIFT_SERVICE_MESH || this.mesh.flavor === MeshFlavor.ISTIO) {
      for (const fault of faults) {
        const route = routes.find((r) => r.service === fault.service);
        if (route !== undefined && route.mockWeight > 0 && route.mockWeight < 100) {
          this.problems.push(
            this.file.problem(
              fault.origin.path,
              `cannot combine with the weighted split of ${fault.service} on Istio: Istio applies a fault to a whole route, so it would also hit the mock`,
              {
                atKey: true,
                noGot: true,
                hint: 'drop the weight, or use a header-scoped mock',
              },
            ),
          );
        }
      }
    }
    return faults;
  }

  private circuitBreaker(service: string, cb: CircuitBreakerInput, origin: { file: SourceFile; path: FieldPath }): CircuitBreakerSpec | undefined {
    if (cb.maxRequestsPerConnection !== undefined && !('cluster' in this.input.mesh)) {
      this.problems.push(
        this.file.problem(
          [...origin.path, 'maxRequestsPerConnection'],
          "is supported on Istio flavors only: Kuma's MeshCircuitBreaker has no such limit",
          { hint: 'remove it' },
        ),
      );
      return undefined;
    }
    if (Object.keys(cb).length === 0) {
      this.problems.push(this.file.problem(origin.path, 'must set at least one limit or outlierDetection', { noGot: true }));
      return undefined;
    }
    return { service, ...cb, origin };
  }

  private resolvePerService<I, O>(
    map: Record<string, I> | undefined,
    key: string,
    byName: ReadonlyMap<string, ServiceSpec>,
    make: (service: string, value: I, origin: { file: SourceFile; path: FieldPath }) => O | undefined,
  ): O[] {
    const out: O[] = [];
    for (const name of Object.keys(map ?? {}).sort(compareStrings)) {
      if (!byName.has(name)) {
        // A service that is listed but failed to resolve has its own problem; do not report it twice.
        if (!Object.hasOwn(this.input.services, name)) {
          this.problems.push(
            this.file.problem([key, name], `must name a service of this environment (${[...byName.keys()].join(', ')})`, {
              atKey: true,
              gotText: JSON.stringify(name),
              hint: didYouMean(name, byName.keys()),
            }),
          );
        }
        continue;
      }
      const value = make(name, map![name], { file: this.file, path: [key, name] });
      if (value !== undefined) {
        out.push(value);
      }
    }
    return out;
  }
}
