import { EnvironmentRouting } from '../../meshes/effective-routing';
import { LoadOptions, Project } from '../../model/load';
import { editedServices } from '../../model/service-scope';
import { EnvironmentSpec } from '../../model/spec';
import { InputText } from '../../model/source-file';
import { ParseCacheOptions, parseCacheOption } from './parse-cache';
import { environmentReach, reachProblems } from '../../model/reach';
import { loadAndScan } from '../../model/secret-scan';
import { compareStrings, Problem } from '../../model/spec-error';
import { inEnvironments, listEnvironmentFiles, RenderedFile } from '../dist/read-dist';
import { environmentInputs, EnvironmentInputs, recordedDigest, unchangedSinceRendered } from '../synth/inputs-digest';
import { synthesizeEnvironment, synthesizeRoot } from '../synth/synth';
import { resolveCrdsRoot } from './schema-check';
import { checksIdentity } from './check-cache';
import { renderShare } from './parallel-synth';

/** Options for `synthesizeChanged`. */
export interface IncrementalOptions {
  /** The repository root. */
  readonly root: string;
  /** dist/ as it is now: what is reused is read from here. */
  readonly distDir: string;
  /** dist/ as the repository names it, for messages. @default 'dist' */
  readonly distRel?: string;
  /** Schema folder to validate the rendered objects against. @default - resolved as synth does */
  readonly crdsRoot?: string;
  /** With schemas: a kind without a schema is an error. @default false */
  readonly strict?: boolean;
  /** Input files to read with this content instead of what is on disk (an edit not yet written). */
  readonly overrides?: ReadonlyMap<string, InputText>;
  /** Environments to render whatever their digest says. @default - none */
  readonly force?: ReadonlySet<string>;
  /** The identity of the renderer build. @default - `rendererDigest()` of the running meshflip */
  readonly renderer?: string;
  /**
   * The project as the caller has already loaded and scanned it (validate does so first), with the
   * fingerprints of the secrets that allowedSecrets allows. @default - loaded and scanned here
   */
  readonly loaded?: { readonly project: Project; readonly allowedFingerprints: readonly string[] };
  /**
   * Check the rendered objects as synth does (Kubernetes limits, credentials, schemas). Off for a
   * caller that checks every object of dist/ itself; the rendered objects are then kept with their files.
   *
   * @default true
   */
  readonly check?: boolean;
  /** Keep the rendered objects with their files when checking them too. @default false */
  readonly keepObjects?: boolean;
  /** Keep the check results of the environments rendered and checked (`SynthesizeOptions.cacheDir`). @default - no cache */
  readonly cacheDir?: string;
  /** Reuse and keep parses of the input files (`LoadOptions.parseCache`). @default - every file is parsed */
  readonly parseCache?: ParseCacheOptions;
  /**
   * Environments as dist/ holds them, by name (their INPUTS.sha256 must say so): an edit of one that
   * touches only some services' own entries renders those services' files and the environment's
   * own, and reads the others from dist/ (`synthesizeEnvironmentEdit`; listed in `unchanged`).
   *
   * With `force` too, when every environment of the repository is, before the edit in `overrides`
   * (not yet written), what dist/ holds (`unchangedSinceRendered`), only the environments of
   * `force` are loaded, and every other one is reused as it is, as long as the edit of each
   * touches only its services' own entries: nothing another environment is checked against (where
   * they deploy) has changed, and no input of another environment. Else all are loaded.
   *
   * @default - every environment rendered is rendered whole
   */
  readonly before?: ReadonlyMap<string, EnvironmentSpec>;
}

/** What `synthesizeChanged` produced. */
export interface IncrementalResult {
  /** The files rendered: those of the rendered environments and the root Application's, sorted by path. */
  readonly files: readonly RenderedFile[];
  /**
   * The files of dist/ kept as they are (those of the environments reused), by path, sorted. With
   * `files`, everything dist/ should hold; they are not read (`writeDist`'s `keep`). Listed when
   * first asked for.
   */
  readonly keptFiles: readonly string[];
  /** Whether a file of dist/ is one of `keptFiles`, without listing them. */
  readonly keeps: (file: string) => boolean;
  /** Whether every file below a folder of dist/ (relative to it) is one of `keptFiles`: a reused environment's folder (`writeDist`'s `keepFolders`). */
  readonly keepsFolder: (folder: string) => boolean;
  /**
   * Files of `files` read from dist/ rather than rendered, by path (see `IncrementalOptions.before`):
   * they hold what dist/ holds.
   */
  readonly unchanged: ReadonlySet<string>;
  /** The environments rendered (their inputs changed since dist/ was written), sorted. */
  readonly rendered: readonly string[];
  /** The environments whose files were read from dist/, sorted. */
  readonly reused: readonly string[];
  /** The effective routing of each rendered environment, read back from its objects. */
  readonly routing: readonly EnvironmentRouting[];
  readonly problems: readonly Problem[];
  /** The project as loaded: with `before` and `force`, possibly only the environments of `force`. */
  readonly project?: Project;
  /** What each environment of `project` is rendered from, by name. */
  readonly inputs: ReadonlyMap<string, EnvironmentInputs>;
}

/**
 * Brings dist/ up to date by rendering only the environments whose inputs changed: every
 * environment's folder records the digest of what it was rendered from (INPUTS.sha256), and an
 * environment whose digest is unchanged is read from dist/ instead. The root Application is
 * always rendered (it is one small file). Every input file is still loaded and checked, and the
 * rendered objects are checked as synth checks them; nothing is written.
 *
 * This trusts dist/ for the environments it reuses, as a build cache trusts its outputs: a hand
 * edit of dist/ that leaves INPUTS.sha256 alone is kept. CI renders everything from scratch
 * (`npm run synth`, then `git diff --exit-code`), which is what catches such an edit.
 */
export async function synthesizeChanged(options: IncrementalOptions): Promise<IncrementalResult> {
  const { root, distDir } = options;
  const distRel = options.distRel ?? 'dist';
  let project: Project | undefined = options.loaded?.project;
  let problems: Problem[] = [];
  let allowed: readonly string[] = options.loaded?.allowedFingerprints ?? [];
  /** Environments not loaded, reused as dist/ holds them (see `before`). */
  let elsewhere: string[] = [];
  const load: LoadOptions = {
    checkOverlaps: false,
    ...(options.overrides === undefined ? {} : { overrides: options.overrides }),
    ...parseCacheOption(options.parseCache),
  };
  const asRendered =
    project === undefined && options.before !== undefined && options.force !== undefined
      ? unchangedSinceRendered(root, distDir, options.renderer)
      : undefined;
  if (asRendered !== undefined) {
    const edited = [...options.force!];
    // Every other environment file is as it was when dist/ was rendered from it (checked and scanned
    // then): it is not even read.
    const narrow = await loadAndScan(root, { ...load, only: edited, readOthers: false });
    const loaded = narrow.project?.environments ?? [];
    const confined =
      !narrow.problems.some((p) => p.severity !== 'warning') &&
      edited.every((name) => asRendered.includes(name)) &&
      loaded.length === edited.length &&
      loaded.every((env) => {
        const before = options.before!.get(env.name);
        return before !== undefined && editedServices(before, env) !== undefined;
      });
    if (confined) {
      project = narrow.project;
      problems = [...narrow.problems];
      allowed = narrow.secrets.allowedFingerprints;
      elsewhere = asRendered.filter((name) => !options.force!.has(name));
    }
  }
  if (project === undefined) {
    const scanned = await loadAndScan(root, load);
    project = scanned.project;
    problems = [...scanned.problems, ...(project === undefined ? [] : reachProblems(project.environments.map(environmentReach)))];
    allowed = scanned.secrets.allowedFingerprints;
  }
  const empty = {
    files: [],
    keptFiles: [],
    keeps: () => false,
    keepsFolder: () => false,
    unchanged: new Set<string>(),
    rendered: [],
    reused: [],
    routing: [],
    inputs: new Map<string, EnvironmentInputs>(),
  };
  if (project === undefined || problems.some((p) => p.severity !== 'warning')) {
    return { ...empty, problems, project };
  }
  const inputs = new Map(project.environments.map((env) => [env.name, environmentInputs(env, project, options.renderer)]));
  const changed = project.environments.filter(
    (env) => options.force?.has(env.name) || recordedDigest(distDir, env.name) !== inputs.get(env.name)!.digest,
  );
  const renderedNames = new Set(changed.map((e) => e.name));
  const crdsRoot = options.crdsRoot ?? resolveCrdsRoot(root, undefined);
  const strict = options.strict ?? false;
  const share =
    options.check === false
      ? { ...renderUnchecked({ ...project, environments: changed }, inputs), unchanged: [] }
      : await renderShare(
          { ...project, environments: changed },
          {
            root,
            distRel,
            includeRoot: true,
            crdsRoot,
            strict,
            ...(options.cacheDir === undefined ? {} : { cache: { dir: options.cacheDir, checks: checksIdentity(crdsRoot, strict, root) } }),
          },
          new Set(allowed),
          options.keepObjects ?? false,
          options.before === undefined ? undefined : { distDir, before: options.before },
        );
  const renderedPaths = new Set(share.files.map((f) => f.path));
  // Reused: the files of unchanged environments. Files of environments that no longer exist, and
  // any other file the rendering did not produce, are dropped, as a full synthesis drops them.
  const reusedNames = new Set([...project.environments.map((e) => e.name).filter((n) => !renderedNames.has(n)), ...elsewhere]);
  const reusedFile = inEnvironments(reusedNames);
  let keptFiles: string[] | undefined;
  return {
    files: [...share.files].sort((a, b) => compareStrings(a.path, b.path)),
    get keptFiles() {
      keptFiles ??= listEnvironmentFiles(distDir, reusedNames).filter((file) => !renderedPaths.has(file));
      return keptFiles;
    },
    keeps: (file) => reusedFile(file) && !renderedPaths.has(file),
    // An environment's folder holds only its own files (an environment is never named argocd: the
    // model refuses it), and none of a reused environment's is rendered.
    keepsFolder: (folder) => reusedNames.has(folder) && !renderedNames.has(folder),
    unchanged: new Set(share.unchanged),
    rendered: [...renderedNames].sort(compareStrings),
    reused: [...reusedNames].sort(compareStrings),
    routing: share.routing,
    problems: [...problems, ...share.problems],
    project,
    inputs,
  };
}

/** Renders environments and the root Application without checking them, keeping their objects. */
function renderUnchecked(
  project: Project,
  inputs: ReadonlyMap<string, EnvironmentInputs>,
): { files: RenderedFile[]; routing: EnvironmentRouting[]; problems: Problem[] } {
  const files: RenderedFile[] = [];
  const routing: EnvironmentRouting[] = [];
  const problems: Problem[] = [];
  for (const env of project.environments) {
    const rendered = synthesizeEnvironment(env, project.settings, inputs.get(env.name));
    files.push(...rendered.files);
    routing.push(rendered.routing);
    problems.push(...rendered.problems);
  }
  files.push(...synthesizeRoot(project.settings));
  return { files, routing, problems };
}
