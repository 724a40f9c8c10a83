import * as fs from 'fs';
import * as path from 'path';
import * as editYaml from '../../src/model/edit-yaml';
import { defaultParseCache, ParseCache } from '../../src/pipeline/validate/parse-cache';
import { removeTempDirs, snapshotTree, tempDir } from '../util';
import {
  backendWeights,
  changedFiles,
  CliRun,
  commitAll,
  diffLines,
  distObjects,
  edit,
  gitRepoCopy,
  lineOf,
  lines,
  meshflipAsync,
  read,
} from './cli-util';

// `meshflip flip` edits one line of an environment file and re-renders dist/. Each scenario runs
// in its own git repository copied from this one, so `git status` and `git diff` show exactly
// what a flip touched. All scenarios start at once in the beforeAll below.
//
// Facts of the example repository the expectations rest on:
// - environments/kong-perf.yaml routes captains-log to its mock with the three lines
//   `routing:` / `services:` / `captains-log: mock` and has no other routing;
// - kong-perf runs two zones (real-services, mock-services) with a Konnect global control plane,
//   so each zone gets its own copy of the captains-log route;
// - captains-log has a mock (catalogue kong-blog), crew has none; coolstore is protected;
// - kong-real routes nothing to a mock, and its policies live on its self-hosted global control plane.

const KONG_PERF = 'environments/kong-perf.yaml';
const KONG_REAL = 'environments/kong-real.yaml';
const ROUTES = ['kong-perf/zone-mock-services/captains-log.routing.k8s.yaml', 'kong-perf/zone-real-services/captains-log.routing.k8s.yaml'];
const NOW = '2026-03-01T10:00:00Z';
/** A reason with characters that YAML flow maps and Markdown tables treat specially. */
const REASON = 'perf test: ship-info | run #2';

/** The captains-log MeshHTTPRoute of a dist/ file. */
function captainsLogRoute(dir: string, file: string): any {
  return distObjects(dir, file).find((o) => o.kind === 'MeshHTTPRoute' && o.metadata.name === 'captains-log-route');
}

/** The row of a service in a ROUTING.md. */
function routingRow(dir: string, env: string, service: string): string | undefined {
  return read(dir, `dist/${env}/ROUTING.md`)
    .split('\n')
    .find((l) => l.startsWith(`| ${service} `));
}

interface Scenario {
  dir: string;
  original: Record<string, string>;
  run: CliRun;
}

async function scenario(args: readonly string[], prepare?: (dir: string) => void): Promise<Scenario> {
  const { dir } = gitRepoCopy();
  if (prepare !== undefined) {
    prepare(dir);
    commitAll(dir, 'prepare');
  }
  const original = snapshotTree(dir);
  return { dir, original, run: await meshflipAsync(dir, ['flip', ...args]) };
}

/**
 * A schema folder holding one CRD, for MeshHTTPRoute, that allows one backend per rule: a route
 * split between the real service and the mock breaks it. Every other kind has no schema.
 */
const ONE_BACKEND_CRD = [
  'apiVersion: apiextensions.k8s.io/v1',
  'kind: CustomResourceDefinition',
  'metadata: { name: meshhttproutes.kuma.io }',
  'spec:',
  '  group: kuma.io',
  '  names: { kind: MeshHTTPRoute, listKind: MeshHTTPRouteList, plural: meshhttproutes, singular: meshhttproute }',
  '  scope: Namespaced',
  '  versions:',
  '    - name: v1alpha1',
  '      served: true',
  '      storage: true',
  '      schema:',
  '        openAPIV3Schema:',
  '          type: object',
  '          properties:',
  '            spec:',
  '              type: object',
  '              x-kubernetes-preserve-unknown-fields: true',
  '              properties:',
  '                to:',
  '                  type: array',
  '                  items:',
  '                    type: object',
  '                    x-kubernetes-preserve-unknown-fields: true',
  '                    properties:',
  '                      rules:',
  '                        type: array',
  '                        items:',
  '                          type: object',
  '                          x-kubernetes-preserve-unknown-fields: true',
  '                          properties:',
  '                            default:',
  '                              type: object',
  '                              x-kubernetes-preserve-unknown-fields: true',
  '                              properties:',
  '                                backendRefs: { type: array, maxItems: 1, items: { type: object, x-kubernetes-preserve-unknown-fields: true } }',
  '',
].join('\n');

const COMMENTED = '  services:\n    # until the perf report is out\n    captains-log: mock  # see PERF-42\n';

let toReal: Scenario & { changed: string[]; envDiff: string[]; text: string; routes: any[] };
let back: { run: CliRun; tree: Record<string, string>; changed: string[] };
let options: Scenario;
let header: Scenario;
let record: Scenario;
let all: Scenario;
let commented: Scenario;
let rejected: Scenario;
let refusals: { dir: string; original: Record<string, string>; runs: Record<string, CliRun> };
let stale: Scenario;

const REFUSALS: Record<string, string[]> = {
  protected: ['coolstore', 'inventory', '--to', 'mock'],
  'protected --all': ['coolstore', '--all', '--to', 'real'],
  'unknown environment': ['kong-prf', 'captains-log', '--to', 'real'],
  'unknown service': ['kong-perf', 'captains-lgo', '--to', 'real'],
  'no mock': ['kong-perf', 'crew', '--to', 'mock'],
  'weight 0': ['kong-perf', 'captains-log', '--to', 'mock', '--weight', '0'],
  'weight 101': ['kong-perf', 'captains-log', '--to', 'mock', '--weight', '101'],
  'weight 2.5': ['kong-perf', 'captains-log', '--to', 'mock', '--weight', '2.5'],
  'weight to real': ['kong-perf', 'captains-log', '--to', 'real', '--weight', '30'],
  'header uppercase': ['kong-perf', 'captains-log', '--to', 'mock', '--header', 'X-Mock=true'],
  'header without value': ['kong-perf', 'captains-log', '--to', 'mock', '--header', 'x-mock'],
  'header to real': ['kong-perf', 'captains-log', '--to', 'real', '--header', 'x-mock=true'],
  'expires word': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', 'tomorrow'],
  'expires month 13': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', '2026-13-01'],
  'expires 30 February': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', '2026-02-30T12:00:00Z'],
  'expires 99999999w': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', '99999999w'],
  'expires 367d': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', '367d'],
  'expires 0m': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', '0m'],
  'expires past date': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', '2020-01-01', '--now', NOW],
  'expires now': ['kong-perf', 'captains-log', '--to', 'mock', '--expires', NOW, '--now', NOW],
  'to sideways': ['kong-perf', 'captains-log', '--to', 'sideways'],
  'no --to': ['kong-perf', 'captains-log'],
  'no service': ['kong-perf', '--to', 'mock'],
  'service and --all': ['kong-perf', 'captains-log', '--all', '--to', 'mock'],
  'already real': ['kong-real', 'captains-log', '--to', 'real'],
};

beforeAll(async () => {
  const flipBack = async (): Promise<typeof toReal> => {
    const s = await scenario(['kong-perf', 'captains-log', '--to', 'real']);
    const after = {
      changed: changedFiles(s.dir),
      envDiff: diffLines(s.dir, KONG_PERF),
      text: read(s.dir, KONG_PERF),
      routes: ROUTES.map((f) => captainsLogRoute(s.dir, f)),
    };
    const run = await meshflipAsync(s.dir, ['flip', 'kong-perf', 'captains-log', '--to', 'mock']);
    back = { run, tree: snapshotTree(s.dir), changed: changedFiles(s.dir) };
    return { ...s, ...after };
  };
  const refuse = async () => {
    const { dir } = gitRepoCopy();
    const original = snapshotTree(dir);
    const runs: Record<string, CliRun> = {};
    const started = Object.entries(REFUSALS).map(([name, args]) => [name, meshflipAsync(dir, ['flip', ...args])] as const);
    for (const [name, run] of started) {
      runs[name] = await run;
    }
    return { dir, original, runs };
  };
  [toReal, options, header, all, commented, rejected, refusals, record, stale] = await Promise.all([
    flipBack(),
    scenario(['kong-perf', 'captains-log', '--to', 'mock', '--weight', '30', '--expires', '3d', '--now', NOW, '--reason', REASON]),
    scenario(['kong-perf', 'captains-log', '--to', 'mock', '--header', 'x-mock=true']),
    scenario(['kong-real', '--all', '--to', 'mock']),
    scenario(['kong-perf', 'captains-log', '--to', 'mock', '--weight', '30'], (dir) =>
      edit(dir, KONG_PERF, '  services:\n    captains-log: mock\n', COMMENTED),
    ),
    scenario(['kong-perf', 'captains-log', '--to', 'mock', '--weight', '30'], (dir) => {
      fs.mkdirSync(path.join(dir, 'environments/crds/kuma'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'environments/crds/kuma/meshhttproute.yaml'), ONE_BACKEND_CRD);
    }),
    refuse(),
    scenario(['kong-perf', 'captains-log', '--to', 'record']),
    // The environment file edited by hand and committed without rendering: dist/ is out of date.
    scenario(['kong-perf', 'captains-log', '--to', 'real'], (dir) =>
      edit(dir, KONG_PERF, '    captains-log: mock\n', '    captains-log: { to: mock, weight: 50 }\n'),
    ),
  ]);
}, 180_000);
afterAll(removeTempDirs);

describe('flip kong-perf captains-log --to real, and back', () => {
  test('deletes exactly the routing lines: nothing else is routed, so the emptied routing map goes too', () => {
    // THEN
    expect(toReal.run.status).toBe(0);
    expect(toReal.envDiff).toEqual(['-routing:', '-  services:', '-    captains-log: mock']);
    expect(toReal.text).toBe(toReal.original[KONG_PERF].replace('routing:\n  services:\n    captains-log: mock\n', ''));
  });

  test('changes only the captains-log route of each zone and the routing table of kong-perf', () => {
    // THEN in the tree
    // (INPUTS.sha256 records the digest of the edited file: only kong-perf's changes)
    expect(toReal.changed).toEqual(
      [KONG_PERF, 'dist/kong-perf/INPUTS.sha256', 'dist/kong-perf/ROUTING.md', ...ROUTES.map((f) => `dist/${f}`)].sort(),
    );
    // THEN and as the command reports it: the edited lines, the routing change, the dist/ files
    expect(lines(toReal.run.stdout)).toEqual([
      'flipped captains-log in kong-perf to real; edited environments/kong-perf.yaml',
      '  - routing:',
      '  -   services:',
      '  -     captains-log: mock',
      '  kong-perf (kong-mesh)',
      '    captains-log',
      '      was: mock',
      '      now: real',
      'dist/: 0 added, 4 changed, 0 removed',
      '  ~ kong-perf/INPUTS.sha256',
      '  ~ kong-perf/ROUTING.md',
      ...ROUTES.map((f) => `  ~ ${f}`),
    ]);
    expect(toReal.run.stderr).toBe('');
  });

  test('the route of each zone then sends all captains-log traffic to the real instances', () => {
    // WHEN (beforeAll) read right after the flip to real
    for (const route of toReal.routes) {
      // THEN one rule for every path, to the instances tagged app: captains-log
      expect(route.spec.to[0].rules).toHaveLength(1);
      expect(backendWeights(route.spec.to[0].rules[0])).toEqual({ 'captains-log': 100 });
    }
  });

  test('flipping back restores the environment file and dist/ byte for byte', () => {
    // THEN
    expect(back.run.status).toBe(0);
    expect(lines(back.run.stdout).slice(0, 8)).toEqual([
      'flipped captains-log in kong-perf to mock; edited environments/kong-perf.yaml',
      '  + routing:',
      '  +   services:',
      '  +     captains-log: mock',
      '  kong-perf (kong-mesh)',
      '    captains-log',
      '      was: real',
      '      now: mock',
    ]);
    expect(back.changed).toEqual([]);
    // Every file of the repository but git's own: the unchanged files of dist/ are hard-linked
    // into each new tree, which changes their ctime, so `git status` refreshes its index.
    const outsideGit = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([file]) => !file.startsWith('.git/')));
    expect(outsideGit(back.tree)).toEqual(outsideGit(toReal.original));
  });
});

describe('flip with --weight, --expires and --reason', () => {
  test('writes them as one flow map on the routing line, with the expiry 3 days after --now', () => {
    // THEN
    expect(options.run.status).toBe(0);
    expect(diffLines(options.dir, KONG_PERF)).toEqual([
      '-    captains-log: mock',
      '+    captains-log: { to: mock, weight: 30, expires: 2026-03-04T10:00:00Z, reason: "perf test: ship-info | run #2" }',
    ]);
  });

  test('renders a 70/30 split between the real instances and the mock in the route of each zone', () => {
    for (const file of ROUTES) {
      // WHEN
      const route = captainsLogRoute(options.dir, file);
      // THEN 30 % to the mock (app: mountebank), the rest to the real service
      expect(route.spec.to[0].rules).toHaveLength(1);
      expect(backendWeights(route.spec.to[0].rules[0])).toEqual({ 'captains-log': 70, mountebank: 30 });
    }
  });

  test('keeps the reason and the expiry in the audit annotations of both routes', () => {
    for (const file of ROUTES) {
      // WHEN
      const { annotations } = captainsLogRoute(options.dir, file).metadata;
      // THEN
      expect(annotations['meshflip.io/reason']).toBe(REASON);
      expect(annotations['meshflip.io/expires']).toBe('2026-03-04T10:00:00Z');
      expect(annotations['meshflip.io/source']).toBe('environments/kong-perf.yaml#routing.services.captains-log');
    }
  });

  test('shows split, expiry and reason in ROUTING.md, the pipe of the reason escaped for the table', () => {
    // THEN namespace from kong-perf, the delay fault on the real service from faults.captains-log
    expect(routingRow(options.dir, 'kong-perf', 'captains-log')).toBe(
      '| captains-log | my-services | split 70% real / 30% mock | - | delay 1s on 100% (real) | - | 2026-03-04T10:00:00Z | perf test: ship-info \\| run #2 |',
    );
  });

  test('reports the change in words, with the reason', () => {
    // THEN
    expect(lines(options.run.stdout).slice(3, 9)).toEqual([
      '  kong-perf (kong-mesh)',
      '    captains-log',
      '      was: mock',
      '      now: split 70% real / 30% mock',
      '      expires 2026-03-04T10:00:00Z',
      `      reason: ${REASON}`,
    ]);
  });
});

describe('flip with --header', () => {
  test('writes the header into the routing line', () => {
    // THEN
    expect(header.run.status).toBe(0);
    expect(diffLines(header.dir, KONG_PERF)).toEqual([
      '-    captains-log: mock',
      '+    captains-log: { to: mock, header: { name: x-mock, value: "true" } }',
    ]);
  });

  test('reports the states before and after on lines of their own: the header route keeps its own words, no arrow', () => {
    // THEN
    expect(lines(header.run.stdout).slice(0, 7)).toEqual([
      'flipped captains-log in kong-perf to mock; edited environments/kong-perf.yaml',
      '  -     captains-log: mock',
      '  +     captains-log: { to: mock, header: { name: x-mock, value: "true" } }',
      '  kong-perf (kong-mesh)',
      '    captains-log',
      '      was: mock',
      '      now: real; requests with x-mock: true go to mock',
    ]);
    expect(header.run.stdout).not.toContain('->');
  });

  test('renders a rule that sends requests carrying the header to the mock, and everything else to the real service', () => {
    for (const file of ROUTES) {
      // WHEN
      const [byHeader, rest] = captainsLogRoute(header.dir, file).spec.to[0].rules;
      // THEN the header rule comes first, so it wins over the catch-all
      expect(byHeader.matches[0].headers).toEqual([{ name: 'x-mock', type: 'Exact', value: 'true' }]);
      expect(backendWeights(byHeader)).toEqual({ mountebank: 100 });
      expect(rest.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
      expect(backendWeights(rest)).toEqual({ 'captains-log': 100 });
    }
  });
});

describe('flip where dist/ is out of date', () => {
  test('reports the state the environment file said before the edit, not the one dist/ still holds', () => {
    // THEN dist/ held captains-log on its mock; the file said a 50/50 split
    expect(stale.run.status).toBe(0);
    expect(lines(stale.run.stdout).slice(1, 8)).toEqual([
      '  - routing:',
      '  -   services:',
      '  -     captains-log: { to: mock, weight: 50 }',
      '  kong-perf (kong-mesh)',
      '    captains-log',
      '      was: split 50% real / 50% mock',
      '      now: real',
    ]);
  });
});

describe('flip --to record', () => {
  test('writes one routing line, and renders the mock as a recording proxy in front of the real captains-log', () => {
    // THEN
    expect(record.run.status).toBe(0);
    expect(diffLines(record.dir, KONG_PERF)).toEqual(['-    captains-log: mock', '+    captains-log: record']);
    const mock = distObjects(record.dir, 'kong-perf/zone-mock-services/captains-log.mock.k8s.yaml').find((o) => o.kind === 'ConfigMap');
    expect(JSON.parse(mock.data['imposters.json']).imposters[0].stubs[0].responses[0].proxy).toMatchObject({
      to: 'http://captains-log.my-services.svc.cluster.local:5000',
      mode: 'proxyOnce',
    });
    expect(routingRow(record.dir, 'kong-perf', 'captains-log')).toBe(
      '| captains-log (recording: the mock proxies to the real service) | my-services | mock | - | delay 1s on 100% (real) | - | - | - |',
    );
  });
});

describe('flip --all', () => {
  test('writes routing.default instead of one line per service', () => {
    // THEN kong-real had no routing, so the map is added after services (the order of the schema)
    expect(all.run.status).toBe(0);
    expect(diffLines(all.dir, KONG_REAL)).toEqual(['+routing:', '+  default: mock']);
    expect(read(all.dir, KONG_REAL)).toContain('    zones: [real-services, mock-services]\nrouting:\n  default: mock\nfaults:\n');
  });

  test('sends every service that has a mock to it: in kong-real that is captains-log alone', () => {
    // THEN
    expect(changedFiles(all.dir)).toEqual(
      [KONG_REAL, 'dist/kong-real/INPUTS.sha256', 'dist/kong-real/ROUTING.md', 'dist/kong-real/global/captains-log.routing.k8s.yaml'].sort(),
    );
    const route = captainsLogRoute(all.dir, 'kong-real/global/captains-log.routing.k8s.yaml');
    expect(backendWeights(route.spec.to[0].rules[0])).toEqual({ mountebank: 100 });
    expect(route.metadata.annotations['meshflip.io/source']).toBe('environments/kong-real.yaml#routing.default');
    expect(lines(all.run.stdout).slice(0, 7)).toEqual([
      'flipped every mocked service in kong-real to mock; edited environments/kong-real.yaml',
      '  + routing:',
      '  +   default: mock',
      '  kong-real (kong-mesh)',
      '    captains-log',
      '      was: real',
      '      now: mock',
    ]);
  });
});

describe('formatting elsewhere in the file', () => {
  test('comments above and after the routing line survive an edit of it', () => {
    // THEN only the value changed; the trailing comment stays on its line
    expect(commented.run.status).toBe(0);
    expect(diffLines(commented.dir, KONG_PERF)).toEqual([
      '-    captains-log: mock  # see PERF-42',
      '+    captains-log: { to: mock, weight: 30 }  # see PERF-42',
    ]);
    expect(read(commented.dir, KONG_PERF)).toBe(
      commented.original[KONG_PERF].replace('    captains-log: mock  # see PERF-42\n', '    captains-log: { to: mock, weight: 30 }  # see PERF-42\n'),
    );
  });
});

describe('a flip whose rendered objects break a schema of environments/crds', () => {
  test('fails at each broken object, naming the routing line that caused it', () => {
    // THEN
    const source = `environments/kong-perf.yaml:${lineOf(rejected.original[KONG_PERF], '    captains-log: mock')} (routing.services.captains-log)`;
    expect(rejected.run.status).toBe(1);
    expect(rejected.run.stdout).toBe('');
    expect(lines(rejected.run.stderr).filter((l) => l.startsWith('error:'))).toEqual(
      ['zone-mock-services', 'zone-real-services'].map(
        (zone) =>
          `error: dist/kong-perf/${zone}/captains-log.routing.k8s.yaml:2:1: MeshHTTPRoute kong-mesh-system/captains-log-route: ` +
          `spec.to[0].rules[0].default.backendRefs: must have at most 1 item, got 2; generated from ${source}`,
      ),
    );
    expect(lines(rejected.run.stderr).at(-1)).toBe('2 problems found; nothing was written.');
  });

  test('warns once per kind without a schema, not once per object', () => {
    // THEN every example environment has Deployments; one line says how many
    const deployments = lines(rejected.run.stderr).filter((l) => l.includes('no schema for apps/v1 Deployment'));
    expect(deployments).toHaveLength(1);
    expect(deployments[0]).toMatch(
      /^warning: dist\/\S+:\d+:1: Deployment \S+: no schema for apps\/v1 Deployment \(and \d+ more objects of this kind\); objects of a kind without a schema are not checked: add its CRD to the schema folder$/,
    );
  });

  test('leaves the environment file and dist/ as they were', () => {
    // THEN
    expect(snapshotTree(rejected.dir)).toEqual(rejected.original);
    expect(changedFiles(rejected.dir)).toEqual([]);
  });
});

describe('refusals change no file', () => {
  // GIVEN one repository copy; WHEN (beforeAll) every refused flip runs in it
  /** A refusal: exit 1, nothing on stdout, one error line and one hint line on stderr. */
  function expectRefusal(name: string, error: string, hint: string): void {
    const run = refusals.runs[name];
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([`error: ${error}`, `hint: ${hint}`]);
  }

  test('fails when the environment is protected', () => {
    // THEN for a service and for --all alike
    expectRefusal(
      'protected',
      'environment coolstore is protected: it never routes to a mock, so it cannot be flipped',
      'environments/coolstore.yaml says protected: true',
    );
    expectRefusal(
      'protected --all',
      'environment coolstore is protected: it never routes to a mock, so it cannot be flipped',
      'environments/coolstore.yaml says protected: true',
    );
  });

  test('fails when the environment is unknown, suggesting the closest name', () => {
    // THEN
    expectRefusal('unknown environment', 'no environment "kong-prf"', 'did you mean "kong-perf"?');
  });

  test('fails when the service is unknown, suggesting the closest name', () => {
    // THEN
    expectRefusal('unknown service', 'no service "captains-lgo" in environment kong-perf', 'did you mean "captains-log"?');
  });

  test('fails when the service has no mock, naming the catalogue file to add one to', () => {
    // THEN
    expectRefusal('no mock', 'service crew has no mock', 'add mock: {imposters: [...]} to crew in environments/catalog/kong-blog.yaml');
  });

  test('fails when --weight is not a whole percentage, or comes with --to real', () => {
    // THEN
    for (const [name, value] of [
      ['weight 0', '0'],
      ['weight 101', '101'],
      ['weight 2.5', '2.5'],
    ]) {
      expectRefusal(
        name,
        `--weight must be a whole number from 1 to 100 with --to mock, got "${value}"`,
        '--weight 30 sends 30% of traffic to the mock',
      );
    }
    expectRefusal(
      'weight to real',
      '--weight only applies with --to mock: --to real sends all traffic to the real service',
      'drop --weight, or send part of the traffic to the mock with --to mock --weight 10',
    );
  });

  test('fails when --header is not lowercase name=value, or comes with --to real', () => {
    // THEN
    for (const [name, value] of [
      ['header uppercase', 'X-Mock=true'],
      ['header without value', 'x-mock'],
    ]) {
      expectRefusal(name, `--header must be name=value (a lowercase header name) with --to mock, got "${value}"`, '--header x-mock=true');
    }
    expectRefusal(
      'header to real',
      '--header only applies with --to mock: --to real sends all traffic to the real service',
      'drop --header, or route requests with the header to the mock with --to mock --header name=value',
    );
  });

  test('fails when --expires is no date, date-time or duration, including dates the calendar does not have', () => {
    // THEN
    for (const [name, value] of [
      ['expires word', 'tomorrow'],
      ['expires month 13', '2026-13-01'],
      ['expires 30 February', '2026-02-30T12:00:00Z'],
    ]) {
      expectRefusal(
        name,
        `--expires must be a date, a date-time or a duration from 1m to 366d (90m, 12h, 3d, 2w), got "${value}"`,
        '--expires 3d, or a date such as 2027-06-30 for a later expiry',
      );
    }
  });

  test('fails when an --expires duration is out of range, also one past the end of JavaScript dates', () => {
    // THEN
    for (const value of ['99999999w', '367d', '0m']) {
      expectRefusal(
        `expires ${value}`,
        `--expires must be a date, a date-time or a duration from 1m to 366d (90m, 12h, 3d, 2w), got "${value}"`,
        '--expires 3d, or a date such as 2027-06-30 for a later expiry',
      );
    }
  });

  test('fails when --expires has passed: the next validate would fail on it', () => {
    // THEN
    expectRefusal(
      'expires past date',
      '--expires must be in the future, got "2020-01-01" (it is now 2026-03-01T10:00:00Z)',
      '--expires 3d, or a later date',
    );
    expectRefusal('expires now', `--expires must be in the future, got "${NOW}" (it is now 2026-03-01T10:00:00Z)`, '--expires 3d, or a later date');
  });

  test('fails when --to is missing or not mock or real', () => {
    // THEN
    expectRefusal('to sideways', '--to must be mock, real or record, got "sideways"', 'meshflip flip kong-perf captains-log --to mock');
    expectRefusal('no --to', '--to must be mock, real or record, got nothing', 'meshflip flip kong-perf captains-log --to mock');
  });

  test('fails without exactly one of a service and --all', () => {
    // THEN
    expectRefusal('no service', 'expected an environment and either a service or --all', 'meshflip flip kong-perf captains-log --to mock');
    expectRefusal('service and --all', 'expected an environment and either a service or --all', 'meshflip flip kong-perf captains-log --to mock');
  });

  test('a flip to where traffic already goes changes nothing and succeeds, also where the file has no routing at all', () => {
    // THEN kong-real has no routing map: captains-log is real by default
    const run = refusals.runs['already real'];
    expect(run.status).toBe(0);
    expect(lines(run.stdout)).toEqual(['environments/kong-real.yaml already says that; nothing to change']);
  });

  test('none of them touched a file', () => {
    // THEN
    expect(snapshotTree(refusals.dir)).toEqual(refusals.original);
    expect(changedFiles(refusals.dir)).toEqual([]);
  });
});

describe('what a flip leaves for the next command', () => {
  test('the edited environment file is kept parsed as the bytes written: validate, diff and ci-summary do not parse it again', async () => {
    // GIVEN a repository and a cache folder of its own
    const { dir } = gitRepoCopy();
    const cache = tempDir('meshflip-cache-');
    // WHEN captains-log is flipped to the real service
    const run = await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real'], { MESHFLIP_CACHE_DIR: cache });
    expect(run.status).toBe(0);
    // THEN the cache holds the parse of the file as written, under its bytes
    const parses = new ParseCache(defaultParseCache({ MESHFLIP_CACHE_DIR: cache })!);
    const written = fs.readFileSync(path.join(dir, KONG_PERF));
    expect(written.toString('utf8')).not.toContain('captains-log: mock');
    expect(parses.restore(KONG_PERF, written)).toBeDefined();
  });

  test('the routing before comes from what synthesis kept for the files dist/ holds, and from the files when they were edited by hand', async () => {
    /** A repository and cache after synth, whose kept routing of kong-perf says captains-log went to the real service (it went to its mock). */
    const prepared = async () => {
      const { dir } = gitRepoCopy();
      const cache = tempDir('meshflip-cache-');
      expect((await meshflipAsync(dir, ['synth'], { MESHFLIP_CACHE_DIR: cache })).status).toBe(0);
      const entries = path.join(cache, 'checks', 'routing');
      const tampered = fs.readdirSync(entries).filter((name) => {
        const file = path.join(entries, name);
        const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { value: { name: string; services: { name: string; default: string }[] } };
        if (entry.value.name !== 'kong-perf') {
          return false;
        }
        entry.value.services.filter((service) => service.name === 'captains-log').forEach((service) => (service.default = 'real'));
        fs.writeFileSync(file, JSON.stringify(entry));
        return true;
      });
      expect(tampered).toHaveLength(1);
      return { dir, cache };
    };
    const flipToReal = (dir: string, cache: string) =>
      meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real'], { MESHFLIP_CACHE_DIR: cache });
    // WHEN dist/ holds the files synthesis kept the routing of
    const asKept = await prepared();
    const fromKept = await flipToReal(asKept.dir, asKept.cache);
    // THEN the routing before is the kept one: real, as the routing after
    expect(fromKept.status).toBe(0);
    expect(lines(fromKept.stdout)).toContain('  no routing changes');
    // WHEN a file of kong-perf was edited by hand (a comment: the objects, and the routing, are the same)
    const edited = await prepared();
    fs.appendFileSync(path.join(edited.dir, 'dist', ROUTES[0]), '# reviewed\n');
    const fromFiles = await flipToReal(edited.dir, edited.cache);
    // THEN the files were read: the routing before is what they hold
    expect(fromFiles.status).toBe(0);
    expect(lines(fromFiles.stdout)).toContain('      was: mock');
  });
});

describe('the edit spliced without parsing the file again', () => {
  test('is checked against what the file then loads as: a splice that gives anything else is made again by the edit that checks itself', async () => {
    // GIVEN a splice that writes the wrong value (as a mistaken offset would)
    const args = ['kong-perf', 'captains-log', '--to', 'mock', '--weight', '30', '--expires', '3d', '--now', NOW, '--reason', REASON];
    const spliced = jest.spyOn(editYaml, 'setYamlValueAt').mockImplementation((text) => text.replace('captains-log: mock', 'captains-log: real'));
    let wrong: Scenario;
    let calls: number;
    try {
      wrong = await scenario(args);
      calls = spliced.mock.calls.length;
    } finally {
      spliced.mockRestore();
    }
    // THEN the splice was made, and the flip is exactly the one made without it: the same
    // environment file, the same dist/, the same report
    expect(calls).toBe(1);
    expect(wrong.run.status).toBe(0);
    for (const folder of ['environments', 'dist']) {
      expect(snapshotTree(path.join(wrong.dir, folder))).toEqual(snapshotTree(path.join(options.dir, folder)));
    }
    expect(wrong.run.stdout).toBe(options.run.stdout);
  });
});
