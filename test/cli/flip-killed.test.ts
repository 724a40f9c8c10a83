import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { writeFleet } from '../bench/fleet';
import { recoverInterruptedWrite } from '../../src/pipeline/dist/write-dist';
import { BIN, git, REPO, removeTempDirs, tempDir, tempDirsOnDisk } from '../util';
import { commitAll, killAtEachStep, lines, moveWorkFiles, runAsync, sleep, treeHash } from './cli-util';

// `meshflip flip` writes the environment file and dist/ together: whatever moment it is killed
// at (SIGKILL: a crash, a cancelled job), the environment file and dist/ are both as they were or
// both as the flip meant, once the next run has looked (any command that reads them first
// finishes a flip whose new dist/ is in place, or drops one whose dist/ is not). Killed at each
// step of its write in turn (the process kills itself there, MESHFLIP_FAILPOINT), and at random
// moments from outside.

// The write is the file system's: on the disk, as a repository is.
tempDirsOnDisk();
afterAll(removeTempDirs);

const ENV_FILE = 'environments/env0.yaml';
// The schemas the tests were given ($MESHFLIP_CRDS) are not the command's (see runCli): they are
// checked before anything is written, and what is tested here is the write.
const env = { ...process.env, NO_COLOR: '1', CDK8S_OUTDIR: undefined, MESHFLIP_CRDS: undefined };

function journalExists(root: string): boolean {
  return fs.readdirSync(root).some((n) => n.startsWith('.meshflip-tmp-journal-'));
}

/** A fleet of two environments (see test/bench/fleet.ts) rendered by the real command and committed. */
async function fleetRepo(services: number): Promise<string> {
  const root = tempDir('meshflip-fleet-');
  writeFleet(root, { services, environments: 2 });
  fs.copyFileSync(path.join(REPO, '.gitignore'), path.join(root, '.gitignore'));
  expect((await runAsync(process.execPath, [BIN, 'synth'], root, env)).status).toBe(0);
  git(root, 'init', '-q');
  commitAll(root, 'fleet');
  return root;
}

/** The old and the new state of a flip: dist/, the environment file, and both with environments/ and git's view. */
interface States {
  readonly dist: { readonly old: string; readonly new: string };
  readonly envFile: { readonly old: string; readonly new: string };
  readonly both: { readonly old: string; readonly new: string };
  readonly newStatus: string;
}

const stateNow = (root: string) => `${treeHash(path.join(root, 'dist'))} ${treeHash(path.join(root, 'environments'))}`;

/**
 * Checks what a killed flip left: right after the kill, dist/ and the environment file are each
 * old or new; once the next run has looked, both together. Returns which, and whether the kill
 * left dist/ new and the file old (the look rolled the flip forward).
 */
function afterKill(root: string, states: States, when: string): { outcome: 'old' | 'new'; rolledForward: boolean } {
  // THEN each of them is old or new on its own, right after the kill
  const distNow = treeHash(path.join(root, 'dist'));
  const envNow = fs.readFileSync(path.join(root, ENV_FILE), 'utf8');
  expect([when, distNow === states.dist.old || distNow === states.dist.new, envNow === states.envFile.old || envNow === states.envFile.new]).toEqual([
    when,
    true,
    true,
  ]);
  // AND once the next run has looked, both together
  recoverInterruptedWrite(path.join(root, 'dist'));
  const now = stateNow(root);
  const outcome = now === states.both.old ? 'old' : now === states.both.new ? 'new' : `mixed (${when})`;
  expect(outcome).toMatch(/^(old|new)$/);
  expect(git(root, 'status', '--porcelain', '--untracked-files=all')).toBe(outcome === 'old' ? '' : states.newStatus);
  return { outcome: outcome as 'old' | 'new', rolledForward: outcome === 'new' && envNow === states.envFile.old };
}

/** Runs a flip to the end from the committed state, and records the old and the new state. */
async function calibrate(root: string, args: readonly string[]): Promise<States & { duration: number }> {
  const oldDist = treeHash(path.join(root, 'dist'));
  const oldEnv = fs.readFileSync(path.join(root, ENV_FILE), 'utf8');
  const oldState = stateNow(root);
  const started = Date.now();
  const calibration = await runAsync(process.execPath, [BIN, ...args], root, env);
  const duration = Date.now() - started;
  expect(calibration.status).toBe(0);
  return {
    dist: { old: oldDist, new: treeHash(path.join(root, 'dist')) },
    envFile: { old: oldEnv, new: fs.readFileSync(path.join(root, ENV_FILE), 'utf8') },
    both: { old: oldState, new: stateNow(root) },
    newStatus: git(root, 'status', '--porcelain', '--untracked-files=all'),
    duration,
  };
}

/** Puts the repository back to its commit, without the files a killed run left. */
function reset(root: string): void {
  git(root, 'checkout', '-q', '--', '.');
  git(root, 'clean', '-q', '-f', '-d', '-x');
}

describe('a flip killed at each step of its write', () => {
  test('leaves the environment file and dist/ both old or both new after every step, once the next run has looked', async () => {
    // GIVEN a fleet of one service in two environments, rendered and committed
    const root = await fleetRepo(1);
    const args = ['flip', 'env0', 'svc-0000', '--to', 'real'];
    const states = await calibrate(root, args);
    // (the edited line, and in env0 alone: its inputs, its routing table and the service's routes)
    expect(lines(states.newStatus)).toEqual([
      ' M dist/env0/INPUTS.sha256',
      ' M dist/env0/ROUTING.md',
      ' M dist/env0/zone-a/svc-0000.routing.k8s.yaml',
      ' M dist/env0/zone-b/svc-0000.routing.k8s.yaml',
      ` M ${ENV_FILE}`,
    ]);
    // (the write stages and exchanges dist/env0 alone: the folder that holds every change)
    const files = lines(git(root, 'ls-files', 'dist/env0')).length;

    // WHEN flipped again and again from the committed state, each run killed (SIGKILL) right
    // before the next change its write makes to the file system: the first run before the first,
    // and so on
    const holding = tempDir('meshflip-leftovers-');
    const outcomes = { old: 0, new: 0, rolledForward: 0 };
    const leftovers: string[] = [];
    const { steps, last } = await killAtEachStep(
      root,
      args,
      env,
      () => {
        reset(root);
        expect(stateNow(root)).toBe(states.both.old);
      },
      (step) => {
        // THEN (see afterKill)
        const { outcome, rolledForward } = afterKill(root, states, `killed at step ${step}`);
        outcomes[outcome]++;
        outcomes.rolledForward += rolledForward ? 1 : 0;
        // AND the look left nothing beside the environment file; what is left beside dist/ is
        // kept aside, for the last run to find
        expect(fs.readdirSync(path.join(root, 'environments')).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
        leftovers.push(...moveWorkFiles(root, holding));
      },
    );
    // AND the first run that was not killed made the flip, after kills at every step: each file of
    // dist/env0 is one (written or linked), and a kill between the exchange and the environment file
    // was rolled forward
    expect(last.status).toBe(0);
    expect(stateNow(root)).toBe(states.both.new);
    expect(steps).toBeGreaterThan(files);
    expect([outcomes.old > 0, outcomes.new > 0, outcomes.rolledForward > 0]).toEqual([true, true, true]);
    expect(leftovers.length).toBeGreaterThan(0);
    // AND a flip that finds what every killed run left completes, and removes all of it
    reset(root);
    moveWorkFiles(holding, root);
    const cleanup = await runAsync(process.execPath, [BIN, ...args], root, env);
    expect(cleanup.status).toBe(0);
    expect(stateNow(root)).toBe(states.both.new);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  }, 300_000);
});

describe('a flip killed from outside at any moment', () => {
  const ITERATIONS = 15;

  test('leaves the environment file and dist/ both old or both new, once the next run has looked', async () => {
    // GIVEN a fleet of 40 services in two environments, rendered and committed
    const root = await fleetRepo(40);
    const args = ['flip', 'env0', 'svc-0001', '--to', 'mock'];
    // The new state, and how long a flip takes: one run to the end.
    const states = await calibrate(root, args);
    // (the edited line, and in env0 alone: its inputs, its routing table and the service's routes)
    expect(lines(states.newStatus).filter((l) => !/^ M dist\/env0\/.*svc-0001\.routing\.k8s\.yaml$/.test(l))).toEqual([
      ' M dist/env0/INPUTS.sha256',
      ' M dist/env0/ROUTING.md',
      ` M ${ENV_FILE}`,
    ]);
    expect(lines(states.newStatus).length).toBeGreaterThan(3);

    // WHEN killed (SIGKILL) again and again: a third at any moment, a third at a random moment
    // once the journal is written, a third the moment it shows
    const outcomes = { old: 0, new: 0, killedWithJournal: 0, rolledForward: 0 };
    for (let i = 0; i < ITERATIONS; i++) {
      reset(root);
      expect(stateNow(root)).toBe(states.both.old);
      const child = spawn(process.execPath, [BIN, ...args], { cwd: root, env, stdio: 'ignore' });
      if (i % 3 === 0) {
        await sleep(Math.random() * states.duration * 1.1);
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
      // THEN (see afterKill)
      const { outcome, rolledForward } = afterKill(root, states, `iteration ${i}`);
      outcomes[outcome]++;
      outcomes.rolledForward += rolledForward ? 1 : 0;
    }
    expect(outcomes.killedWithJournal).toBeGreaterThan(0);
    // AND a flip after the last kill completes, with no leftovers
    git(root, 'checkout', '-q', '--', '.');
    const last = await runAsync(process.execPath, [BIN, ...args], root, env);
    expect(last.status).toBe(0);
    expect(stateNow(root)).toBe(states.both.new);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'environments')).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  }, 900_000);
});
