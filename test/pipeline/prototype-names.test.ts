import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { at, CATALOG, fixtureRepo, imposter, kongEnvironment, ossmEnvironment, problemsOf, SETTINGS } from '../model/fixtures';
import { parseYamlDocuments, removeTempDirs } from '../util';

/**
 * Names that are also properties of every JavaScript object (`constructor`, `toString`, ...) are
 * valid Kubernetes names and keys: a plain-object lookup by such a name finds Object.prototype.
 * The constructs library keeps children in a plain object (`Node.addChild`), and cdk8s's
 * `sanitizeValue` reads `obj.constructor.name` of every map it renders.
 */

afterAll(() => removeTempDirs());

async function synth(files: Record<string, string | null>) {
  const result = await synthesizeProject({ root: fixtureRepo(files), jobs: 1 });
  return { problems: result.problems.map((p) => p.message), files: new Map(result.files.map((f) => [f.path, f.content])) };
}

const CONSTRUCTOR_CATALOG = CATALOG.replace('  payments:', '  constructor:').replace('calls: [payments]', 'calls: [constructor]');

test('renders a service named constructor', async () => {
  // GIVEN
  const env = kongEnvironment('lab').replace('  payments:', '  constructor:');
  // WHEN
  const { problems, files } = await synth({ 'environments/catalog/shop.yaml': CONSTRUCTOR_CATALOG, 'environments/lab.yaml': env });
  // THEN
  expect(problems).toEqual([]);
  const objects = parseYamlDocuments(files.get('lab/zone-real/constructor.k8s.yaml')!);
  expect(objects.map((o: any) => `${o.kind}/${o.metadata.name}`)).toEqual([
    'ServiceAccount/constructor',
    'Deployment/constructor',
    'Service/constructor',
  ]);
});

test('renders an environment named constructor', async () => {
  // WHEN
  const { problems, files } = await synth({ 'environments/lab.yaml': null, 'environments/constructor.yaml': kongEnvironment('constructor') });
  // THEN
  expect(problems).toEqual([]);
  const apps = parseYamlDocuments(files.get('argocd/constructor.k8s.yaml')!).filter((o) => o.kind === 'Application');
  expect(apps.map((a: any) => a.spec.source.path)).toContain('dist/constructor/zone-real');
});

test('renders the namespace constructor', async () => {
  // WHEN
  const { problems, files } = await synth({ 'environments/lab.yaml': kongEnvironment('lab', 'namespace: constructor') });
  // THEN
  expect(problems).toEqual([]);
  const namespaces = parseYamlDocuments(files.get('lab/zone-real/namespaces.k8s.yaml')!);
  expect(namespaces.map((n: any) => n.metadata.name)).toEqual(['constructor']);
});

test('renders a zone and a cluster named constructor', async () => {
  // GIVEN
  const settings = SETTINGS.replace('  lab-real:', '  constructor:');
  const env = kongEnvironment('lab').replace('    - name: real\n      cluster: lab-real', '    - name: constructor\n      cluster: constructor');
  // WHEN
  const { problems, files } = await synth({ 'environments/meshflip.yaml': settings, 'environments/lab.yaml': env });
  // THEN
  expect(problems).toEqual([]);
  expect(files.has('lab/zone-constructor/orders.k8s.yaml')).toBe(true);
});

test('renders environment variables named after Object.prototype properties', async () => {
  // GIVEN
  const catalog = CATALOG.replace(
    '    calls: [payments]',
    '    calls: [payments]\n    env: { constructor: a, toString: b, valueOf: c, hasOwnProperty: d }',
  );
  // WHEN
  const { problems, files } = await synth({ 'environments/catalog/shop.yaml': catalog });
  // THEN
  expect(problems).toEqual([]);
  const deployment: any = parseYamlDocuments(files.get('lab/zone-real/orders.k8s.yaml')!).find((o) => o.kind === 'Deployment');
  expect(deployment.spec.template.spec.containers[0].env).toEqual([
    { name: 'constructor', value: 'a' },
    { name: 'hasOwnProperty', value: 'd' },
    { name: 'toString', value: 'b' },
    { name: 'valueOf', value: 'c' },
  ]);
});

describe('the key cdk8s cannot render', () => {
  test.each(['labels', 'annotations'])('fails when a service has %s key constructor', (field) => {
    // GIVEN
    const catalog = CATALOG.replace('    calls: [payments]', `    calls: [payments]\n    ${field}: { constructor: x }`);
    // WHEN
    const problems = problemsOf(fixtureRepo({ 'environments/catalog/shop.yaml': catalog }));
    // THEN
    expect(problems).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, 'constructor: x')}: services.orders.${field}.constructor: cannot be "constructor": cdk8s, which renders the objects, cannot write a map with this key, got "constructor"; use another key, for example with a prefix (example.com/constructor)`,
    ]);
  });

  test('fails when an Istio header route matches a header named constructor', () => {
    // GIVEN
    const env = ossmEnvironment('ossm', 'routing:', '  services:', '    orders: { to: mock, header: { name: constructor, value: "on" } }');
    // WHEN
    const problems = problemsOf(fixtureRepo({ 'environments/lab.yaml': null, 'environments/ossm.yaml': env }));
    // THEN
    expect(problems).toEqual([
      `environments/ossm.yaml:${at(env, 'constructor')}: routing.services.orders.header.name: cannot be "constructor": cdk8s, which renders the objects, cannot write a map with this key (a VirtualService match keys its headers by name), got "constructor"; use another header name`,
    ]);
  });

  test('renders a Kuma header route on a header named constructor: MeshHTTPRoute lists its headers', async () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '  services:', '    orders: { to: mock, header: { name: constructor, value: "on" } }');
    // WHEN
    const { problems, files } = await synth({ 'environments/lab.yaml': env, 'environments/mocks/orders.imposter.json': imposter(8080) });
    // THEN
    expect(problems).toEqual([]);
    expect(files.get('lab/zone-real/orders.routing.k8s.yaml')).toContain('- name: constructor');
  });
});
