import { removeTempDirs } from '../util';
import { CliRun, commitAll, edit, gitRepoCopy, lines, meshflipAsync } from './cli-util';

// `meshflip diff` compares dist/ as committed at --base (default HEAD) with a fresh synthesis of
// the working tree's environments/. In the example repository kong-perf routes captains-log to
// its mock, so flipping it to real is a routing change of one service in one environment.

let flipped: { base: string; head: string; uncommitted: CliRun; againstBase: CliRun; againstHead: CliRun; badRef: CliRun };
let handEdit: CliRun;
let split: CliRun;
let protection: { removed: CliRun; setFalse: CliRun; restored: CliRun };

beforeAll(async () => {
  const flip = async () => {
    const { dir, base } = gitRepoCopy();
    expect((await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real'])).status).toBe(0);
    const uncommitted = await meshflipAsync(dir, ['diff']);
    const head = commitAll(dir, 'flip captains-log to real');
    const [againstBase, againstHead, badRef] = await Promise.all([
      meshflipAsync(dir, ['diff', '--base', base]),
      meshflipAsync(dir, ['diff']),
      meshflipAsync(dir, ['diff', '--base', 'no-such-branch']),
    ]);
    return { base, head, uncommitted, againstBase, againstHead, badRef };
  };
  const edited = async () => {
    // The environment file edited by hand, dist/ not synthesized: diff synthesizes the working tree itself.
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n');
    return meshflipAsync(dir, ['diff']);
  };
  const weighted = async () => {
    const { dir } = gitRepoCopy();
    expect((await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'mock', '--weight', '30', '--expires', '2026-12-01', '--now', '2026-11-01T00:00:00Z', '--reason', 'load test PERF-42'])).status).toBe(0);
    return meshflipAsync(dir, ['diff']);
  };
  // The production-like coolstore loses protected: true (deleted, or set to false), and gets it back.
  const unprotect = async () => {
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/coolstore.yaml', 'protected: true\n', 'protected: false\n');
    const setFalse = await meshflipAsync(dir, ['diff']);
    edit(dir, 'environments/coolstore.yaml', 'protected: false\n', '');
    const removed = await meshflipAsync(dir, ['diff']);
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    commitAll(dir, 'coolstore is no longer protected');
    edit(dir, 'environments/coolstore.yaml', 'catalog: [coolstore]\n', 'protected: true\ncatalog: [coolstore]\n');
    const restored = await meshflipAsync(dir, ['diff']);
    return { removed, setFalse, restored };
  };
  [flipped, handEdit, split, protection] = await Promise.all([flip(), edited(), weighted(), unprotect()]);
}, 120_000);
afterAll(removeTempDirs);

test('prints the routing change of a flip committed after --base', () => {
  // WHEN
  const { status, stdout, stderr } = flipped.againstBase;
  // THEN the environment with its mesh, then each changed service: before -> after
  expect(status).toBe(0);
  expect(stderr).toBe('');
  expect(lines(stdout)).toEqual(['kong-perf (kong-mesh)', '  captains-log: mock -> real']);
});

test('compares the working tree with HEAD by default', () => {
  // THEN before the commit the flip is a change; after it, HEAD already has it
  expect(lines(flipped.uncommitted.stdout)).toEqual(['kong-perf (kong-mesh)', '  captains-log: mock -> real']);
  expect(flipped.againstHead.status).toBe(0);
  expect(lines(flipped.againstHead.stdout)).toEqual(['no routing changes']);
});

test('sees an environment edit that was never synthesized into dist/', () => {
  // THEN a stale dist/ in the change cannot hide the change
  expect(handEdit.status).toBe(0);
  expect(lines(handEdit.stdout)).toEqual(['kong-perf (kong-mesh)', '  captains-log: mock -> real']);
});

test('prints a split in percent, and the expiry and reason that came with it', () => {
  // THEN 30 % to the mock; a date alone is kept as written
  expect(split.status).toBe(0);
  expect(lines(split.stdout)).toEqual(['kong-perf (kong-mesh)', '  captains-log: mock -> split 70% real / 30% mock', '    expires 2026-12-01', '    reason: load test PERF-42']);
});

test('fails when --base is not a commit, with a hint', () => {
  // WHEN
  const { status, stdout, stderr } = flipped.badRef;
  // THEN
  expect(status).toBe(1);
  expect(stdout).toBe('');
  expect(lines(stderr)).toEqual([
    'error: no commit "no-such-branch" in this repository',
    'hint: pass a branch, tag or commit of this repository with --base',
  ]);
});

test('calls out an environment that loses protected: true, first under its name', () => {
  // THEN the call-out, then what the change lets the environment do: its mock is deployed
  const expected = ['coolstore (openshift-service-mesh)', '  ! environment coolstore is no longer protected', '  inventory: real -> real', '    mock deployed'];
  expect(protection.removed.status).toBe(0);
  expect(protection.removed.stderr).toBe('');
  expect(lines(protection.removed.stdout)).toEqual(expected);
  expect(lines(protection.setFalse.stdout)).toEqual(expected);
});

test('calls out an environment that becomes protected', () => {
  // THEN
  expect(protection.restored.status).toBe(0);
  expect(lines(protection.restored.stdout)).toEqual([
    'coolstore (openshift-service-mesh, protected)', '  ! environment coolstore is now protected', '  inventory: real -> real', '    mock removed',
  ]);
});
