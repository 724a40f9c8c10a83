import * as path from 'path';
import * as limits from '../../src/model/limits';
import { loadProject } from '../../src/model/load';
import { removeTempDirs } from '../util';
import {
  at,
  CATALOG,
  fixtureRepo,
  imposter,
  kongEnvironment,
  lines,
  MOCKED_PAYMENTS_AND_FRONTEND,
  ossmEnvironment,
  problemsOf,
  SETTINGS,
} from './fixtures';

/**
 * What a user sees for each kind of mistake in environments/. Every test asserts the whole message,
 * and builds the expected `line:col` by finding the offending text in the fixture.
 */

const LAB = 'environments/lab.yaml';
const SHOP = 'environments/catalog/shop.yaml';
const SETTINGS_FILE = 'environments/meshflip.yaml';
const ORDERS_IMPOSTER = 'environments/mocks/orders.imposter.json';

const ENVIRONMENT_KEYS = 'catalog, circuitBreakers, delivery, description, faults, mesh, mocks, name, namespace, protected, retries, routing, ...';

afterAll(() => removeTempDirs());

test('loads the fixture repository the failure cases start from', () => {
  // GIVEN
  const root = fixtureRepo({ 'environments/ossm.yaml': ossmEnvironment('ossm') });
  // WHEN
  const project = loadProject(root);
  // THEN
  expect(project.environments.map((e) => e.name)).toEqual(['lab', 'ossm']);
});

describe('YAML syntax', () => {
  test('fails when a key is repeated in a map', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'mocks:', '  replicas: 1', '  replicas: 2');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'replicas: 2')}: mocks.replicas: duplicate key: each key may appear only once in a map, got "replicas"; merge the two entries or remove one`,
    ]);
  });

  test('fails at the repeated key when the entry before it has an empty value', () => {
    // GIVEN
    const env = kongEnvironment('lab', '  orders:');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'orders:', 'payments:')}: services.orders: duplicate key: each key may appear only once in a map, got "orders"; merge the two entries or remove one`,
    ]);
  });

  test('fails when a line is indented with a tab', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '\tdefault: mock');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '\tdefault')}: (document): is not valid YAML: tabs cannot indent YAML, got a tab; indent with spaces`,
    ]);
  });

  test('fails when a nested mapping is written on one line', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('name: lab', 'name: lab: staging');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'lab: staging')}: name.lab: is not valid YAML: a value cannot be "key: value" on the same line as its own key, got "name: lab: staging"; ` +
        'quote the value if ": " belongs to it, or write the nested map on the lines below, indented',
    ]);
  });

  test('fails when a flow list is not closed, at the line where the list was expected to end', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('catalog: [shop]', 'catalog: [shop');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'mesh:')}: mesh: is not valid YAML: a [ list is not closed with ], got "mesh:"; ` +
        'close it with ] on the line it starts, or indent the lines it continues on',
    ]);
  });

  test('fails at the right lines when a stray bracket starts a line that the next one continues', () => {
    // GIVEN: "stray" and "replicas" form one plain scalar that spans two lines
    const env = kongEnvironment('lab', 'mocks:', '] stray', '  replicas: 2');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const check = 'check the indentation of this line and the one before it';
    expect(problems).toEqual([
      `${LAB}:${at(env, '] stray')}: (document): is not valid YAML: unexpected "]" here, got "] stray"; ${check}`,
      `${LAB}:${at(env, 'stray')}: (document): is not valid YAML: unexpected text "stray\\n  replicas" here, got "] stray"; ${check}`,
      `${LAB}:${at(env, ': 2', 'replicas')}: (document): is not valid YAML: unexpected ":" here, got "replicas: 2"; ${check}`,
      `${LAB}:${at(env, '2', 'replicas: ')}: (document): is not valid YAML: unexpected text "2" here, got "replicas: 2"; ${check}`,
    ]);
  });

  test('fails when a value is tagged !!binary, showing the text as written', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('  orders:', '  orders: !!binary aGVsbG8=');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, 'aGVsbG8=')}: services.orders: must be empty or a map, got "aGVsbG8="`]);
  });

  test('reads dates as text, also when tagged !!timestamp or under a %YAML 1.1 directive', () => {
    // GIVEN
    const route = (expires: string) => kongEnvironment('lab', 'routing:', '  services:', `    orders: { to: mock, expires: ${expires} }`);
    const tagged = fixtureRepo({ [LAB]: route('!!timestamp 2099-12-01') });
    const yaml11 = fixtureRepo({ [LAB]: `%YAML 1.1\n---\n${route('2099-12-01')}` });
    // WHEN
    const expiries = [tagged, yaml11].map((root) => loadProject(root).environments[0].routes.map((r) => r.expires));
    // THEN
    expect(expiries).toEqual([['2099-12-01'], ['2099-12-01']]);
  });

  test('fails when a %YAML 1.1 document writes yes for true, as YAML 1.2 reads it', () => {
    // GIVEN
    const env = `%YAML 1.1\n---\n${kongEnvironment('lab', 'trafficPermissions: yes')}`;
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, 'yes')}: trafficPermissions: must be true or false, got "yes"; write true or false`]);
  });

  test('fails at the first list nested more than 100 levels deep, however deep the input goes', () => {
    // GIVEN: the document is level 1, so the 100th bracket opens level 101
    const env = kongEnvironment('lab').replace('catalog: [shop]', `catalog: [shop]\ndescription: ${'['.repeat(5_000)}${']'.repeat(5_000)}`);
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '[', `description: ${'['.repeat(99)}`)}: (document): must not nest maps and lists more than 100 levels deep`,
    ]);
  });

  test('fails at a raw control character before the parser can quote it', () => {
    // GIVEN: a raw control character after a block scalar indicator
    const env = kongEnvironment('lab').replace('catalog: [shop]', 'catalog: [shop]\ndescription: >\u0001 x');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN the character is refused, shown escaped, and the YAML errors it causes are not reported
    expect(problems).toEqual([
      `${LAB}:${at(env, '\u0001')}: description: must not contain control characters, bidirectional controls or invisible characters, ` +
        'got \\u0001 (control character); remove it: control characters garble terminals and hide text in review',
    ]);
  });

  test('fails when the file is empty', () => {
    // GIVEN
    const root = fixtureRepo({ [LAB]: '' });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:1:1: (document): is empty: the file holds no settings; start from one of the example files, or delete this one`,
    ]);
  });

  test('fails when the file holds only comments, as an empty file', () => {
    // GIVEN
    const root = fixtureRepo({ [LAB]: lines('# to do', '') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:1:1: (document): is empty: the file holds no settings; start from one of the example files, or delete this one`,
    ]);
  });

  test('fails at the alias when it names no anchor', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'mocks:', '  replicas: *count');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '*count')}: mocks.replicas: is an alias that names no anchor: &count must be set on an earlier value, got "*count"; ` +
        'set the anchor before the alias, or write the value out',
    ]);
  });

  test('fails when a list is left open at the end of the file, saying so', () => {
    // GIVEN
    const env = `${kongEnvironment('lab')}description: [a, b\n`;
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${env.split('\n').length}:1: description[1]: is not valid YAML: a [ list is not closed with ], ` +
        'got the end of the file; close it with ] on the line it starts, or indent the lines it continues on',
    ]);
  });

  test('fails when the document is a list rather than a map', () => {
    // GIVEN
    const env = lines('- name: lab', '- catalog: [shop]');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, '- name')}: (document): must be a map, got a list of 2 items`]);
  });
});

describe('schema', () => {
  test('fails when a top-level key is misspelled, and suggests the right one', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routng:', '  default: mock');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'routng:')}: routng: unknown key (allowed: ${ENVIRONMENT_KEYS}), got "routng"; did you mean "routing"?`,
    ]);
  });

  test('fails when a nested key is misspelled, and lists the keys allowed there', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'mocks:', '  replica: 2');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'replica:')}: mocks.replica: unknown key (allowed: enabled, image, replicas, scrub, zone), got "replica"; did you mean "replicas"?`,
    ]);
  });

  test('fails when a number is given as a string', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'mocks:', '  replicas: "2"');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, '"2"')}: mocks.replicas: must be a number, got "2"`]);
  });

  test('fails when a string is given as a number, and says to quote it', () => {
    // GIVEN
    const env = ossmEnvironment('lab').replace('version: "2.5"', 'version: 2.5');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, '2.5')}: mesh.version: must be a string, got 2.5; quote the value: "2.5"`]);
  });

  test('fails when a string is given as infinity, showing it and the quoted hint as written', () => {
    // GIVEN
    const env = ossmEnvironment('lab').replace('version: "2.5"', 'version: .inf');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, '.inf')}: mesh.version: must be a string, got .inf; quote the value: ".inf"`]);
  });

  test('fails when a list is given as a word, and shows it as a list', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('catalog: [shop]', 'catalog: shop');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, 'shop')}: catalog: must be a list, got "shop"; write it as a list: [shop]`]);
  });

  test('fails when a list is given as a string with a line break, with the hint on the same line', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('catalog: [shop]', 'catalog: "shop\\nlab"');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, '"shop')}: catalog: must be a list, got "shop\\nlab"; write it as a list: ["shop\\nlab"]`]);
  });

  test('fails when a routing value is not real or mock, and suggests the closest', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '  services:', '    orders: mokc');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'mokc')}: routing.services.orders: must be "real", "mock", "record" or a map, got "mokc"; did you mean "mock"?`,
    ]);
  });

  test('fails when the mesh flavor is misspelled, and suggests the closest', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('flavor: kong-mesh', 'flavor: kong-mseh');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'kong-mseh')}: mesh.flavor: must be one of kong-mesh, kuma, openshift-service-mesh, istio, got "kong-mseh"; did you mean "kong-mesh"?`,
    ]);
  });

  test.each([
    ['1.9996s', 'write 1999ms or 2s'],
    ['0.0004s', 'write 1ms'],
  ])('fails when a duration is not a whole number of milliseconds (%s), with the nearest two', (value, hint) => {
    // GIVEN a request timeout that floating point once turned into 1.1s and 0s (no timeout in Envoy)
    const env = kongEnvironment('lab', 'timeouts:', '  orders:', `    request: ${value}`);
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, value)}: timeouts.orders.request: must be a whole number of milliseconds: Istio refuses finer durations and Envoy reads ` +
        `timeouts in whole milliseconds, got "${value}"; ${hint}`,
    ]);
  });

  test('fails when a duration is zero', () => {
    // GIVEN
    const env = ossmEnvironment('lab', 'retries:', '  orders:', '    attempts: 2', '    perTryTimeout: 0s');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '0s')}: retries.orders.perTryTimeout: must be at least 1ms: Istio refuses shorter durations, and a zero timeout means no ` +
        'timeout in Envoy, got "0s"; leave the field out to keep the mesh default',
    ]);
  });

  test('fails when a required key is missing, at the map that lacks it', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('services:\n  orders:\n  payments:\n', '');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, 'name:')}: services: is required, got nothing`]);
  });

  test('fails when a required key is misspelled, and points at both', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('  zones:', '  zone:');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'flavor:')}: mesh.zones: is required, got nothing; "zone" looks like a misspelling of "zones"`,
      `${LAB}:${at(env, 'zone:')}: mesh.zone: unknown key (allowed: chartVersion, controlPlaneTls, flavor, global, kdsSkipVerify, license, mtls, name, placement, policies, version, zones), ` +
        'got "zone"; did you mean "zones"?',
    ]);
  });

  test('fails when a key holds an escaped control character, naming the map that holds the key', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('  version: 2.14.3', '  "versio\\u0001n": 2.14.3');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '"versio')}: mesh: must not contain control characters, bidirectional controls or invisible characters, ` +
        'got \\u0001 (control character), written as an escape; remove it: control characters garble terminals and hide text in review',
    ]);
  });

  test('fails when a weight is above 100', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '  services:', '    orders: { to: mock, weight: 150 }');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, '150')}: routing.services.orders.weight: must be at most 100, got 150`]);
  });

  test('fails when a weight is 0', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '  services:', '    orders: { to: mock, weight: 0 }');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, '0 }')}: routing.services.orders.weight: must be at least 1, got 0`]);
  });

  test('fails when a header name has uppercase letters', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '  services:', '    orders:', '      to: mock', '      header: { name: X-Mock, value: "on" }');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'X-Mock')}: routing.services.orders.header.name: must be a lowercase HTTP header name, got "X-Mock"`,
    ]);
  });

  test('fails when a label key or value is not one Kubernetes accepts', () => {
    // GIVEN a key with a space and a value longer than 63 characters
    const long = 'v'.repeat(64);
    const env = kongEnvironment('lab', '    labels:', '      team name: shop', `      tier: ${long}`);
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'team name')}: services.payments.labels["team name"]: must be a Kubernetes key: an optional DNS prefix and "/", ` +
        'then at most 63 letters, digits, "-", "_" or "." that start and end with a letter or digit, got "team name"',
      `${LAB}:${at(env, long)}: services.payments.labels.tier: must be a Kubernetes label value: at most 63 letters, digits, "-", "_" or "." ` +
        `that start and end with a letter or digit, got "${long.slice(0, 57)}..."`,
    ]);
  });

  test('loads label keys with a DNS prefix and empty label values', () => {
    // GIVEN
    const root = fixtureRepo({ [LAB]: kongEnvironment('lab', '    labels:', '      example.com/team: shop', '      canary: ""') });
    // WHEN
    const project = loadProject(root);
    // THEN
    const payments = project.environments[0].services.find((s) => s.name === 'payments');
    expect(payments?.labels).toEqual({ 'example.com/team': 'shop', canary: '' });
  });
});

describe('environment', () => {
  test('fails when the name does not match the file name', () => {
    // GIVEN
    const env = kongEnvironment('labs');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${LAB}:${at(env, 'labs')}: name: must match the file name "lab", got "labs"; rename the file or set name: lab`]);
  });

  test.each([
    ['argocd', "dist/argocd/ holds the Argo CD objects of every environment, and would hold this environment's files too"],
    ['root', "dist/argocd/root.k8s.yaml holds the root Application, and would hold this environment's Argo CD objects too"],
  ])('fails when the environment is named %s, a name dist/ gives the Argo CD objects', (name, why) => {
    // GIVEN an environment whose files would share dist/ with the Argo CD objects (the root
    // Application's file would be written twice, one version silently lost)
    const file = `environments/${name}.yaml`;
    const env = kongEnvironment(name);
    const root = fixtureRepo({ [file]: env });
    // WHEN
    const problems = problemsOf(root).filter((p) => p.startsWith(`${file}:`));
    // THEN
    expect(problems).toEqual([
      `${file}:${at(env, name)}: name: is reserved: ${why}, got "${name}"; rename the file and its name: to another one, such as ${name}-lab`,
    ]);
  });

  test('fails when a zone names a cluster that environments/meshflip.yaml does not declare, and suggests the closest', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('cluster: lab-mocks', 'cluster: lab-mock');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'lab-mock')}: mesh.zones[1].cluster: must name a cluster declared in ${SETTINGS_FILE} (hub, lab-mocks, lab-real, ocp-lab), ` +
        'got "lab-mock"; did you mean "lab-mocks"?',
    ]);
  });

  test('fails when the mesh names a cluster that nothing resembles, and says where to declare it', () => {
    // GIVEN
    const env = ossmEnvironment('lab').replace('cluster: ocp-lab', 'cluster: staging');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'staging')}: mesh.cluster: must name a cluster declared in ${SETTINGS_FILE} (hub, lab-mocks, lab-real, ocp-lab), ` +
        `got "staging"; add it under clusters: in ${SETTINGS_FILE}`,
    ]);
  });

  test('fails when two zones run on one API server under two cluster names', () => {
    // GIVEN
    const settings = SETTINGS + lines('  lab-real-2:', '    server: https://LAB-REAL.example.com.:6443/');
    const env = kongEnvironment('lab').replace('cluster: lab-mocks', 'cluster: lab-real-2');
    const root = fixtureRepo({ [SETTINGS_FILE]: settings, [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'lab-real-2')}: mesh.zones[1].cluster: is already used by zone real (clusters lab-real-2 and lab-real are the same API server, ` +
        'https://lab-real.example.com:6443): one zone control plane per cluster, got "lab-real-2"',
    ]);
  });

  test('fails when a self-hosted global control plane runs on the API server of a zone under another cluster name', () => {
    // GIVEN
    const settings = SETTINGS + lines('  lab-global:', '    server: https://lab-mocks.example.com:6443/');
    const env = kongEnvironment('lab').replace(
      / {4}konnect:\n.*\n.*\n/,
      '    selfHosted:\n      cluster: lab-global\n      kdsAddress: grpcs://kds.example.com:5685\n',
    );
    const root = fixtureRepo({ [SETTINGS_FILE]: settings, [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'lab-global')}: mesh.global.selfHosted.cluster: must not run a zone (clusters lab-global and lab-mocks are the same API server, ` +
        'https://lab-mocks.example.com:6443): the global control plane needs a cluster of its own, got "lab-global"',
    ]);
  });
});

describe('names that every JavaScript object has', () => {
  test('loads a catalogue service named constructor', () => {
    // GIVEN
    const catalog = CATALOG.replace(/payments/g, 'constructor');
    const root = fixtureRepo({ [SHOP]: catalog, [LAB]: kongEnvironment('lab').replace('payments', 'constructor') });
    // WHEN
    const project = loadProject(root);
    // THEN
    expect(project.environments[0].services.map((s) => s.name)).toEqual(['constructor', 'orders']);
  });

  test('loads a service named constructor that only the environment defines', () => {
    // GIVEN
    const root = fixtureRepo({ [LAB]: kongEnvironment('lab', '  constructor:', '    image: registry.example.com/shop/builder:1.0.0') });
    // WHEN
    const project = loadProject(root);
    // THEN
    expect(project.environments[0].services.map((s) => s.name)).toEqual(['constructor', 'orders', 'payments']);
  });

  test('fails when a service named constructor is in no catalogue and has no image', () => {
    // GIVEN
    const env = kongEnvironment('lab', '  constructor:');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'constructor')}: services.constructor: is not in the catalogues shop and has no image, got "constructor"`,
    ]);
  });

  test('fails when a key is __proto__, which a JavaScript object would drop without a word', () => {
    // GIVEN an environment variable override named __proto__
    const env = kongEnvironment('lab', '    env:', '      __proto__: "1"');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '__proto__')}: services.payments.env.__proto__: cannot be used as a key, got "__proto__"; ` +
        'no name, label, annotation or variable meshflip renders may be called __proto__',
    ]);
  });

  test('fails when calls names constructor, which the environment does not have', () => {
    // GIVEN
    const catalog = CATALOG.replace('calls: [payments]', 'calls: [payments, constructor]');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, 'constructor')}: services.orders.calls[1]: must name a service of environment lab (orders, payments), got "constructor"; ` +
        `add constructor under services: in ${LAB}`,
    ]);
  });
});

describe('mesh versions', () => {
  test('fails when legacy policies are asked for on Kong Mesh 3.x', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('version: 2.14.3', 'version: 3.0.1\n  policies: legacy');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'legacy')}: mesh.policies: cannot be legacy on Kong Mesh 3.0.1: TrafficRoute, FaultInjection, CircuitBreaker and the other legacy policies ` +
        'were removed in 3.0, got "legacy"; use policies: targetRef, or declare the 2.x version the mesh really runs',
    ]);
  });

  test('fails when legacy policies are placed on the zones', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('version: 2.14.3', 'version: 2.5.1\n  policies: legacy\n  placement: zone');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'zone', 'placement: ')}: mesh.placement: cannot be zone with legacy policies: a zone control plane rejects them; ` +
        'they can only be created on the global control plane, got "zone"; use placement: global, or policies: targetRef',
    ]);
  });
});

describe('routing and faults', () => {
  test('fails when routing names a service the environment does not have, and suggests the closest', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '  services:', '    ordrs: mock');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'ordrs')}: routing.services.ordrs: must name a service of this environment (orders, payments), got "ordrs"; did you mean "orders"?`,
    ]);
  });

  test('fails when routing sends a service without a mock to its mock', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'routing:', '  services:', '    payments: mock');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'mock', 'payments: ')}: routing.services.payments: cannot be mock: service payments has no mock, got "mock"; ` +
        `add mock: {imposters: [...]} to payments in ${SHOP}`,
    ]);
  });

  test('fails when a protected environment routes to a mock', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'protected: true', 'routing:', '  services:', '    orders: { to: mock, reason: try it }');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'mock', 'to: ')}: routing.services.orders.to: cannot route to a mock in a protected environment, got "mock"; ` +
        'protected: true environments only serve real traffic',
    ]);
  });

  test('fails when a protected environment injects a fault', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'protected: true', 'faults:', '  orders:', '    abort: { httpStatus: 503, percent: 5 }');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'orders', 'faults:')}: faults.orders: cannot inject faults in a protected environment; protected: true environments carry no faults`,
    ]);
  });

  test('fails when a fault is combined with a weighted split on OpenShift Service Mesh', () => {
    // GIVEN
    const env = ossmEnvironment(
      'lab',
      'routing:',
      '  services:',
      '    orders: { to: mock, weight: 20 }',
      'faults:',
      '  orders:',
      '    delay: { value: 2s, percent: 50 }',
    );
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, 'orders', 'faults:')}: faults.orders: cannot combine with the weighted split of orders on Istio: ` +
        'Istio applies a fault to a whole route, so it would also hit the mock; drop the weight, or use a header-scoped mock',
    ]);
  });
});

describe('catalogue', () => {
  test('reports a catalogue that cannot be read once, without listing each of its services as missing from the environments that use it', () => {
    // GIVEN
    const catalog = CATALOG.replace('orders:1.4.2', 'orders:1.4.2\n    replicas: many');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${SHOP}:${at(catalog, 'many')}: services.orders.replicas: must be a number, got "many"`]);
  });

  test('still reports the other problems of an environment that uses a catalogue that cannot be read, and nothing about its routing', () => {
    // GIVEN a broken catalogue, and an environment that routes orders (from that catalogue) and names a cluster nobody declared
    const catalog = CATALOG.replace('orders:1.4.2', 'orders:1.4.2\n    replicas: many');
    const env = kongEnvironment('lab', 'routing:', '  services:', '    orders: mock').replace('cluster: lab-real', 'cluster: lab-rael');
    const root = fixtureRepo({ [SHOP]: catalog, [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, 'many')}: services.orders.replicas: must be a number, got "many"`,
      `${LAB}:${at(env, 'lab-rael')}: mesh.zones[0].cluster: must name a cluster declared in environments/meshflip.yaml (hub, lab-mocks, lab-real, ocp-lab), got "lab-rael"; did you mean "lab-real"?`,
    ]);
  });

  test('fails when a number is too large to be one, showing it as written', () => {
    // GIVEN
    const catalog = CATALOG.replace('port: 8080', 'port: 1e400');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, '1e400')}: services.orders.ports[0].port: must be a finite number, got 1e400; use a number in the range the field allows`,
    ]);
  });

  test('fails when a catalogue image uses the latest tag, in the catalogue', () => {
    // GIVEN
    const catalog = CATALOG.replace('orders:1.4.2', 'orders:latest');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, 'registry.example.com/shop/orders:latest')}: services.orders.image: must not use the latest tag: pin a version or a digest, ` +
        'got "registry.example.com/shop/orders:latest"; a moving tag makes dist/ say nothing about what runs',
    ]);
  });

  test('fails when a catalogue image has no tag, in the catalogue', () => {
    // GIVEN
    const catalog = CATALOG.replace('payments:2.0.1', 'payments');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, 'registry.example.com/shop/payments')}: services.payments.image: must be pinned by tag or digest, ` +
        'got "registry.example.com/shop/payments"; for example registry.example.com/shop/payments:1.0.0 or registry.example.com/shop/payments@sha256:<digest>',
    ]);
  });

  test('fails when calls names a service the environment does not have, and suggests the closest', () => {
    // GIVEN
    const catalog = CATALOG.replace('calls: [payments]', 'calls: [paymnts]');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, 'paymnts')}: services.orders.calls[0]: must name a service of environment lab (orders, payments), got "paymnts"; did you mean "payments"?`,
    ]);
  });
});

describe('mocks', () => {
  test('fails when an imposter file does not exist, and says where it looked', () => {
    // GIVEN
    const catalog = CATALOG.replace('orders.imposter.json', 'order.imposter.json');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, '../mocks/order.imposter.json')}: services.orders.mock.imposters[0]: must name an imposter file that exists ` +
        '(looked for environments/mocks/order.imposter.json), got "../mocks/order.imposter.json"; paths are relative to the file that declares the mock',
    ]);
  });

  test('fails when an imposter listens on a port the service does not have', () => {
    // GIVEN
    const root = fixtureRepo({ [ORDERS_IMPOSTER]: imposter(9090) });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(CATALOG, '- ../mocks/orders.imposter.json')}: services.orders.mock.imposters: has an imposter on port 9090 (${ORDERS_IMPOSTER}), ` +
        'which is not a target port of the service (8080); the mock stands in for the service, so each imposter listens on one of its target ports',
    ]);
  });

  test('fails when an imposter uses inject, in the imposter file', () => {
    // GIVEN
    const json = imposter(8080, { inject: 'function (config) { return {}; }' });
    const root = fixtureRepo({ [ORDERS_IMPOSTER]: json });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${ORDERS_IMPOSTER}:${at(json, '"inject"')}: stubs[0].responses[0].inject: injection is not allowed: the mock runs without --allowInjection; ` +
        'use is, proxy or fault responses and predicates',
    ]);
  });
});

describe('an imposter file several mocks list', () => {
  // orders and payments both list ../mocks/orders.imposter.json, in two environments
  const catalog = CATALOG + MOCKED_PAYMENTS_AND_FRONTEND;
  const files = (json: string) => ({
    [SHOP]: catalog,
    [ORDERS_IMPOSTER]: json,
    'environments/other.yaml': ossmEnvironment('other'),
  });

  test("reports the file's own problem at its line in the imposter file (once: the same problem from each mock is one), reading the file once", () => {
    // GIVEN an imposter with an injection
    const json = imposter(8080, { inject: 'function (config) { return {}; }' });
    const root = fixtureRepo(files(json));
    const reads = jest.spyOn(limits, 'readBounded');
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const inject =
      `${ORDERS_IMPOSTER}:${at(json, '"inject"')}: stubs[0].responses[0].inject: injection is not allowed: the mock runs without --allowInjection; ` +
      'use is, proxy or fault responses and predicates';
    expect(problems).toEqual([inject]);
    expect(reads.mock.calls.filter(([file]) => file.endsWith(path.join('mocks', 'orders.imposter.json')))).toHaveLength(1);
    reads.mockRestore();
  });

  test("reports a problem that depends on the service for the service it concerns, at the line of that service's mock", () => {
    // GIVEN an imposter that listens on a port only orders has, in both environments
    const json = imposter(9090);
    const root = fixtureRepo({ ...files(json), [SHOP]: catalog.replace('        port: 8080\n', '        port: 9090\n') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const notTarget = (line: string) =>
      `${SHOP}:${line}: services.payments.mock.imposters: has an imposter on port 9090 (${ORDERS_IMPOSTER}), ` +
      'which is not a target port of the service (8080); the mock stands in for the service, so each imposter listens on one of its target ports';
    expect(problems).toEqual([notTarget(at(catalog, '- ../mocks/orders.imposter.json', 'payments:'))]);
  });
});

describe('imposter paths', () => {
  const looked = (found: string) => `must name an imposter file that exists (looked for ${found})`;
  const hint = 'paths are relative to the file that declares the mock';

  test('fails when an imposter path goes through a file', () => {
    // GIVEN
    const catalog = CATALOG.replace('orders.imposter.json', 'orders.imposter.json/stub.json');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, '../mocks/')}: services.orders.mock.imposters[0]: ${looked('environments/mocks/orders.imposter.json/stub.json')}, ` +
        `got "../mocks/orders.imposter.json/stub.json"; ${hint}`,
    ]);
  });

  test('fails when an imposter file name is too long for the file system', () => {
    // GIVEN
    const name = `${'o'.repeat(300)}.json`;
    const catalog = CATALOG.replace('orders.imposter.json', name);
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, '../mocks/')}: services.orders.mock.imposters[0]: ${looked(`environments/mocks/${name}`)}, got "../mocks/${'o'.repeat(48)}..."; ${hint}`,
    ]);
  });

  test('fails when an imposter path holds a tab, with it escaped', () => {
    // GIVEN
    const catalog = CATALOG.replace('- ../mocks/orders.imposter.json', '- "../mocks/orders\\t.json"');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, '"../mocks/')}: services.orders.mock.imposters[0]: ${looked('environments/mocks/orders\\u0009.json')}, ` +
        `got "../mocks/orders\\t.json"; ${hint}`,
    ]);
  });
});

describe('several files', () => {
  test('fails with the problems of every file together, sorted by file and line', () => {
    // GIVEN
    const catalog = CATALOG.replace('orders:1.4.2', 'orders:latest');
    const lab = kongEnvironment('labs', 'routing:', '  services:', '    paymnts: mock');
    const staging = kongEnvironment('staging').replace('2.14.3', 'two').replace('catalog: [shop]', 'catalog: [shop]\nprotectd: true');
    const settings = SETTINGS.replace('cluster: hub', 'cluster: hubb');
    const root = fixtureRepo({ [SHOP]: catalog, [LAB]: lab, 'environments/staging.yaml': staging, [SETTINGS_FILE]: settings });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, 'registry.example.com/shop/orders:latest')}: services.orders.image: must not use the latest tag: pin a version or a digest, ` +
        'got "registry.example.com/shop/orders:latest"; a moving tag makes dist/ say nothing about what runs',
      `${LAB}:${at(lab, 'labs')}: name: must match the file name "lab", got "labs"; rename the file or set name: lab`,
      `${LAB}:${at(lab, 'paymnts')}: routing.services.paymnts: must name a service of this environment (payments), got "paymnts"; did you mean "payments"?`,
      `${SETTINGS_FILE}:${at(settings, 'hubb')}: argocd.cluster: must name a cluster under clusters (hub, lab-mocks, lab-real, ocp-lab), got "hubb"; did you mean "hub"?`,
      `environments/staging.yaml:${at(staging, 'protectd')}: protectd: unknown key (allowed: ${ENVIRONMENT_KEYS}), got "protectd"; did you mean "protected"?`,
      `environments/staging.yaml:${at(staging, 'two')}: mesh.version: must be a version such as 2.14.3 or 2.5, got "two"`,
    ]);
  });
});
