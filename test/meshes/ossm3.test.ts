import { RenderedObject } from '../../src/meshes/effective-routing';
import { loadProject } from '../../src/model/load';
import { isPatchFile, readDist } from '../../src/pipeline/dist/read-dist';
import { renderedDist } from '../rendered-dist';
import { schemaChecker } from '../../src/pipeline/validate/schema-check';
import { synthesize, synthesizeWithRouting } from '../../src/pipeline/synth/synth';
import { formatProblem } from '../../src/model/spec-error';
import { at, CATALOG, fixtureRepo, lines, ossmEnvironment, problemsOf } from '../model/fixtures';
import { crds, describeWithCrds, removeTempDirs, REPO } from '../util';

afterAll(removeTempDirs);

/** An OpenShift Service Mesh 3.4 environment with an ingress gateway; `controlPlane` lines go under mesh.controlPlane, `extra` at the end. */
function ossm3Environment(name: string, controlPlane: readonly string[] = [], ...extra: string[]): string {
  return lines(
    `name: ${name}`,
    'catalog: [shop]',
    'mesh:',
    '  flavor: openshift-service-mesh',
    '  version: "3.4"',
    '  cluster: ocp-lab',
    '  ingress: { gateway: shop-gateway, host: shop.apps.example.com }',
    ...(controlPlane.length === 0 ? [] : ['  controlPlane:', ...controlPlane.map((l) => `    ${l}`)]),
    'services:',
    '  orders:',
    '  payments:',
    ...extra,
  );
}

/** Orders exposed through the gateway, so that the ingress routes and the gateway principal render. */
const EXPOSED_CATALOG = CATALOG.replace(
  '    calls: [payments]\n',
  '    calls: [payments]\n    ingress:\n      - name: orders-route\n        match: [{ prefix: /orders }]\n',
);

/** Every object rendered for `text` (as environments/lab.yaml), with its file. */
function render(text: string): RenderedObject[] {
  const root = fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': EXPOSED_CATALOG });
  // Bootstrap patches are parts of objects (synth and validate skip them too).
  return synthesize(loadProject(root))
    .filter((f) => !isPatchFile(f.path))
    .flatMap((f) => (f.objects ?? []).map((object, i) => ({ file: f.path, object, line: f.lines?.[i] })));
}

const ofKind = (objects: readonly RenderedObject[], kind: string): any[] => objects.filter((o) => o.object.kind === kind).map((o) => o.object);
const labelsMatch = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string> = {}) =>
  Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);

describe('OpenShift Service Mesh 3', () => {
  const objects = render(ossm3Environment('lab'));
  const [istio] = ofKind(objects, 'Istio');

  test("every namespace with a mesh workload, the gateway's and the control plane's carries a label the Istio resource's discoverySelectors match", () => {
    // GIVEN the namespaces pods of the mesh run in (istiod only sees namespaces a discovery selector matches:
    // istio/istio pilot/pkg/serviceregistry/kube/controller/filter/discoveryfilter.go)
    const selectors = istio.spec.values.meshConfig.discoverySelectors;
    const namespaces = new Map(ofKind(objects, 'Namespace').map((n) => [n.metadata.name, n.metadata.labels]));
    const podNamespaces = new Set([...ofKind(objects, 'Deployment').map((d) => d.metadata.namespace), istio.spec.namespace]);
    // THEN each is rendered, and selected
    expect(selectors.length).toBeGreaterThan(0);
    expect([...podNamespaces].sort()).toEqual(['istio-ingress', 'istio-system', 'lab']);
    for (const ns of podNamespaces) {
      expect([ns, selectors.some((s: any) => labelsMatch(s, namespaces.get(ns)))]).toEqual([ns, true]);
    }
    // and the CNI namespace is not in the mesh (its node agent is no workload of it)
    expect(selectors.some((s: any) => labelsMatch(s, namespaces.get('istio-cni')))).toBe(false);
  });

  test('every networking and security object is in the v1 APIs, which upstream Istio 1.22+ serves as stable', () => {
    const istioKinds = objects.map((o) => String(o.object.apiVersion)).filter((v) => /^(networking|security|telemetry)\.istio\.io\//.test(v));
    expect(istioKinds.length).toBeGreaterThan(4);
    expect([...new Set(istioKinds)].sort()).toEqual(['networking.istio.io/v1', 'security.istio.io/v1']);
  });

  test('renders the operator Subscriptions, a cluster-scoped Istio and IstioCNI of the same version, and no OSSM 2 kinds', () => {
    expect(
      ofKind(objects, 'Subscription')
        .map((s) => `${s.metadata.namespace}/${s.spec.name}`)
        .sort(),
    ).toEqual(['openshift-operators/kiali-ossm', 'openshift-operators/servicemeshoperator3']);
    const [cni] = ofKind(objects, 'IstioCNI');
    expect([istio.metadata.namespace, cni.metadata.namespace]).toEqual([undefined, undefined]);
    // The newest patch the 3.4.1 operator knows (its CRD's default) unless the environment says otherwise.
    expect([istio.spec.version, cni.spec.version]).toEqual(['v1.30.3', 'v1.30.3']);
    expect(istio.spec.updateStrategy).toEqual({ type: 'InPlace' });
    expect(objects.filter((o) => String(o.object.apiVersion).startsWith('maistra.io/'))).toEqual([]);
  });

  test('injects sidecars through the namespace label the default revision serves, with InPlace updates (no tag needed)', () => {
    // The Istio named default has the revision default (sail-operator v3.4.1 pkg/revision: InPlace uses the Istio's name),
    // whose injector takes istio-injection: enabled (istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml).
    const workloadNamespaces = ofKind(objects, 'Namespace').filter((n) => n.metadata.name === 'lab');
    expect(workloadNamespaces.map((n) => n.metadata.labels['istio-injection'])).toEqual(['enabled']);
    expect(istio.metadata.name).toBe('default');
    expect(ofKind(objects, 'IstioRevisionTag')).toEqual([]);
  });

  test('an InPlace Istio with another name gets the tag default too: its revision alone would not serve istio-injection: enabled', () => {
    const named = render(ossm3Environment('lab', ['name: ossm3']));
    const [tag] = ofKind(named, 'IstioRevisionTag');
    expect(ofKind(named, 'Istio').map((i) => [i.metadata.name, i.spec.updateStrategy.type])).toEqual([['ossm3', 'InPlace']]);
    expect([tag.metadata.name, tag.spec.targetRef]).toEqual(['default', { kind: 'Istio', name: 'ossm3' }]);
    expect(ofKind(named, 'Namespace').find((n) => n.metadata.name === 'lab').metadata.labels['istio-injection']).toBe('enabled');
  });

  test('with RevisionBased updates, an IstioRevisionTag named default follows the Istio resource, so the same label keeps injecting', () => {
    const revisioned = render(ossm3Environment('lab', ['updateStrategy: RevisionBased', 'istioVersion: "1.27"']));
    const [tag] = ofKind(revisioned, 'IstioRevisionTag');
    const [cp] = ofKind(revisioned, 'Istio');
    expect(cp.spec.updateStrategy).toEqual({ type: 'RevisionBased' });
    expect(cp.spec.version).toBe('v1.27-latest');
    expect(tag.metadata.name).toBe('default');
    expect(tag.spec.targetRef).toEqual({ kind: 'Istio', name: cp.metadata.name });
    // the tag exists before workloads are synced: a later wave than the control plane, an earlier one than the workloads
    const wave = (o: any) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave(tag)).toBeGreaterThan(wave(cp));
  });

  test("deploys the ingress gateway by gateway injection: the Service selects its pods, the Istio Gateway selects them, the Route targets the Service's port", () => {
    const [deployment] = ofKind(objects, 'Deployment').filter((d) => d.metadata.namespace === 'istio-ingress');
    const [service] = ofKind(objects, 'Service').filter((s) => s.metadata.namespace === 'istio-ingress');
    const [gateway] = ofKind(objects, 'Gateway');
    const [route] = ofKind(objects, 'Route');
    const podLabels = deployment.spec.template.metadata.labels;
    // the injector applies its gateway template (istio/istio pkg/kube/inject/webhook.go, inject.istio.io/templates)
    expect(deployment.spec.template.metadata.annotations['inject.istio.io/templates']).toBe('gateway');
    expect(podLabels['sidecar.istio.io/inject']).toBe('true');
    expect(labelsMatch({ matchLabels: service.spec.selector }, podLabels)).toBe(true);
    expect(labelsMatch({ matchLabels: gateway.spec.selector }, podLabels)).toBe(true);
    expect(gateway.metadata.namespace).toBe(deployment.metadata.namespace);
    // openshift/router reads spec.port.targetPort as the Service port's name (or number)
    expect(route.spec.to).toEqual({ kind: 'Service', name: service.metadata.name, weight: 100 });
    expect(route.metadata.namespace).toBe(service.metadata.namespace);
    expect(service.spec.ports.map((p: any) => p.name)).toContain(route.spec.port.targetPort);
    expect(route.spec.host).toBe('shop.apps.example.com');
  });

  test('a gateway in a namespace of the services renders that namespace once, with the mesh labels', () => {
    const shared = render(ossm3Environment('lab', ['gatewayNamespace: lab']));
    const labNamespaces = ofKind(shared, 'Namespace').filter((n) => n.metadata.name === 'lab');
    expect(labNamespaces).toHaveLength(1);
    expect(labNamespaces[0].metadata.labels).toMatchObject({ 'istio-discovery': 'enabled', 'istio-injection': 'enabled' });
    expect(
      ofKind(shared, 'Deployment')
        .filter((d) => d.metadata.name === 'istio-ingressgateway')
        .map((d) => d.metadata.namespace),
    ).toEqual(['lab']);
  });

  test("the gateway's identity is the principal the services' AuthorizationPolicies allow, and its routes name the gateway where it is", () => {
    const [deployment] = ofKind(objects, 'Deployment').filter((d) => d.metadata.namespace === 'istio-ingress');
    const [gateway] = ofKind(objects, 'Gateway');
    const policy = ofKind(objects, 'AuthorizationPolicy').find((p) => p.metadata.name === 'orders-permissions');
    const principal = `cluster.local/ns/${deployment.metadata.namespace}/sa/${deployment.spec.template.spec.serviceAccountName}`;
    expect(policy.spec.rules[0].from[0].source.principals).toContain(principal);
    const ingress = ofKind(objects, 'VirtualService').find((v) => v.spec.gateways !== undefined);
    expect(ingress.spec.gateways).toEqual([`${gateway.metadata.namespace}/${gateway.metadata.name}`]);
  });

  test('runs strict mTLS with a mesh-wide PeerAuthentication in the root namespace (Istio creates none)', () => {
    const mesh = ofKind(objects, 'PeerAuthentication').filter((p) => p.spec.selector === undefined);
    expect(mesh.map((p) => [p.metadata.namespace, p.spec.mtls.mode])).toEqual([[istio.spec.namespace, 'STRICT']]);
  });

  test('installs Kiali and the console plugin through the Kiali operator, scoped like the mesh and reading user-workload metrics', () => {
    const [kiali] = ofKind(objects, 'Kiali');
    const [console] = ofKind(objects, 'OSSMConsole');
    expect(kiali.spec.deployment.discovery_selectors.default).toEqual(istio.spec.values.meshConfig.discoverySelectors);
    expect(kiali.spec.external_services.prometheus.url).toBe('https://thanos-querier.openshift-monitoring.svc.cluster.local:9091');
    // Kiali's token may read Thanos: the cluster-monitoring-view role is bound to its service account
    const binding = ofKind(objects, 'ClusterRoleBinding').find((b) => b.roleRef.name === 'cluster-monitoring-view');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kiali-service-account', namespace: kiali.metadata.namespace }]);
    expect(console.spec.kiali).toEqual({ serviceName: kiali.metadata.name, serviceNamespace: kiali.metadata.namespace });
  });

  test('renders no tracing and no monitors by default', () => {
    expect(istio.spec.values.meshConfig.extensionProviders).toBeUndefined();
    expect([...ofKind(objects, 'Telemetry'), ...ofKind(objects, 'ServiceMonitor'), ...ofKind(objects, 'PodMonitor')]).toEqual([]);
  });

  test('with OpenTelemetry tracing, the Telemetry names the extension provider the Istio resource declares, at the declared sampling', () => {
    const traced = render(
      ossm3Environment('lab', ['tracing: { type: OpenTelemetry, service: otel.observability.svc.cluster.local, sampling: 250 }']),
    );
    const [cp] = ofKind(traced, 'Istio');
    const [telemetry] = ofKind(traced, 'Telemetry');
    expect(cp.spec.values.meshConfig.extensionProviders).toEqual([
      { name: 'otel', opentelemetry: { service: 'otel.observability.svc.cluster.local', port: 4317 } },
    ]);
    expect(telemetry.metadata.namespace).toBe(cp.spec.namespace);
    expect(telemetry.spec.tracing).toEqual([{ providers: [{ name: 'otel' }], randomSamplingPercentage: 2.5 }]);
  });

  test("with metrics, istiod's Service is scraped and every mesh namespace has a PodMonitor for the sidecars", () => {
    const monitored = render(ossm3Environment('lab', ['metrics: true']));
    const [serviceMonitor] = ofKind(monitored, 'ServiceMonitor');
    // istiod's Service carries istio: pilot and names its metrics port http-monitoring
    // (istio/istio manifests/charts/istio-control/istio-discovery/templates/service.yaml)
    expect(serviceMonitor.spec.selector).toEqual({ matchLabels: { istio: 'pilot' } });
    expect(serviceMonitor.spec.endpoints.map((e: any) => e.port)).toEqual(['http-monitoring']);
    const meshNamespaces = ofKind(monitored, 'Namespace')
      .filter((n) => n.metadata.labels['istio-discovery'] === 'enabled')
      .map((n) => n.metadata.name)
      .sort();
    expect(
      ofKind(monitored, 'PodMonitor')
        .map((p) => p.metadata.namespace)
        .sort(),
    ).toEqual(meshNamespaces);
  });

  test('reads back the same routing as the same overlay on OpenShift Service Mesh 2', () => {
    const overlay = [
      'routing:',
      '  services:',
      '    payments: { to: mock, header: { name: x-mock, value: "on" } }',
      'faults:',
      '  payments:',
      '    abort: { httpStatus: 503, percent: 20 }',
    ];
    const catalog = CATALOG.replace(/(\n {2}payments:\n(?: {4}.*\n)*)$/, '$1    mock:\n      imposters:\n        - ../mocks/orders.imposter.json\n');
    const routingOf = (text: string) =>
      synthesizeWithRouting(loadProject(fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': catalog })))
        .routing.find((r) => r.name === 'lab')!
        .services.map(({ source: _source, ...rest }) => rest);
    const ossm2 = routingOf(ossmEnvironment('lab', ...overlay));
    const ossm3 = routingOf(ossm3Environment('lab', [], ...overlay));
    expect(ossm3.find((s) => s.name === 'payments')?.header).toEqual({ name: 'x-mock', value: 'on', to: 'mock' });
    expect(ossm3).toEqual(ossm2);
  });
});

describe('the OpenShift Service Mesh rules on 3.x', () => {
  /** The formatted rule problems of environments/lab.yaml. */
  const ruleProblems = (text: string, catalog = EXPOSED_CATALOG) =>
    synthesizeWithRouting(
      loadProject(
        fixtureRepo({
          'environments/lab.yaml': text,
          'environments/catalog/shop.yaml': catalog,
        }),
      ),
    ).problems.map(formatProblem);

  test('are silent on a minimal OSSM 3 environment and on the committed examples', () => {
    expect(ruleProblems(ossm3Environment('lab'))).toEqual([]);
    const project = loadProject(REPO);
    const examples = project.environments.filter((e) => e.name.startsWith('coolstore-ossm3'));
    expect(examples.map((e) => e.name)).toEqual(['coolstore-ossm3', 'coolstore-ossm3-chaos']);
    expect(synthesizeWithRouting({ ...project, environments: examples }).problems.map(formatProblem)).toEqual([]);
  });

  test('MF2002 fires on 3.x too: restricted-v2 refuses a pinned UID whatever the mesh', () => {
    const catalog = EXPOSED_CATALOG.replace('  payments:\n', '  payments:\n    securityContext:\n      runAsUser: 1001\n');
    const problems = ruleProblems(ossm3Environment('lab'), catalog);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^environments\/catalog\/shop\.yaml:\d+:\d+: services\.payments\.securityContext\.runAsUser: MF2002 Deployment lab\/payments sets runAsUser: 1001 /,
    );
  });

  test("MF2006 fires on a protected 3.x environment without a startingCSV, with the 3.x operator's package in its hint", () => {
    const text = ossm3Environment('lab').replace('catalog: [shop]\n', 'protected: true\ncatalog: [shop]\n');
    expect(ruleProblems(text).filter((p) => p.includes('MF2006'))).toEqual([
      `environments/lab.yaml:${at(text, 'flavor')}: mesh.operators.serviceMesh: MF2006 lets OLM install the head of channel stable for a protected environment, ` +
        'not the Service Mesh operator of 3.4, got nothing; set startingCSV to the ClusterServiceVersion to install, e.g. servicemeshoperator3.v3.4.1 ' +
        '(oc get packagemanifest servicemeshoperator3 lists them)',
    ]);
  });
});

describe('OpenShift Service Mesh 3 input', () => {
  const problems = (text: string) => problemsOf(fixtureRepo({ 'environments/lab.yaml': text }));

  test('fails when the Istio version is one the 3.4 operator does not run', () => {
    const text = ossm3Environment('lab', ['istioVersion: "1.29"']);
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, '"1.29"')}: mesh.controlPlane.istioVersion: must be an Istio version the OpenShift Service Mesh 3.4 operator runs: ` +
        '1.30.3, 1.30, 1.30.1, 1.28, 1.28.10, 1.28.8, 1.28.6, 1.28.5, 1.28.4, 1.27, 1.27.9, 1.27.8, 1.27.5, 1.27.3, got "1.29"; ' +
        'its Istio CRD (sailoperator.io_istios.yaml, spec.version) lists no other version from 1.27 on: pick a listed patch, or a minor alone (1.28) for its newest patch',
    ]);
  });

  test('fails when an older Istio the CRD still lists is asked for', () => {
    const text = ossm3Environment('lab', ['istioVersion: "1.26.8"']);
    expect(problems(text)[0]).toMatch(
      /^environments\/lab\.yaml:\d+:\d+: mesh\.controlPlane\.istioVersion: must be an Istio version .* got "1\.26\.8"; /,
    );
  });

  test('fails when the operator is a 3.x other than 3.4', () => {
    const text = ossm3Environment('lab').replace('version: "3.4"', 'version: "3.2"');
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, '"3.2"')}: mesh.version: must be 3.4 or one of its patch releases: the OpenShift Service Mesh 3 operator whose CRDs meshflip validates against, ` +
        'got "3.2"; OpenShift Service Mesh 3.0 to 3.3 operators accept other Istio versions; upgrade the operator to 3.4 first',
    ]);
  });

  test('fails on the settings of the other major, each at its field', () => {
    const three = ossm3Environment('lab', ['addons: { grafana: false }', 'tracing: { type: Jaeger }']);
    expect(problems(three)).toEqual([
      `environments/lab.yaml:${at(three, '{ grafana: false }')}: mesh.controlPlane.addons: is an OpenShift Service Mesh 2.x setting; 3.4 has no ServiceMeshControlPlane, got a map with keys grafana; ` +
        'use controlPlane.kiali and controlPlane.metrics (Kiali through its operator, metrics through user-workload monitoring)',
      `environments/lab.yaml:${at(three, 'Jaeger')}: mesh.controlPlane.tracing.type: must be OpenTelemetry or None on OpenShift Service Mesh 3.4, got "Jaeger"; ` +
        'OpenShift Service Mesh 3 has no Jaeger addon: send spans to an OpenTelemetry collector (tracing.type: OpenTelemetry, tracing.service)',
    ]);
    const two = lines(
      'name: lab',
      'catalog: [shop]',
      'mesh:',
      '  flavor: openshift-service-mesh',
      '  version: "2.5"',
      '  cluster: ocp-lab',
      '  controlPlane:',
      '    istioVersion: "1.28"',
      'services:',
      '  orders:',
      '  payments:',
    );
    expect(problems(two)).toEqual([
      `environments/lab.yaml:${at(two, '"1.28"')}: mesh.controlPlane.istioVersion: is an OpenShift Service Mesh 3.x setting; 2.5 has a ServiceMeshControlPlane, got "1.28"; ` +
        'remove it, or set mesh.version to 3.4',
    ]);
  });

  test('fails when the CNI node agent would run in a namespace of the mesh', () => {
    const text = ossm3Environment('lab', ['cniNamespace: lab']);
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, 'lab', 'cniNamespace: ')}: mesh.controlPlane.cniNamespace: must be a namespace of its own, not the namespace of service orders: ` +
        'the Istio CNI node agent runs outside the mesh, and a mesh namespace\'s injection label would put sidecars on it, got "lab"; ' +
        'keep the default istio-cni, or name a namespace no service uses',
    ]);
  });

  test('fails when two OSSM 3 environments share a cluster: it has one IstioCNI, and one gateway namespace per mesh', () => {
    const other = ossm3Environment('other')
      .replace('catalog: [shop]\n', 'catalog: [shop]\nnamespace: other\n')
      .replace(
        '  ingress: { gateway: shop-gateway, host: shop.apps.example.com }\n',
        '  ingress: { gateway: shop-gateway, host: other.apps.example.com }\n  controlPlane: { namespace: other-istio }\n',
      );
    const found = problemsOf(fixtureRepo({ 'environments/lab.yaml': ossm3Environment('lab'), 'environments/other.yaml': other }));
    expect(found).toEqual([
      `environments/other.yaml:${at(other, 'cluster:')}: mesh.cluster: deploys into namespace istio-cni of cluster ocp-lab, which environment lab already uses; give each environment its own namespaces or clusters, so their Argo CD Applications do not fight`,
      `environments/other.yaml:${at(other, 'ingress:')}: mesh.ingress: deploys into namespace istio-ingress of cluster ocp-lab, which environment lab already uses; give each environment its own namespaces or clusters, so their Argo CD Applications do not fight`,
    ]);
  });

  test('fails when OpenTelemetry tracing names no collector', () => {
    const text = ossm3Environment('lab', ['tracing: { type: OpenTelemetry }']);
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, '{ type: OpenTelemetry }')}: mesh.controlPlane.tracing: needs service: the OTLP gRPC host of the OpenTelemetry collector spans are sent to; ` +
        'e.g. service: otel-collector.observability.svc.cluster.local',
    ]);
  });
});

describeWithCrds('OpenShift Service Mesh 3 against the upstream schemas', () => {
  test('every object of an OSSM 3 environment, tracing and revision tag included, validates strictly against ossm-3, istio and Kubernetes', () => {
    // GIVEN (monitors off: monitoring.coreos.com is not among the pinned schemas)
    const objects = render(
      ossm3Environment('lab', ['updateStrategy: RevisionBased', 'tracing: { type: OpenTelemetry, service: otel.observability.svc.cluster.local }']),
    );
    // WHEN
    const findings = schemaChecker(crds(), true)(objects);
    // THEN
    expect(findings.map((f) => `${f.at.file}:${f.at.line}: ${f.message}`)).toEqual([]);
    expect(ofKind(objects, 'IstioRevisionTag')).toHaveLength(1);
  });

  test('the OSSM 3 examples are validated against the OSSM 3 set: Sail kinds would have no schema in the others', () => {
    const { objects } = readDist(renderedDist());
    const ossm3 = objects.filter((o) => o.file.startsWith('coolstore-ossm3') || o.file.startsWith('argocd/coolstore-ossm3'));
    expect(ofKind(ossm3, 'Istio')).toHaveLength(2);
    expect(schemaChecker(crds(), true)(ossm3).map((f) => f.message)).toEqual([]);
  });
});
