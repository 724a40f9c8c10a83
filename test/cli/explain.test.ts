import { copyRepo, removeTempDirs } from '../util';
import { CliRun, edit, lines, meshflipAsync, read } from './cli-util';

// `meshflip explain` reads the rendered mesh objects in dist/, not the environment files. The
// expectations follow from the example environments:
// - kong-perf (Kong Mesh): captains-log routed to its mock (routing.services.captains-log: mock),
//   with a 1 s delay on all requests to the real service (faults.captains-log); crew has a circuit
//   breaker and timeouts; ship-info calls captains-log and crew, httpie calls all three;
// - coolstore-chaos (OpenShift Service Mesh): only requests with x-coolstore-mock: true reach the
//   inventory mock; 10 % of the rest are aborted with 500 and 10 % delayed by 5 s;
// - coolstore is the one protected environment.

const ROUTES = ['zone-mock-services', 'zone-real-services'].map((zone) => `dist/kong-perf/${zone}/captains-log.routing.k8s.yaml`);
const TO_MOCK = '                  app: mountebank\n                weight: 100\n';
/** The captains-log route's single backend (the mock) replaced by a 75/25 split, as a hand edit of dist/. */
const SPLIT = [
  '                  app: captains-log',
  '                weight: 75',
  '              - kind: MeshServiceSubset',
  '                name: captains-log_my-services_svc_5000',
  '                tags:',
  '                  app: mountebank',
  '                weight: 25',
  '',
].join('\n');

let repo: string;
let handEdited: string;
let oneZoneEdited: string;
const run: Record<string, CliRun> = {};

beforeAll(async () => {
  repo = copyRepo(['environments', 'dist']);
  handEdited = copyRepo(['environments', 'dist']);
  for (const file of ROUTES) {
    edit(handEdited, file, TO_MOCK, SPLIT);
  }
  oneZoneEdited = copyRepo(['environments', 'dist']);
  edit(oneZoneEdited, ROUTES[1], TO_MOCK, SPLIT);
  const runs: Record<string, Promise<CliRun>> = {
    text: meshflipAsync(repo, ['explain', 'kong-perf']),
    json: meshflipAsync(repo, ['explain', 'kong-perf', '--json']),
    'chaos json': meshflipAsync(repo, ['explain', 'coolstore-chaos', 'inventory', '--json']),
    'chaos text': meshflipAsync(repo, ['explain', 'coolstore-chaos', 'inventory']),
    mermaid: meshflipAsync(repo, ['explain', 'kong-perf', '--mermaid']),
    service: meshflipAsync(repo, ['explain', 'kong-perf', 'captains-log']),
    all: meshflipAsync(repo, ['explain', '--all', '--json']),
    'all inventory': meshflipAsync(repo, ['explain', '--all', 'inventory', '--json']),
    'hand edit': meshflipAsync(handEdited, ['explain', 'kong-perf', 'captains-log']),
    'hand edit json': meshflipAsync(handEdited, ['explain', 'kong-perf', 'captains-log', '--json']),
    'one zone': meshflipAsync(oneZoneEdited, ['explain', 'kong-perf', 'captains-log']),
    'unknown environment': meshflipAsync(repo, ['explain', 'kong-pref']),
    'unknown service': meshflipAsync(repo, ['explain', 'kong-perf', 'crw']),
    nothing: meshflipAsync(repo, ['explain']),
  };
  for (const [name, result] of Object.entries(runs)) {
    run[name] = await result;
  }
}, 120_000);
afterAll(removeTempDirs);

test('prints where the traffic of each service of kong-perf goes', () => {
  // WHEN
  const { status, stdout } = run.text;
  // THEN services sorted by name; "(no mock)" where no mock is deployed; callers from the traffic permissions
  expect(status).toBe(0);
  expect(lines(stdout)).toEqual([
    'kong-perf (kong-mesh)',
    '  captains-log',
    '    default traffic: mock',
    '    header traffic:  -',
    '    faults:          delay 1s on 100% (real)',
    '    callers:         httpie, ship-info',
    '  crew (no mock)',
    '    default traffic: real',
    '    header traffic:  -',
    '    resilience:      circuit breaker, timeouts',
    '    callers:         httpie, ship-info',
    '  httpie (no mock)',
    '    default traffic: real',
    '    header traffic:  -',
    '  ship-info (no mock)',
    '    default traffic: real',
    '    header traffic:  -',
    '    callers:         httpie',
  ]);
});

test('--json has the documented shape, and says captains-log of kong-perf goes 100 % to its mock', () => {
  // WHEN
  const json = JSON.parse(run.json.stdout);
  // THEN
  expect(run.json.status).toBe(0);
  expect(Object.keys(json)).toEqual(['environments']);
  const [env] = json.environments;
  expect(json.environments).toHaveLength(1);
  expect({ ...env, services: env.services.map((s: { name: string }) => s.name) }).toEqual({
    name: 'kong-perf',
    protected: false,
    mesh: 'kong-mesh',
    services: ['captains-log', 'crew', 'httpie', 'ship-info'],
    approvals: [],
    controlPlanes: [],
  });
  expect(env.services[0]).toEqual({
    name: 'captains-log',
    namespace: 'my-services',
    hasMock: true,
    // Read back from the waits of the rendered imposters: kong-perf declares no mock.latency.
    mockLatency: null,
    mockRecording: false,
    default: 'mock',
    weights: { real: 0, mock: 100 },
    header: null,
    // The delay is injected where the real service receives traffic, not into the mock.
    faults: [{ kind: 'delay', value: '1s', percent: 100, appliesTo: 'real' }],
    circuitBreaker: false,
    timeouts: false,
    retries: false,
    expires: null,
    reason: null,
    source: 'environments/kong-perf.yaml#routing.services.captains-log',
    callers: ['httpie', 'ship-info'],
    inconsistencies: [],
  });
  // crew has no mock and no routing of its own: all real
  expect(env.services[1]).toMatchObject({
    name: 'crew',
    hasMock: false,
    default: 'real',
    weights: { real: 100, mock: 0 },
    circuitBreaker: true,
    timeouts: true,
  });
});

test('--json for the header-scoped inventory mock and the faults of coolstore-chaos', () => {
  // WHEN
  const [env] = JSON.parse(run['chaos json'].stdout).environments;
  // THEN a single service was asked for
  expect(env).toMatchObject({ name: 'coolstore-chaos', protected: false, mesh: 'openshift-service-mesh' });
  expect(env.services).toHaveLength(1);
  expect(env.services[0]).toMatchObject({
    name: 'inventory',
    hasMock: true,
    // Without the header everything stays real; with it, requests go to the mock.
    default: 'real',
    weights: { real: 100, mock: 0 },
    header: { name: 'x-coolstore-mock', value: 'true', to: 'mock' },
    expires: null,
    reason: 'let testers reach the inventory mock on demand',
    circuitBreaker: true,
    // timeouts.inventory.connect renders as a connect timeout on the DestinationRule
    timeouts: true,
  });
  expect(env.services[0].faults).toEqual(
    expect.arrayContaining([
      { kind: 'abort', httpStatus: 500, percent: 10, appliesTo: 'real' },
      { kind: 'delay', value: '5s', percent: 10, appliesTo: 'real' },
    ]),
  );
  expect(env.services[0].faults).toHaveLength(2);
  // Only the gateway sends the header: the demo's catalog does not copy it onto its calls to inventory
  expect(lines(run['chaos text'].stdout)).toContain(
    '    header traffic:  x-coolstore-mock: true -> mock from ingress-gateway (not from catalog: catalog does not propagate x-coolstore-mock)',
  );
  expect(lines(run['chaos text'].stdout)).toContain('    faults:          delay 5s on 10% (real), abort 500 on 10% (real)');
});

test('--mermaid draws the calls that reach the captains-log mock dashed, the others solid', () => {
  // WHEN
  const { status, stdout } = run.mermaid;
  // THEN ship-info and httpie call captains-log (dashed, labelled mock); calls to crew and ship-info are plain
  expect(status).toBe(0);
  expect(lines(stdout)).toEqual([
    'graph LR',
    '  captains_log["captains-log (mocked)"]',
    '  crew["crew"]',
    '  httpie["httpie"]',
    '  ship_info["ship-info"]',
    '  httpie --> crew',
    '  httpie --> ship_info',
    '  httpie -.->|mock| captains_log',
    '  ship_info --> crew',
    '  ship_info -.->|mock| captains_log',
    '  classDef mocked stroke-dasharray: 5 5,stroke:#d97706;',
    '  class captains_log mocked;',
  ]);
});

test('a single service: only its block, under its environment', () => {
  // WHEN
  const { status, stdout } = run.service;
  // THEN
  expect(status).toBe(0);
  expect(lines(stdout)).toEqual(lines(run.text.stdout).slice(0, 6));
});

test('--all covers every environment, and marks the protected one', () => {
  // WHEN
  const { environments } = JSON.parse(run.all.stdout);
  // THEN
  expect(environments.map((e: { name: string; protected: boolean }) => [e.name, e.protected])).toEqual([
    ['coolstore', true],
    ['coolstore-chaos', false],
    ['coolstore-migrating', false],
    ['coolstore-ossm3', true],
    ['coolstore-ossm3-chaos', false],
    ['kong-perf', false],
    ['kong-real', false],
    ['kong-tutorial', false],
  ]);
  // kong-tutorial renders legacy policies for kumactl; captains-log is routed to the mock there too
  expect(
    environments.find((e: { name: string }) => e.name === 'kong-tutorial').services.find((s: { name: string }) => s.name === 'captains-log'),
  ).toMatchObject({ default: 'mock', weights: { real: 0, mock: 100 } });
});

test('--all with a service: every environment that has it, and only that service', () => {
  // WHEN
  const { environments } = JSON.parse(run['all inventory'].stdout);
  // THEN the four coolstore environments (OSSM 2 and 3); none of the Kong Mesh ones has inventory
  expect(environments.map((e: { name: string; services: { name: string }[] }) => [e.name, e.services.map((s) => s.name)])).toEqual([
    ['coolstore', ['inventory']],
    ['coolstore-chaos', ['inventory']],
    ['coolstore-migrating', ['inventory']],
    ['coolstore-ossm3', ['inventory']],
    ['coolstore-ossm3-chaos', ['inventory']],
  ]);
});

describe('a hand edit of dist/', () => {
  test('shows in explain although the environment file still says mock: explain reads dist/', () => {
    // GIVEN (beforeAll) both zones' captains-log routes edited to send 25 % to the mock
    expect(read(handEdited, 'environments/kong-perf.yaml')).toContain('    captains-log: mock\n');
    // WHEN
    const { status, stdout } = run['hand edit'];
    const [env] = JSON.parse(run['hand edit json'].stdout).environments;
    // THEN
    expect(status).toBe(0);
    expect(lines(stdout).slice(0, 3)).toEqual(['kong-perf (kong-mesh)', '  captains-log', '    default traffic: split 75% real / 25% mock']);
    expect(env.services[0]).toMatchObject({ default: 'split', weights: { real: 75, mock: 25 }, inconsistencies: [] });
  });

  test('in one zone only: the zones disagree, and explain says so', () => {
    // WHEN
    const { status, stdout } = run['one zone'];
    // THEN
    expect(status).toBe(0);
    expect(lines(stdout)).toContain('    warning:         route copies disagree (between zones or ports)');
  });
});

describe('mistakes', () => {
  test('fails when the environment is not in dist/, suggesting the closest name', () => {
    // THEN
    expect(run['unknown environment'].status).toBe(1);
    expect(lines(run['unknown environment'].stderr)).toEqual(['error: no environment "kong-pref" in dist/', 'hint: did you mean "kong-perf"?']);
  });

  test('fails when the service is unknown, suggesting the closest name', () => {
    // THEN
    expect(run['unknown service'].status).toBe(1);
    expect(lines(run['unknown service'].stderr)).toEqual(['error: no service "crw" in kong-perf', 'hint: did you mean "crew"?']);
  });

  test('fails without an environment or --all', () => {
    // THEN
    expect(run.nothing.status).toBe(1);
    expect(lines(run.nothing.stderr)).toEqual([
      'error: expected an environment name (or --all) and optionally a service',
      'hint: meshflip explain kong-perf captains-log',
    ]);
  });
});
