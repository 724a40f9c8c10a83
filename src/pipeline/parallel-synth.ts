import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { EnvironmentRouting } from '../meshes/effective-routing';
import { CATALOG_DIR, ENVIRONMENTS_DIR, loadProject, NamespaceClaim, overlapProblems, Project, SETTINGS_FILE } from '../model/load';
import { compareStrings, Problem, SpecError } from '../model/spec-error';
import { resolveCrdsRoot, schemaChecker } from './schema-check';
import { collectBetweenEnvironments } from './heap';
import { RenderedFile, synthesizeEnvironment, synthesizeRoot } from './synth';
import { findingsToProblems } from './validate';

/** Options for `synthesizeProject`. */
export interface SynthesizeOptions {
  /** The repository root. */
  readonly root: string;
  /** dist/ as the repository names it, for messages. @default 'dist' */
  readonly distRel?: string;
  /** Schema folder to validate the rendered objects against. @default - none */
  readonly crdsRoot?: string;
  /** With schemas: a kind without a schema is an error. @default false */
  readonly strict?: boolean;
  /**
   * Worker threads to render with; 1 renders in this thread.
   *
   * @default - one per core, up to one per environment, for projects large enough to gain from it
   */
  readonly jobs?: number;
}

/** What a synthesis produced: every file of dist/ (path and content), or the problems that stop it. */
export interface SynthesisResult {
  readonly files: readonly RenderedFile[];
  /** The effective routing of each environment, read back from its rendered objects, by name. */
  readonly routing: readonly EnvironmentRouting[];
  readonly problems: readonly Problem[];
  readonly environments: number;
  readonly jobs: number;
}

/** A worker's share of the work. */
export interface WorkerTask {
  readonly root: string;
  readonly distRel: string;
  readonly environments: readonly string[];
  readonly includeRoot: boolean;
  readonly crdsRoot?: string;
  readonly strict: boolean;
}

/** What a worker sends back (plain data: it crosses threads). */
export interface WorkerResult {
  readonly files: RenderedFile[];
  readonly routing: EnvironmentRouting[];
  readonly problems: Problem[];
  readonly claims: NamespaceClaim[];
}

/** Below this much input, starting workers costs more than it saves. */
const PARALLEL_THRESHOLD_BYTES = 256 * 1024;

/**
 * Renders `environments` of a loaded project, one environment at a time, validating each
 * environment's objects against the schemas before moving on; the rendered objects are let go
 * once checked, so only the text of the files is kept.
 */
export function renderShare(project: Project, task: Omit<WorkerTask, 'environments' | 'root'> & { root: string }): Omit<WorkerResult, 'claims'> {
  const check = task.crdsRoot === undefined ? undefined : schemaChecker(task.crdsRoot, task.strict);
  const files: RenderedFile[] = [];
  const routing: EnvironmentRouting[] = [];
  const problems: Problem[] = [];
  const keep = (rendered: readonly RenderedFile[]) => {
    if (check !== undefined) {
      const objects = rendered.flatMap((f) => (f.objects ?? []).map((object, i) => ({ file: f.path, object, line: f.lines?.[i] })));
      problems.push(...findingsToProblems(check(objects), task.root, task.distRel));
    }
    files.push(...rendered.map(({ path: p, content }) => ({ path: p, content })));
  };
  for (const env of project.environments) {
    const rendered = synthesizeEnvironment(env, project.settings);
    keep(rendered.files);
    routing.push(rendered.routing);
    collectBetweenEnvironments();
  }
  if (task.includeRoot) {
    keep(synthesizeRoot(project.settings));
  }
  return { files, routing, problems };
}

/** The environment files, by name, with their size (a measure of their work). */
function environmentFiles(root: string): { name: string; bytes: number }[] {
  const dir = path.join(root, ENVIRONMENTS_DIR);
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name) && d.name !== SETTINGS_FILE)
    .map((d) => ({ name: d.name.replace(/\.ya?ml$/, ''), bytes: fs.statSync(path.join(dir, d.name)).size }))
    .sort((a, b) => compareStrings(a.name, b.name));
}

function catalogBytes(root: string): number {
  const dir = path.join(root, ENVIRONMENTS_DIR, CATALOG_DIR);
  return fs.existsSync(dir) ? fs.readdirSync(dir).reduce((sum, f) => sum + fs.lstatSync(path.join(dir, f)).size, 0) : 0;
}

/** Splits environments into `jobs` groups of about equal work (largest first, each to the lightest group). */
function partition(envs: readonly { name: string; bytes: number }[], jobs: number): string[][] {
  const groups = Array.from({ length: jobs }, () => ({ names: [] as string[], bytes: 0 }));
  for (const env of [...envs].sort((a, b) => b.bytes - a.bytes || compareStrings(a.name, b.name))) {
    const lightest = groups.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.names.push(env.name);
    lightest.bytes += env.bytes;
  }
  return groups.map((g) => g.names.sort(compareStrings)).filter((names) => names.length > 0);
}

/** How many workers a project with these environment files is worth. */
function defaultJobs(root: string, envs: readonly { bytes: number }[]): number {
  const bytes = envs.reduce((sum, e) => sum + e.bytes, 0) + catalogBytes(root);
  if (bytes < PARALLEL_THRESHOLD_BYTES) {
    return 1;
  }
  return Math.max(1, Math.min(os.availableParallelism(), envs.length));
}

/**
 * Synthesizes every environment into file contents, checking everything first; nothing is
 * written. With several jobs, environments are rendered in worker threads (each loads the
 * project, checks every file and renders its share), and the namespaces environments claim are
 * checked across all of them. The files are the same whatever the number of jobs.
 */
export async function synthesizeProject(options: SynthesizeOptions): Promise<SynthesisResult> {
  const root = options.root;
  const distRel = options.distRel ?? 'dist';
  const crdsRoot = options.crdsRoot ?? resolveCrdsRoot(root, undefined);
  const strict = options.strict ?? false;
  const envs = environmentFiles(root);
  const jobs = Math.max(1, Math.min(options.jobs ?? defaultJobs(root, envs), Math.max(1, envs.length)));
  if (jobs === 1) {
    try {
      const project = loadProject(root);
      const { files, routing, problems } = renderShare(project, { root, distRel, includeRoot: true, crdsRoot, strict });
      return { files: sortFiles(files), routing, problems, environments: project.environments.length, jobs };
    } catch (e) {
      if (SpecError.is(e)) {
        return { files: [], routing: [], problems: e.problems, environments: 0, jobs };
      }
      throw e;
    }
  }
  const groups = partition(envs, jobs);
  const results = await Promise.all(groups.map((environments, i) => runWorker({ root, distRel, environments, includeRoot: i === 0, crdsRoot, strict })));
  const problems = [...results.flatMap((r) => r.problems), ...overlapProblems(results.flatMap((r) => r.claims))];
  const routing = results.flatMap((r) => r.routing).sort((a, b) => compareStrings(a.name, b.name));
  return { files: sortFiles(results.flatMap((r) => r.files)), routing, problems, environments: envs.length, jobs: groups.length };
}

function sortFiles(files: RenderedFile[]): RenderedFile[] {
  return files.sort((a, b) => compareStrings(a.path, b.path));
}

function runWorker(task: WorkerTask): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'synth-worker.cjs'), { workerData: task });
    let result: WorkerResult | undefined;
    worker.once('message', (message: WorkerResult) => {
      result = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) {
        resolve(result);
      } else {
        reject(new Error(`synthesis worker exited with code ${code} before reporting`));
      }
    });
  });
}
