import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeFleet } from '../bench/fleet';
import { recoverInterruptedWrite } from '../../src/pipeline/dist/write-dist';
import { BIN, git, REPO, removeTempDirs, tempDir } from '../util';
import { commitAll, lines, runAsync, sleep, treeHash } from './cli-util';

// `meshflip flip` writes the environment file and dist/ together: whatever moment it is killed
// at (SIGKILL: a crash, a cancelled job), the environment file and dist/ are both as they were or
// both as the flip meant, once the next run has looked (any command that reads them first
// finishes a flip whose new dist/ is in place, or drops one whose dist/ is not).

afterAll(removeTempDirs);

const ENV_FILE = 'environments/env0.yaml';

function journalExists(root: string): boolean {
  return fs.readdirSync(root).some((n) => n.startsWith('.meshflip-tmp-journal-'));
}

describe('a flip killed at any point', () => {
  const ITERATIONS = 15;

  test('leaves the environment file and dist/ both old or both new, once the next run has looked', async () => {
    // GIVEN a fleet of 200 services in two environments, rendered and committed
    const root = tempDir('meshflip-fleet-');
    writeFleet(root, { services: 200, environments: 2 });
    fs.copyFileSync(path.join(REPO, '.gitignore'), path.join(root, '.gitignore'));
    const env = { ...process.env, NO_COLOR: '1', CDK8S_OUTDIR: undefined };
    const args = [BIN, 'flip', 'env0', 'svc-0001', '--to', 'mock'];
    expect((await runAsync(process.execPath, [BIN, 'synth'], root, env)).status).toBe(0);
    git(root, 'init', '-q');
    commitAll(root, 'fleet');
    const state = () => `${treeHash(path.join(root, 'dist'))} ${treeHash(path.join(root, 'environments'))}`;
    const oldDist = treeHash(path.join(root, 'dist'));
    const oldEnv = fs.readFileSync(path.join(root, ENV_FILE), 'utf8');
    const oldState = state();
    // The new state, and how long a flip takes: one run to the end.
    const started = Date.now();
    const calibration = await runAsync(process.execPath, args, root, env);
    const duration = Date.now() - started;
    expect(calibration.status).toBe(0);
    const newDist = treeHash(path.join(root, 'dist'));
    const newEnv = fs.readFileSync(path.join(root, ENV_FILE), 'utf8');
    const newState = state();
    const newStatus = git(root, 'status', '--porcelain', '--untracked-files=all');
    // (the edited line, and in env0 alone: its inputs, its routing table and the service's routes)
    expect(lines(newStatus).filter((l) => !/^ M dist\/env0\/.*svc-0001\.routing\.k8s\.yaml$/.test(l))).toEqual([
      ' M dist/env0/INPUTS.sha256',
      ' M dist/env0/ROUTING.md',
      ` M ${ENV_FILE}`,
    ]);
    expect(lines(newStatus).length).toBeGreaterThan(3);

    // WHEN killed (SIGKILL) again and again: a third at any moment, a third at a random moment
    // once the journal is written, a third the moment it shows
    const outcomes = { old: 0, new: 0, killedWithJournal: 0, rolledForward: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      git(root, 'checkout', '-q', '--', '.');
      git(root, 'clean', '-q', '-f', '-d', '-x');
      expect(state()).toBe(oldState);
      const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'ignore' });
      if (i % 3 === 0) {
        await sleep(Math.random() * duration * 1.1);
      } else {
        while (child.exitCode === null && !journalExists(root)) {
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (i % 3 === 1) {
          await sleep(Math.random() * 20);
        }
      }
      const hadJournal = journalExists(root);
      const killed = child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      if (killed && child.signalCode === 'SIGKILL' && (hadJournal || journalExists(root))) {
        outcomes.killedWithJournal++;
      }
      // THEN each of them is old or new on its own, right after the kill
      const distNow = treeHash(path.join(root, 'dist'));
      const envNow = fs.readFileSync(path.join(root, ENV_FILE), 'utf8');
      expect([distNow === oldDist || distNow === newDist, envNow === oldEnv || envNow === newEnv]).toEqual([true, true]);
      // AND once the next run has looked, both together
      recoverInterruptedWrite(path.join(root, 'dist'));
      const now = state();
      const outcome = now === oldState ? 'old' : now === newState ? 'new' : `mixed (iteration ${i})`;
      expect(outcome).toMatch(/^(old|new)$/);
      expect(git(root, 'status', '--porcelain', '--untracked-files=all')).toBe(outcome === 'old' ? '' : newStatus);
      if (outcome === 'new' && envNow === oldEnv) {
        outcomes.rolledForward++;
      }
      outcomes[outcome as 'old' | 'new']++;
    }
    expect(outcomes.killedWithJournal).toBeGreaterThan(0);
    // AND a flip after the last kill completes, with no leftovers
    git(root, 'checkout', '-q', '--', '.');
    const last = await runAsync(process.execPath, args, root, env);
    expect(last.status).toBe(0);
    expect(state()).toBe(newState);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'environments')).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  }, 900_000);
});
