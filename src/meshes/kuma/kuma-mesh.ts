import { ApiObject } from 'cdk8s';
import {
  CircuitBreaker,
  FaultHttp,
  FaultInjection,
  KumaKind,
  LegacySelector,
  Mesh,
  MeshCircuitBreaker,
  MeshFaultInjection,
  MeshHTTPRoute,
  MeshHTTPRouteSpec,
  MeshRetry,
  MeshSpec,
  MeshTimeout,
  MeshTrafficPermission,
  Retry,
  TargetRef,
  Timeout,
  TrafficPermission,
  TrafficRoute,
  TrafficRouteConf,
} from '../../imports/kuma';
import { legacyPortPolicyName, zoneControlPlaneApplicationName, zoneTargetName } from '../../model/derived-names';
import { EnvironmentSpec, httpPorts, KumaMeshSpec, MeshFlavor, Origin, PortSpec, RetryCondition, RouteSpec, ServiceSpec } from '../../model/spec';
import { toSeconds } from '../durations';
import { gatewayClassRendered, hookTtl, kumaServiceName, ownerReferenceSkippable } from './kuma-names';
import {
  auditAnnotations,
  commonLabels,
  definedOnly,
  describeFault,
  describeRoute,
  HelmApplicationPlan,
  IEnvironmentScope,
  IMesh,
  MOCK_APP,
  objectName,
  PodMeshSettings,
  ServicePolicies,
  setWave,
  skipDryRunWhileCrdMissing,
  TargetFormat,
  TargetPlan,
  Wave,
} from '../mesh';

/** The tag that tells a real instance from a mock, as in the Kong tutorial: `app: <service>` vs `app: mountebank`. */
export const VARIANT_TAG = 'app';
/** The projected token volume the Kuma sidecar authenticates with (`kuma.io/service-account-token-volume`). */
export const KUMA_TOKEN_VOLUME = 'kuma-sa-token';

/** Tags of every instance (real and mock) published under the service's Kubernetes Service. */
function allInstances(service: ServiceSpec): Record<string, string> {
  return { 'k8s.kuma.io/service-name': service.name, 'k8s.kuma.io/namespace': service.namespace };
}

/** Tags of the real instances only. */
function realInstances(service: ServiceSpec): Record<string, string> {
  return { ...allInstances(service), [VARIANT_TAG]: service.name };
}

/** Tags a caller's proxy carries whatever its ports. */
function callerTags(service: ServiceSpec): Record<string, string> {
  return { [VARIANT_TAG]: service.name, 'k8s.kuma.io/namespace': service.namespace };
}

const RETRY_ON_TARGETREF: Readonly<Record<RetryCondition, string>> = {
  '5xx': '5xx',
  'gateway-error': 'GatewayError',
  reset: 'Reset',
  'connect-failure': 'ConnectFailure',
  'retriable-4xx': 'Retriable4xx',
  'refused-stream': 'RefusedStream',
};

const RETRY_ON_LEGACY: Readonly<Record<RetryCondition, string>> = {
  '5xx': 'all_5xx',
  'gateway-error': 'gateway_error',
  reset: 'reset',
  'connect-failure': 'connect_failure',
  'retriable-4xx': 'retriable_4xx',
  'refused-stream': 'refused_stream',
};

/** Which proxies a policy acts on, which decides the zones it must reach. */
type PolicySide = 'outbound' | 'inbound-real' | 'inbound-all';

interface Placement {
  readonly target: string;
  readonly format: TargetFormat;
  /** Zone-originated policies carry `kuma.io/origin: zone`. */
  readonly zoneOrigin: boolean;
}

/**
 * Kong Mesh / Kuma in multizone: a global control plane (Konnect-hosted or self-hosted on
 * Kubernetes) and one zone control plane per cluster.
 *
 * Real and mock instances of a service share its `kuma.io/service` identity; they are told apart
 * by the `app` tag (`app: <service>` vs `app: mountebank`), exactly as in the Kong tutorial.
 * Routing, faults, breakers, timeouts, retries and permissions are rendered as targetRef policies
 * (MeshHTTPRoute, ...) or, for 2.5-era meshes, as the legacy source/destination policies
 * (TrafficRoute, ...), and placed where a control plane accepts them.
 */
export class KumaMesh implements IMesh {
  public readonly flavor: MeshFlavor;
  public readonly targets: readonly TargetPlan[];
  private readonly mesh: KumaMeshSpec;

  constructor(private readonly env: EnvironmentSpec) {
    this.mesh = env.mesh as KumaMeshSpec;
    this.flavor = this.mesh.flavor;
    const targets: TargetPlan[] = [];
    const global = this.mesh.global;
    if (global.kind === 'self-hosted') {
      targets.push({
        name: 'global',
        format: TargetFormat.KUBERNETES,
        cluster: global.cluster,
        namespace: this.mesh.systemNamespace,
        wave: -2,
        description: `the ${this.mesh.meshName} mesh and its global policies, on the global control plane`,
        syncOptions: ['SkipDryRunOnMissingResource=true'],
      });
    } else {
      targets.push({
        name: 'konnect',
        format: TargetFormat.KUMACTL,
        namespace: '',
        wave: -2,
        description: `the ${this.mesh.meshName} mesh${this.mesh.placement === 'global' ? ' and its policies' : ''}, for kumactl apply on the Konnect global control plane`,
        syncOptions: [],
      });
    }
    for (const zone of this.mesh.zones) {
      targets.push({
        name: zoneTargetName(zone.name),
        format: TargetFormat.KUBERNETES,
        cluster: zone.cluster,
        namespace: env.services.find((s) => s.zones.includes(zone.name))?.namespace ?? this.mesh.systemNamespace,
        wave: 0,
        description: `namespaces, workloads${zone.name === this.mesh.mocksZone ? ', mocks' : ''}${this.mesh.placement === 'zone' ? ' and zone policies' : ''} of zone ${zone.name}`,
        syncOptions: ['SkipDryRunOnMissingResource=true'],
      });
    }
    this.targets = targets;
  }

  public workloadTargets(service: ServiceSpec): readonly string[] {
    return service.zones.map((zone) => `zone-${zone}`);
  }

  public mockTarget(_service: ServiceSpec): string {
    return `zone-${this.mesh.mocksZone}`;
  }

  public mockNeedsOwnService(service: ServiceSpec): boolean {
    return !service.zones.includes(this.mesh.mocksZone);
  }

  public namespaceMetadata() {
    // The namespace selects its mesh by label from 2.9 on; before, only the annotation is read.
    const mesh = { 'kuma.io/mesh': this.mesh.meshName };
    const labelRead = this.mesh.version.atLeast('2.9');
    return { labels: { 'kuma.io/sidecar-injection': 'enabled', ...(labelRead ? mesh : {}) }, annotations: labelRead ? {} : mesh };
  }

  public podSettings(): PodMeshSettings {
    return { labels: {}, annotations: { 'kuma.io/service-account-token-volume': KUMA_TOKEN_VOLUME }, sidecarTokenVolume: KUMA_TOKEN_VOLUME };
  }

  public addControlPlane(scope: IEnvironmentScope): void {
    const { mtls, meshName } = this.mesh;
    const spec: MeshSpec = {
      mtls: {
        enabledBackend: mtls.backend,
        backends: [
          {
            name: mtls.backend,
            type: 'builtin',
            dpCert: { rotation: { expiration: mtls.certificateRotation } },
            conf: { caCert: { RSAbits: mtls.caRsaBits, expiration: mtls.caExpiration } },
          },
        ],
      },
    };
    if (this.mesh.global.kind === 'self-hosted') {
      const obj = new Mesh(scope.chart('global', 'mesh'), 'Resource', { metadata: { name: meshName, labels: commonLabels(this.env) }, spec });
      setWave(obj, Wave.CONTROL_PLANE);
      skipDryRunWhileCrdMissing(obj);
    } else {
      const file = scope.kumactl('konnect', 'mesh');
      file.add({ type: 'Mesh', name: meshName, ...spec });
      if (this.mesh.policies === 'legacy') {
        // Konnect's global runs 2.6+, which creates no route-all default for a new mesh, and a 2.5
        // zone gives an outbound without a TrafficRoute no route: render the default 2.5 created.
        file.add({ type: 'TrafficRoute', ...ROUTE_ALL(meshName) });
      }
    }
  }

  public addServicePolicies(scope: IEnvironmentScope, p: ServicePolicies): void {
    if (this.mesh.policies === 'legacy') {
      this.addLegacyPolicies(scope, p);
    } else {
      this.addTargetRefPolicies(scope, p);
    }
  }

  public addTrafficPermissions(scope: IEnvironmentScope, service: ServiceSpec, callers: readonly ServiceSpec[]): void {
    const mockDeployed = this.env.mocks.enabled && service.mock !== undefined;
    const name = objectName(service.name, 'permissions');
    const intent = callers.length === 0 ? 'deny every caller' : `allow ${callers.map((c) => c.name).join(', ')}`;
    if (this.mesh.policies === 'legacy') {
      if (callers.length === 0 || service.ports.length === 0) {
        return;
      }
      // Legacy TrafficPermission only allows; denying the rest needs the mesh's allow-all policy removed (see README).
      this.emitLegacy(
        scope,
        'inbound-all',
        service,
        mockDeployed,
        'access',
        'TrafficPermission',
        name,
        {
          sources: callers.map((c) => ({ match: { [VARIANT_TAG]: c.name, 'k8s.kuma.io/namespace': c.namespace } })),
          destinations: [{ match: allInstances(service) }],
        },
        intent,
      );
      return;
    }
    // A recording mock calls the real instances of the service it stands in for: it must be let in.
    const recording = mockDeployed && this.env.routes.some((r) => r.service === service.name && r.record === true);
    this.emitTargetRef(
      scope,
      'inbound-all',
      service,
      mockDeployed,
      'access',
      'MeshTrafficPermission',
      name,
      {
        targetRef: { kind: 'MeshSubset', tags: allInstances(service) },
        from: [
          // The more specific MeshSubset entries win over this mesh-wide deny.
          { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
          ...callers.map((c) => ({ targetRef: { kind: 'MeshSubset' as const, tags: callerTags(c) }, default: { action: 'Allow' as const } })),
          ...(recording
            ? [
                {
                  targetRef: { kind: 'MeshSubset' as const, tags: { ...allInstances(service), [VARIANT_TAG]: MOCK_APP } },
                  default: { action: 'Allow' as const },
                },
              ]
            : []),
        ],
      },
      intent,
      Wave.PERMISSIONS,
    );
  }

  public controlPlaneApplications(): readonly HelmApplicationPlan[] {
    const kong = this.mesh.flavor === MeshFlavor.KONG_MESH;
    const wrap = (values: Record<string, unknown>) => (kong ? { kuma: values } : values);
    const clusterKinds = [
      { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
    ];
    const base = {
      namespace: this.mesh.systemNamespace,
      repoURL: this.mesh.chart.repoURL,
      chart: this.mesh.chart.name,
      version: this.mesh.chart.version,
      releaseName: this.mesh.chart.name,
    };
    const common = kumaChartValues(this.mesh);
    const injected = caInjectedFields(this.mesh);
    const apps: HelmApplicationPlan[] = [];
    const global = this.mesh.global;
    if (global.kind === 'self-hosted') {
      const secrets =
        this.mesh.license === undefined ? [] : [{ Env: 'KMESH_LICENSE_INLINE', Secret: this.mesh.license.name, Key: this.mesh.license.key }];
      apps.push({
        ...base,
        name: objectName(this.env.name, 'global-control-plane'),
        cluster: global.cluster,
        values: wrap({
          ...common.values,
          controlPlane: {
            mode: 'global',
            // Zones authenticate with their cp-scoped zone token (Kong Mesh 2.x; Kuma has no KDS authentication).
            envVars: { ...common.envVars, ...(kong ? { KMESH_MULTIZONE_GLOBAL_KDS_AUTH_TYPE: 'cpToken' } : {}) },
            ...(secrets.length > 0 ? { secrets } : {}),
            tls: { ...common.tls, ...(global.kdsTls ? { kdsGlobalServer: { secretName: global.kdsTls.serverSecretName } } : {}) },
          },
        }),
        wave: -4,
        description: `${this.productName()} global control plane`,
        clusterKinds,
        ...injected,
      });
    }
    for (const zone of this.mesh.zones) {
      const kdsZoneClient = this.mesh.kdsSkipVerify
        ? { skipVerify: true }
        : global.kind === 'self-hosted' && global.kdsTls
          ? { secretName: global.kdsTls.caSecretName }
          : undefined;
      const controlPlane: Record<string, unknown> = {
        mode: 'zone',
        zone: zone.name,
        kdsGlobalAddress: global.kdsAddress,
        ...(global.kind === 'konnect' ? { konnect: { cpId: global.controlPlaneId } } : {}),
        ...(Object.keys(common.envVars).length > 0 ? { envVars: common.envVars } : {}),
        // Kong Mesh zones authenticate to the global with a token read from a Secret created out of band.
        ...(kong
          ? { secrets: [{ Env: 'KMESH_MULTIZONE_ZONE_KDS_AUTH_CP_TOKEN_INLINE', Secret: zone.tokenSecret.name, Key: zone.tokenSecret.key }] }
          : {}),
        tls: { ...common.tls, ...(kdsZoneClient ? { kdsZoneClient } : {}) },
      };
      apps.push({
        ...base,
        name: objectName(zoneControlPlaneApplicationName(this.env.name, zone.name)),
        cluster: zone.cluster,
        values: wrap({ ...common.values, controlPlane, ingress: { enabled: zone.ingress }, egress: { enabled: zone.egress } }),
        wave: -3,
        description: `${this.productName()} zone control plane of zone ${zone.name}`,
        // A zone control plane renders a GatewayClass when the cluster serves the Gateway API (templates/gateway-class.yaml).
        clusterKinds: gatewayClassRendered(this.mesh) ? [...clusterKinds, GATEWAY_CLASS] : clusterKinds,
        ...injected,
      });
    }
    return apps;
  }

  private productName(): string {
    return this.mesh.flavor === MeshFlavor.KONG_MESH ? 'Kong Mesh' : 'Kuma';
  }

  // -------------------------------------------------------------------------------------------
  // targetRef policies
  // -------------------------------------------------------------------------------------------

  private addTargetRefPolicies(scope: IEnvironmentScope, p: ServicePolicies): void {
    const { service, route, fault, circuitBreaker, timeout, retry, mockDeployed } = p;
    const ports = httpPorts(service);
    const toService = (port: PortSpec): TargetRef => ({ kind: 'MeshService', name: kumaServiceName(service, port) });
    if (mockDeployed && route !== undefined && ports.length > 0) {
      this.emitTargetRef(
        scope,
        'outbound',
        service,
        mockDeployed,
        'routing',
        'MeshHTTPRoute',
        objectName(service.name, 'route'),
        {
          targetRef: { kind: 'Mesh' },
          to: ports.map((port) => ({ targetRef: toService(port), rules: this.routeRules(service, port, route) })),
        },
        describeRoute(route),
        Wave.ROUTING,
        route,
      );
    }
    if (mockDeployed && route?.record === true && ports.length > 0) {
      // The recording mock proxies to the service's own name: its calls must reach the real instances, not itself.
      // A MeshHTTPRoute whose top-level targetRef is a MeshSubset is more specific than the Mesh-wide one above, so
      // for the mock's proxies its rules win (kumahq/kuma v2.14 api/common/v1alpha1/targetref.go: order MeshSubset 3, Mesh 1).
      const real = (port: PortSpec) => ({
        kind: 'MeshServiceSubset' as const,
        name: kumaServiceName(service, port),
        tags: { [VARIANT_TAG]: service.name },
        weight: 100,
      });
      this.emitTargetRef(
        scope,
        'outbound',
        service,
        mockDeployed,
        'recording',
        'MeshHTTPRoute',
        objectName(service.name, 'record'),
        {
          targetRef: { kind: 'MeshSubset', tags: { ...allInstances(service), [VARIANT_TAG]: MOCK_APP } },
          to: ports.map((port) => ({
            targetRef: toService(port),
            rules: [{ matches: [{ path: { type: 'PathPrefix' as const, value: '/' } }], default: { backendRefs: [real(port)] } }],
          })),
        },
        'the recording mock calls the real instances',
        Wave.ROUTING,
        route,
      );
    }
    if (fault !== undefined) {
      const http: FaultHttp[] = [];
      if (fault.delay) {
        http.push({ delay: { value: fault.delay.value, percentage: percentage(fault.delay.percent) } });
      }
      if (fault.abort) {
        http.push({ abort: { httpStatus: fault.abort.httpStatus, percentage: percentage(fault.abort.percent) } });
      }
      // Faults act on the inbound side of the real instances only: the mock answers unharmed.
      this.emitTargetRef(
        scope,
        'inbound-real',
        service,
        mockDeployed,
        'routing',
        'MeshFaultInjection',
        objectName(service.name, 'faults'),
        {
          targetRef: { kind: 'MeshSubset', tags: realInstances(service) },
          from: [{ targetRef: { kind: 'Mesh' }, default: { http } }],
        },
        describeFault(fault),
        Wave.ROUTING,
        fault,
      );
    }
    if (circuitBreaker !== undefined && service.ports.length > 0) {
      const cb = circuitBreaker;
      const limits = definedOnly({
        maxConnections: cb.maxConnections,
        maxPendingRequests: cb.maxPendingRequests,
        maxRequests: cb.maxRequests,
        maxRetries: cb.maxRetries,
      });
      this.emitTargetRef(
        scope,
        'outbound',
        service,
        mockDeployed,
        'routing',
        'MeshCircuitBreaker',
        objectName(service.name, 'circuit-breaker'),
        {
          targetRef: { kind: 'Mesh' },
          to: service.ports.map((port) => ({
            targetRef: toService(port),
            default: definedOnly({
              connectionLimits: Object.keys(limits).length > 0 ? limits : undefined,
              outlierDetection:
                cb.outlierDetection &&
                definedOnly({
                  disabled: false,
                  interval: cb.outlierDetection.interval,
                  baseEjectionTime: cb.outlierDetection.baseEjectionTime,
                  maxEjectionPercent: cb.outlierDetection.maxEjectionPercent,
                  detectors: { totalFailures: { consecutive: cb.outlierDetection.consecutive5xxErrors } },
                }),
            }),
          })),
        },
        'circuit breaker',
        Wave.ROUTING,
        cb,
      );
    }
    if (timeout !== undefined && service.ports.length > 0) {
      this.emitTargetRef(
        scope,
        'outbound',
        service,
        mockDeployed,
        'routing',
        'MeshTimeout',
        objectName(service.name, 'timeout'),
        {
          targetRef: { kind: 'Mesh' },
          to: service.ports.map((port) => ({
            targetRef: toService(port),
            default: definedOnly({
              connectionTimeout: timeout.connect,
              idleTimeout: timeout.idle,
              http: port.protocol !== 'tcp' && timeout.request !== undefined ? { requestTimeout: timeout.request } : undefined,
            }),
          })),
        },
        'timeouts',
        Wave.ROUTING,
        timeout,
      );
    }
    if (retry !== undefined && ports.length > 0) {
      this.emitTargetRef(
        scope,
        'outbound',
        service,
        mockDeployed,
        'routing',
        'MeshRetry',
        objectName(service.name, 'retry'),
        {
          targetRef: { kind: 'Mesh' },
          to: ports.map((port) => ({
            targetRef: toService(port),
            default: {
              http: definedOnly({
                numRetries: retry.attempts,
                perTryTimeout: retry.perTryTimeout,
                retryOn: retry.on.map((c) => RETRY_ON_TARGETREF[c]),
              }),
            },
          })),
        },
        `retry ${retry.attempts}x`,
        Wave.ROUTING,
        retry,
      );
    }
  }

  private routeRules(service: ServiceSpec, port: PortSpec, route: RouteSpec): MeshHTTPRouteSpec['to'][number]['rules'] {
    const name = kumaServiceName(service, port);
    const subset = (app: string, weight: number) => ({ kind: 'MeshServiceSubset' as const, name, tags: { [VARIANT_TAG]: app }, weight });
    const weighted = [subset(service.name, 100 - route.mockWeight), subset(MOCK_APP, route.mockWeight)].filter((b) => b.weight > 0);
    // Rules are ordered by specificity, not position: the header rule must carry the path too.
    const catchAll = { path: { type: 'PathPrefix' as const, value: '/' } };
    const rules: MeshHTTPRouteSpec['to'][number]['rules'][number][] = [];
    if (route.header !== undefined) {
      rules.push({
        matches: [{ ...catchAll, headers: [{ type: 'Exact', name: route.header.name, value: route.header.value }] }],
        default: { backendRefs: [subset(MOCK_APP, 100)] },
      });
    }
    rules.push({ matches: [catchAll], default: { backendRefs: weighted } });
    return rules;
  }

  private placements(side: PolicySide, service: ServiceSpec, mockDeployed: boolean): Placement[] {
    if (this.mesh.placement === 'global') {
      return this.mesh.global.kind === 'self-hosted'
        ? [{ target: 'global', format: TargetFormat.KUBERNETES, zoneOrigin: false }]
        : [{ target: 'konnect', format: TargetFormat.KUMACTL, zoneOrigin: false }];
    }
    // Zone-originated policies only affect the proxies of their own zone: put each where the proxies it acts on run.
    let zones: string[];
    switch (side) {
      case 'outbound':
        zones = this.mesh.zones.map((z) => z.name);
        break;
      case 'inbound-real':
        zones = [...service.zones];
        break;
      case 'inbound-all':
        zones = [...new Set([...service.zones, ...(mockDeployed ? [this.mesh.mocksZone] : [])])];
        break;
    }
    return this.mesh.zones
      .filter((z) => zones.includes(z.name))
      .map((z) => ({ target: `zone-${z.name}`, format: TargetFormat.KUBERNETES, zoneOrigin: true }));
  }

  private emitTargetRef(
    scope: IEnvironmentScope,
    side: PolicySide,
    service: ServiceSpec,
    mockDeployed: boolean,
    fileKind: string,
    kind: KumaKind,
    name: string,
    spec: object,
    intent: string,
    wave: Wave,
    audit?: { origin?: Origin; reason?: string; expires?: string },
  ): void {
    const classes: Partial<Record<KumaKind, new (...args: never[]) => ApiObject>> = {
      MeshHTTPRoute,
      MeshFaultInjection,
      MeshCircuitBreaker,
      MeshTimeout,
      MeshRetry,
      MeshTrafficPermission,
    };
    for (const placement of this.placements(side, service, mockDeployed)) {
      const file = `${service.name}.${fileKind}`;
      if (placement.format === TargetFormat.KUMACTL) {
        scope.kumactl(placement.target, file).add({ type: kind, name, mesh: this.mesh.meshName, spec });
        continue;
      }
      const Kind = classes[kind] as unknown as new (scope: unknown, id: string, props: unknown) => ApiObject;
      const obj = new Kind(scope.chart(placement.target, file), kind, {
        metadata: {
          name,
          namespace: this.mesh.systemNamespace,
          labels: {
            ...commonLabels(this.env),
            'kuma.io/mesh': this.mesh.meshName,
            ...(placement.zoneOrigin ? { 'kuma.io/origin': 'zone' } : {}),
          },
          annotations: auditAnnotations(this.env, intent, audit?.origin, audit?.reason, audit?.expires),
        },
        spec,
      });
      setWave(obj, wave);
      skipDryRunWhileCrdMissing(obj);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Legacy policies (Kuma / Kong Mesh before 2.6; removed in 3.0)
  // -------------------------------------------------------------------------------------------

  private addLegacyPolicies(scope: IEnvironmentScope, p: ServicePolicies): void {
    const { service, route, fault, circuitBreaker, timeout, retry, mockDeployed } = p;
    const ports = httpPorts(service);
    const everyone: LegacySelector[] = [{ match: { 'kuma.io/service': '*' } }];
    const portName = (port: PortSpec, suffix: string, all: readonly PortSpec[]) =>
      all.length === 1 ? objectName(service.name, suffix) : objectName(legacyPortPolicyName(service.name, port.port, suffix));
    if (mockDeployed && route !== undefined) {
      for (const port of ports) {
        const name = kumaServiceName(service, port);
        const variant = (app: string) => ({ 'kuma.io/service': name, [VARIANT_TAG]: app });
        const split = [
          { weight: 100 - route.mockWeight, destination: variant(service.name) },
          { weight: route.mockWeight, destination: variant(MOCK_APP) },
        ].filter((s) => s.weight > 0);
        const conf: TrafficRouteConf =
          route.header === undefined
            ? { split }
            : {
                http: [
                  {
                    match: { headers: { [route.header.name]: { exact: route.header.value } } },
                    split: [{ weight: 100, destination: variant(MOCK_APP) }],
                  },
                ],
                split,
              };
        this.emitLegacy(
          scope,
          'outbound',
          service,
          mockDeployed,
          'routing',
          'TrafficRoute',
          portName(port, 'route', ports),
          { sources: everyone, destinations: [{ match: { 'kuma.io/service': name } }], conf },
          describeRoute(route),
          route,
        );
      }
    }
    if (fault !== undefined) {
      for (const port of ports) {
        this.emitLegacy(
          scope,
          'inbound-real',
          service,
          mockDeployed,
          'routing',
          'FaultInjection',
          portName(port, 'faults', ports),
          {
            sources: everyone,
            // FaultInjection needs the protocol tag; `app` keeps the mock out, as in the tutorial.
            destinations: [
              { match: { 'kuma.io/service': kumaServiceName(service, port), 'kuma.io/protocol': port.protocol, [VARIANT_TAG]: service.name } },
            ],
            conf: definedOnly({
              delay: fault.delay && { percentage: fault.delay.percent, value: toSeconds(fault.delay.value) },
              abort: fault.abort && { percentage: fault.abort.percent, httpStatus: fault.abort.httpStatus },
            }),
          },
          describeFault(fault),
          fault,
        );
      }
    }
    for (const port of service.ports) {
      const destinations = [{ match: { 'kuma.io/service': kumaServiceName(service, port) } }];
      if (circuitBreaker !== undefined) {
        const cb = circuitBreaker;
        const od = cb.outlierDetection;
        const thresholds = definedOnly({
          maxConnections: cb.maxConnections,
          maxPendingRequests: cb.maxPendingRequests,
          maxRequests: cb.maxRequests,
          maxRetries: cb.maxRetries,
        });
        this.emitLegacy(
          scope,
          'outbound',
          service,
          mockDeployed,
          'routing',
          'CircuitBreaker',
          portName(port, 'circuit-breaker', service.ports),
          {
            sources: everyone,
            destinations,
            conf: definedOnly({
              interval: od?.interval && toSeconds(od.interval),
              baseEjectionTime: od?.baseEjectionTime && toSeconds(od.baseEjectionTime),
              maxEjectionPercent: od?.maxEjectionPercent,
              detectors: od && { totalErrors: { consecutive: od.consecutive5xxErrors } },
              thresholds: Object.keys(thresholds).length > 0 ? thresholds : undefined,
            }),
          },
          'circuit breaker',
          cb,
        );
      }
      if (timeout !== undefined) {
        const http = port.protocol !== 'tcp';
        this.emitLegacy(
          scope,
          'outbound',
          service,
          mockDeployed,
          'routing',
          'Timeout',
          portName(port, 'timeout', service.ports),
          {
            sources: everyone,
            destinations,
            conf: definedOnly({
              connectTimeout: timeout.connect && toSeconds(timeout.connect),
              http:
                http && (timeout.request || timeout.idle)
                  ? definedOnly({
                      requestTimeout: timeout.request && toSeconds(timeout.request),
                      idleTimeout: timeout.idle && toSeconds(timeout.idle),
                    })
                  : undefined,
              tcp: !http && timeout.idle ? { idleTimeout: toSeconds(timeout.idle) } : undefined,
            }),
          },
          'timeouts',
          timeout,
        );
      }
      if (retry !== undefined && port.protocol !== 'tcp') {
        this.emitLegacy(
          scope,
          'outbound',
          service,
          mockDeployed,
          'routing',
          'Retry',
          portName(port, 'retry', service.ports),
          {
            sources: everyone,
            destinations,
            conf: {
              http: definedOnly({
                numRetries: retry.attempts,
                perTryTimeout: retry.perTryTimeout && toSeconds(retry.perTryTimeout),
                retryOn: retry.on.map((c) => RETRY_ON_LEGACY[c]),
              }),
            },
          },
          `retry ${retry.attempts}x`,
          retry,
        );
      }
    }
  }

  private emitLegacy(
    scope: IEnvironmentScope,
    side: PolicySide,
    service: ServiceSpec,
    mockDeployed: boolean,
    fileKind: string,
    kind: KumaKind,
    name: string,
    spec: { sources: unknown; destinations: unknown; conf?: unknown },
    intent: string,
    audit?: { origin?: Origin; reason?: string; expires?: string },
  ): void {
    const classes: Partial<Record<KumaKind, unknown>> = { TrafficRoute, FaultInjection, CircuitBreaker, Timeout, Retry, TrafficPermission };
    for (const placement of this.placements(side, service, mockDeployed)) {
      const file = `${service.name}.${fileKind}`;
      if (placement.format === TargetFormat.KUMACTL) {
        scope.kumactl(placement.target, file).add({ type: kind, name, mesh: this.mesh.meshName, ...spec });
        continue;
      }
      const Kind = classes[kind] as new (scope: unknown, id: string, props: unknown) => ApiObject;
      const obj = new Kind(scope.chart(placement.target, file), kind, {
        mesh: this.mesh.meshName,
        metadata: {
          name,
          labels: commonLabels(this.env),
          annotations: auditAnnotations(this.env, intent, audit?.origin, audit?.reason, audit?.expires),
        },
        spec,
      });
      setWave(obj, kind === 'TrafficPermission' ? Wave.PERMISSIONS : Wave.ROUTING);
      skipDryRunWhileCrdMissing(obj);
    }
  }
}

/** Kuma takes integer percentages as numbers and decimals as strings. */
function percentage(percent: number): number | string {
  return Number.isInteger(percent) ? percent : String(percent);
}

/** The cluster-scoped kind a zone chart adds when the cluster serves the Gateway API. */
export const GATEWAY_CLASS = { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' } as const;

/** The control-plane setting that keeps kuma-cp from making the Mesh the owner of every policy (2.7+). */
export const SKIP_MESH_OWNER_REFERENCE = 'KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE';

/**
 * The values every control plane of `mesh` gets, whatever its mode, each the way the chart
 * documents for Argo CD: certificates that do not change from one `helm template` to the next, no
 * Mesh owner references (so Argo CD can prune a removed policy), and hook Jobs Argo CD can watch.
 */
export function kumaChartValues(mesh: KumaMeshSpec): {
  values: Record<string, unknown>;
  envVars: Record<string, string>;
  tls: Record<string, unknown>;
} {
  const tls = mesh.controlPlaneTls;
  const general =
    tls === undefined
      ? undefined
      : tls.kind === 'cert-manager'
        ? { certManager: { enabled: true, ...(tls.issuer ? { issuerRef: { name: tls.issuer.name, kind: tls.issuer.kind } } : {}) } }
        : { secretName: tls.secretName, caBundle: tls.caBundle };
  const values: Record<string, unknown> =
    hookTtl(mesh) === 'configurable'
      ? // null removes the chart's default of 0 (UPGRADE.md "Helm: Configurable hook job TTL and annotations").
        { hooks: { ttlSecondsAfterFinished: null, annotations: { 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' } } }
      : {};
  return {
    values,
    envVars: ownerReferenceSkippable(mesh) ? { [SKIP_MESH_OWNER_REFERENCE]: 'true' } : {},
    tls: general === undefined ? {} : { general },
  };
}

/**
 * With cert-manager, the chart renders the webhooks without a caBundle and asks cert-manager's CA
 * injector to fill it in (`cert-manager.io/inject-ca-from`, kumahq/kuma v2.14.3
 * deployments/charts/kuma/templates/cp-webhooks-and-secrets.yaml, `kuma.webhook.caBundle`): Argo CD
 * must leave that field to the injector, or self-heal would strip the CA and the API server could
 * no longer call the webhooks.
 */
export function caInjectedFields(mesh: KumaMeshSpec): Pick<HelmApplicationPlan, 'ignoreDifferences'> {
  if (mesh.controlPlaneTls?.kind !== 'cert-manager') {
    return {};
  }
  return {
    ignoreDifferences: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map((kind) => ({
      group: 'admissionregistration.k8s.io',
      kind,
      jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
      rewrittenBy: 'cert-manager cainjector (cert-manager.io/inject-ca-from)',
    })),
  };
}

/** The `route-all-<mesh>` TrafficRoute Kuma before 2.6 created with every mesh (sends each outbound to its service). */
export function ROUTE_ALL(mesh: string): Record<string, unknown> {
  const all = () => ({ 'kuma.io/service': '*' });
  return {
    name: `route-all-${mesh}`,
    mesh,
    sources: [{ match: all() }],
    destinations: [{ match: all() }],
    conf: { loadBalancer: { roundRobin: {} }, destination: all() },
  };
}
