import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeFleet } from '../bench/fleet';
import { BIN, git, REPO, removeTempDirs, tempDir, tempDirsOnDisk } from '../util';
import { commitAll, killAtEachStep, lines, moveWorkFiles, read, runAsync, sleep, treeHash } from './cli-util';

// dist/ changes as a whole or not at all, whenever the real command is killed: at each step of its
// write in turn (the process kills itself there, MESHFLIP_FAILPOINT), and at random moments from
// outside. A file of its own (not in synth.test.ts): jest runs files side by side.

// The write is the file system's: on the disk, as a repository is.
tempDirsOnDisk();
afterAll(removeTempDirs);

// The schemas the tests were given ($MESHFLIP_CRDS) are not the command's (see runCli): they are
// checked before anything is written, and what is tested here is the write.
const env = { ...process.env, NO_COLOR: '1', CDK8S_OUTDIR: undefined, MESHFLIP_CRDS: undefined };

/** A fleet (see test/bench/fleet.ts) rendered by the real command and committed. */
async function fleetRepo(services: number): Promise<string> {
  const root = tempDir('meshflip-fleet-');
  writeFleet(root, { services, environments: 1 });
  fs.copyFileSync(path.join(REPO, '.gitignore'), path.join(root, '.gitignore'));
  const first = await runAsync(process.execPath, [BIN, 'synth'], root, env);
  expect(first.status).toBe(0);
  git(root, 'init', '-q');
  commitAll(root, 'fleet');
  return root;
}

/** Whether `dist` holds the old or the new tree, as its files and as git see it. */
function stateOf(root: string, hashes: { old: string; new: string }, newStatus: string, when: string): 'old' | 'new' {
  const hash = treeHash(path.join(root, 'dist'));
  const status = git(root, 'status', '--porcelain', '--untracked-files=all');
  const state = hash === hashes.old ? 'old' : hash === hashes.new ? 'new' : `mixed (${when}, ${lines(status).length} files changed)`;
  expect(state).toMatch(/^(old|new)$/);
  expect(status).toBe(state === 'old' ? '' : newStatus);
  return state as 'old' | 'new';
}

describe('a synthesis killed at each step of its write', () => {
  test('leaves dist/ entirely old or entirely new after every step, and the next run cleans up after all of them', async () => {
    // GIVEN a fleet of two services, rendered and committed, then a change that adds, rewrites,
    // deletes and keeps files of dist/: svc-0001 renamed svc-0002
    const root = await fleetRepo(2);
    const dist = path.join(root, 'dist');
    const oldHash = treeHash(dist);
    for (const file of ['environments/catalog/fleet.yaml', 'environments/env0.yaml']) {
      fs.writeFileSync(path.join(root, file), read(root, file).replaceAll('svc-0001', 'svc-0002'));
    }
    commitAll(root, 'svc-0001 is now svc-0002');
    // The new state: one run to the end.
    const full = await runAsync(process.execPath, [BIN, 'synth'], root, env);
    expect(full.status).toBe(0);
    const counts = /: (\d+) files, (\d+) added, (\d+) changed, (\d+) removed, (\d+) unchanged$/m.exec(full.stdout);
    expect(counts).not.toBeNull();
    const [files, added, changed, removed, unchanged] = counts!.slice(1).map(Number);
    expect([added, changed, removed, unchanged].map((n) => n > 0)).toEqual([true, true, true, true]);
    const hashes = { old: oldHash, new: treeHash(dist) };
    const newStatus = git(root, 'status', '--porcelain', '--untracked-files=all');

    // WHEN run again and again from the old tree, each run killed (SIGKILL) right before the next
    // change its write makes to the file system: the first run before the first, and so on
    const holding = tempDir('meshflip-leftovers-');
    const outcomes = { old: 0, new: 0 };
    const leftovers: string[] = [];
    const { steps, last } = await killAtEachStep(
      root,
      ['synth'],
      env,
      () => {
        git(root, 'checkout', '-q', '--', 'dist');
        git(root, 'clean', '-q', '-f', '-d', '--', 'dist');
        expect(treeHash(dist)).toBe(oldHash);
      },
      (step) => {
        // THEN after each kill dist/ is entirely old or entirely new
        outcomes[stateOf(root, hashes, newStatus, `killed at step ${step}`)]++;
        // (what a killed run left beside dist/ is kept aside, for the last run to find)
        leftovers.push(...moveWorkFiles(root, holding));
      },
    );
    // AND the first run that was not killed wrote the new tree, after kills at every step: each
    // file of the tree is one (written or linked), and both sides of the exchange were hit
    expect(last.status).toBe(0);
    expect(treeHash(dist)).toBe(hashes.new);
    expect(steps).toBeGreaterThan(files);
    expect(outcomes.old).toBeGreaterThan(0);
    expect(outcomes.new).toBeGreaterThan(0);
    expect(leftovers.length).toBeGreaterThan(0);
    // AND a run that finds what every killed run left beside an old dist/ completes, and removes all of it
    git(root, 'checkout', '-q', '--', 'dist');
    git(root, 'clean', '-q', '-f', '-d', '--', 'dist');
    moveWorkFiles(holding, root);
    const cleanup = await runAsync(process.execPath, [BIN, 'synth'], root, env);
    expect(cleanup.status).toBe(0);
    expect(treeHash(dist)).toBe(hashes.new);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  }, 300_000);
});

describe('a synthesis killed from outside at any moment', () => {
  const ITERATIONS = 36;

  test('leaves dist/ entirely old or entirely new, as git sees it too', async () => {
    // GIVEN a fleet of 40 services, rendered and committed, then a change to every service: a
    // write of a few hundred files, long enough to be hit by a kill from outside
    const root = await fleetRepo(40);
    const oldHash = treeHash(path.join(root, 'dist'));
    const catalog = read(root, 'environments/catalog/fleet.yaml');
    fs.writeFileSync(path.join(root, 'environments/catalog/fleet.yaml'), catalog.replaceAll('LOG_LEVEL: info', 'LOG_LEVEL: debug'));
    commitAll(root, 'every service logs at debug');
    // The new state, and how long a write takes: one run to the end.
    const started = Date.now();
    let stagedAt: number | undefined;
    const calibration = startSynth(root);
    while (calibration.exitCode === null && calibration.signalCode === null) {
      if (stagedAt === undefined && stagingExists(root)) {
        stagedAt = Date.now();
      }
      await sleep(1);
    }
    const finished = Date.now();
    expect(calibration.exitCode).toBe(0);
    const hashes = { old: oldHash, new: treeHash(path.join(root, 'dist')) };
    const newStatus = git(root, 'status', '--porcelain', '--untracked-files=all');
    expect(lines(newStatus).length).toBeGreaterThanOrEqual(40);
    const writeWindow = finished - (stagedAt ?? started);

    // A file the change rewrites: its inode changes the moment the new content lands in dist/.
    const watched = path.join(root, lines(newStatus)[0].slice(3));

    // WHEN killed (SIGKILL) again and again: a third at any moment, a third at any moment while
    // it writes, a third the moment the first new file shows in dist/
    const outcomes = { old: 0, new: 0, killedWhileWriting: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      git(root, 'checkout', '-q', '--', 'dist');
      expect(treeHash(path.join(root, 'dist'))).toBe(oldHash);
      const oldInode = fs.statSync(watched).ino;
      const child = startSynth(root);
      let sawStaging = false;
      if (i % 3 === 0) {
        await sleep(Math.random() * (finished - started) * 1.1);
      } else {
        while (child.exitCode === null && !(sawStaging = stagingExists(root))) {
          await sleep(1);
        }
        if (i % 3 === 1) {
          await sleep(Math.random() * writeWindow);
        } else {
          while (child.exitCode === null && fs.statSync(watched).ino === oldInode) {
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
      }
      const killed = child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      if (sawStaging && child.signalCode === 'SIGKILL' && killed) {
        outcomes.killedWhileWriting++;
      }
      // THEN
      outcomes[stateOf(root, hashes, newStatus, `iteration ${i}`)]++;
    }
    expect(outcomes.killedWhileWriting).toBeGreaterThan(0);
    // AND the next run completes and cleans up every dead run's staging folder
    git(root, 'checkout', '-q', '--', 'dist');
    const last = await runAsync(process.execPath, [BIN, 'synth'], root, env);
    expect(last.status).toBe(0);
    expect(treeHash(path.join(root, 'dist'))).toBe(hashes.new);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  }, 900_000);
});

function startSynth(root: string) {
  return spawn(process.execPath, [BIN, 'synth'], { cwd: root, env, stdio: 'ignore' });
}

function stagingExists(root: string): boolean {
  return fs.readdirSync(root).some((n) => n.startsWith('.meshflip-tmp-'));
}
