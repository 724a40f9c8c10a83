import * as fs from 'fs';
import * as path from 'path';
import { EnvironmentRouting, RenderedObject } from '../../meshes/effective-routing';
import { Finding } from '../../meshes/findings';
import { checkExpiries } from '../../model/expiry';
import { distFolder, Project } from '../../model/load';
import { loadAndScan, unusedAllowedSecrets } from '../../model/secret-scan';
import { compareStrings, Problem, sortProblems } from '../../model/spec-error';
import { NO_SCHEMA } from '../../validation/schema-sets';
import { argoCdView, checkArgoCdSetup, validateOnlyChecks } from './dist-checks';
import { checkKubernetesLimits } from './kubernetes-limits';
import { findingsToProblems } from './findings';
import { collectBetweenEnvironments } from './heap';
import { isObjectFile, objectsOfText, RenderedFile } from '../dist/read-dist';
import { digestDistInBackground } from './dist-digests';
import { readEnvironmentRouting } from '../routing/routing-reader';
import { checkRenderedSecrets } from './secret-checks';
import { environmentInputs } from '../synth/inputs-digest';
import { INPUTS_FILE, isInputsFile, outputsDigest, recordedInputs, recordedOutputs } from '../dist/outputs-digest';
import { Synthesized, synthesizeEnvironment, synthesizeRoot } from '../synth/synth';
import { recoverInterruptedWrite } from '../dist/write-dist';
import { StringPool } from '../dist/fast-yaml';
import { AcrossChecks, CheckCache, checkKey, viewsDigest } from './check-cache';
import { ParseCacheOptions, parseCacheOption } from './parse-cache';

/**
 * The used heap above which validate collects between environments: higher than synthesis's, as
 * it keeps no rendered text (a collection costs about 0.1 s at 1,000 services).
 */
const VALIDATE_COLLECT_ABOVE_BYTES = 512 * 1024 * 1024;

/** Options for `validateRepository`. */
export interface ValidateOptions {
  /** The repository root (holds environments/). */
  readonly root: string;
  /** dist/ to check. @default - `<root>/dist` */
  readonly distDir?: string;
  /** The current time, for expiries. @default - now */
  readonly now?: Date;
  /** Extra checks over the objects of dist/ (schema validation), given one environment's objects at a time. */
  readonly extraChecks?: readonly ((objects: readonly RenderedObject[]) => Finding[])[];
  /**
   * Render every environment and compare its files with dist/. Without it, an environment whose
   * inputs and files are those its INPUTS.sha256 records (the digest of its inputs, and of the
   * files rendered from them) is not rendered: its files are byte for byte what the renderer made
   * of these inputs. Only an edit of INPUTS.sha256 that matches a hand edit of the files gets past
   * that, and CI's full re-synthesis catches it.
   *
   * @default false
   */
  readonly full?: boolean;
  /**
   * Read the routing of every environment back from its objects (`fresh.routing`); without it,
   * only the environments rendered have theirs (they get it for free).
   *
   * @default false
   */
  readonly routing?: boolean;
  /**
   * Keep the check results of each environment whose files are as recorded, and use those kept
   * before: `dir` is the cache folder (`defaultCacheDir`), `checks` the identity of `extraChecks`
   * (`checksIdentity` of the schemas they check against). An environment is then only read and
   * checked when no earlier run checked exactly its files, inputs and configuration.
   *
   * @default - no cache
   */
  readonly cache?: { readonly dir: string; readonly checks: string };
  /** Reuse and keep parses of the input files (`LoadOptions.parseCache`). @default - every file is parsed */
  readonly parseCache?: ParseCacheOptions;
  /** Read and digest dist/ in a worker thread (tests). @default - for a large dist/ */
  readonly digestInWorker?: boolean;
}

/** Everything `meshflip validate` found. */
export interface ValidationReport {
  readonly problems: readonly Problem[];
  readonly project?: Project;
  /** How many objects of dist/ were checked. */
  readonly objects: number;
  /**
   * The working tree as rendered (the files of the environments rendered, and the root
   * Application's) and the routing of the environments rendered, or with `routing` of every
   * environment: read back from the rendering, or from dist/ for an environment whose files are as
   * recorded.
   */
  readonly fresh?: Synthesized;
  /** The environments rendered to check dist/ (with `full`, all of them). */
  readonly rendered?: readonly string[];
  /** The files of dist/ that are the working tree's rendering as they are (those of the environments not rendered). */
  readonly keptFiles?: readonly string[];
  /**
   * With a cache: the routing an earlier run read back from an environment's files, kept with their
   * check results under the same checks (`KeptRouting`).
   */
  readonly keptRouting?: KeptRouting;
}

/**
 * The routing read back from the files of an environment, as kept with their check results: by the
 * environment, the inputs digest its INPUTS.sha256 records, and the digest of exactly those files
 * (`outputsDigest`); undefined when no run with these checks kept it.
 */
export type KeptRouting = (env: string, inputs: string, outputs: string) => EnvironmentRouting | undefined;

/**
 * Runs every check without writing anything: the environment files (schema and references),
 * credentials in any input file (and the exceptions of allowedSecrets), expiries against the
 * clock, whether dist/ is what a fresh synthesis gives, and every check over dist/ as it is on
 * disk (hand edits included).
 *
 * dist/ is gone through one environment at a time: its files are read, compared with a rendering
 * (or found to be as INPUTS.sha256 records), parsed and checked, and its objects let go before the
 * next; what the checks across environments (Argo CD's) read of each object is kept.
 */
export async function validateRepository(options: ValidateOptions): Promise<ValidationReport> {
  const root = options.root;
  const distDir = options.distDir ?? path.join(root, distFolder(root));
  recoverInterruptedWrite(distDir);
  const distRel = path.relative(root, distDir).split(path.sep).join('/') || '.';
  const problems: Problem[] = [];
  // dist/ is read and digested (in a worker thread when it is large) while the project loads.
  const digesting = digestDistInBackground(distDir, options.digestInWorker, options.cache?.dir);
  // Awaited either way: a worker left running would keep reading after a failed load.
  const [scanned, digested] = await Promise.allSettled([loadAndScan(root, parseCacheOption(options.parseCache)), digesting]);
  if (scanned.status === 'rejected' || digested.status === 'rejected') {
    throw scanned.status === 'rejected' ? scanned.reason : (digested as PromiseRejectedResult).reason;
  }
  // The files and the credentials in them, reported together.
  const loaded = scanned.value;
  const digests = digested.value;
  const project = loaded.project;
  problems.push(...loaded.problems);
  if (project !== undefined) {
    problems.push(...unusedAllowedSecrets(project.settings.allowedSecrets, loaded.secrets.used));
    problems.push(...checkExpiries(project.environments, options.now ?? new Date()));
  }
  const allowed = new Set(loaded.secrets.allowedFingerprints);
  const files = digests.files;
  // The root Application and the bootstrap files belong to no environment ('').
  const specs = new Map((project?.environments ?? []).map((e) => [e.name, e]));
  const names = [...new Set([...specs.keys(), ...digests.groups.keys()])].filter((n) => n !== '').sort(compareStrings);
  const freshFiles: RenderedFile[] = [];
  const routing: EnvironmentRouting[] = [];
  const rendered: string[] = [];
  const keptFiles: string[] = [];
  const argoCdViews: RenderedObject[] = [];
  /** The digest of each group's views, in the order they are added (what the checks across environments are kept by). */
  const viewDigests: string[] = [];
  const cache = options.cache === undefined ? undefined : new CheckCache(options.cache.dir);
  /** The key of the check results of files with this digest, rendered from these inputs for this environment (none: files of no environment), when there is a cache. */
  const keyFor = (env: string | undefined, inputs: string | undefined, outputs: string) =>
    options.cache === undefined
      ? undefined
      : checkKey({ env, distRel, inputs, outputs, allowedFingerprints: loaded.secrets.allowedFingerprints, checks: options.cache.checks });
  let count = 0;
  /** Checks one group of files of dist/ (an environment's, or those of none) against what it should hold. */
  const checkGroup = async (env: string | undefined, texts: ReadonlyMap<string, string>, expected: readonly RenderedFile[] | undefined) => {
    const found: Problem[] = [];
    if (expected !== undefined) {
      found.push(...checkFreshness(expected, texts, distRel));
    }
    const known = new Map((expected ?? []).map((f) => [f.path, f]));
    const objects: RenderedObject[] = [];
    const strings: StringPool = new Map();
    for (const [file, text] of texts) {
      if (!isObjectFile(file)) {
        continue;
      }
      objects.push(...objectsOfText(file, text, known.get(file), strings));
    }
    count += objects.length;
    // As problems at once: a finding holds its whole object.
    const findings = [
      ...validateOnlyChecks(env, objects),
      ...checkKubernetesLimits(objects),
      ...(await checkRenderedSecrets(objects, allowed)),
      ...(options.extraChecks ?? []).flatMap((check) => check(objects)),
    ];
    found.push(...findingsToProblems(findings, root, distRel));
    const views = objects.map(argoCdView);
    problems.push(...found);
    argoCdViews.push(...views);
    // What the checks across environments are kept by: only with a cache to keep them in.
    const digest = cache === undefined ? undefined : viewsDigest(views);
    if (digest !== undefined) {
      viewDigests.push(digest);
    }
    return { objects, problems: found, views, viewsDigest: digest };
  };
  const read = (group: readonly string[]) => new Map(group.map((file) => [file, fs.readFileSync(path.join(distDir, file), 'utf8')]));
  for (const name of names) {
    const digest = digests.groups.get(name);
    const onDisk = digest?.files ?? [];
    const env = specs.get(name);
    if (project === undefined || env === undefined) {
      const texts = read(onDisk);
      // No environment file renders it (or none loads): dist/ is checked as it is.
      const { objects } = await checkGroup(name, texts, project === undefined ? undefined : []);
      if (project !== undefined && options.routing === true) {
        routing.push(readEnvironmentRouting(name, objects));
      }
      continue;
    }
    const inputs = environmentInputs(env, project);
    /** Whether files with these digests are those a rendering of the inputs gives, as INPUTS.sha256 records. */
    const asRecorded = (inputsText: string | undefined, outputs: string | undefined): outputs is string =>
      options.full !== true && recordedInputs(inputsText) === inputs.digest && outputs !== undefined && recordedOutputs(inputsText) === outputs;
    /** The key of the check results of files with this digest (`asRecorded`), when there is a cache. */
    const keyOf = (outputs: string) => keyFor(name, inputs.digest, outputs);
    // The files are byte for byte those a rendering of these inputs gives: checked once, they
    // need not be read again while the checks stay the same.
    const key = asRecorded(digest?.inputsText, digest?.outputs) ? keyOf(digest.outputs) : undefined;
    const kept = key === undefined ? undefined : cache!.get(key);
    if (kept !== undefined) {
      keptFiles.push(...onDisk);
      problems.push(...kept.problems);
      count += kept.objects;
      argoCdViews.push(...kept.views);
      viewDigests.push(kept.viewsDigest);
      if (options.routing === true) {
        routing.push(kept.routing!);
      }
      continue;
    }
    // Digested again as read now: a file changed since is not what INPUTS.sha256 records.
    const texts = read(onDisk);
    const inputsText = texts.get(`${name}/${INPUTS_FILE}`);
    const outputs =
      options.full !== true && recordedInputs(inputsText) === inputs.digest
        ? outputsDigest([...texts].filter(([f]) => !isInputsFile(f)).map(([f, content]) => ({ path: f, content })))
        : undefined;
    if (asRecorded(inputsText, outputs)) {
      keptFiles.push(...onDisk);
      const checked = await checkGroup(name, texts, undefined);
      const keepKey = keyOf(outputs);
      const envRouting = options.routing === true || keepKey !== undefined ? readEnvironmentRouting(name, checked.objects) : undefined;
      if (options.routing === true) {
        routing.push(envRouting!);
      }
      if (keepKey !== undefined) {
        cache!.set(keepKey, {
          problems: checked.problems,
          objects: checked.objects.length,
          views: checked.views,
          viewsDigest: checked.viewsDigest!,
          routing: envRouting!,
        });
      }
    } else {
      const synthesized = synthesizeEnvironment(env, project.settings, inputs);
      problems.push(...synthesized.problems);
      rendered.push(name);
      await checkGroup(name, texts, synthesized.files);
      routing.push(synthesized.routing);
      freshFiles.push(...synthesized.files.map(({ path: p, content }) => ({ path: p, content })));
    }
    // Only what the checks across environments need outlives an environment: a full collection
    // once the heap holds more than that leaves room for the garbage of the next one.
    collectBetweenEnvironments(VALIDATE_COLLECT_ABOVE_BYTES);
  }
  // The files of no environment: the root Application and the bootstrap files.
  const rootFiles = project === undefined ? undefined : synthesizeRoot(project.settings);
  const rootTexts = read(digests.groups.get('')?.files ?? []);
  // Kept, as an environment's, when they are exactly what the settings render.
  const rootKey = rootFiles === undefined || !sameFiles(rootFiles, rootTexts) ? undefined : keyFor(undefined, undefined, outputsDigest(rootFiles));
  const rootKept = rootKey === undefined ? undefined : cache!.get(rootKey);
  if (rootKept !== undefined) {
    problems.push(...rootKept.problems);
    count += rootKept.objects;
    argoCdViews.push(...rootKept.views);
    viewDigests.push(rootKept.viewsDigest);
  } else {
    const checked = await checkGroup(undefined, rootTexts, rootFiles);
    if (rootKey !== undefined) {
      cache!.set(rootKey, { problems: checked.problems, objects: checked.objects.length, views: checked.views, viewsDigest: checked.viewsDigest! });
    }
  }
  freshFiles.push(...(rootFiles ?? []).map(({ path: p, content }) => ({ path: p, content })));
  const across = () =>
    checkArgoCdSetup(
      [...argoCdViews].sort((a, b) => compareStrings(a.file, b.file)),
      files,
    );
  // Kept by the views of every group and the paths of dist/: a flip changes neither.
  const acrossFindings = options.cache === undefined ? across() : new AcrossChecks(options.cache.dir).run(viewDigests, files, across);
  problems.push(...findingsToProblems(acrossFindings, root, distRel));
  const fresh: Synthesized | undefined =
    project === undefined
      ? undefined
      : {
          files: freshFiles.sort((a, b) => compareStrings(a.path, b.path)),
          routing: routing.sort((a, b) => compareStrings(a.name, b.name)),
          problems: [],
        };
  const keptRouting: KeptRouting | undefined =
    cache === undefined ? undefined : (env, inputs, outputs) => cache.get(keyFor(env, inputs, outputs)!)?.routing;
  return {
    problems,
    project,
    objects: count,
    fresh,
    rendered,
    keptFiles: keptFiles.sort(compareStrings),
    ...(keptRouting === undefined ? {} : { keptRouting }),
  };
}

/** Whether files on disk are exactly those expected: the same paths, the same text. */
function sameFiles(expected: readonly RenderedFile[], texts: ReadonlyMap<string, string>): boolean {
  return expected.length === texts.size && expected.every((f) => texts.get(f.path) === f.content);
}

/** Files of a group of dist/ that differ from what a fresh synthesis gives for it (`expected`). */
function checkFreshness(expected: readonly RenderedFile[], texts: ReadonlyMap<string, string>, distRel: string): Problem[] {
  const problems: Problem[] = [];
  const wanted = new Map(expected.map((f) => [f.path, f.content]));
  for (const [file, text] of texts) {
    const content = wanted.get(file);
    if (content === undefined) {
      problems.push(staleProblem(distRel, file, 'is no longer produced by synthesis'));
    } else if (text !== content) {
      problems.push(staleProblem(distRel, file, 'differs from a fresh synthesis'));
    }
  }
  for (const file of wanted.keys()) {
    if (!texts.has(file)) {
      problems.push(staleProblem(distRel, file, 'is missing: synthesis produces it'));
    }
  }
  return problems;
}

function staleProblem(distRel: string, file: string, message: string): Problem {
  return {
    file: `${distRel}/${file}`,
    line: 1,
    col: 1,
    field: '(file)',
    message: `${message}: dist/ is out of date`,
    hint: 'run npm run synth and commit dist/',
  };
}

/**
 * For display: the warnings about objects whose kind has no schema, one per kind instead of one
 * per object (a schema folder with only some CRDs would otherwise bury everything else). Each
 * kind is shown at its first object, with how many more there are. Sorted, as for display.
 */
export function summarizeMissingSchemas(problems: readonly Problem[]): Problem[] {
  const sorted = sortProblems(problems);
  const counts = new Map<string, number>();
  for (const p of sorted) {
    if (p.severity === 'warning' && p.message.startsWith(NO_SCHEMA)) {
      counts.set(p.message, (counts.get(p.message) ?? 0) + 1);
    }
  }
  const shown = new Set<string>();
  const out: Problem[] = [];
  for (const p of sorted) {
    const count = p.severity === 'warning' ? counts.get(p.message) : undefined;
    if (count === undefined) {
      out.push(p);
    } else if (!shown.has(p.message)) {
      shown.add(p.message);
      out.push(
        count === 1
          ? p
          : {
              ...p,
              message: `${p.message} (and ${count - 1} more object${count === 2 ? '' : 's'} of this kind)`,
              hint: 'objects of a kind without a schema are not checked: add its CRD to the schema folder',
            },
      );
    }
  }
  return out;
}
