import { doublesSlash, INGRESS_SERVICE_ACCOUNT } from './istio-names';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  AuthorizationPolicy,
  DestinationRule,
  Destination,
  Gateway,
  HTTPRoute,
  PeerAuthentication,
  TrafficPolicy,
  VirtualService,
} from '../../imports/istio';
import { OperatorGroup, Route, ServiceMeshControlPlane, ServiceMeshMemberRoll, Subscription } from '../../imports/openshift';
import { ingressVirtualServiceName } from '../../model/derived-names';
import {
  EnvironmentSpec,
  FaultSpec,
  httpPorts,
  IngressRouteSpec,
  IstioMeshSpec,
  MeshFlavor,
  OperatorSpec,
  RouteSpec,
  ServiceSpec,
  TimeoutSpec,
  RetrySpec,
} from '../../model/spec';
import { compareStrings } from '../../model/spec-error';
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
  SELECTOR_LABEL,
  ServicePolicies,
  setWave,
  skipDryRunWhileCrdMissing,
  TargetFormat,
  TargetPlan,
  Wave,
} from '../mesh';

/** DestinationRule subset of the real instances. */
export const REAL_SUBSET = 'real';
/** DestinationRule subset of the mock instances. */
export const MOCK_SUBSET = 'mock';

const ISTIO_CHARTS = 'https://istio-release.storage.googleapis.com/charts';

/** The in-mesh host name of a service. */
export function serviceHost(service: ServiceSpec): string {
  return `${service.name}.${service.namespace}.svc.cluster.local`;
}

/**
 * Red Hat OpenShift Service Mesh 2.x (operators through OLM, a ServiceMeshControlPlane and a member
 * roll) and upstream Istio (control plane from the Istio Helm charts).
 *
 * Real and mock pods are both selected by the service's Kubernetes Service; a DestinationRule splits
 * them into the subsets `real` (`app: <service>`) and `mock` (`app: mountebank`), and exactly one
 * VirtualService per host carries the route, the faults, timeouts and retries.
 */
export class IstioMesh implements IMesh {
  public readonly flavor: MeshFlavor;
  public readonly targets: readonly TargetPlan[];
  protected readonly mesh: IstioMeshSpec;
  /** OpenShift Service Mesh 2.x (a ServiceMeshControlPlane). */
  private readonly ossm: boolean;

  constructor(protected readonly env: EnvironmentSpec) {
    this.mesh = env.mesh as IstioMeshSpec;
    this.flavor = this.mesh.flavor;
    this.ossm = this.mesh.smcp !== undefined;
    this.targets = this.planTargets();
  }

  /** The environment's folders in dist/ (called once, from the constructor). */
  protected planTargets(): TargetPlan[] {
    const env = this.env;
    const cluster = this.mesh.cluster;
    const targets: TargetPlan[] = [];
    if (this.ossm) {
      targets.push({
        name: 'operators',
        format: TargetFormat.KUBERNETES,
        cluster,
        namespace: 'openshift-operators',
        wave: -3,
        description: 'operator subscriptions (OLM)',
        syncOptions: [],
      });
    }
    targets.push({
      name: 'control-plane',
      format: TargetFormat.KUBERNETES,
      cluster,
      namespace: this.mesh.controlPlaneNamespace,
      wave: -2,
      description: this.ossm ? 'the ServiceMeshControlPlane, member roll and ingress gateway' : 'mesh-wide mTLS and the ingress gateway',
      syncOptions: ['ServerSideApply=true', 'SkipDryRunOnMissingResource=true'],
    });
    targets.push({
      name: 'workloads',
      format: TargetFormat.KUBERNETES,
      cluster,
      namespace: env.services[0]?.namespace ?? env.name,
      wave: 0,
      description: 'namespaces, workloads, mocks, routing and permissions',
      syncOptions: ['SkipDryRunOnMissingResource=true'],
    });
    return targets;
  }

  public workloadTargets(): readonly string[] {
    return ['workloads'];
  }

  public mockTarget(): string {
    return 'workloads';
  }

  public mockNeedsOwnService(): boolean {
    return false;
  }

  public namespaceMetadata(_namespace: string): { labels: Record<string, string>; annotations: Record<string, string> } {
    // OpenShift Service Mesh joins namespaces through the member roll and honours only the
    // `disabled` value of the injection label, so injection is requested per pod instead.
    return { labels: this.ossm ? {} : { 'istio-injection': 'enabled' }, annotations: {} };
  }

  public podSettings(_namespace: string): PodMeshSettings {
    // OSSM redirects traffic with its CNI plugin: no root init container, so restricted-v2 admits the pods as they are.
    return { labels: {}, annotations: { 'sidecar.istio.io/inject': 'true' }, openshiftRestricted: this.ossm };
  }

  public addControlPlane(scope: IEnvironmentScope): void {
    const ns = this.mesh.controlPlaneNamespace;
    const labels = commonLabels(this.env);
    if (this.ossm) {
      this.addOperators(scope);
      const chart = scope.chart('control-plane', 'control-plane');
      setWave(new kplus.Namespace(chart, 'Namespace', { metadata: { name: ns, labels } }), Wave.NAMESPACES);
      this.addServiceMeshControlPlane(chart);
    } else {
      const chart = scope.chart('control-plane', 'mtls');
      const pa = new PeerAuthentication(chart, 'MeshWide', {
        apiVersion: this.mesh.apiVersion,
        metadata: { name: 'default', namespace: ns, labels },
        spec: { mtls: { mode: 'STRICT' } },
      });
      setWave(pa, Wave.CONTROL_PLANE);
      skipDryRunWhileCrdMissing(pa);
    }
    this.addGateway(scope);
  }

  /** The Istio Gateway of `mesh.ingress` (with the OSSM 2 Route to the operator's gateway), and the routes of every service behind it. */
  protected addGateway(scope: IEnvironmentScope): void {
    const ns = this.mesh.gatewayNamespace;
    const labels = commonLabels(this.env);
    const ingress = this.mesh.ingress;
    if (ingress !== undefined) {
      const chart = scope.chart('control-plane', 'gateway');
      const gateway = new Gateway(chart, 'Gateway', {
        apiVersion: this.mesh.apiVersion,
        metadata: { name: ingress.gateway, namespace: ns, labels },
        spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [ingress.host] }] },
      });
      setWave(gateway, Wave.GATEWAY);
      skipDryRunWhileCrdMissing(gateway);
      if (this.flavor === MeshFlavor.OPENSHIFT_SERVICE_MESH) {
        // The ingress gateway Service names its port 80 "http2" (pod port 8080). Named like the
        // Route the operator would create, so `oc get route istio-ingressgateway` finds it.
        const route = new Route(chart, 'Route', {
          metadata: { name: 'istio-ingressgateway', namespace: ns, labels },
          spec: {
            host: ingress.host,
            to: { kind: 'Service', name: 'istio-ingressgateway', weight: 100 },
            port: { targetPort: 'http2' },
            wildcardPolicy: 'None',
          },
        });
        setWave(route, Wave.GATEWAY);
      }
      this.addIngressRoutes(scope);
    }
  }

  public addServicePolicies(scope: IEnvironmentScope, p: ServicePolicies): void {
    const { service, route, fault, circuitBreaker, timeout, retry, mockDeployed } = p;
    if (service.ports.length === 0) {
      return;
    }
    const chart = scope.chart('workloads', `${service.name}.routing`);
    const host = serviceHost(service);
    const labels = commonLabels(this.env);
    const trafficPolicy = this.trafficPolicy(p);
    if (mockDeployed || trafficPolicy !== undefined) {
      const dr = new DestinationRule(chart, 'DestinationRule', {
        apiVersion: this.mesh.apiVersion,
        metadata: {
          name: service.name,
          namespace: service.namespace,
          labels,
          annotations: auditAnnotations(this.env, circuitBreaker ? 'circuit breaker' : 'subsets', circuitBreaker?.origin ?? route?.origin),
        },
        spec: definedOnly({
          host,
          trafficPolicy,
          subsets: mockDeployed
            ? [
                { name: REAL_SUBSET, labels: { app: service.name } },
                { name: MOCK_SUBSET, labels: { app: MOCK_APP } },
              ]
            : undefined,
        }),
      });
      // Subsets exist before any route uses them: Argo CD applies a wave only once the one before is healthy.
      setWave(dr, mockDeployed ? Wave.SUBSETS : Wave.ROUTING);
      skipDryRunWhileCrdMissing(dr);
    }
    const needsRoute = (mockDeployed && route !== undefined) || fault !== undefined || timeout?.request !== undefined || retry !== undefined;
    if (!needsRoute) {
      return;
    }
    // A destination without a port is ambiguous when the Service has several (istioctl analyze
    // IST0112, rule MF2004): one set of routes per HTTP port, each matching and naming its port.
    const ports = service.ports.length > 1 ? httpPorts(service) : [undefined];
    const http = ports.flatMap((p) =>
      this.httpRoutes(
        service,
        mockDeployed ? route : undefined,
        fault,
        timeout,
        retry,
        [p === undefined ? {} : { port: p.port }],
        p?.port,
        p === undefined ? undefined : p.name,
      ),
    );
    const intent = [describeRoute(route), ...(fault ? [describeFault(fault)] : [])].join('; ');
    const vs = new VirtualService(chart, 'VirtualService', {
      apiVersion: this.mesh.apiVersion,
      metadata: {
        name: service.name,
        namespace: service.namespace,
        labels,
        annotations: auditAnnotations(
          this.env,
          intent,
          route?.origin ?? fault?.origin ?? retry?.origin ?? timeout?.origin,
          route?.reason ?? fault?.reason,
          earliest(route?.expires, fault?.expires),
        ),
      },
      spec: { hosts: [host], http },
    });
    setWave(vs, Wave.ROUTING);
    skipDryRunWhileCrdMissing(vs);
  }

  public addTrafficPermissions(scope: IEnvironmentScope, service: ServiceSpec, callers: readonly ServiceSpec[]): void {
    const principals = callers.map((c) => `cluster.local/ns/${c.namespace}/sa/${c.name}`);
    const gateway = this.mesh.ingress !== undefined && service.ingress.length > 0;
    if (gateway) {
      principals.push(`cluster.local/ns/${this.mesh.gatewayNamespace}/sa/${INGRESS_SERVICE_ACCOUNT}`);
    }
    const recording =
      service.mock !== undefined && this.env.mocks.enabled && this.env.routes.some((r) => r.service === service.name && r.record === true);
    if (recording) {
      // A recording mock calls the real instances of the service it stands in for (its ServiceAccount is <service>-mock).
      principals.push(`cluster.local/ns/${service.namespace}/sa/${service.name}-mock`);
    }
    principals.sort(compareStrings);
    const names = [...callers.map((c) => c.name), ...(gateway ? ['the ingress gateway'] : []), ...(recording ? ['its recording mock'] : [])];
    const ap = new AuthorizationPolicy(scope.chart('workloads', `${service.name}.access`), 'AuthorizationPolicy', {
      apiVersion: this.mesh.apiVersion,
      metadata: {
        name: objectName(service.name, 'permissions'),
        namespace: service.namespace,
        labels: commonLabels(this.env),
        annotations: auditAnnotations(this.env, names.length === 0 ? 'deny every caller' : `allow ${names.join(', ')}`, service.origin),
      },
      // An ALLOW policy that selects the pods denies every request it does not match; with no rules it denies all.
      spec: definedOnly({
        selector: { matchLabels: { [SELECTOR_LABEL]: service.name } },
        action: 'ALLOW' as const,
        rules: principals.length === 0 ? undefined : [{ from: [{ source: { principals } }] }],
      }),
    });
    setWave(ap, Wave.PERMISSIONS);
    skipDryRunWhileCrdMissing(ap);
  }

  public controlPlaneApplications(): readonly HelmApplicationPlan[] {
    if (this.ossm) {
      return [];
    }
    const ns = this.mesh.controlPlaneNamespace;
    const version = this.mesh.version.text;
    const clusterKinds = [
      { group: 'apiextensions.k8s.io', kind: 'CustomResourceDefinition' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' },
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRoleBinding' },
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration' },
      { group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' },
    ];
    const base = { cluster: this.mesh.cluster, namespace: ns, repoURL: ISTIO_CHARTS, version, clusterKinds };
    // The charts render the validating webhooks with failurePolicy Ignore and no caBundle; istiod's
    // webhook controller patches in its CA and Fail once it serves (istio/istio
    // pkg/webhooks/validation/controller/controller.go, istio/istio#52785, #57643).
    const webhookFields = (kinds: readonly string[]) =>
      kinds.map((kind) => ({
        group: 'admissionregistration.k8s.io',
        kind,
        jqPathExpressions:
          kind === 'ValidatingWebhookConfiguration'
            ? ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy']
            : ['.webhooks[]?.clientConfig.caBundle'],
        rewrittenBy: 'istiod (istio/istio pkg/webhooks)',
      }));
    const apps: HelmApplicationPlan[] = [
      {
        ...base,
        name: objectName(this.env.name, 'istio-base'),
        chart: 'base',
        releaseName: 'istio-base',
        values: { defaultRevision: 'default' },
        wave: -4,
        description: 'Istio CRDs',
        ignoreDifferences: webhookFields(['ValidatingWebhookConfiguration']),
      },
      {
        ...base,
        name: objectName(this.env.name, 'istiod'),
        chart: 'istiod',
        releaseName: 'istiod',
        values: {},
        wave: -3,
        description: 'istiod',
        ignoreDifferences: webhookFields(['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']),
      },
    ];
    if (this.mesh.ingress !== undefined) {
      apps.push({
        ...base,
        name: objectName(this.env.name, 'istio-ingressgateway'),
        chart: 'gateway',
        releaseName: 'istio-ingressgateway',
        values: { labels: { istio: 'ingressgateway' } },
        wave: -3,
        description: 'the Istio ingress gateway',
      });
    }
    return apps;
  }

  // -------------------------------------------------------------------------------------------

  /**
   * The ServiceMeshControlPlane and its member roll, which lists every service's namespace. While a
   * migration to 3.x runs, the control plane is in the shape Red Hat's pre-migration checklist asks
   * for (sail-operator docs/ossm/ossm2-migration/README.md): no addons, no tracing, no gateways of
   * its own, no NetworkPolicies; the member roll keeps the migrated namespaces, so that the 2.6
   * sidecars still see their endpoints, until the control plane is removed.
   */
  protected addServiceMeshControlPlane(chart: Chart): void {
    const ns = this.mesh.controlPlaneNamespace;
    const labels = commonLabels(this.env);
    const smcp = this.mesh.smcp!;
    const migrating = this.mesh.migration !== undefined;
    const cp = new ServiceMeshControlPlane(chart, 'ControlPlane', {
      metadata: { name: smcp.name, namespace: ns, labels },
      spec: {
        version: smcp.version,
        mode: 'MultiTenant',
        // Strict mTLS between all sidecars; the operator creates the mesh-wide PeerAuthentication.
        // Third-party JWT: the injector mounts a projected `istio-token` into istio-proxy, which
        // pilot-agent sends to istiod for its certificate. The `base` profile's `Kubernetes`
        // identity would make it read the pod's service account token, which meshflip's pods do
        // not mount (automountServiceAccountToken: false). See rule MF2001.
        security: {
          dataPlane: { mtls: true, automtls: true },
          controlPlane: { mtls: true },
          identity: { type: 'ThirdParty' },
          ...(migrating ? { manageNetworkPolicy: false } : {}),
        },
        tracing: smcp.tracing,
        policy: { type: 'Istiod' },
        telemetry: { type: 'Istiod' },
        // meshflip renders the Route itself: automatic route creation stays off. While migrating,
        // the ingress gateway is injected by the 3.x revision instead.
        gateways: migrating
          ? { enabled: false, openshiftRoute: { enabled: false } }
          : {
              openshiftRoute: { enabled: false },
              ingress: { enabled: true, routeConfig: { enabled: false } },
              egress: { enabled: true },
            },
        addons: {
          grafana: { enabled: smcp.addons.grafana },
          kiali: { enabled: smcp.addons.kiali },
          prometheus: { enabled: smcp.addons.prometheus },
          ...(smcp.tracing.type === 'Jaeger' ? { jaeger: { name: 'jaeger', install: { storage: { type: 'Memory' as const } } } } : {}),
        },
      },
    });
    setWave(cp, Wave.CONTROL_PLANE);
    skipDryRunWhileCrdMissing(cp);
    const members = [...new Set(this.env.services.map((s) => s.namespace))].sort(compareStrings);
    const roll = new ServiceMeshMemberRoll(chart, 'MemberRoll', { metadata: { name: 'default', namespace: ns, labels }, spec: { members } });
    setWave(roll, Wave.MESH_MEMBERSHIP);
    skipDryRunWhileCrdMissing(roll);
  }

  protected addOperators(scope: IEnvironmentScope): void {
    const ops = this.mesh.operators!;
    const labels = commonLabels(this.env);
    const subscribe = (
      file: string,
      name: string,
      namespace: string,
      op: OperatorSpec,
      ownNamespace?: { labels?: Record<string, string>; annotations?: Record<string, string> },
    ) => {
      const chart = scope.chart('operators', file);
      if (ownNamespace !== undefined) {
        setWave(
          new kplus.Namespace(chart, 'Namespace', {
            metadata: { name: namespace, labels: { ...labels, ...(ownNamespace.labels ?? {}) }, annotations: ownNamespace.annotations },
          }),
          Wave.NAMESPACES,
        );
        // openshift-operators has the global OperatorGroup already; own namespaces need one of their own.
        setWave(new OperatorGroup(chart, 'OperatorGroup', { metadata: { name: namespace, namespace, labels }, spec: {} }), Wave.OPERATORS);
      }
      const sub = new Subscription(chart, 'Subscription', {
        metadata: { name, namespace, labels },
        spec: definedOnly({
          channel: op.channel,
          installPlanApproval: op.approval,
          name,
          source: op.source,
          sourceNamespace: 'openshift-marketplace',
          startingCSV: op.startingCSV,
        }),
      });
      setWave(sub, Wave.OPERATORS);
    };
    if (ops.elasticsearch.enabled) {
      subscribe('elasticsearch', 'elasticsearch-operator', 'openshift-operators-redhat', ops.elasticsearch, {
        labels: { 'openshift.io/cluster-monitoring': 'true' },
        annotations: { 'openshift.io/node-selector': '' },
      });
    }
    if (ops.jaeger.enabled) {
      subscribe('jaeger', 'jaeger-product', 'openshift-distributed-tracing', ops.jaeger, {});
    }
    if (ops.kiali.enabled) {
      subscribe('kiali', 'kiali-ossm', 'openshift-operators', ops.kiali);
    }
    subscribe('servicemesh', this.ossm ? 'servicemeshoperator' : 'servicemeshoperator3', 'openshift-operators', ops.serviceMesh);
    if (ops.serviceMesh3 !== undefined) {
      // Migrating: both operators run side by side, in the same namespace, until 2.6 is removed.
      subscribe('servicemesh3', 'servicemeshoperator3', 'openshift-operators', ops.serviceMesh3);
    }
  }

  /** One VirtualService for the gateway host, holding every service's ingress routes in a fixed order. */
  private addIngressRoutes(scope: IEnvironmentScope): void {
    const ingress = this.mesh.ingress!;
    const http: HTTPRoute[] = [];
    const exposed = this.env.services.filter((s) => s.ingress.length > 0);
    if (exposed.length === 0) {
      return;
    }
    const intents: string[] = [];
    for (const service of exposed) {
      const route = this.env.routes.find((r) => r.service === service.name);
      const mockDeployed = this.env.mocks.enabled && service.mock !== undefined;
      const fault = this.env.faults.find((f) => f.service === service.name);
      const timeout = this.env.timeouts.find((t) => t.service === service.name);
      const retry = this.env.retries.find((r) => r.service === service.name);
      for (const ingressRoute of service.ingress) {
        const matches = ingressMatches(ingressRoute);
        const routes = this.httpRoutes(
          service,
          mockDeployed ? route : undefined,
          fault,
          timeout,
          retry,
          matches,
          ingressRoute.port,
          ingressRoute.name,
        );
        http.push(...routes.map((r) => (ingressRoute.rewrite === undefined ? r : { ...r, rewrite: { uri: ingressRoute.rewrite } })));
      }
      intents.push(`${service.name}: ${describeRoute(mockDeployed ? route : undefined)}`);
    }
    // In the workloads Application, after the DestinationRules whose subsets it routes to: the
    // control-plane Application syncs on its own and would route to subsets that do not exist yet.
    const vs = new VirtualService(scope.chart('workloads', 'ingress'), 'VirtualService', {
      apiVersion: this.mesh.apiVersion,
      metadata: {
        name: objectName(ingressVirtualServiceName(ingress.gateway)),
        namespace: this.mesh.gatewayNamespace,
        labels: commonLabels(this.env),
        annotations: auditAnnotations(this.env, intents.join('; '), undefined),
      },
      spec: { hosts: [ingress.host], gateways: [`${this.mesh.gatewayNamespace}/${ingress.gateway}`], http },
    });
    setWave(vs, Wave.ROUTING);
    skipDryRunWhileCrdMissing(vs);
  }

  /**
   * The HTTP routes for requests to `service` that match one of `matches`: a header-scoped route to
   * the mock first (Istio takes the first route that matches), then the default route.
   */
  private httpRoutes(
    service: ServiceSpec,
    route: RouteSpec | undefined,
    fault: FaultSpec | undefined,
    timeout: TimeoutSpec | undefined,
    retry: RetrySpec | undefined,
    matches: readonly Record<string, unknown>[],
    port?: number,
    name?: string,
  ): HTTPRoute[] {
    const host = serviceHost(service);
    const dest = (subset?: string): Destination => definedOnly({ host, subset, port: port === undefined ? undefined : { number: port } });
    const resilience = definedOnly({
      timeout: timeout?.request,
      retries: retry && definedOnly({ attempts: retry.attempts, perTryTimeout: retry.perTryTimeout, retryOn: retry.on.join(',') }),
    });
    const plainMatches = matches.filter((m) => Object.keys(m).length > 0);
    const out: HTTPRoute[] = [];
    if (route?.record === true) {
      // The recording mock proxies to the service's own host: its calls must reach the real instances, not itself.
      // sourceLabels limits the route to the sidecars of the mock pods (istio/istio pilot/pkg/networking/core/route: sourceMatchHTTP).
      out.push({
        name: `${name ?? 'default'}-recording-mock-to-real`,
        match: (plainMatches.length > 0 ? plainMatches : [{}]).map((m) => ({
          ...m,
          sourceLabels: { app: MOCK_APP, [SELECTOR_LABEL]: service.name },
        })),
        route: [{ destination: dest(REAL_SUBSET) }],
        ...resilience,
      });
    }
    if (route?.header !== undefined) {
      const header = { [route.header.name]: { exact: route.header.value } };
      out.push({
        // An HTTPRoute name only labels the route in logs and metrics: it is not an object name.
        name: `${name ?? 'default'}-mock-by-header`,
        match: (plainMatches.length > 0 ? plainMatches : [{}]).map((m) => ({ ...m, headers: header })),
        route: [{ destination: dest(MOCK_SUBSET) }],
        ...resilience,
      });
    }
    const mockWeight = route?.mockWeight ?? 0;
    const destinations =
      route === undefined
        ? [{ destination: dest() }]
        : mockWeight === 100
          ? [{ destination: dest(MOCK_SUBSET) }]
          : mockWeight === 0
            ? [{ destination: dest(REAL_SUBSET) }]
            : [
                { destination: dest(REAL_SUBSET), weight: 100 - mockWeight },
                { destination: dest(MOCK_SUBSET), weight: mockWeight },
              ];
    // Faults hit requests served by the real service; a route that only reaches the mock has none.
    const faulted = fault !== undefined && mockWeight < 100;
    out.push(
      definedOnly({
        name: name ?? 'default',
        match: plainMatches.length > 0 ? plainMatches : undefined,
        route: destinations,
        fault: faulted
          ? definedOnly({
              delay: fault.delay && { fixedDelay: fault.delay.value, percentage: { value: fault.delay.percent } },
              abort: fault.abort && { httpStatus: fault.abort.httpStatus, percentage: { value: fault.abort.percent } },
            })
          : undefined,
        ...resilience,
      }),
    );
    return out;
  }

  private trafficPolicy(p: ServicePolicies): TrafficPolicy | undefined {
    const cb = p.circuitBreaker;
    const t = p.timeout;
    const tcp = definedOnly({ maxConnections: cb?.maxConnections, connectTimeout: t?.connect });
    const http = definedOnly({
      http1MaxPendingRequests: cb?.maxPendingRequests,
      http2MaxRequests: cb?.maxRequests,
      maxRequestsPerConnection: cb?.maxRequestsPerConnection,
      maxRetries: cb?.maxRetries,
      idleTimeout: t?.idle,
    });
    const connectionPool = definedOnly({
      tcp: Object.keys(tcp).length > 0 ? tcp : undefined,
      http: Object.keys(http).length > 0 ? http : undefined,
    });
    const policy = definedOnly({
      connectionPool: Object.keys(connectionPool).length > 0 ? connectionPool : undefined,
      outlierDetection: cb?.outlierDetection && definedOnly({ ...cb.outlierDetection }),
    });
    return Object.keys(policy).length > 0 ? policy : undefined;
  }
}

/**
 * The URI matches of an ingress route. Istio's rewrite replaces exactly the matched prefix:
 * prefix `/inventory` with rewrite `/` turns `/inventory/x` into `//x` (istio/istio#26828). Such a
 * prefix is matched as `/inventory/` (rewritten to `/x`) and as the exact `/inventory`.
 */
export function ingressMatches(route: IngressRouteSpec): Record<string, unknown>[] {
  return route.match.flatMap((m) =>
    'prefix' in m && doublesSlash(m.prefix, route.rewrite) ? [{ uri: { prefix: `${m.prefix}/` } }, { uri: { exact: m.prefix } }] : [{ uri: m }],
  );
}

/** The earlier of two optional ISO dates. */
function earliest(a?: string, b?: string): string | undefined {
  if (a === undefined) {
    return b;
  }
  if (b === undefined) {
    return a;
  }
  return a <= b ? a : b;
}
