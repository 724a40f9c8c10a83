import { RenderedObject } from '../../src/meshes/effective-routing';
import { readControlPlanes } from '../../src/meshes/istio/istio-control-planes';
import { loadProject } from '../../src/model/load';
import { isPatchFile, readDist } from '../../src/pipeline/dist/read-dist';
import { readEnvironmentRouting } from '../../src/pipeline/routing/routing-reader';
import { routingMarkdown, routingText } from '../../src/pipeline/synth/routing-report';
import { synthesize } from '../../src/pipeline/synth/synth';
import { schemaChecker } from '../../src/pipeline/validate/schema-check';
import { BUNDLED_MANIFEST, readManifest, setsForProject } from '../../src/pipeline/validate/upstream-schemas';
import { at, CATALOG, fixtureRepo, lines, problemsOf } from '../model/fixtures';
import { renderedDist } from '../rendered-dist';
import { crds, describeWithCrds, removeTempDirs } from '../util';

afterAll(removeTempDirs);

/** orders (namespace lab) exposed through the gateway; payments in a namespace of its own. */
const SHOP = CATALOG.replace(
  '    calls: [payments]\n',
  '    calls: [payments]\n    ingress:\n      - name: orders-route\n        match: [{ prefix: /orders }]\n',
).replace('  payments:\n', '  payments:\n    namespace: payments\n');

/** An OpenShift Service Mesh `version` environment moving to 3.4 with `migrated` moved; `to` lines go under migration.to.controlPlane. */
function migrating(migrated: string, options: { version?: string; to?: readonly string[]; controlPlane?: readonly string[] } = {}): string {
  return lines(
    'name: lab',
    'catalog: [shop]',
    'mesh:',
    '  flavor: openshift-service-mesh',
    `  version: "${options.version ?? '2.6'}"`,
    '  cluster: ocp-lab',
    '  ingress: { gateway: shop-gateway, host: shop.apps.example.com }',
    '  controlPlane:',
    ...(options.controlPlane ?? ['addons: { kiali: false, grafana: false, prometheus: false }']).map((l) => `    ${l}`),
    '  migration:',
    '    to:',
    '      version: "3.4.1"',
    ...(options.to === undefined ? [] : ['      controlPlane:', ...options.to.map((l) => `        ${l}`)]),
    `    migrated: ${migrated}`,
    'services:',
    '  orders:',
    '  payments:',
  );
}

/** The same environment written as plain OpenShift Service Mesh 3 from the start. */
const PLAIN_OSSM3 = lines(
  'name: lab',
  'catalog: [shop]',
  'mesh:',
  '  flavor: openshift-service-mesh',
  '  version: "3.4.1"',
  '  cluster: ocp-lab',
  '  ingress: { gateway: shop-gateway, host: shop.apps.example.com }',
  'services:',
  '  orders:',
  '  payments:',
);

function render(text: string): RenderedObject[] {
  const root = fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': SHOP });
  return synthesize(loadProject(root))
    .filter((f) => !isPatchFile(f.path))
    .flatMap((f) => (f.objects ?? []).map((object, i) => ({ file: f.path, object, line: f.lines?.[i] })));
}

const ofKind = (objects: readonly RenderedObject[], kind: string): any[] => objects.filter((o) => o.object.kind === kind).map((o) => o.object);
const namespaceLabels = (objects: readonly RenderedObject[], name: string): Record<string, string> =>
  ofKind(objects, 'Namespace').find((n) => n.metadata.name === name)?.metadata.labels ?? {};
const selects = (selectors: { matchLabels: Record<string, string> }[], labels: Record<string, string>) =>
  selectors.some((s) => Object.entries(s.matchLabels).every(([k, v]) => labels[k] === v));
/** The revision Sail makes active for an Istio (sail-operator controllers/istio/istio_controller.go getActiveRevisionName). */
const activeRevision = (istio: any) =>
  istio.spec.updateStrategy?.type === 'RevisionBased' ? `${istio.metadata.name}-${istio.spec.version.replace(/\./g, '-')}` : istio.metadata.name;

describe('OpenShift Service Mesh 2.6 moving to 3.x, payments moved', () => {
  const objects = render(migrating('[payments]'));
  const [istio] = ofKind(objects, 'Istio');
  const [smcp] = ofKind(objects, 'ServiceMeshControlPlane');
  const [roll] = ofKind(objects, 'ServiceMeshMemberRoll');

  test('renders both control planes in one namespace, and both operators', () => {
    // One mesh CA: the 3.x istiod signs with the istio-ca-secret the 2.6 one created in its namespace
    // (sail-operator docs/ossm/ossm2-migration/multi-tenancy: "the same namespace as your ServiceMeshControlPlane").
    expect([smcp.metadata.namespace, istio.spec.namespace, smcp.spec.version, istio.spec.version]).toEqual([
      'istio-system',
      'istio-system',
      'v2.6',
      'v1.30.3',
    ]);
    expect(
      ofKind(objects, 'Subscription')
        .map((s) => s.spec.name)
        .sort(),
    ).toEqual(['kiali-ossm', 'servicemeshoperator', 'servicemeshoperator3']);
  });

  test("the 2.6 control plane is in the shape Red Hat's pre-migration checklist asks for", () => {
    // sail-operator docs/ossm/ossm2-migration/README.md: addons and tracing off, managed gateways off, no NetworkPolicies.
    expect(smcp.spec.addons).toEqual({ grafana: { enabled: false }, kiali: { enabled: false }, prometheus: { enabled: false } });
    expect([smcp.spec.tracing.type, smcp.spec.gateways.enabled, smcp.spec.security.manageNetworkPolicy]).toEqual(['None', false, false]);
  });

  test('a migrated namespace carries the revision label the Istio serves and is ignored by the 2.x injector', () => {
    const labels = namespaceLabels(objects, 'payments');
    // The 3.x injector's rev.namespace webhook selects istio.io/rev = its revision
    // (istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml).
    expect(labels['istio.io/rev']).toBe(activeRevision(istio));
    // The 2.6 injector skips namespaces labelled maistra.io/ignore-namespace: "true".
    expect(labels['maistra.io/ignore-namespace']).toBe('true');
    expect(selects(istio.spec.values.meshConfig.discoverySelectors, labels)).toBe(true);
    // The member roll keeps it until 2.6 is removed: the 2.6 sidecars still need its endpoints.
    expect(roll.spec.members).toContain('payments');
  });

  test('an unmigrated namespace is a 2.x member that no 3.x injector selects, but that 3.x discovers', () => {
    const labels = namespaceLabels(objects, 'lab');
    expect(roll.spec.members).toContain('lab');
    expect([labels['istio.io/rev'], labels['istio-injection'], labels['maistra.io/ignore-namespace']]).toEqual([undefined, undefined, undefined]);
    // "all data plane namespaces you are planning to migrate from 2.6 must be matched" by the discoverySelectors:
    // a migrated sidecar reaches services still on 2.6 through the endpoints 3.x discovers.
    expect(selects(istio.spec.values.meshConfig.discoverySelectors, labels)).toBe(true);
  });

  test('the pod templates name their control plane, so moving a namespace rolls its Deployments onto the 3.x sidecar', () => {
    const annotation = (ns: string) =>
      ofKind(objects, 'Deployment')
        .filter((d) => d.metadata.namespace === ns && d.spec.template.metadata.labels.app !== 'mountebank')
        .map((d) => d.spec.template.metadata.annotations['meshflip.io/control-plane']);
    expect(annotation('lab')).toEqual(['basic (2.6)']);
    expect(annotation('payments')).toEqual(['default (revision default)']);
    const moved = render(migrating('[payments, lab]'));
    expect(
      ofKind(moved, 'Deployment').find((d) => d.metadata.name === 'orders').spec.template.metadata.annotations['meshflip.io/control-plane'],
    ).not.toBe('basic (2.6)');
  });

  test('the ingress gateway is injected by the 3.x revision, and no default revision tag exists yet', () => {
    const gatewayNs = ofKind(objects, 'Deployment').find((d) => d.metadata.name === 'istio-ingressgateway').metadata.namespace;
    expect(namespaceLabels(objects, gatewayNs)['istio.io/rev']).toBe(activeRevision(istio));
    expect(ofKind(objects, 'IstioRevisionTag')).toEqual([]);
    // The 2.6 operator keeps the mesh-wide PeerAuthentication `default`: meshflip renders no second one there.
    expect(ofKind(objects, 'PeerAuthentication')).toEqual([]);
  });

  test('ROUTING.md and explain say which control plane serves each namespace', () => {
    const routing = readEnvironmentRouting('lab', objects);
    expect(readControlPlanes(objects).map((c) => `${c.namespace}: ${c.servedBy}`)).toEqual([
      'istio-ingress: Istio default (revision default, v1.30.3)',
      'lab: ServiceMeshControlPlane istio-system/basic (v2.6)',
      'payments: Istio default (revision default, v1.30.3)',
    ]);
    expect(routingMarkdown(routing, 'environments/lab.yaml')).toContain(
      '| payments | Istio default (revision default, v1.30.3) | istio.io/rev: default, and maistra.io/ignore-namespace keeps 2.6 out |',
    );
    expect(routingText(routing, 'payments')).toContain(
      '    control plane:   Istio default (revision default, v1.30.3) (istio.io/rev: default, and maistra.io/ignore-namespace keeps 2.6 out)',
    );
  });
});

test("with RevisionBased, migrated namespaces name the version's revision", () => {
  const objects = render(migrating('[payments]', { to: ['istioVersion: "1.28.10"', 'updateStrategy: RevisionBased', 'name: ossm3'] }));
  const [istio] = ofKind(objects, 'Istio');
  expect(namespaceLabels(objects, 'payments')['istio.io/rev']).toBe('ossm3-v1-28-10');
  expect(activeRevision(istio)).toBe('ossm3-v1-28-10');
});

test('once every namespace has moved, the environment renders exactly as plain OpenShift Service Mesh 3, with no Maistra object', () => {
  const finished = render(migrating('[lab, payments]'));
  expect(finished.filter((o) => String(o.object.apiVersion).startsWith('maistra.io/'))).toEqual([]);
  expect(
    ofKind(finished, 'Subscription')
      .map((s) => s.spec.name)
      .sort(),
  ).toEqual(['kiali-ossm', 'servicemeshoperator3']);
  expect(finished.map((o) => o.object)).toEqual(render(PLAIN_OSSM3).map((o) => o.object));
});

test('crds fetch brings the schema sets of both versions for a migrating environment', () => {
  // The migrating environment is validated against the OSSM 3 set (its Sail kinds), which must hold Maistra's too.
  const project = loadProject(fixtureRepo({ 'environments/lab.yaml': migrating('[payments]'), 'environments/catalog/shop.yaml': SHOP }));
  const { sets } = setsForProject(readManifest(BUNDLED_MANIFEST), project);
  expect(['maistra', 'istio', 'alternatives/ossm-3'].filter((s) => !sets.includes(s))).toEqual([]);
});

test('finishing onto an Istio not named default adds the tag default the finished istio-injection label needs', () => {
  // Red Hat's cluster-wide procedure: the tag default can only exist once 2.6 is gone; then istio-injection: enabled replaces istio.io/rev.
  const halfway = render(migrating('[payments]', { to: ['name: ossm3'] }));
  const finished = render(migrating('[lab, payments]', { to: ['name: ossm3'] }));
  expect(ofKind(halfway, 'IstioRevisionTag')).toEqual([]);
  expect(ofKind(finished, 'IstioRevisionTag').map((t) => [t.metadata.name, t.spec.targetRef.name])).toEqual([['default', 'ossm3']]);
  expect([namespaceLabels(finished, 'payments')['istio-injection'], namespaceLabels(finished, 'payments')['istio.io/rev']]).toEqual([
    'enabled',
    undefined,
  ]);
});

describe('errors', () => {
  const problems = (text: string) => problemsOf(fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': SHOP }));

  test('a 2.5 environment that declares the migration is told to move to 2.6 first', () => {
    const text = migrating('[payments]', { version: '2.5' });
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, '"2.5"')}: mesh.version: must be 2.6 while mesh.migration is declared: ` +
        'Red Hat migrates to OpenShift Service Mesh 3 only from 2.6, got "2.5"; ' +
        'upgrade the control plane to 2.6 first (mesh.version: "2.6", synced and healthy), then declare mesh.migration',
    ]);
  });

  test('an environment already on 3.x that declares a migration', () => {
    const text = migrating('[payments]', { version: '3.4', controlPlane: ['istioVersion: "1.28"'] });
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, 'to:')}: mesh.migration: is for an OpenShift Service Mesh 2.6 environment on its way to 3.x; this one is on 3.4 already; ` +
        'remove it: what migration.to says is what mesh: says on OpenShift Service Mesh 3',
    ]);
  });

  test('addons left on (the default) are refused where the control plane is declared', () => {
    const text = migrating('[payments]', { controlPlane: ['name: basic'] });
    const hints = {
      grafana: 'set addons.grafana: false; OpenShift Service Mesh 3 has no Grafana',
      kiali: 'set addons.kiali: false; the standalone Kiali of mesh.migration.to replaces it (controlPlane.kiali, on by default)',
      prometheus: 'set addons.prometheus: false; OpenShift user-workload monitoring replaces it (mesh.migration.to.controlPlane.metrics)',
    };
    expect(problems(text)).toEqual(
      Object.entries(hints).map(
        ([addon, hint]) =>
          `environments/lab.yaml:${at(text, 'name: basic')}: mesh.controlPlane.addons.${addon}: must be false while migrating to OpenShift Service Mesh 3: the 3.x operator manages no addons; ${hint}`,
      ),
    );
  });

  test("a migrated namespace that is no service's, and a 3.x namespace apart from 2.6's", () => {
    const text = migrating('[paymnets]', { to: ['namespace: istio-system-3'] });
    expect(problems(text)).toEqual([
      `environments/lab.yaml:${at(text, 'istio-system-3')}: mesh.migration.to.controlPlane.namespace: must be the 2.6 control plane's namespace istio-system: ` +
        'the 3.x istiod signs its certificates with the CA secret the 2.6 one created there, so that migrated and unmigrated sidecars trust each other, got "istio-system-3"; ' +
        'remove it (it defaults to the 2.6 namespace)',
    ]);
    const typo = migrating('[paymnets]');
    expect(problems(typo)).toEqual([
      `environments/lab.yaml:${at(typo, 'paymnets')}: mesh.migration.migrated[0]: must be the namespace of a service: lab, payments, got "paymnets"; did you mean "payments"?`,
    ]);
  });
});

describeWithCrds('a migrating environment against the upstream schemas', () => {
  test('every object, Maistra and Sail kinds together, validates strictly against the set the cluster has during the move', () => {
    // During the move the 3.x operator has installed upstream Istio's CRDs (serving v1beta1 too) beside
    // Maistra's: the ossm3 set (istio/, maistra/, alternatives/ossm-3) is what the cluster serves.
    const objects = render(migrating('[payments]', { to: ['updateStrategy: RevisionBased', 'istioVersion: "1.28.10"'] }));
    expect(ofKind(objects, 'ServiceMeshControlPlane')).toHaveLength(1);
    expect(ofKind(objects, 'Istio')).toHaveLength(1);
    expect(schemaChecker(crds(), true)(objects).map((f) => `${f.at.file}:${f.at.line}: ${f.message}`)).toEqual([]);
  });

  test('the committed coolstore-migrating example validates strictly', () => {
    const { objects } = readDist(renderedDist());
    const example = objects.filter((o) => o.file.startsWith('coolstore-migrating/') || o.file === 'argocd/coolstore-migrating.k8s.yaml');
    expect(ofKind(example, 'ServiceMeshMemberRoll')).toHaveLength(1);
    expect(schemaChecker(crds(), true)(example).map((f) => f.message)).toEqual([]);
  });
});
