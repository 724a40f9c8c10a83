import { spawn } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { processOutput } from '../../src/cli/output';
import { isPatchFile } from '../../src/pipeline/dist/read-dist';
import { BIN, copyRepo, git, parseYamlDocuments } from '../util';

/** A finished meshflip run. */
export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The signal that ended a process (`runAsync`), null when it exited; absent for a run in this process. */
  readonly signal?: NodeJS.Signals | null;
}

/**
 * Variables of the machine running the tests that would change what meshflip does: a GitHub
 * Actions runner's own files and event, a clock override, an output folder. Every run starts
 * without them; a test sets the ones it means.
 */
const AMBIENT = [
  'GITHUB_ACTIONS',
  'GITHUB_BASE_REF',
  'GITHUB_EVENT_NAME',
  'GITHUB_EVENT_PATH',
  'GITHUB_OUTPUT',
  'GITHUB_STATE',
  'GITHUB_STEP_SUMMARY',
  'GITHUB_ENV',
  'GITHUB_PATH',
  'MESHFLIP_NOW',
  'MESHFLIP_CRDS',
  'MESHFLIP_DEBUG',
  'MESHFLIP_FAILPOINT',
  'CDK8S_OUTDIR',
  'TERM',
  'FORCE_COLOR',
];

function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(AMBIENT.map((name) => [name, undefined])), ...env };
}

/**
 * Runs meshflip in this process as the meshflip command would run in `cwd`: main() with the
 * process's output (on recorded streams that are not terminals), its exit code, `cwd` as the
 * working folder, and the variables of the process with NO_COLOR set (as `runCli` does) unless
 * `env` says otherwise. Runs take turns, since each sets the working folder and the variables of
 * the process while it runs; a group of tests can still start all the runs it reads at once.
 * What is about the process itself (signals, pipes, start-up, variables that programs meshflip
 * starts must see) runs the real command instead: `meshflipProcess`.
 */
export function meshflipAsync(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const run = turn.then(() => inProcess(cwd, args, { NO_COLOR: '1', ...cleanEnv(env) }));
  turn = run.then(
    () => undefined,
    () => undefined,
  );
  return run;
}
let turn = Promise.resolve();

async function inProcess(cwd: string, args: readonly string[], vars: NodeJS.ProcessEnv): Promise<CliRun> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const setVars = (values: NodeJS.ProcessEnv) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  };
  const folder = process.cwd();
  let stdout = '';
  let stderr = '';
  const streams = {
    stdout: {
      write: (text: string) => {
        stdout += text;
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text;
      },
    },
  };
  setVars(vars);
  process.chdir(cwd);
  try {
    const status = await main(args, { cwd: process.cwd(), env: process.env, output: (mode) => processOutput(mode, process.env, streams) });
    return { status, stdout, stderr };
  } finally {
    process.chdir(folder);
    setVars(saved);
  }
}

/**
 * Runs the real meshflip command (the compiled build) in `cwd`, as `meshflipAsync` runs it in this
 * process. Each run costs a Node.js start-up; at most one per CPU runs at a time.
 */
export function meshflipProcess(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runAsync(process.execPath, [BIN, ...args], cwd, { ...process.env, NO_COLOR: '1', ...cleanEnv(env) });
}

/** Runs any program with the same limit on parallel runs as `meshflipAsync`. */
export function runAsync(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliRun> {
  return withSlot(
    () =>
      new Promise<CliRun>((resolve, reject) => {
        const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
        });
        child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
          stderr += chunk;
        });
        child.on('error', reject);
        child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
      }),
  );
}

const SLOTS = Math.max(1, os.availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

async function withSlot<T>(task: () => Promise<T>): Promise<T> {
  if (running >= SLOTS) {
    // A finishing task hands its slot straight to the next one in line.
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else {
    running++;
  }
  try {
    return await task();
  } finally {
    const next = waiting.shift();
    if (next === undefined) {
      running--;
    } else {
      next();
    }
  }
}

/** The lines of a command's output, without the final newline. */
export function lines(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/** Commits everything in `dir` and returns the commit. */
export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, '-c', 'commit.gpgsign=false', 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD').trim();
}

/**
 * A temp copy of the repository's `environments/` and `dist/` as a git repository with one
 * commit, so that every change a command makes shows up in `git status` and `git diff`.
 */
export function gitRepoCopy(folders: readonly string[] = ['environments', 'dist']): { dir: string; base: string } {
  const dir = copyRepo(folders);
  git(dir, 'init', '-q');
  return { dir, base: commitAll(dir, 'base') };
}

/** Files changed in the working tree since the last commit (`git status`), sorted. */
export function changedFiles(dir: string): string[] {
  return lines(git(dir, 'status', '--porcelain', '--untracked-files=all'))
    .map((l) => l.slice(3))
    .sort();
}

/** The added (`+`) and removed (`-`) lines of `git diff -U0` for one file. */
export function diffLines(dir: string, file: string): string[] {
  return lines(git(dir, 'diff', '-U0', '--', file)).filter((l) => /^[+-]/.test(l) && !/^(\+\+\+|---) /.test(l));
}

/** Reads a repository file. */
export function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, ...file.split('/')), 'utf8');
}

/** Writes a repository file. */
function write(dir: string, file: string, content: string): void {
  fs.writeFileSync(path.join(dir, ...file.split('/')), content);
}

/** Replaces exactly one occurrence of `from` in a repository file; fails the test when there is not exactly one. */
export function edit(dir: string, file: string, from: string, to: string): void {
  const text = read(dir, file);
  const count = text.split(from).length - 1;
  if (count !== 1) {
    throw new Error(`expected ${JSON.stringify(from)} exactly once in ${file}, found it ${count} times`);
  }
  write(dir, file, text.replace(from, to));
}

/** The 1-based line of the first line of `text` that equals `line`. */
export function lineOf(text: string, line: string): number {
  const index = text.split('\n').indexOf(line);
  if (index === -1) {
    throw new Error(`no line ${JSON.stringify(line)}`);
  }
  return index + 1;
}

/** The objects of a YAML file of dist/. */
export function distObjects(dir: string, file: string): any[] {
  return parseYamlDocuments(read(dir, `dist/${file}`));
}

/** The number of objects in the YAML files of a dist/ folder: what validate and ci-summary count. */
export function countObjects(dist: string): number {
  let count = 0;
  for (const entry of fs.readdirSync(dist, { withFileTypes: true, recursive: true })) {
    // A bootstrap patch is part of an object of the cluster, not an object: validate does not count it.
    if (entry.isFile() && /\.ya?ml$/.test(entry.name) && !isPatchFile(entry.name)) {
      count += parseYamlDocuments(fs.readFileSync(path.join(entry.parentPath, entry.name), 'utf8')).length;
    }
  }
  return count;
}

/** Where a MeshHTTPRoute rule sends traffic: backend `app` tag -> weight. */
export function backendWeights(rule: any): Record<string, number> {
  return Object.fromEntries(rule.default.backendRefs.map((ref: any) => [ref.tags.app, ref.weight]));
}

/** The outputs a step wrote to a GITHUB_OUTPUT file (`name<<delimiter` ... `delimiter` blocks, or `name=value` lines). */
export function readGitHubOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const all = lines(fs.readFileSync(file, 'utf8'));
  for (let i = 0; i < all.length; i++) {
    const heredoc = /^([^=<]+)<<(.+)$/.exec(all[i]);
    if (heredoc !== null) {
      const end = all.indexOf(heredoc[2], i + 1);
      if (end === -1) {
        throw new Error(`output ${heredoc[1]} is not closed by ${heredoc[2]}`);
      }
      out[heredoc[1]] = all.slice(i + 1, end).join('\n');
      i = end;
    } else if (all[i].includes('=')) {
      out[all[i].slice(0, all[i].indexOf('='))] = all[i].slice(all[i].indexOf('=') + 1);
    }
  }
  return out;
}

/** Matches ANSI colour escapes. */
// eslint-disable-next-line no-control-regex -- ESC is what it looks for
export const ANSI = /\u001b\[[0-9;]*m/;

/** A hash of every file under `dir` (paths and bytes): the state of a tree, for the kill tests. */
export function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const files = fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
  for (const file of files) {
    hash.update(`${file}\0${fs.readFileSync(path.join(dir, file)).toString('base64')}\0`);
  }
  return hash.digest('hex');
}

/**
 * Runs the real meshflip command in `cwd` with MESHFLIP_FAILPOINT=1, 2, 3, ... (see
 * src/pipeline/dist/write-dist.ts): run n kills itself (SIGKILL) right before the n-th change its
 * write makes to the file system. `before` sets the repository up for each run; `killed` looks at
 * what run n left. The first run that is not killed ends it: its result is returned with the
 * number of runs that were killed, one per step of the write.
 */
export async function killAtEachStep(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  before: () => void,
  killed: (step: number) => void,
): Promise<{ steps: number; last: CliRun }> {
  for (let step = 1; ; step++) {
    before();
    const run = await runAsync(process.execPath, [BIN, ...args], cwd, { ...env, MESHFLIP_FAILPOINT: String(step) });
    if (run.signal !== 'SIGKILL') {
      return { steps: step - 1, last: run };
    }
    killed(step);
  }
}

/** Moves meshflip's work folders and files (`.meshflip-tmp-*`) out of `dir` into `holding`, and returns their names. */
export function moveWorkFiles(dir: string, holding: string): string[] {
  const names = fs.readdirSync(dir).filter((n) => n.startsWith('.meshflip-tmp-'));
  for (const name of names) {
    if (fs.existsSync(path.join(holding, name))) {
      throw new Error(`${name} is in ${holding} already`);
    }
    fs.renameSync(path.join(dir, name), path.join(holding, name));
  }
  return names;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
