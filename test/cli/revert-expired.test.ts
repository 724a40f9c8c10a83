import * as fs from 'fs';
import * as path from 'path';
import { REPO, removeTempDirs, snapshotTree, tempDir } from '../util';
import { changedFiles, CliRun, commitAll, edit, gitRepoCopy, lines, meshflipAsync, read, readGitHubOutputs } from './cli-util';

// `meshflip revert-expired` deletes the routing lines and faults whose expiry has passed and
// re-renders dist/. The scheduled workflow reads its `reverted` output and opens a pull request
// with the --body file.
//
// The fixture gives kong-perf's captains-log route (routing.services.captains-log) an expiry at
// noon on 1 June 2026 and its fault (faults.captains-log) an expiry on that day (midnight, UTC).

const KONG_PERF = 'environments/kong-perf.yaml';
const ROUTE_EXPIRES = '2026-06-01T12:00:00Z';
const FAULT_EXPIRES = '2026-06-01';

interface Revert {
  dir: string;
  before: Record<string, string>;
  run: CliRun;
  outputs: Record<string, string>;
  body: string;
}

let prepared: string;
let afterBoth: Revert;
let afterFault: Revert;
let beforeAny: Revert;
let validAfter: CliRun;

/** A copy of the prepared repository, in which revert-expired runs with --now. */
async function revert(now: string): Promise<Revert> {
  const dir = tempDir('meshflip-revert-');
  fs.cpSync(prepared, dir, { recursive: true });
  const output = path.join(tempDir(), 'github-output');
  fs.writeFileSync(output, '');
  const body = path.join(tempDir(), 'pr-body.md');
  const before = snapshotTree(dir);
  const run = await meshflipAsync(dir, ['revert-expired', '--now', now, '--body', body], { GITHUB_OUTPUT: output });
  return { dir, before, run, outputs: readGitHubOutputs(output), body };
}

beforeAll(async () => {
  ({ dir: prepared } = gitRepoCopy());
  edit(prepared, KONG_PERF, '    captains-log: mock\n', `    captains-log: { to: mock, expires: ${ROUTE_EXPIRES} }\n`);
  edit(
    prepared,
    KONG_PERF,
    '    reason: make the real captains-log as slow as it is in production\n',
    `    reason: make the real captains-log as slow as it is in production\n    expires: ${FAULT_EXPIRES}\n`,
  );
  expect((await meshflipAsync(prepared, ['synth'])).status).toBe(0);
  commitAll(prepared, 'expiring flip and fault');
  [afterBoth, afterFault, beforeAny] = await Promise.all([
    revert('2026-06-02T00:00:00Z'),
    revert('2026-06-01T06:00:00Z'),
    revert('2026-05-31T23:00:00Z'),
  ]);
  validAfter = await meshflipAsync(afterBoth.dir, ['validate', '--now', '2026-06-02T00:00:00Z']);
}, 120_000);
afterAll(removeTempDirs);

describe('after both expiries', () => {
  test('deletes the expired routing lines and the expired fault from the environment file', () => {
    // THEN kong-perf is left with neither routing nor faults: the repository's file without those two blocks
    expect(afterBoth.run.status).toBe(0);
    const original = fs.readFileSync(path.join(REPO, KONG_PERF), 'utf8');
    expect(read(afterBoth.dir, KONG_PERF)).toBe(
      original
        .replace('routing:\n  services:\n    captains-log: mock\n', '')
        .replace(
          'faults:\n  captains-log:\n    delay: { value: 1s, percent: 100 }\n    reason: make the real captains-log as slow as it is in production\n',
          '',
        ),
    );
  });

  test('says what it reverted', () => {
    // THEN
    expect(lines(afterBoth.run.stdout)).toEqual([
      'reverted 2 expired changes:',
      `- environments/kong-perf.yaml: routing of captains-log (expired ${ROUTE_EXPIRES})`,
      `- environments/kong-perf.yaml: faults of captains-log (expired ${FAULT_EXPIRES})`,
    ]);
  });

  test('re-renders dist/: it passes validate, and the routing table shows captains-log real and without fault', () => {
    // THEN
    expect(validAfter.status).toBe(0);
    expect(validAfter.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('note: no schema folder'))).toEqual([]);
    expect(changedFiles(afterBoth.dir)).toEqual(
      expect.arrayContaining([
        KONG_PERF,
        'dist/kong-perf/ROUTING.md',
        'dist/kong-perf/zone-mock-services/captains-log.routing.k8s.yaml',
        'dist/kong-perf/zone-real-services/captains-log.routing.k8s.yaml',
      ]),
    );
    expect(read(afterBoth.dir, 'dist/kong-perf/ROUTING.md').split('\n')).toContain('| captains-log | my-services | real | - | - | - | - | - |');
  });

  test('writes the pull-request description to --body, and sets the reverted output', () => {
    // THEN
    expect(fs.readFileSync(afterBoth.body, 'utf8')).toBe(
      [
        'These flips and faults expired, so meshflip reverted them:',
        '',
        `- environments/kong-perf.yaml: routing of captains-log (expired ${ROUTE_EXPIRES})`,
        `- environments/kong-perf.yaml: faults of captains-log (expired ${FAULT_EXPIRES})`,
        '',
        'Checked at 2026-06-02T00:00:00.000Z. To keep one instead, close this pull request and extend its expiry in a reviewed change.',
        '',
      ].join('\n'),
    );
    expect(afterBoth.outputs).toEqual({ reverted: 'true' });
  });
});

test('between the two expiries only the fault is reverted', () => {
  // THEN the fault expired at midnight; the route lasts until noon
  expect(afterFault.run.status).toBe(0);
  expect(lines(afterFault.run.stdout)).toEqual([
    'reverted 1 expired change:',
    `- environments/kong-perf.yaml: faults of captains-log (expired ${FAULT_EXPIRES})`,
  ]);
  expect(read(afterFault.dir, KONG_PERF)).toBe(
    read(prepared, KONG_PERF).replace(
      `faults:\n  captains-log:\n    delay: { value: 1s, percent: 100 }\n    reason: make the real captains-log as slow as it is in production\n    expires: ${FAULT_EXPIRES}\n`,
      '',
    ),
  );
});

test('with nothing expired it says so and changes nothing', () => {
  // THEN
  expect(beforeAny.run.status).toBe(0);
  expect(lines(beforeAny.run.stdout)).toEqual(['nothing has expired as of 2026-05-31T23:00:00.000Z']);
  expect(snapshotTree(beforeAny.dir)).toEqual(beforeAny.before);
  expect(fs.existsSync(beforeAny.body)).toBe(false);
  expect(beforeAny.outputs).toEqual({ reverted: 'false' });
});
