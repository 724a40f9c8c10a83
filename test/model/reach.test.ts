import * as path from 'path';
import { loadProject, readProject } from '../../src/model/load';
import { environmentReach, normalizeKdsAddress, reachProblems } from '../../src/model/reach';
import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { formatProblem } from '../../src/model/spec-error';
import { SourceFile } from '../../src/model/source-file';
import { removeTempDirs } from '../util';
import { at, fixtureRepo, kongEnvironment, lines, ossmEnvironment, problemsOf, SETTINGS } from './fixtures';

/**
 * Protection is about where objects land: environments are compared by the API server and
 * namespace they deploy into and, on Kuma, by the service identity they share in one mesh of one
 * global control plane, never by the names they give their clusters.
 */

const REPO = path.resolve(__dirname, '../..');
const LAB = 'environments/lab.yaml';
const PROD = 'environments/prod.yaml';

afterAll(() => removeTempDirs());

/** The fixture settings with more clusters (name, server). */
function settingsWith(...clusters: [string, string][]): string {
  return SETTINGS + lines(...clusters.flatMap(([name, server]) => [`  ${name}:`, `    server: ${server}`]));
}

/** An OpenShift Service Mesh environment on `cluster` whose services run in namespace shop. */
function ossmOn(name: string, cluster: string, ...extra: string[]): string {
  return ossmEnvironment(name, 'namespace: shop', ...extra).replace('cluster: ocp-lab', `cluster: ${cluster}`);
}

const CP = '48e893dc-6a4e-40fb-a933-d06e92cccce6';
const OTHER_CP = '0f6b2c1e-3d4a-4b5c-8d7e-9f0a1b2c3d4e';

/** A Kong Mesh environment on Konnect control plane `cp`, zone real on `real` and zone mocks on `mocks`, services in namespace shop. */
function kongOn(name: string, cp: string, real: string, mocks: string, ...extra: string[]): string {
  return kongEnvironment(name, 'namespace: shop', ...extra)
    .replace(CP, cp)
    .replace('cluster: lab-real', `cluster: ${real}`)
    .replace('cluster: lab-mocks', `cluster: ${mocks}`);
}

describe('namespaces, by API server', () => {
  test.each([
    ['a trailing slash', 'https://prod.example.com/'],
    ['an upper-case host', 'https://PROD.Example.COM'],
    ['a trailing dot on the host', 'https://prod.example.com.'],
    ['the default port spelled out', 'https://prod.example.com:443'],
    ['all of them together', 'HTTPS://Prod.Example.Com.:443/'],
  ])(
    "fails when an unprotected environment reaches a protected one's namespaces through a second name for its API server, written with %s",
    (_, alias) => {
      // GIVEN
      const settings = settingsWith(['prod', 'https://prod.example.com'], ['prod-alias', alias]);
      const lab = ossmOn('lab', 'prod-alias');
      const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: ossmOn('prod', 'prod', 'protected: true') });
      // WHEN
      const problems = problemsOf(root);
      // THEN
      const hint = 'give lab namespaces of its own or another cluster, or make it protected';
      const reach = (namespace: string) =>
        `deploys into namespace ${namespace} of API server https://prod.example.com, where protected environment prod deploys ` +
        `(${PROD}, cluster prod): an unprotected environment must not reach a protected environment's namespaces, got cluster prod-alias; ${hint}`;
      expect(problems).toEqual([
        `${LAB}:${at(lab, 'cluster')}: mesh.cluster: ${reach('istio-system')}`,
        `${LAB}:${at(lab, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
      ]);
    },
  );

  test.each([
    ['first', 'alpha', 'zulu'],
    ['second', 'zulu', 'alpha'],
  ])('fails at the unprotected environment when the protected one comes %s in name order', (_, protectedName, unprotectedName) => {
    // GIVEN
    const unprotected = ossmOn(unprotectedName, 'ocp-lab');
    const root = fixtureRepo({
      [LAB]: null,
      [`environments/${protectedName}.yaml`]: ossmOn(protectedName, 'ocp-lab', 'protected: true'),
      [`environments/${unprotectedName}.yaml`]: unprotected,
    });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const file = `environments/${unprotectedName}.yaml`;
    const reach = (namespace: string) =>
      `deploys into namespace ${namespace} of API server https://api.ocp-lab.example.com:6443, where protected environment ` +
      `${protectedName} deploys (environments/${protectedName}.yaml, cluster ocp-lab): an unprotected environment must not reach a protected ` +
      `environment's namespaces, got cluster ocp-lab; give ${unprotectedName} namespaces of its own or another cluster, or make it protected`;
    expect(problems).toEqual([
      `${file}:${at(unprotected, 'cluster')}: mesh.cluster: ${reach('istio-system')}`,
      `${file}:${at(unprotected, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
    ]);
  });

  test('fails at the later environment in name order when neither is protected, naming both clusters of the one API server', () => {
    // GIVEN
    const settings = settingsWith(['ocp-lab-2', 'https://API.ocp-lab.example.com.:6443/']);
    const zulu = ossmOn('zulu', 'ocp-lab-2');
    const root = fixtureRepo({
      'environments/meshflip.yaml': settings,
      [LAB]: null,
      'environments/alpha.yaml': ossmOn('alpha', 'ocp-lab'),
      'environments/zulu.yaml': zulu,
    });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const note = '(clusters ocp-lab-2 and ocp-lab are the same API server, https://api.ocp-lab.example.com:6443)';
    const hint = 'give each environment its own namespaces or clusters, so their Argo CD Applications do not fight';
    expect(problems).toEqual([
      `environments/zulu.yaml:${at(zulu, 'cluster')}: mesh.cluster: deploys into namespace istio-system of cluster ocp-lab-2, which environment alpha already uses ${note}; ${hint}`,
      `environments/zulu.yaml:${at(zulu, 'orders', 'services:')}: services.orders: deploys into namespace shop of cluster ocp-lab-2, which environment alpha already uses ${note}; ${hint}`,
    ]);
  });

  test('fails when an unprotected environment names the cluster Argo CD runs in by its in-cluster address and a protected one by its URL', () => {
    // GIVEN
    const settings =
      SETTINGS.replace('cluster: hub', 'cluster: ocp-lab') + lines('  in-cluster:', '    server: https://kubernetes.default.svc.cluster.local:443');
    const lab = ossmOn('lab', 'in-cluster');
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: ossmOn('prod', 'ocp-lab', 'protected: true') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const reach = (namespace: string) =>
      `deploys into namespace ${namespace} of API server https://api.ocp-lab.example.com:6443, where protected environment prod ` +
      `deploys (${PROD}, cluster ocp-lab): an unprotected environment must not reach a protected environment's namespaces, got cluster in-cluster; ` +
      'give lab namespaces of its own or another cluster, or make it protected';
    expect(problems).toEqual([
      `${LAB}:${at(lab, 'cluster')}: mesh.cluster: ${reach('istio-system')}`,
      `${LAB}:${at(lab, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
    ]);
  });

  test("fails when an unprotected Kuma environment puts its mock and a zone control plane on a protected environment's cluster under another name", () => {
    // GIVEN
    const settings = settingsWith(
      ['prod-real', 'https://prod-real.example.com:6443'],
      ['prod-mocks', 'https://prod-mocks.example.com:6443'],
      ['prod-real-alias', 'https://Prod-Real.example.com.:6443/'],
    );
    const lab = kongOn('lab', OTHER_CP, 'lab-real', 'prod-real-alias');
    const root = fixtureRepo({
      'environments/meshflip.yaml': settings,
      [LAB]: lab,
      [PROD]: kongOn('prod', CP, 'prod-real', 'prod-mocks', 'protected: true'),
    });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const reach = (namespace: string) =>
      `deploys into namespace ${namespace} of API server https://prod-real.example.com:6443, where protected environment prod ` +
      `deploys (${PROD}, cluster prod-real): an unprotected environment must not reach a protected environment's namespaces, got cluster prod-real-alias; ` +
      'give lab namespaces of its own or another cluster, or make it protected';
    expect(problems).toEqual([
      `${LAB}:${at(lab, 'cluster: prod-real-alias')}: mesh.zones[1].cluster: ${reach('kong-mesh-system')}`,
      `${LAB}:${at(lab, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
    ]);
  });
});

describe('the example environments', () => {
  test('reach no namespace and no service of another environment', () => {
    // GIVEN
    const project = loadProject(REPO);
    const reaches = project.environments.map(environmentReach);
    // WHEN
    const problems = reachProblems(reaches);
    // THEN
    expect(problems).toEqual([]);
    expect(reaches.find((r) => r.env === 'kong-perf')!.namespaces.map((c) => c.key)).toEqual([
      'https://perf-real-services.k8s.example.com:6443 my-services',
      'https://perf-mock-services.k8s.example.com:6443 my-services',
      'https://perf-real-services.k8s.example.com:6443 kong-mesh-system',
      'https://perf-mock-services.k8s.example.com:6443 kong-mesh-system',
    ]);
  });
});

describe('parallel synthesis', () => {
  test('fails with the same problems when the environments are checked in different worker threads', async () => {
    // GIVEN
    const settings = settingsWith(['prod', 'https://prod.example.com'], ['prod-alias', 'https://PROD.example.com.:443/']);
    const root = fixtureRepo({
      'environments/meshflip.yaml': settings,
      [LAB]: ossmOn('lab', 'prod-alias'),
      [PROD]: ossmOn('prod', 'prod', 'protected: true'),
    });
    // WHEN
    const [parallel, single] = await Promise.all([synthesizeProject({ root, jobs: 2 }), synthesizeProject({ root, jobs: 1 })]);
    // THEN the same problems as one thread finds, among them every one of loading the project
    expect(parallel.jobs).toEqual(2);
    expect(parallel.problems.map(formatProblem).sort()).toEqual(single.problems.map(formatProblem).sort());
    expect(parallel.problems.map(formatProblem)).toEqual(expect.arrayContaining(problemsOf(root)));
  });

  test.each<[string, Record<string, string>]>([
    // Each worker reads the environment files of its own share: a file that takes the name of one
    // in another share is only seen as such by a load that reads both.
    ['an environment file that takes the name of another', { [LAB]: ossmOn('prod', 'ocp-lab'), [PROD]: ossmOn('prod', 'ocp-lab') }],
    [
      'a file that does not parse in one share, and one the schema refuses in the other',
      { [LAB]: 'name: lab\nmesh: [\n', [PROD]: ossmOn('prod', 'ocp-lab', 'colour: blue') },
    ],
  ])('reports, for %s, what one load of every file reports', async (_, files) => {
    // GIVEN two environments, which two workers share out
    const root = fixtureRepo({ 'environments/meshflip.yaml': SETTINGS, ...files });
    // WHEN synthesized with two workers and with one thread
    const [parallel, single] = await Promise.all([synthesizeProject({ root, jobs: 2 }), synthesizeProject({ root, jobs: 1 })]);
    // THEN the same problems, as many as one load finds
    expect(parallel.problems.length).toBeGreaterThan(0);
    expect(parallel.problems.map(formatProblem)).toEqual(single.problems.map(formatProblem));
    expect(parallel.problems.map(formatProblem).sort()).toEqual([...new Set(problemsOf(root))].sort());
  });
});

describe('a load of some environments that leaves the others unread', () => {
  test('neither reads nor checks the other environment files', () => {
    // GIVEN an environment file that does not parse, beside a good one
    const root = fixtureRepo({ 'environments/meshflip.yaml': SETTINGS, [LAB]: ossmOn('lab', 'ocp-lab'), [PROD]: 'name: prod\nmesh: [\n' });
    // WHEN only lab is loaded, the others left unread, and then read
    const unread = readProject(root, { only: ['lab'], readOthers: false });
    const read = readProject(root, { only: ['lab'] });
    // THEN the first finds nothing wrong and has no source of prod; the second finds prod's problem
    expect(unread.problems).toEqual([]);
    expect(unread.project?.environments.map((e) => e.name)).toEqual(['lab']);
    expect(unread.sources.map((s) => s.file.path)).not.toContain(PROD);
    expect(read.problems.map((p) => p.file)).toEqual([PROD]);
  });
});

describe('Kuma service identity, by mesh and global control plane', () => {
  // Kuma gives every pod a Service selects the tag kuma.io/service <service>_<namespace>_svc_<port>
  // (kumahq/kuma v2.14.3 pkg/plugins/runtime/k8s/controllers/inbound_converter.go, InboundTagsForService;
  // pkg/plugins/runtime/k8s/util/util.go, ServiceTag), whatever other labels it has, and every zone's
  // instances of that tag in one mesh are endpoints of one service (pkg/xds/topology/outbound.go,
  // fillIngressOutbounds): a mock Deployment selected by a Service of the same name and namespace in
  // another zone joins the protected service.
  const settings = settingsWith(
    ['prod-real', 'https://prod-real.example.com:6443'],
    ['prod-mocks', 'https://prod-mocks.example.com:6443'],
    ['prod-global', 'https://prod-global.example.com:6443'],
    ['lab-global', 'https://lab-global.example.com:6443'],
  );

  test('fails when an unprotected environment on the same Konnect control plane and mesh mocks, routes, faults or retries a service a protected one has', () => {
    // GIVEN
    const lab = kongOn(
      'lab',
      CP,
      'lab-real',
      'lab-mocks',
      'routing:',
      '  services:',
      '    orders: { to: mock, header: { name: x-mock, value: "1" } }',
      'faults:',
      '  payments:',
      '    abort: { httpStatus: 503, percent: 5 }',
      'retries:',
      '  payments:',
      '    attempts: 2',
    );
    const prod = kongOn('prod', CP, 'prod-real', 'prod-mocks', 'protected: true');
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: prod });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const shared = (service: string) =>
      `and protected environment prod (${PROD}) has service ${service} in namespace shop in mesh default of ` +
      `Konnect control plane ${CP} (region eu): Kuma makes both one service (kuma.io/service ${service}_shop_svc_<port>)`;
    const hint = 'give lab a mesh of its own (mesh.name) or another global control plane';
    expect(problems).toEqual([
      `${LAB}:${at(lab, 'orders', 'services:')}: services.orders: deploys a mock of orders, ${shared('orders')}, so the mock would become an endpoint ` +
        `of the protected service, got a mock (mocks.enabled is true); set mocks.enabled: false in ${LAB}, or ${hint}`,
      `${LAB}:${at(lab, '{ to: mock')}: routing.services.orders: routes orders to its mock, ${shared('orders')}, so the route would apply to every caller ` +
        `of the protected service, got "mock for requests with x-mock: 1"; route orders to real, or ${hint}`,
      `${LAB}:${at(lab, 'abort', 'faults:')}: faults.payments: injects faults into payments, ${shared('payments')}, so the faults would hit the protected ` +
        `service's traffic, got a map with keys abort; remove it, or ${hint}`,
      `${LAB}:${at(lab, 'attempts', 'retries:')}: retries.payments: sets retries on payments, ${shared('payments')}, so the policy would apply to the ` +
        `protected service's traffic, got a map with keys attempts; remove it, or ${hint}`,
    ]);
  });

  test('fails when two self-hosted environments say their global control planes run on different clusters but their zones dial one KDS address', () => {
    // GIVEN
    const selfHosted = (cluster: string, kds: string) => (text: string) =>
      text.replace(/ {4}konnect:\n.*\n.*\n/, `    selfHosted:\n      cluster: ${cluster}\n      kdsAddress: ${kds}\n`);
    const lab = selfHosted(
      'lab-global',
      'grpcs://KDS.example.com.:05685',
    )(kongOn('lab', CP, 'lab-real', 'lab-mocks', 'mocks: { enabled: false }', 'circuitBreakers:', '  orders:', '    maxConnections: 10'));
    const prod = selfHosted('prod-global', 'grpcs://kds.example.com:5685')(kongOn('prod', CP, 'prod-real', 'prod-mocks', 'protected: true'));
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: prod });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(lab, 'maxConnections', 'circuitBreakers:')}: circuitBreakers.orders: sets a circuit breaker on orders, and protected environment prod ` +
        `(${PROD}) has service orders in namespace shop in mesh default of the global control plane at grpcs://kds.example.com:5685: Kuma makes both ` +
        "one service (kuma.io/service orders_shop_svc_<port>), so the policy would apply to the protected service's traffic, got a map with keys " +
        'maxConnections; remove it, or give lab a mesh of its own (mesh.name) or another global control plane',
    ]);
  });

  test.each([
    ['another mesh', (lab: string) => lab.replace('  version: 2.14.3', '  version: 2.14.3\n  name: lab')],
    ['another Konnect control plane', (lab: string) => lab.replace(CP, OTHER_CP)],
    ['another namespace', (lab: string) => lab.replace('namespace: shop', 'namespace: shop-lab')],
    ['no protected environment', (lab: string) => lab, false],
  ])('loads an unprotected environment that mocks and faults its services in %s', (_, change, prodProtected = true) => {
    // GIVEN
    const lab = change(
      kongOn(
        'lab',
        CP,
        'lab-real',
        'lab-mocks',
        'routing:',
        '  services:',
        '    orders: mock',
        'faults:',
        '  payments:',
        '    delay: { value: 1s, percent: 5 }',
      ),
    );
    const prod = kongOn('prod', CP, 'prod-real', 'prod-mocks', `protected: ${prodProtected}`);
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: prod });
    // WHEN
    const project = loadProject(root);
    // THEN
    const loaded = project.environments.find((e) => e.name === 'lab')!;
    expect([loaded.routes.map((r) => `${r.service}:${r.mockWeight}`), loaded.faults.map((f) => f.service)]).toEqual([['orders:100'], ['payments']]);
  });

  test('loads an unprotected environment that shares a mesh with a protected one and leaves the shared services alone', () => {
    // GIVEN
    const lab = kongOn('lab', CP, 'lab-real', 'lab-mocks', 'mocks: { enabled: false }');
    const prod = kongOn('prod', CP, 'prod-real', 'prod-mocks', 'protected: true');
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: prod });
    // WHEN
    const project = loadProject(root);
    // THEN
    expect(project.environments.map((e) => e.name)).toEqual(['lab', 'prod']);
  });
});

describe('normalizeKdsAddress', () => {
  test('writes a KDS address with an upper-case host, a trailing dot and leading zeros in the port in one spelling', () => {
    // WHEN
    const address = normalizeKdsAddress('GRPCS://KDS.Example.com.:05685/');
    // THEN
    expect(address).toEqual('grpcs://kds.example.com:5685');
  });
});

test('where a claim is written is worked out when first read, once, and crosses to another thread as data', () => {
  // GIVEN the example environments (a Kong Mesh one with a mock, a route and a fault)
  const project = loadProject(REPO);
  const kong = project.environments.find((e) => e.name === 'kong-perf')!;
  const problem = jest.spyOn(SourceFile.prototype, 'problem');
  const locate = jest.spyOn(SourceFile.prototype, 'locate');
  try {
    // WHEN its reach is worked out
    const reach = environmentReach(kong);
    // THEN no position was looked up
    expect([problem.mock.calls.length, locate.mock.calls.length]).toEqual([0, 0]);
    const use = reach.meshServices.flatMap((c) => c.uses)[0];
    const claim = reach.namespaces[0];
    // AND reading each place looks it up once: the use through a problem (which locates), the claim directly
    expect(use.at).toEqual(expect.objectContaining({ file: expect.any(String), line: expect.any(Number) }));
    expect(use.at).toBe(use.at);
    expect(claim.at.line).toBeGreaterThan(0);
    expect(claim.at).toBe(claim.at);
    expect([problem.mock.calls.length, locate.mock.calls.length]).toEqual([1, 2]);
    // AND a copy made as worker threads send it holds every place as data
    const copy = structuredClone(reach);
    expect(copy).toEqual(reach);
    expect(Object.getOwnPropertyDescriptor(copy.namespaces[0], 'at')).toHaveProperty('value', claim.at);
  } finally {
    problem.mockRestore();
    locate.mockRestore();
  }
});
