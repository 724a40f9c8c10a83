import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeFleet } from '../bench/fleet';
import { BIN, git, REPO, removeTempDirs, tempDir } from '../util';
import { commitAll, lines, read, runAsync, sleep, treeHash } from './cli-util';

// dist/ changes as a whole or not at all, whenever the real command is killed. A file of its own
// (not in synth.test.ts): it is the longest test of the suite, and jest runs files side by side.

afterAll(removeTempDirs);

describe('a synthesis killed at any point', () => {
  const ITERATIONS = 36;

  test('leaves dist/ entirely old or entirely new, as git sees it too', async () => {
    // GIVEN a fleet of 200 services, rendered and committed, then a change to every service
    const root = tempDir('meshflip-fleet-');
    writeFleet(root, { services: 200, environments: 1 });
    fs.copyFileSync(path.join(REPO, '.gitignore'), path.join(root, '.gitignore'));
    const env = { ...process.env, NO_COLOR: '1', CDK8S_OUTDIR: undefined };
    const first = await runAsync(process.execPath, [BIN, 'synth'], root, env);
    expect(first.status).toBe(0);
    git(root, 'init', '-q');
    commitAll(root, 'fleet');
    const oldHash = treeHash(path.join(root, 'dist'));
    const catalog = read(root, 'environments/catalog/fleet.yaml');
    fs.writeFileSync(path.join(root, 'environments/catalog/fleet.yaml'), catalog.replaceAll('LOG_LEVEL: info', 'LOG_LEVEL: debug'));
    commitAll(root, 'every service logs at debug');
    // The new state, and how long a write takes: one run to the end.
    const started = Date.now();
    let stagedAt: number | undefined;
    const calibration = startSynth(root, env);
    while (calibration.exitCode === null && calibration.signalCode === null) {
      if (stagedAt === undefined && stagingExists(root)) {
        stagedAt = Date.now();
      }
      await sleep(1);
    }
    const finished = Date.now();
    expect(calibration.exitCode).toBe(0);
    const newHash = treeHash(path.join(root, 'dist'));
    const newStatus = git(root, 'status', '--porcelain', '--untracked-files=all');
    expect(lines(newStatus).length).toBeGreaterThanOrEqual(200);
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
      const child = startSynth(root, env);
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
      const hash = treeHash(path.join(root, 'dist'));
      const status = git(root, 'status', '--porcelain', '--untracked-files=all');
      const state = hash === oldHash ? 'old' : hash === newHash ? 'new' : `mixed (iteration ${i}, ${lines(status).length} files changed)`;
      expect(state).toMatch(/^(old|new)$/);
      expect(status).toBe(state === 'old' ? '' : newStatus);
      outcomes[state as 'old' | 'new']++;
    }
    expect(outcomes.killedWhileWriting).toBeGreaterThan(0);
    // AND the next run completes and cleans up every dead run's staging folder
    git(root, 'checkout', '-q', '--', 'dist');
    const last = await runAsync(process.execPath, [BIN, 'synth'], root, env);
    expect(last.status).toBe(0);
    expect(treeHash(path.join(root, 'dist'))).toBe(newHash);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  }, 900_000);
});

function startSynth(root: string, env: NodeJS.ProcessEnv) {
  return spawn(process.execPath, [BIN, 'synth'], { cwd: root, env, stdio: 'ignore' });
}

function stagingExists(root: string): boolean {
  return fs.readdirSync(root).some((n) => n.startsWith('.meshflip-tmp-'));
}
