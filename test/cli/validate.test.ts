import * as fs from 'fs';
import * as path from 'path';
import { CONFIGURED_CRDS, copyRepo, describeWithCrds, removeTempDirs, snapshotTree } from '../util';
import { listEnvironmentFiles } from '../../src/pipeline/dist/read-dist';
import { outputsDigest } from '../../src/pipeline/dist/outputs-digest';
import { CliRun, countObjects, edit, lineOf, lines, meshflipAsync, read } from './cli-util';

/** Printed when no schema folder is configured: objects are then not checked against CRDs. */
const NO_SCHEMAS = 'note: no schema folder, so objects were not checked against CRDs (use --crds or fill environments/crds)';

/** The problem lines of stderr, without the schema note. */
function problems(stderr: string): string[] {
  return lines(stderr).filter((l) => l !== NO_SCHEMAS);
}

// `meshflip validate` checks environments/, that dist/ is exactly what they render to, and dist/
// as it is, hand edits included. It renders only the environments whose inputs or files differ
// from what their INPUTS.sha256 records (the digest of the inputs, and of the files rendered from
// them); --full renders every one. An INPUTS.sha256 edited to match hand-edited files is trusted:
// every check over dist/ as it is still sees the edits, but only a full rendering (--full, and
// CI's npm run synth) calls such a file stale. Problems are printed on stderr as `file:line:col: field: message`,
// one per line, sorted by file and line; stdout gets one verdict line; the exit code is 1 on any
// error and 0 with only warnings.

const STALE = 'differs from a fresh synthesis: dist/ is out of date; run npm run synth and commit dist/';
const CAPTAINS_LOG_ROUTE = 'dist/kong-perf/zone-real-services/captains-log.routing.k8s.yaml';
const CREW = 'dist/kong-perf/zone-real-services/crew.k8s.yaml';
const INVENTORY_ROUTING = 'dist/coolstore/workloads/inventory.routing.k8s.yaml';
const KONG_PERF_INPUTS = 'dist/kong-perf/INPUTS.sha256';
const EXPIRES = '2026-06-01T12:00:00Z';

/** The line an object starts on: its first key, apiVersion, sits right above `kind: <kind>` (keys are sorted). */
function objectLine(text: string, kind: string): number {
  return lineOf(text, `kind: ${kind}`) - 1;
}

let objects: number;
let repo: string;
let repoBefore: Record<string, string>;
let handEdited: string;
let protectedMock: string;
let stale: string;
let expiring: string;
let noSuchDay: string;
let schemaBroken: string;
let digestEdited: string;
let forged: string;
const run: Record<string, CliRun> = {};

beforeAll(async () => {
  repo = copyRepo(['environments', 'dist']);
  repoBefore = snapshotTree(repo);
  objects = countObjects(path.join(repo, 'dist'));

  // Three hand edits of dist/, in three files.
  handEdited = copyRepo(['environments', 'dist']);
  edit(handEdited, CREW, '        - image: kong/blog:crew\n', '        - image: kong/blog\n');
  edit(
    handEdited,
    INVENTORY_ROUTING,
    '      name: http\n',
    '      fault:\n        abort:\n          httpStatus: 500\n          percentage:\n            value: 10\n      name: http\n',
  );
  // Only the route, the file's first object, loses the label; the fault injection after it keeps it.
  const route = read(handEdited, CAPTAINS_LOG_ROUTE);
  fs.writeFileSync(path.join(handEdited, CAPTAINS_LOG_ROUTE), route.replace('    kuma.io/origin: zone\n', ''));

  // The same hand edits, with the digests of the files in INPUTS.sha256 made to match them.
  forged = copyRepo(['environments', 'dist']);
  for (const file of [CREW, INVENTORY_ROUTING, CAPTAINS_LOG_ROUTE]) {
    fs.writeFileSync(path.join(forged, file), read(handEdited, file));
  }
  for (const env of ['kong-perf', 'coolstore']) {
    const distDir = path.join(forged, 'dist');
    const files = listEnvironmentFiles(distDir, new Set([env])).map((f) => ({ path: f, content: fs.readFileSync(path.join(distDir, f), 'utf8') }));
    const inputsFile = `dist/${env}/INPUTS.sha256`;
    fs.writeFileSync(path.join(forged, inputsFile), read(forged, inputsFile).replace(/^[0-9a-f]{64}(?= {2}\(outputs\))/m, outputsDigest(files)));
  }

  // A hand edit of kong-perf's crew, and of the digest that says what kong-perf was rendered from.
  digestEdited = copyRepo(['environments', 'dist']);
  edit(digestEdited, CREW, '        - image: kong/blog:crew\n', '        - image: kong/blog\n');
  const inputs = read(digestEdited, KONG_PERF_INPUTS);
  fs.writeFileSync(path.join(digestEdited, KONG_PERF_INPUTS), inputs.replace(/^[0-9a-f]{64}(?= {2}\(digest\))/m, '0'.repeat(64)));

  // The protected coolstore given a mock subset, and its inventory route sent there.
  protectedMock = copyRepo(['environments', 'dist']);
  edit(
    protectedMock,
    INVENTORY_ROUTING,
    '  host: inventory.coolstore-inventory.svc.cluster.local\n  trafficPolicy:\n',
    '  host: inventory.coolstore-inventory.svc.cluster.local\n  subsets:\n    - labels:\n        app: mountebank\n      name: mock\n  trafficPolicy:\n',
  );
  edit(
    protectedMock,
    INVENTORY_ROUTING,
    '            host: inventory.coolstore-inventory.svc.cluster.local\n            port:\n              number: 80\n',
    '            host: inventory.coolstore-inventory.svc.cluster.local\n            port:\n              number: 80\n            subset: mock\n',
  );

  // kong-perf's captains-log flipped to real by hand, without npm run synth.
  stale = copyRepo(['environments', 'dist']);
  edit(stale, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n');

  // captains-log flipped with an expiry (flip renders dist/, so only the clock decides).
  expiring = copyRepo(['environments', 'dist']);
  const flipped = meshflipAsync(expiring, [
    'flip',
    'kong-perf',
    'captains-log',
    '--to',
    'mock',
    '--expires',
    EXPIRES,
    '--now',
    '2026-05-01T00:00:00Z',
  ]).then((flip) => {
    expect(flip.status).toBe(0);
  });
  const afterFlip = (args: string[], env?: NodeJS.ProcessEnv) => flipped.then(() => meshflipAsync(expiring, args, env));

  // An expiry on 30 February, which JavaScript would read as 2 March.
  noSuchDay = copyRepo(['environments', 'dist']);
  edit(
    noSuchDay,
    'environments/kong-perf.yaml',
    '    delay: { value: 1s, percent: 100 }\n',
    '    delay: { value: 1s, percent: 100 }\n    expires: 2026-02-30\n',
  );

  // A Deployment given a replica count as text, and a MeshHTTPRoute given a field Kuma does not know.
  schemaBroken = copyRepo(['environments', 'dist']);
  edit(schemaBroken, CREW, '  replicas: 1\n', '  replicas: one\n');
  edit(schemaBroken, CAPTAINS_LOG_ROUTE, '  targetRef:\n    kind: Mesh\n', '  targetRef:\n    kind: Mesh\n  timeout: 5s\n');

  const runs: Record<string, Promise<CliRun>> = {
    repository: meshflipAsync(repo, ['validate']),
    'hand edits': meshflipAsync(handEdited, ['validate']),
    'hand edits, --full': meshflipAsync(handEdited, ['validate', '--full']),
    'hand edits, digests forged': meshflipAsync(forged, ['validate']),
    'hand edits, digests forged, --full': meshflipAsync(forged, ['validate', '--full']),
    'digest edited': meshflipAsync(digestEdited, ['validate']),
    'protected mock': meshflipAsync(protectedMock, ['validate']),
    stale: meshflipAsync(stale, ['validate']),
    '12 h before': afterFlip(['validate', '--now', '2026-06-01T00:00:00Z']),
    '3 h after': afterFlip(['validate'], { MESHFLIP_NOW: '2026-06-01T15:00:00Z' }),
    'a week before': afterFlip(['validate', '--now', '2026-05-25T12:00:00Z']),
    'no such day': meshflipAsync(noSuchDay, ['validate', '--now', '2026-01-01T00:00:00Z']),
    'strict without schemas': meshflipAsync(repo, ['validate', '--strict']),
    'synth strict without schemas': meshflipAsync(repo, ['synth', '--strict']),
    'dist missing': meshflipAsync(repo, ['validate', '--dist', '/nonexistent/dist']),
    'crds missing': meshflipAsync(repo, ['validate', '--crds', '/nonexistent/crds']),
    'MESHFLIP_CRDS missing': meshflipAsync(repo, ['validate'], { MESHFLIP_CRDS: '/nonexistent/crds' }),
    'crds is a file': meshflipAsync(repo, ['validate', '--crds', 'environments/meshflip.yaml']),
    'synth crds missing': meshflipAsync(repo, ['synth', '--crds', '/nonexistent/crds']),
  };
  if (CONFIGURED_CRDS !== undefined) {
    runs['strict with schemas'] = meshflipAsync(repo, ['validate', '--crds', CONFIGURED_CRDS, '--strict']);
    runs['schema-breaking edit'] = meshflipAsync(schemaBroken, ['validate', '--crds', CONFIGURED_CRDS]);
  }
  for (const [name, result] of Object.entries(runs)) {
    run[name] = await result;
  }
}, 120_000);
afterAll(removeTempDirs);

test('passes on the repository', () => {
  // WHEN
  const { status, stdout, stderr } = run.repository;
  // THEN
  expect(status).toBe(0);
  expect(lines(stderr)).toEqual([NO_SCHEMAS]);
  expect(lines(stdout)).toEqual([`valid: 8 environments, ${objects} objects in dist/: 0 errors, 0 warnings`]);
});

const FETCH_HINT =
  "hint: run npx meshflip crds fetch --out <dir> and pass --crds <dir>, or put your clusters' schemas in environments/crds (see environments/crds/README.md)";

test('fails when --strict has no schemas to be strict with, and so does synth --strict, writing nothing', () => {
  // THEN
  for (const name of ['strict without schemas', 'synth strict without schemas']) {
    const { status, stdout, stderr } = run[name];
    expect({ name, status, stdout }).toEqual({ name, status: 1, stdout: '' });
    expect(lines(stderr)).toEqual([
      'error: --strict needs schemas to be strict with: no --crds, no MESHFLIP_CRDS, and environments/crds is empty',
      FETCH_HINT,
    ]);
  }
  expect(snapshotTree(repo)).toEqual(repoBefore);
});

test('fails once, not once per file, when --dist names no folder', () => {
  // THEN
  expect(run['dist missing'].status).toBe(1);
  expect(lines(run['dist missing'].stderr)).toEqual([
    'error: /nonexistent/dist: no such folder, so there is no dist/ to validate',
    'hint: pass the folder synth writes to (repository.path of environments/meshflip.yaml)',
  ]);
});

test('fails with a usage error when the schema folder does not exist or is a file, from --crds or MESHFLIP_CRDS', () => {
  // THEN
  const expectRefusal = (name: string, error: string) => {
    expect({ name, status: run[name].status, stdout: run[name].stdout }).toEqual({ name, status: 1, stdout: '' });
    expect(lines(run[name].stderr)).toEqual([error, FETCH_HINT]);
  };
  expectRefusal('crds missing', 'error: --crds /nonexistent/crds: the schema folder does not exist');
  expectRefusal('MESHFLIP_CRDS missing', 'error: MESHFLIP_CRDS=/nonexistent/crds: the schema folder does not exist');
  expectRefusal(
    'crds is a file',
    `error: --crds ${path.join(repo, 'environments', 'meshflip.yaml')}: not a folder; schemas are read from a folder (one subfolder per cluster, or files)`,
  );
  expectRefusal('synth crds missing', 'error: --crds /nonexistent/crds: the schema folder does not exist');
});

describeWithCrds('validate --crds', () => {
  test('checks every object strictly against the schemas of a --crds folder', () => {
    // WHEN the committed dist/ is validated against the upstream schemas, kinds without a schema being errors
    const { status, stdout, stderr } = run['strict with schemas'];
    // THEN
    expect(status).toBe(0);
    expect(lines(stderr)).toEqual([]);
    expect(lines(stdout)).toEqual([`valid: 8 environments, ${objects} objects in dist/: 0 errors, 0 warnings`]);
  });

  test('fails when a hand edit breaks the schema of an object, at its file and line', () => {
    // WHEN
    const { status, stderr } = run['schema-breaking edit'];
    // THEN both are found by the schema check, each at the object's line in dist/
    const crewLine = objectLine(read(schemaBroken, CREW), 'Deployment');
    const routeLine = objectLine(read(schemaBroken, CAPTAINS_LOG_ROUTE), 'MeshHTTPRoute');
    const intentLine = lineOf(read(schemaBroken, 'environments/kong-perf.yaml'), '    captains-log: mock');
    expect(status).toBe(1);
    const stale = (file: string) =>
      `error: ${file}:1:1: (file): differs from a fresh synthesis: dist/ is out of date; run npm run synth and commit dist/`;
    expect(problems(stderr)).toEqual([
      stale(CAPTAINS_LOG_ROUTE),
      `error: ${CAPTAINS_LOG_ROUTE}:${routeLine}:1: MeshHTTPRoute kong-mesh-system/captains-log-route: spec.timeout: unknown field, got "timeout"; generated from environments/kong-perf.yaml:${intentLine} (routing.services.captains-log)`,
      stale(CREW),
      `error: ${CREW}:${crewLine}:1: Deployment my-services/crew: spec.replicas: must be an integer, got "one"`,
    ]);
  });
});

test('fails on hand edits of dist/, each located at the object in dist/ and traced back to its environment file', () => {
  // WHEN
  const { status, stdout, stderr } = run['hand edits'];
  // THEN every edited file is stale, and each edit breaks one rule:
  // - a protected environment never injects faults;
  // - a zone control plane only accepts policies labelled kuma.io/origin: zone;
  // - images are pinned by tag or digest.
  // The hints come from the meshflip.io/source annotations; a map value (retries.inventory) starts the line after its key.
  const inventory = read(handEdited, INVENTORY_ROUTING);
  const coolstore = read(handEdited, 'environments/coolstore.yaml');
  const crew = read(handEdited, CREW);
  expect(status).toBe(1);
  expect(problems(stderr)).toEqual([
    `error: ${INVENTORY_ROUTING}:1:1: (file): ${STALE}`,
    `error: ${INVENTORY_ROUTING}:${objectLine(inventory, 'VirtualService')}:1: VirtualService coolstore-inventory/inventory: ` +
      'injects faults in a protected environment; ' +
      `generated from environments/coolstore.yaml:${lineOf(coolstore, 'retries:') + 2} (retries.inventory)`,
    `error: ${CAPTAINS_LOG_ROUTE}:1:1: (file): ${STALE}`,
    `error: ${CAPTAINS_LOG_ROUTE}:2:1: MeshHTTPRoute kong-mesh-system/captains-log-route: ` +
      'is applied on a zone control plane without the label kuma.io/origin: zone, which the zone requires; ' +
      `generated from environments/kong-perf.yaml:${lineOf(read(handEdited, 'environments/kong-perf.yaml'), '    captains-log: mock')} (routing.services.captains-log)`,
    `error: ${CREW}:1:1: (file): ${STALE}`,
    `error: ${CREW}:${objectLine(crew, 'Deployment')}:1: Deployment my-services/crew: ` +
      'container crew uses image kong/blog, which is not pinned by tag or digest',
  ]);
  expect(lines(stdout)).toEqual([`invalid: 8 environments, ${objects} objects in dist/: 6 errors, 0 warnings`]);
});

test('--full reports the same: every environment rendered', () => {
  expect(run['hand edits, --full'].status).toBe(1);
  expect(run['hand edits, --full'].stderr).toBe(run['hand edits'].stderr);
  expect(run['hand edits, --full'].stdout).toBe(run['hand edits'].stdout);
});

test('trusts an INPUTS.sha256 made to match hand edits, and still reports each edit that breaks a rule; --full calls the files stale', () => {
  // WHEN the digests of the files say they are as rendered
  const { status, stdout, stderr } = run['hand edits, digests forged'];
  // THEN the same rule errors as for the hand edits, and no file called stale
  expect(status).toBe(1);
  expect(problems(stderr)).toEqual(problems(run['hand edits'].stderr).filter((l) => !l.endsWith(STALE)));
  expect(problems(stderr)).toHaveLength(3);
  expect(lines(stdout)).toEqual([`invalid: 8 environments, ${objects} objects in dist/: 3 errors, 0 warnings`]);
  // THEN rendering everything finds the files stale, and the edited INPUTS.sha256 with them
  const full = problems(run['hand edits, digests forged, --full'].stderr);
  expect(full.filter((l) => l.endsWith(STALE))).toEqual([
    `error: dist/coolstore/INPUTS.sha256:1:1: (file): ${STALE}`,
    `error: ${INVENTORY_ROUTING}:1:1: (file): ${STALE}`,
    `error: ${KONG_PERF_INPUTS}:1:1: (file): ${STALE}`,
    `error: ${CAPTAINS_LOG_ROUTE}:1:1: (file): ${STALE}`,
    `error: ${CREW}:1:1: (file): ${STALE}`,
  ]);
});

test('renders an environment whose INPUTS.sha256 was edited, and calls its hand-edited files stale', () => {
  // WHEN
  const { status, stderr } = run['digest edited'];
  const crew = read(digestEdited, CREW);
  // THEN
  expect(status).toBe(1);
  expect(problems(stderr)).toEqual([
    `error: ${KONG_PERF_INPUTS}:1:1: (file): ${STALE}`,
    `error: ${CREW}:1:1: (file): ${STALE}`,
    `error: ${CREW}:${objectLine(crew, 'Deployment')}:1: Deployment my-services/crew: ` +
      'container crew uses image kong/blog, which is not pinned by tag or digest',
  ]);
});

test('fails when a protected environment routes to a mock in dist/', () => {
  // WHEN
  const { status, stderr } = run['protected mock'];
  // THEN
  const inventory = read(protectedMock, INVENTORY_ROUTING);
  expect(status).toBe(1);
  expect(problems(stderr)).toEqual([
    `error: ${INVENTORY_ROUTING}:1:1: (file): ${STALE}`,
    `error: ${INVENTORY_ROUTING}:${objectLine(inventory, 'VirtualService')}:1: VirtualService coolstore-inventory/inventory: ` +
      'routes to a mock in a protected environment; ' +
      `generated from environments/coolstore.yaml:${lineOf(read(protectedMock, 'environments/coolstore.yaml'), 'retries:') + 2} (retries.inventory)`,
  ]);
});

test('fails when an environment was edited without synthesizing dist/', () => {
  // WHEN
  const { status, stdout, stderr } = run.stale;
  // THEN the files a flip of captains-log re-renders: its route in each zone and the routing table
  expect(status).toBe(1);
  // (and INPUTS.sha256, which records the edited file)
  expect(problems(stderr)).toEqual([
    `error: ${KONG_PERF_INPUTS}:1:1: (file): ${STALE}`,
    `error: dist/kong-perf/ROUTING.md:1:1: (file): ${STALE}`,
    `error: dist/kong-perf/zone-mock-services/captains-log.routing.k8s.yaml:1:1: (file): ${STALE}`,
    `error: dist/kong-perf/zone-real-services/captains-log.routing.k8s.yaml:1:1: (file): ${STALE}`,
  ]);
  expect(lines(stdout)).toEqual([`invalid: 8 environments, ${objects} objects in dist/: 4 errors, 0 warnings`]);
});

describe('expiry', () => {
  // The flip wrote `captains-log: { to: mock, expires: 2026-06-01T12:00:00Z }`; problems point at the expiry value.
  let where: string;
  beforeAll(() => {
    const text = read(expiring, 'environments/kong-perf.yaml');
    const line = lineOf(text, `    captains-log: { to: mock, expires: ${EXPIRES} }`);
    where = `environments/kong-perf.yaml:${line}:${text.split('\n')[line - 1].indexOf(EXPIRES) + 1}: routing.services.captains-log.expires`;
  });

  test('warns 12 hours before, and still passes', () => {
    // WHEN
    const { status, stdout, stderr } = run['12 h before'];
    // THEN
    expect(status).toBe(0);
    expect(problems(stderr)).toEqual([
      `warning: ${where}: is close: the routing of captains-log expires in 12 h, got "${EXPIRES}"; revert or extend it before then`,
    ]);
    expect(lines(stdout)).toEqual([`valid: 8 environments, ${objects} objects in dist/: 0 errors, 1 warning`]);
  });

  test('fails once passed (clock from MESHFLIP_NOW)', () => {
    // WHEN
    const { status, stdout, stderr } = run['3 h after'];
    // THEN
    expect(status).toBe(1);
    expect(problems(stderr)).toEqual([
      `error: ${where}: has passed: the routing of captains-log expired 3 h ago, got "${EXPIRES}"; ` +
        'revert it (npx meshflip flip kong-perf captains-log --to real) or extend the expiry in a reviewed change',
    ]);
    expect(lines(stdout)).toEqual([`invalid: 8 environments, ${objects} objects in dist/: 1 error, 0 warnings`]);
  });

  test('says nothing a week before', () => {
    // WHEN
    const { status, stdout, stderr } = run['a week before'];
    // THEN
    expect(status).toBe(0);
    expect(problems(stderr)).toEqual([]);
    expect(lines(stdout)).toEqual([`valid: 8 environments, ${objects} objects in dist/: 0 errors, 0 warnings`]);
  });

  test('fails when an expiry names a day the calendar does not have', () => {
    // WHEN
    const { status, stderr } = run['no such day'];
    // THEN (dist/ is also stale: the expiry is rendered into an annotation)
    const text = read(noSuchDay, 'environments/kong-perf.yaml');
    const line = lineOf(text, '    expires: 2026-02-30');
    expect(status).toBe(1);
    const col = text.split('\n')[line - 1].indexOf('2026-02-30') + 1;
    expect(problems(stderr)).toEqual([
      `error: ${KONG_PERF_INPUTS}:1:1: (file): differs from a fresh synthesis: dist/ is out of date; run npm run synth and commit dist/`,
      `error: ${CAPTAINS_LOG_ROUTE}:1:1: (file): differs from a fresh synthesis: dist/ is out of date; run npm run synth and commit dist/`,
      `error: environments/kong-perf.yaml:${line}:${col}: faults.captains-log.expires: must be a valid date, got "2026-02-30"`,
    ]);
  });
});
