import { Chart } from 'cdk8s';
import { PlainApiObject } from '../../imports/plain-api-object';
import * as kplus from 'cdk8s-plus-28';
import { IstioMesh } from './istio-mesh';
import { INGRESS_SERVICE_ACCOUNT, INJECTION_TEMPLATE_ANNOTATION } from './istio-names';
import { PeerAuthentication, Telemetry } from '../../imports/istio';
import { Route } from '../../imports/openshift';
import { Istio, IstioCNI, IstioRevisionTag, Kiali, OSSMConsole, PodMonitor, ServiceMonitor } from '../../imports/ossm3';
import { SailControlPlaneSpec } from '../../model/spec';
import { compareStrings } from '../../model/spec-error';
import {
  commonLabels,
  definedOnly,
  HelmApplicationPlan,
  IEnvironmentScope,
  objectName,
  PodMeshSettings,
  setWave,
  skipDryRunWhileCrdMissing,
  TargetFormat,
  TargetPlan,
  Wave,
} from '../mesh';

/** The label (and Istio `istio:` selector value) of the injected ingress gateway's pods. */
export const GATEWAY_SELECTOR = { istio: 'ingressgateway' } as const;
/** Name of the injected ingress gateway's Deployment and Service, as in Red Hat's examples. */
export const GATEWAY_NAME = 'istio-ingressgateway';
/** The gateway Service's HTTP port, its name (what the Route targets) and the pod port the gateway template listens on. */
export const GATEWAY_HTTP_PORT = { name: 'http2', port: 80, targetPort: 8080 } as const;
/** The Gateway API listener of the ingress, and the name of its port on the Service istiod deploys. */
export const GATEWAY_API_LISTENER = 'http';
/** The Service (and Deployment) istiod deploys for a Gateway of class `istio`: `<name>-istio`. */
export function gatewayApiServiceName(gateway: string): string {
  return `${gateway}-istio`;
}
/** Where OpenShift's Thanos querier answers for platform and user-workload metrics. */
const THANOS_QUERIER = 'https://thanos-querier.openshift-monitoring.svc.cluster.local:9091';

/**
 * Red Hat OpenShift Service Mesh 3.x: upstream Istio run by the Sail operator (`servicemeshoperator3`).
 *
 * What Red Hat documents for 3.x ("Installing OpenShift Service Mesh", "Gateways", "Observability"),
 * rendered for GitOps: the operator Subscription; a cluster-scoped `Istio` and `IstioCNI`
 * (sailoperator.io/v1) whose discoverySelectors take exactly the namespaces labelled
 * `istio-discovery: enabled`; sidecar injection by the `istio-injection: enabled` namespace label,
 * served by the `default` revision (InPlace) or an `IstioRevisionTag` named `default`
 * (RevisionBased); strict mTLS by a mesh-wide PeerAuthentication (Istio creates none); an ingress
 * gateway deployed by gateway injection with its Service and an explicit Route; Kiali and its
 * console plugin through the Kiali operator; optional metrics (user-workload monitoring) and
 * tracing (OpenTelemetry), both off by default. Routing, resilience and permissions are the Istio
 * family's, in the v1 APIs.
 */
export class OpenShiftServiceMesh3 extends IstioMesh {
  private get sail(): SailControlPlaneSpec {
    return this.mesh.sail!;
  }

  public override namespaceMetadata(namespace: string): { labels: Record<string, string>; annotations: Record<string, string> } {
    return { labels: this.meshLabels(namespace), annotations: {} };
  }

  public override podSettings(_namespace: string): PodMeshSettings {
    // The CNI node agent redirects traffic: no root init container, so restricted-v2 admits the pods as they are.
    return { labels: {}, annotations: { 'sidecar.istio.io/inject': 'true' }, openshiftRestricted: true };
  }

  public override controlPlaneApplications(): readonly HelmApplicationPlan[] {
    return [];
  }

  public override addControlPlane(scope: IEnvironmentScope): void {
    this.addOperators(scope);
    const sail = this.sail;
    const ns = this.mesh.controlPlaneNamespace;
    const labels = commonLabels(this.env);
    const chart = scope.chart('control-plane', 'control-plane');
    // The control plane namespace is in the mesh too: istiod reads its own configuration there.
    setWave(
      new kplus.Namespace(chart, 'Namespace', {
        metadata: { name: ns, labels: { ...labels, [sail.discoveryLabel.key]: sail.discoveryLabel.value } },
      }),
      Wave.NAMESPACES,
    );
    setWave(new kplus.Namespace(chart, 'CniNamespace', { metadata: { name: sail.cniNamespace, labels } }), Wave.NAMESPACES);
    const cni = new IstioCNI(chart, 'IstioCNI', {
      // One per cluster: the CRD admits no other name (sail-operator v3.4.1 api/v1/istiocni_types.go,
      // XValidation `self.metadata.name == 'default'`).
      metadata: { name: 'default', labels },
      spec: { version: sail.istioVersion, namespace: sail.cniNamespace },
    });
    setWave(cni, Wave.CONTROL_PLANE);
    skipDryRunWhileCrdMissing(cni);
    const tracing = sail.tracing;
    const istio = new Istio(chart, 'Istio', {
      metadata: { name: sail.name, labels },
      spec: {
        version: sail.istioVersion,
        namespace: ns,
        updateStrategy: { type: sail.updateStrategy },
        values: {
          meshConfig: {
            discoverySelectors: [{ matchLabels: { [sail.discoveryLabel.key]: sail.discoveryLabel.value } }],
            ...(tracing.type === 'OpenTelemetry'
              ? { extensionProviders: [{ name: 'otel', opentelemetry: { service: tracing.service, port: tracing.port } }] }
              : {}),
          },
        },
      },
    });
    setWave(istio, Wave.CONTROL_PLANE);
    skipDryRunWhileCrdMissing(istio);
    // While a migration from 2.6 runs there is no tag `default` yet: Red Hat creates it once every
    // namespace has moved (sail-operator docs/ossm/ossm2-migration/cluster-wide/README.md).
    if ((sail.updateStrategy === 'RevisionBased' || sail.name !== 'default') && this.mesh.migration === undefined) {
      // Each version is a revision of its own (`<name>-v1-28-10`), and an InPlace Istio not named
      // `default` has a revision of that name: the tag `default` follows the active one and serves
      // the `istio-injection: enabled` label (sail-operator v3.4.1 api/v1/istiorevisiontags_types.go
      // DefaultRevisionTag; docs/ossm/ossm2-migration/cluster-wide: "In case you want to use different
      // name or RevisionBased update strategy, you will have to configure default IstioRevisionTag").
      const tag = new IstioRevisionTag(chart, 'RevisionTag', {
        metadata: { name: 'default', labels },
        spec: { targetRef: { kind: 'Istio', name: sail.name } },
      });
      setWave(tag, Wave.MESH_MEMBERSHIP);
      skipDryRunWhileCrdMissing(tag);
    }
    if (this.mesh.smcp !== undefined) {
      // Migrating: the 2.6 operator keeps the mesh-wide PeerAuthentication `default` of this
      // namespace (dataPlane.mtls), which both istiods read as the root namespace's policy.
      this.addServiceMeshControlPlane(chart);
    } else {
      // Istio creates no mesh-wide policy: without this one, sidecars accept plain text (PERMISSIVE).
      const pa = new PeerAuthentication(scope.chart('control-plane', 'mtls'), 'MeshWide', {
        apiVersion: 'v1',
        metadata: { name: 'default', namespace: ns, labels },
        spec: { mtls: { mode: 'STRICT' } },
      });
      setWave(pa, Wave.MESH_MEMBERSHIP);
      skipDryRunWhileCrdMissing(pa);
    }
    if (tracing.type === 'OpenTelemetry') {
      const telemetry = new Telemetry(scope.chart('control-plane', 'tracing'), 'Telemetry', {
        apiVersion: 'v1',
        metadata: { name: 'mesh-default', namespace: ns, labels },
        spec: { tracing: [{ providers: [{ name: 'otel' }], randomSamplingPercentage: tracing.sampling / 100 }] },
      });
      setWave(telemetry, Wave.MESH_MEMBERSHIP);
      skipDryRunWhileCrdMissing(telemetry);
    }
    if (sail.kiali) {
      this.addKiali(scope);
    }
    if (sail.metrics) {
      this.addMetrics(scope);
    }
    this.addGateway(scope);
  }

  protected override planTargets(): TargetPlan[] {
    const cluster = this.mesh.cluster;
    return [
      {
        name: 'operators',
        format: TargetFormat.KUBERNETES,
        cluster,
        namespace: 'openshift-operators',
        wave: -3,
        description: 'operator subscriptions (OLM)',
        syncOptions: [],
      },
      {
        name: 'control-plane',
        format: TargetFormat.KUBERNETES,
        cluster,
        namespace: this.mesh.controlPlaneNamespace,
        wave: -2,
        description: 'the Istio and IstioCNI resources, mesh-wide mTLS, Kiali and the injected ingress gateway',
        syncOptions: ['ServerSideApply=true', 'SkipDryRunOnMissingResource=true'],
      },
      {
        name: 'workloads',
        format: TargetFormat.KUBERNETES,
        cluster,
        namespace: this.env.services[0]?.namespace ?? this.env.name,
        wave: 0,
        description: 'namespaces, workloads, mocks, routing and permissions',
        syncOptions: ['SkipDryRunOnMissingResource=true'],
      },
    ];
  }

  /** The ingress gateway by gateway injection (a Deployment and Service in a namespace of the mesh), then the Istio Gateway, Route and routes. */
  protected override addGateway(scope: IEnvironmentScope): void {
    if (this.mesh.ingress === undefined) {
      return;
    }
    const ns = this.mesh.gatewayNamespace;
    const labels = commonLabels(this.env);
    const chart = scope.chart('control-plane', 'gateway');
    // A namespace of its own, unless the control plane's or a service's (the environment renders those).
    const ownNamespace = ns !== this.mesh.controlPlaneNamespace && !this.env.services.some((s) => s.namespace === ns);
    if (ownNamespace) {
      setWave(new kplus.Namespace(chart, 'Namespace', { metadata: { name: ns, labels: { ...labels, ...this.meshLabels(ns) } } }), Wave.NAMESPACES);
    }
    if (this.mesh.ingress.api === 'gateway-api') {
      this.addGatewayApi(scope);
      return;
    }
    const account = new PlainApiObject(chart, 'ServiceAccount', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: INGRESS_SERVICE_ACCOUNT, namespace: ns, labels },
    });
    setWave(account, Wave.GATEWAY);
    const podLabels = { ...GATEWAY_SELECTOR, app: GATEWAY_NAME, 'sidecar.istio.io/inject': 'true' };
    // Created once istiod is Ready (a later wave): the injector replaces `image: auto` and adds
    // everything a gateway needs. Nothing here pins a UID: OpenShift's restricted-v2 assigns it.
    const deployment = new PlainApiObject(chart, 'Deployment', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: GATEWAY_NAME, namespace: ns, labels },
      spec: {
        selector: { matchLabels: { ...GATEWAY_SELECTOR } },
        template: {
          metadata: { annotations: { [INJECTION_TEMPLATE_ANNOTATION]: 'gateway' }, labels: podLabels },
          spec: {
            serviceAccountName: INGRESS_SERVICE_ACCOUNT,
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{ name: 'istio-proxy', image: 'auto' }],
          },
        },
      },
    });
    setWave(deployment, Wave.GATEWAY);
    const service = new PlainApiObject(chart, 'Service', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: GATEWAY_NAME, namespace: ns, labels },
      spec: {
        type: 'ClusterIP',
        selector: { ...GATEWAY_SELECTOR },
        ports: [
          { name: 'status-port', port: 15021, protocol: 'TCP', targetPort: 15021 },
          { name: GATEWAY_HTTP_PORT.name, port: GATEWAY_HTTP_PORT.port, protocol: 'TCP', targetPort: GATEWAY_HTTP_PORT.targetPort },
        ],
      },
    });
    setWave(service, Wave.GATEWAY);
    if (this.sail.metrics && ownNamespace) {
      this.addPodMonitor(chart, ns);
    }
    super.addGateway(scope);
  }

  /**
   * The ingress by the Gateway API: a Gateway of class `istio`, for which istiod deploys a
   * Deployment, Service and ServiceAccount named `<gateway>-istio` (istio/istio
   * pilot/pkg/config/kube/gatewaycommon/gateway_utils.go GetDefaultName: `<name>-<class>`), whose
   * Service names each port after its listener (deploymentcontroller.go extractServicePorts); an
   * HTTPRoute per exposed service in its namespace; and the Route to that Service.
   */
  private addGatewayApi(scope: IEnvironmentScope): void {
    const ingress = this.mesh.ingress!;
    const ns = this.mesh.gatewayNamespace;
    const labels = commonLabels(this.env);
    const chart = scope.chart('control-plane', 'gateway');
    const { key, value } = this.sail.discoveryLabel;
    const gateway = new PlainApiObject(chart, 'Gateway', {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: {
        name: ingress.gateway,
        namespace: ns,
        labels,
        annotations: {
          // The Route is the way in: no cloud load balancer (deploymentcontroller.go reads annotation.NetworkingServiceType).
          'networking.istio.io/service-type': 'ClusterIP',
          // The ingress identity the services' AuthorizationPolicies allow (annotation.GatewayServiceAccount).
          'gateway.istio.io/service-account': INGRESS_SERVICE_ACCOUNT,
        },
      },
      spec: {
        gatewayClassName: 'istio',
        listeners: [
          {
            name: GATEWAY_API_LISTENER,
            port: 80,
            protocol: 'HTTP',
            hostname: ingress.host,
            // HTTPRoutes live beside their services, in the namespaces of the mesh only.
            allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { [key]: value } } } },
          },
        ],
      },
    });
    setWave(gateway, Wave.GATEWAY);
    skipDryRunWhileCrdMissing(gateway);
    const route = new Route(chart, 'Route', {
      metadata: { name: ingress.gateway, namespace: ns, labels },
      spec: {
        host: ingress.host,
        to: { kind: 'Service', name: gatewayApiServiceName(ingress.gateway), weight: 100 },
        port: { targetPort: GATEWAY_API_LISTENER },
        wildcardPolicy: 'None',
      },
    });
    setWave(route, Wave.GATEWAY);
    for (const service of this.env.services.filter((s) => s.ingress.length > 0)) {
      const httpRoute = new PlainApiObject(scope.chart('workloads', `${service.name}.ingress`), 'HTTPRoute', {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: objectName(service.name, 'ingress'), namespace: service.namespace, labels },
        spec: {
          parentRefs: [
            { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: ingress.gateway, namespace: ns, sectionName: GATEWAY_API_LISTENER },
          ],
          hostnames: [ingress.host],
          rules: service.ingress.map((r) =>
            definedOnly({
              name: r.name,
              matches: r.match.map((m) => ({ path: 'prefix' in m ? { type: 'PathPrefix', value: m.prefix } : { type: 'Exact', value: m.exact } })),
              // Gateway API replaces a prefix by path elements: `/inventory` -> `/` makes `/inventory/x` `/x`, no double slash.
              filters:
                r.rewrite === undefined
                  ? undefined
                  : [
                      {
                        type: 'URLRewrite',
                        urlRewrite: {
                          path: r.match.every((m) => 'prefix' in m)
                            ? { type: 'ReplacePrefixMatch', replacePrefixMatch: r.rewrite }
                            : { type: 'ReplaceFullPath', replaceFullPath: r.rewrite },
                        },
                      },
                    ],
              backendRefs: [{ name: service.name, port: r.port }],
            }),
          ),
        },
      });
      setWave(httpRoute, Wave.ROUTING);
      skipDryRunWhileCrdMissing(httpRoute);
    }
  }

  /** The namespace labels that put `namespace` in this mesh and have its pods injected. */
  protected meshLabels(_namespace: string): Record<string, string> {
    const { key, value } = this.sail.discoveryLabel;
    // `istio-injection: enabled` is served by the revision `default` (InPlace) or the tag `default` (RevisionBased).
    return { [key]: value, 'istio-injection': 'enabled' };
  }

  /** Kiali and its OpenShift console plugin, through the Kiali operator (kiali-ossm). */
  private addKiali(scope: IEnvironmentScope): void {
    const ns = this.mesh.controlPlaneNamespace;
    const labels = commonLabels(this.env);
    const chart = scope.chart('control-plane', 'kiali');
    const selector = { matchLabels: { [this.sail.discoveryLabel.key]: this.sail.discoveryLabel.value } };
    const kiali = new Kiali(chart, 'Kiali', {
      metadata: { name: 'kiali', namespace: ns, labels },
      spec: {
        istio_namespace: ns,
        // Kiali shows the namespaces the mesh does.
        deployment: { cluster_wide_access: true, discovery_selectors: { default: [selector] } },
        external_services: {
          // User-workload monitoring: Kiali queries Thanos with its own token (cluster-monitoring-view, below).
          prometheus: { auth: { type: 'bearer', use_kiali_token: true }, thanos_proxy: { enabled: true }, url: THANOS_QUERIER },
          grafana: { enabled: false },
          tracing: { enabled: false },
        },
      },
    });
    setWave(kiali, Wave.MESH_MEMBERSHIP);
    skipDryRunWhileCrdMissing(kiali);
    const binding = new PlainApiObject(chart, 'MonitoringView', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `kiali-monitoring-rbac-${ns}`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-monitoring-view' },
      subjects: [{ kind: 'ServiceAccount', name: 'kiali-service-account', namespace: ns }],
    });
    setWave(binding, Wave.MESH_MEMBERSHIP);
    const console = new OSSMConsole(chart, 'Console', {
      metadata: { name: 'ossmconsole', namespace: ns, labels },
      spec: { kiali: { serviceName: 'kiali', serviceNamespace: ns } },
    });
    // After Kiali is Healthy: the plugin talks to its Service.
    setWave(console, Wave.GATEWAY);
    skipDryRunWhileCrdMissing(console);
  }

  /** istiod's metrics and every sidecar's, for OpenShift user-workload monitoring. */
  private addMetrics(scope: IEnvironmentScope): void {
    const ns = this.mesh.controlPlaneNamespace;
    const labels = commonLabels(this.env);
    const chart = scope.chart('control-plane', 'metrics');
    const monitor = new ServiceMonitor(chart, 'Istiod', {
      metadata: { name: 'istiod-monitor', namespace: ns, labels },
      spec: { selector: { matchLabels: { istio: 'pilot' } }, targetLabels: ['app'], endpoints: [{ port: 'http-monitoring', interval: '30s' }] },
    });
    setWave(monitor, Wave.MESH_MEMBERSHIP);
    skipDryRunWhileCrdMissing(monitor);
    this.addPodMonitor(chart, ns);
    const workloadNamespaces = [...new Set(this.env.services.map((s) => s.namespace))].sort(compareStrings);
    for (const namespace of workloadNamespaces) {
      this.addPodMonitor(scope.chart('workloads', `${namespace}.metrics`), namespace);
    }
  }

  /** The sidecars of one namespace, scraped where pilot-agent merges the app's and Envoy's metrics. */
  private addPodMonitor(chart: Chart, namespace: string): void {
    const monitor = new PodMonitor(chart, `PodMonitor-${namespace}`, {
      metadata: { name: 'istio-proxies-monitor', namespace, labels: commonLabels(this.env) },
      spec: {
        selector: { matchExpressions: [{ key: 'istio-prometheus-ignore', operator: 'DoesNotExist' }] },
        podMetricsEndpoints: [
          {
            path: '/stats/prometheus',
            interval: '30s',
            relabelings: [
              { action: 'keep', sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: 'istio-proxy' },
              { action: 'keep', sourceLabels: ['__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape'] },
              {
                action: 'replace',
                regex: '(\\d+);((([0-9]+?)(\\.|$)){4})',
                replacement: '$2:$1',
                sourceLabels: ['__meta_kubernetes_pod_annotation_prometheus_io_port', '__meta_kubernetes_pod_ip'],
                targetLabel: '__address__',
              },
              { action: 'replace', sourceLabels: ['__meta_kubernetes_namespace'], targetLabel: 'namespace' },
            ],
          },
        ],
      },
    });
    setWave(monitor, Wave.PERMISSIONS);
    skipDryRunWhileCrdMissing(monitor);
  }
}
