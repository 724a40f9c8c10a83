import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { EnvironmentRouting } from '../../meshes/effective-routing';
import { CATALOG_DIR, ENVIRONMENTS_DIR, LoadOptions, Project, SETTINGS_FILE } from '../../model/load';
import { ParseCacheOptions, parseCacheOption } from './parse-cache';
import { EnvironmentReach, environmentReach, reachProblems } from '../../model/reach';
import { loadAndScan, unusedAllowedSecrets } from '../../model/secret-scan';
import { AllowedSecret, EnvironmentSpec } from '../../model/spec';
import { compareStrings, Problem } from '../../model/spec-error';
import { checkKubernetesLimits } from './kubernetes-limits';
import { resolveCrdsRoot, schemaChecker, schemaPlatformOf } from './schema-check';
import { FileChecks, ObjectCheck, runObjectChecks } from './file-checks';
import { contentDigest, INPUTS_FILE, outputsDigest, recordedOutputs } from '../dist/outputs-digest';
import { routingCacheIn } from './routing-cache';
import { objectsCacheIn } from './objects-cache';
import { seenFilesIn } from './seen-files-cache';
import { collectBetweenEnvironments } from './heap';
import { checkRenderedSecrets } from './secret-checks';
import { isObjectFile, objectsOfFile, objectsOfText } from '../dist/read-dist';
import { StringPool } from '../dist/fast-yaml';
import { environmentInputs } from '../synth/inputs-digest';
import { CheckCache, checkKey, checksIdentity, viewsDigest } from './check-cache';
import { argoCdView, validateOnlyChecks } from './dist-checks';
import { KeptFrom, synthesizeEnvironment, synthesizeEnvironmentEdit, synthesizeRoot } from '../synth/synth';
import { RenderedFile } from '../dist/read-dist';
import { findingsToProblems } from './findings';

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
   * Keep the check results of every environment rendered, for validate and ci-summary (see
   * `ValidateOptions.cache`): synthesis also runs the checks only they run, and keeps all of it.
   *
   * @default - no cache
   */
  readonly cacheDir?: string;
  /** Reuse and keep parses of the input files (`LoadOptions.parseCache`). @default - every file is parsed */
  readonly parseCache?: ParseCacheOptions;
  /**
   * Worker threads to render with; 1 renders in this thread.
   *
   * @default - one per core, up to one per environment, for projects large enough to gain from it
   */
  readonly jobs?: number;
  /**
   * With worker threads: called in this thread with each environment's files as soon as a worker
   * has rendered and checked them, while the workers go on (synth writes them ahead, `Prewrite`).
   * They are also in the result. Files given here may belong to a synthesis that then fails.
   *
   * @default - nothing is called
   */
  readonly onFiles?: (files: readonly RenderedFile[]) => void;
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

/**
 * Environments as dist/ holds them (`before`, by name): one whose edit touches only some services'
 * own entries is rendered in part, its other files read from `distDir` (`synthesizeEnvironmentEdit`).
 */
export interface EnvironmentEdits {
  readonly distDir: string;
  readonly before: ReadonlyMap<string, EnvironmentSpec>;
}

/** A worker's share of the work. */
export interface WorkerTask {
  readonly root: string;
  readonly distRel: string;
  readonly environments: readonly string[];
  readonly includeRoot: boolean;
  readonly crdsRoot?: string;
  readonly strict: boolean;
  /** Where to keep check results (`SynthesizeOptions.cacheDir`), and the identity of the schema checks they are kept under (`checksIdentity`). */
  readonly cache?: { readonly dir: string; readonly checks: string };
  /** Reuse and keep parses of the input files (`SynthesizeOptions.parseCache`). */
  readonly parses?: ParseCacheOptions;
  /**
   * Read only the environment files of `environments` (and the files every environment reads):
   * each worker of a parallel synthesis reads its own share (`LoadOptions.readOthers`).
   *
   * @default - every environment file is read
   */
  readonly ownFilesOnly?: boolean;
}

/** What a worker sends back (plain data: it crosses threads). */
export interface WorkerResult {
  readonly files: RenderedFile[];
  readonly routing: EnvironmentRouting[];
  readonly problems: Problem[];
  /** Where each environment's objects land, checked across all workers. */
  readonly reach: EnvironmentReach[];
  /** The exceptions of allowedSecrets (undefined when the project did not load), and the indexes of those that allowed something in the worker's files. */
  readonly allowedSecrets?: readonly AllowedSecret[];
  readonly allowedSecretsUsed: readonly number[];
  /** Whether what the worker loaded loaded without an error. */
  readonly loaded: boolean;
}

/** Below this much input, starting workers costs more than it saves. */
const PARALLEL_THRESHOLD_BYTES = 256 * 1024;

/**
 * Renders `environments` of a loaded project, one environment at a time, checking each
 * environment's objects for credentials (the second line of defence after the scan of the input)
 * and against the schemas before moving on; the rendered objects are let go once checked, so only
 * the text of the files is kept (unless `keepObjects`).
 *
 * @param allowedFingerprints secrets that allowedSecrets allows in the input
 */
export async function renderShare(
  project: Project,
  task: Omit<WorkerTask, 'environments' | 'root'> & { root: string },
  allowedFingerprints: ReadonlySet<string>,
  keepObjects = false,
  edits?: EnvironmentEdits,
  onFiles?: (files: readonly RenderedFile[]) => void,
): Promise<Pick<WorkerResult, 'files' | 'routing' | 'problems'> & { readonly unchanged: readonly string[] }> {
  const check = task.crdsRoot === undefined ? undefined : schemaChecker(task.crdsRoot, task.strict, { root: task.root });
  const cache = task.cache === undefined ? undefined : { store: new CheckCache(task.cache.dir), checks: task.cache.checks };
  // What the object checks found in each file last time: only the files that changed are checked again.
  const fileChecks = task.cache === undefined ? undefined : new FileChecks(task.cache.dir);
  // The routing read back from each environment's files, for explain.
  const routingCache = routingCacheIn(task.cache?.dir);
  // The objects read back from each environment's files, for the edits that follow.
  const objectsCache = objectsCacheIn(task.cache?.dir);
  // What lstat said of each file of dist/ when it was last read or written, for the edits.
  const seen = seenFilesIn(task.cache?.dir);
  const files: RenderedFile[] = [];
  const routing: EnvironmentRouting[] = [];
  const problems: Problem[] = [];
  /** Files read from dist/ rather than rendered (`EnvironmentEdits`). */
  const unchanged: string[] = [];
  /**
   * Checks files rendered from `kept.inputs` for `kept.env` (none: the files of no environment) and
   * keeps the results; `kept.edit` when some of them were read from dist/ (`KeptFrom`): those `kept`.
   */
  const keep = async (
    rendered: readonly RenderedFile[],
    kept: { env?: string; inputs?: string; routing?: EnvironmentRouting; edit?: KeptFrom & { kept: ReadonlySet<string> } },
  ) => {
    const strings: StringPool = new Map();
    // The objects exactly as validate reads them from these files once written.
    const checked = rendered
      .filter((f) => isObjectFile(f.path))
      .map((f) => ({
        path: f.path,
        // A file read from dist/ by an edit reads its content only if asked for.
        get content() {
          return f.content;
        },
        objects: f.objects !== undefined && f.lines !== undefined ? objectsOfFile(f) : objectsOfText(f.path, f.content, f, strings),
        plainJson: f.objects !== undefined && f.lines !== undefined && f.plainJson === true,
        digest: contentDigest(f),
      }));
    const objects = checked.flatMap((f) => f.objects);
    // Kubernetes' own limits hold whether or not there are schemas to check against.
    const checks: ObjectCheck[] = [
      checkKubernetesLimits,
      (o) => checkRenderedSecrets(o, allowedFingerprints),
      ...(check === undefined ? [] : [check]),
    ];
    const found =
      fileChecks === undefined
        ? await runObjectChecks(objects, checks)
        : await fileChecks.run(
            {
              env: kept.env,
              allowedFingerprints: [...allowedFingerprints],
              checks: cache!.checks,
              context: check === undefined ? 'none' : schemaPlatformOf(objects),
            },
            checked,
            checks,
          );
    const findings = found.flat();
    problems.push(...findingsToProblems(findings, task.root, task.distRel));
    if (cache !== undefined) {
      // What validate finds in these files, in its order: its own checks, then synthesis's.
      // As INPUTS.sha256 records it: the digest of exactly these files, computed when it was written.
      const outputs =
        (kept.env === undefined ? undefined : recordedOutputs(rendered.find((f) => f.path === `${kept.env}/${INPUTS_FILE}`)?.content)) ??
        outputsDigest(rendered);
      const key = checkKey({
        env: kept.env,
        distRel: task.distRel,
        inputs: kept.inputs,
        outputs,
        allowedFingerprints: [...allowedFingerprints],
        checks: cache.checks,
      });
      if (kept.env !== undefined && kept.routing !== undefined) {
        routingCache?.set(kept.env, outputs, kept.routing);
      }
      if (kept.env !== undefined) {
        objectsCache?.set(kept.env, outputs, checked, kept.edit);
      }
      const views = objects.map(argoCdView);
      cache.store.set(key, {
        problems: findingsToProblems([...validateOnlyChecks(kept.env, objects), ...findings], task.root, task.distRel),
        objects: objects.length,
        views,
        viewsDigest: viewsDigest(views),
        ...(kept.routing === undefined ? {} : { routing: kept.routing }),
      });
    }
    // With the digest of each, as the write records it (`SeenFiles`): computed here already.
    const done = keepObjects ? rendered : rendered.map((f) => ({ path: f.path, content: f.content, digest: contentDigest(f) }));
    if (onFiles === undefined) {
      files.push(...done);
    } else {
      onFiles(done);
    }
  };
  for (const env of project.environments) {
    const inputs = environmentInputs(env, project);
    const before = edits?.before.get(env.name);
    const edit =
      before === undefined ? undefined : synthesizeEnvironmentEdit(before, env, project.settings, edits!.distDir, inputs, objectsCache, seen);
    const rendered = edit ?? synthesizeEnvironment(env, project.settings, inputs);
    unchanged.push(...(edit?.kept ?? []));
    await keep(rendered.files, {
      env: env.name,
      inputs: inputs.digest,
      routing: rendered.routing,
      ...(edit === undefined ? {} : { edit: { ...edit.keptFrom, kept: new Set(edit.kept) } }),
    });
    routing.push(rendered.routing);
    problems.push(...rendered.problems);
    collectBetweenEnvironments();
  }
  if (task.includeRoot) {
    await keep(synthesizeRoot(project.settings), {});
  }
  return { files, routing, problems, unchanged };
}

/**
 * Loads the project (only `environments` of it, when given), scans its input for credentials and,
 * when neither finds an error, renders it: what one thread does, the main one or a worker.
 */
export async function loadAndRender(
  task: Omit<WorkerTask, 'environments'> & { environments?: readonly string[] },
  onFiles?: (files: readonly RenderedFile[]) => void,
): Promise<Omit<WorkerResult, 'reach'> & { project?: Project }> {
  // Where environments reach is checked by the caller, across everything rendered, as it is across workers.
  const options: LoadOptions = {
    checkOverlaps: false,
    ...(task.environments === undefined ? {} : { only: task.environments, readOthers: task.ownFilesOnly !== true }),
    ...parseCacheOption(task.parses),
  };
  const { project, problems, secrets } = await loadAndScan(task.root, options);
  const scanned = { problems: [...problems], allowedSecrets: project?.settings.allowedSecrets, allowedSecretsUsed: secrets.used };
  if (project === undefined || problems.some((p) => p.severity !== 'warning')) {
    return { files: [], routing: [], ...scanned, loaded: false };
  }
  const rendered = await renderShare(project, task, new Set(secrets.allowedFingerprints), false, undefined, onFiles);
  return {
    ...rendered,
    problems: [...scanned.problems, ...rendered.problems],
    allowedSecrets: scanned.allowedSecrets,
    allowedSecretsUsed: secrets.used,
    project,
    loaded: true,
  };
}

/** The environment files, by name, with their size (a measure of their work). */
export function environmentFiles(root: string): { name: string; bytes: number }[] {
  const dir = path.join(root, ENVIRONMENTS_DIR);
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir, { withFileTypes: true })
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
 * project, checks every file and renders its share), and where environments reach (namespaces,
 * mesh services) is checked across all of them. The files are the same whatever the number of jobs.
 */
export async function synthesizeProject(options: SynthesizeOptions): Promise<SynthesisResult> {
  const root = options.root;
  const distRel = options.distRel ?? 'dist';
  const crdsRoot = options.crdsRoot ?? resolveCrdsRoot(root, undefined);
  const strict = options.strict ?? false;
  const envs = environmentFiles(root);
  const jobs = Math.max(1, Math.min(options.jobs ?? defaultJobs(root, envs), Math.max(1, envs.length)));
  // Worked out once for every worker: it reads every file of the schema folder.
  const cache = options.cacheDir === undefined ? undefined : { dir: options.cacheDir, checks: checksIdentity(crdsRoot, strict, root) };
  /** Everything in this thread, as one job. */
  const inThisThread = async (): Promise<SynthesisResult> => {
    const { files, routing, problems, allowedSecrets, allowedSecretsUsed, project } = await loadAndRender({
      root,
      distRel,
      includeRoot: true,
      crdsRoot,
      strict,
      cache,
      parses: options.parseCache,
    });
    const unused = allowedSecrets === undefined ? [] : unusedAllowedSecrets(allowedSecrets, allowedSecretsUsed);
    const reach = reachProblems(project?.environments.map(environmentReach) ?? []);
    return {
      files: sortFiles(files),
      routing,
      problems: [...problems, ...unused, ...reach],
      environments: project?.environments.length ?? 0,
      jobs: 1,
    };
  };
  if (jobs === 1) {
    return inThisThread();
  }
  // Each worker reads the environment files of its own share (and the settings, catalogues and
  // imposters): together they read, check and scan every file once.
  const groups = partition(envs, jobs);
  // The files each worker sends as it goes, one environment at a time.
  const sent: RenderedFile[] = [];
  const received = (files: readonly RenderedFile[]) => {
    sent.push(...files);
    options.onFiles?.(files);
  };
  const results = await Promise.all(
    groups.map((environments, i) =>
      runWorker(
        { root, distRel, environments, includeRoot: i === 0, crdsRoot, strict, cache, parses: options.parseCache, ownFilesOnly: true },
        received,
      ),
    ),
  );
  if (results.some((r) => !r.loaded)) {
    // The project does not load: its problems as one load of every file finds them (a file that
    // names itself after another is found only by a load that reads both), whatever the workers.
    return { ...(await inThisThread()), jobs: groups.length };
  }
  // Each worker scans the files it read; an exception is unused only when no worker used it.
  const loaded = results.every((r) => r.allowedSecrets !== undefined);
  const unused = loaded
    ? unusedAllowedSecrets(
        results[0]?.allowedSecrets ?? [],
        results.flatMap((r) => r.allowedSecretsUsed),
      )
    : [];
  const problems = [...results.flatMap((r) => r.problems), ...reachProblems(results.flatMap((r) => r.reach)), ...unused];
  const routing = results.flatMap((r) => r.routing).sort((a, b) => compareStrings(a.name, b.name));
  return { files: sortFiles([...sent, ...results.flatMap((r) => r.files)]), routing, problems, environments: envs.length, jobs: groups.length };
}

function sortFiles(files: RenderedFile[]): RenderedFile[] {
  return files.sort((a, b) => compareStrings(a.path, b.path));
}

/** What a worker posts: the files of one environment, as soon as they are rendered and checked, then its result. */
export type WorkerMessage = { readonly files: readonly RenderedFile[] } | { readonly result: WorkerResult };

function runWorker(task: WorkerTask, onFiles: (files: readonly RenderedFile[]) => void): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'synth-worker.cjs'), { workerData: task });
    let result: WorkerResult | undefined;
    worker.on('message', (message: WorkerMessage) => {
      if ('files' in message) {
        onFiles(message.files);
      } else {
        result = message.result;
      }
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
