import { RenderedObject } from '../../src/meshes/effective-routing';
import { loadProject } from '../../src/model/load';
import { isPatchFile } from '../../src/pipeline/dist/read-dist';
import { readEnvironmentRouting } from '../../src/pipeline/routing/routing-reader';
import { synthesize } from '../../src/pipeline/synth/synth';
import { schemaChecker } from '../../src/pipeline/validate/schema-check';
import { at, CATALOG, fixtureRepo, lines, problemsOf } from '../model/fixtures';
import { crds, describeWithCrds, removeTempDirs } from '../util';

afterAll(removeTempDirs);

/** orders exposed on /orders (rewritten to /) and /status exactly. */
const SHOP = CATALOG.replace(
  '    calls: [payments]\n',
  [
    '    calls: [payments]',
    '    ingress:',
    '      - name: orders-route',
    '        match: [{ prefix: /orders }]',
    '        rewrite: /',
    '      - name: status',
    '        match: [{ exact: /status }]',
    '',
  ].join('\n'),
);

function environment(version: string, ...extra: string[]): string {
  return lines(
    'name: lab',
    'catalog: [shop]',
    'mesh:',
    '  flavor: openshift-service-mesh',
    `  version: "${version}"`,
    '  cluster: ocp-lab',
    '  ingress: { gateway: shop-gateway, host: shop.apps.example.com, api: gateway-api }',
    ...(version.startsWith('2') ? [] : ['  controlPlane: { name: ossm3 }']),
    'mocks: { enabled: false }',
    'services:',
    '  orders:',
    '  payments:',
    ...extra,
  );
}

function render(text: string): RenderedObject[] {
  const root = fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': SHOP });
  return synthesize(loadProject(root))
    .filter((f) => !isPatchFile(f.path))
    .flatMap((f) => (f.objects ?? []).map((object, i) => ({ file: f.path, object, line: f.lines?.[i] })));
}

const ofKind = (objects: readonly RenderedObject[], kind: string): any[] => objects.filter((o) => o.object.kind === kind).map((o) => o.object);

describe('OpenShift Service Mesh 3 ingress by the Gateway API', () => {
  const objects = render(environment('3.4'));
  const [gateway] = ofKind(objects, 'Gateway');
  const [route] = ofKind(objects, 'Route');
  const [httpRoute] = ofKind(objects, 'HTTPRoute');

  test('a Gateway of class istio, and no injected gateway, Istio Gateway or ingress VirtualService', () => {
    expect([gateway.apiVersion, gateway.spec.gatewayClassName, gateway.metadata.namespace]).toEqual([
      'gateway.networking.k8s.io/v1',
      'istio',
      'istio-ingress',
    ]);
    expect(gateway.spec.listeners.map((l: any) => [l.port, l.protocol, l.hostname])).toEqual([[80, 'HTTP', 'shop.apps.example.com']]);
    expect(ofKind(objects, 'Gateway').map((g) => g.apiVersion)).toEqual(['gateway.networking.k8s.io/v1']);
    expect(
      ofKind(objects, 'Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['orders', 'payments']);
    expect(ofKind(objects, 'VirtualService').filter((v) => (v.spec.gateways ?? []).length > 0)).toEqual([]);
  });

  test('the Route reaches the Service istiod deploys for the Gateway, on the port it names after the listener', () => {
    // istio/istio pilot/pkg/config/kube/gatewaycommon: GetDefaultName `<gateway>-<class>`, extractServicePorts names ports by listener.
    expect(route.metadata.namespace).toBe(gateway.metadata.namespace);
    expect(route.spec.to).toEqual({ kind: 'Service', name: `${gateway.metadata.name}-${gateway.spec.gatewayClassName}`, weight: 100 });
    expect(route.spec.port.targetPort).toBe(gateway.spec.listeners[0].name);
    expect(route.spec.host).toBe(gateway.spec.listeners[0].hostname);
  });

  test('one HTTPRoute per exposed service, attached to the listener from a namespace its allowedRoutes admit, to a port of the Service', () => {
    expect(ofKind(objects, 'HTTPRoute')).toHaveLength(1);
    expect(httpRoute.metadata.namespace).toBe('lab');
    expect(httpRoute.spec.parentRefs).toEqual([
      { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gateway.metadata.name, namespace: 'istio-ingress', sectionName: 'http' },
    ]);
    const selector = gateway.spec.listeners[0].allowedRoutes.namespaces;
    const labels = ofKind(objects, 'Namespace').find((n) => n.metadata.name === 'lab').metadata.labels;
    expect(selector.from).toBe('Selector');
    expect(Object.entries(selector.selector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(true);
    const service = ofKind(objects, 'Service').find((s) => s.metadata.name === 'orders' && s.metadata.namespace === 'lab');
    expect(httpRoute.spec.rules.map((r: any) => r.backendRefs)).toEqual([
      [{ name: 'orders', port: service.spec.ports[0].port }],
      [{ name: 'orders', port: service.spec.ports[0].port }],
    ]);
    expect(httpRoute.spec.rules.map((r: any) => [r.matches, r.filters])).toEqual([
      [
        [{ path: { type: 'PathPrefix', value: '/orders' } }],
        [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }],
      ],
      [[{ path: { type: 'Exact', value: '/status' } }], undefined],
    ]);
  });

  test("the gateway runs as the service account the services' permissions allow, and explain still names it the ingress gateway", () => {
    expect(gateway.metadata.annotations['gateway.istio.io/service-account']).toBe('istio-ingressgateway-service-account');
    expect(gateway.metadata.annotations['networking.istio.io/service-type']).toBe('ClusterIP');
    const [policy] = ofKind(objects, 'AuthorizationPolicy').filter((p) => p.metadata.namespace === 'lab' && p.metadata.name.startsWith('orders'));
    expect(policy.spec.rules[0].from[0].source.principals).toContain('cluster.local/ns/istio-ingress/sa/istio-ingressgateway-service-account');
    expect(readEnvironmentRouting('lab', objects).services.find((s) => s.name === 'orders')?.callers).toEqual(['ingress-gateway']);
  });
});

describe('errors', () => {
  const problems = (text: string) => problemsOf(fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': SHOP }));

  test('on OpenShift Service Mesh 2.x', () => {
    const text = environment('2.5');
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, 'gateway-api')}: mesh.ingress.api: must be istio on openshift-service-mesh 2.5: meshflip renders the Gateway API ingress for OpenShift Service Mesh 3 only, ` +
        'got "gateway-api"; remove it, or set mesh.version to 3.4',
    ]);
  });

  test('an exposed service with a mock or a routing intent', () => {
    const text = environment('3.4', 'retries:', '  orders: { attempts: 2 }').replace('mocks: { enabled: false }\n', '');
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, 'gateway-api')}: mesh.ingress.api: cannot expose orders, which has a mock behind its Service and routing, faults, timeouts or retries: ` +
        'an HTTPRoute sends the gateway\'s requests straight to its Service, past the mesh routes and subsets that keep them apart, got "gateway-api"; ' +
        'keep api: istio (the default) for this environment, or expose only services without mocks and routing intents',
    ]);
  });
});

describeWithCrds('the Gateway API ingress against the upstream schemas', () => {
  test('every object validates strictly, except the Gateway API kinds, whose CRDs the schema folder does not hold', () => {
    const findings = schemaChecker(crds(), true)(render(environment('3.4')));
    const others = findings.filter((f) => !/gateway\.networking\.k8s\.io/.test(f.message));
    expect(others.map((f) => `${f.at.file}:${f.at.line}: ${f.message}`)).toEqual([]);
    // The gap is exactly the two kinds: strict validation of such an environment needs a schema folder that has them (README).
    expect(findings.map((f) => f.message)).toEqual([
      'no schema for gateway.networking.k8s.io/v1 Gateway',
      'no schema for gateway.networking.k8s.io/v1 HTTPRoute',
    ]);
  });
});
