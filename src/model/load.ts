import * as fs from 'fs';
import * as path from 'path';
import { derivedNameProblems } from './derived-names';
import { formatBytes, MAX_ENVIRONMENTS, MAX_INPUT_FILE_BYTES, readBounded } from './limits';
import { DEFAULT_DIST_PATH, ImposterFile, isReadFailure, LoadedCatalog, ReadResult, resolveEnvironment, resolveSettings } from './resolve';
import { CatalogSchema, EnvironmentSchema, SettingsSchema } from './schema';
import { environmentReach, reachProblems } from './reach';
import { InputText, SourceFile } from './source-file';
import { EnvironmentSpec, SettingsSpec } from './spec';
import { compareStrings, Problem, SpecError } from './spec-error';
import { parseWithSchema } from './zod-problems';

/** The folder, relative to the repository root, that holds the input. */
export const ENVIRONMENTS_DIR = 'environments';
/** Repository-wide settings, inside `environments/`. */
export const SETTINGS_FILE = 'meshflip.yaml';
/** Service catalogues, inside `environments/`. */
export const CATALOG_DIR = 'catalog';

/** Everything read from `environments/`, validated and resolved. */
export interface Project {
  readonly root: string;
  readonly settings: SettingsSpec;
  /** Sorted by name. */
  readonly environments: readonly EnvironmentSpec[];
  /** Every input file read, sorted by path: what the secret scan looks at. */
  readonly sources: readonly InputSource[];
}

/** An input file as read; its kind decides which credential rules apply to it and what they suggest instead. */
export interface InputSource {
  readonly kind: 'settings' | 'catalog' | 'environment' | 'imposter';
  readonly file: SourceFile;
}

/** Options for `loadProject`. */
export interface LoadOptions {
  /**
   * Only resolve these environments (by file name, which must equal the environment's name); the
   * others are still parsed and checked against the schema.
   *
   * @default - all environments
   */
  readonly only?: readonly string[];
  /**
   * With `only`: false leaves the other environment files unread, so that their problems and
   * credentials are not found here either (a worker of a parallel synthesis, where another worker
   * reads each of them). Two files that give the same name are then only found when one worker
   * reads both.
   *
   * @default true
   */
  readonly readOthers?: boolean;
  /**
   * File contents to use instead of what is on disk, by repository path (an edit checked before
   * it is written). Bytes are read as the file's bytes would be, and a parse of them is kept
   * under them (the next command reads the file as written).
   *
   * @default - none
   */
  readonly overrides?: ReadonlyMap<string, InputText>;
  /**
   * Check that no two environments deploy into the same namespace of an API server, and that no
   * unprotected environment reaches what a protected one has (see `reachProblems`). Parallel
   * synthesis turns it off and checks what the environments of all workers reach together.
   *
   * @default true
   */
  readonly checkOverlaps?: boolean;
  /**
   * Parses of the settings, catalogue and environment files kept by earlier runs: a file found
   * there is not parsed again, and `loadAndScan` keeps those it parses.
   *
   * @default - every file is parsed
   */
  readonly parseCache?: KeptParses;
}

/**
 * Reads and validates every file under `<root>/environments/`. Every problem in every file is
 * collected; if there is any, a `SpecError` listing all of them (sorted by file and line) is thrown.
 */
export function loadProject(root: string, options: LoadOptions = {}): Project {
  const { project, problems } = readProject(root, options);
  if (project === undefined) {
    throw new SpecError(problems);
  }
  return project;
}

/** Parses kept between runs (pipeline/validate/parse-cache.ts keeps them in files). */
export interface KeptParses {
  /** The file as an earlier run parsed exactly these bytes at this path, or undefined. */
  restore(repoPath: string, input: InputText): SourceFile | undefined;
  /** Keeps a file as parsed from these bytes, for later runs. */
  keep(repoPath: string, input: InputText, file: SourceFile): void;
  /** Whether this cache is known to hold `file` (it was restored from it, or kept in it). */
  holds(file: SourceFile): boolean;
}

/** What `readProject` found: the project when every file is valid, the problems, and every input file it read. */
export interface ReadProjectResult {
  readonly project?: Project;
  readonly problems: readonly Problem[];
  /** Every input file read, sorted by path, also when some have problems: the secret scan looks at them all. */
  readonly sources: readonly InputSource[];
  /** The settings, when environments/meshflip.yaml is valid (its allowedSecrets apply to the scan). */
  readonly settings?: SettingsSpec;
  /** The files parsed here that the parse cache did not hold, with what they were parsed from, for `loadAndScan` to keep. */
  readonly parsed?: readonly { readonly input: InputText; readonly file: SourceFile }[];
}

/** Like `loadProject`, but returns the problems (and the files read) instead of throwing. */
export function readProject(root: string, options: LoadOptions = {}): ReadProjectResult {
  const parsed = new Map<string, ParsedInput>();
  const cache = options.parseCache;
  const fresh: { input: InputText; file: SourceFile }[] = [];
  const parseInput = (repoPath: string, input: InputText): SourceFile => {
    const previous = lastLoadParsed.get(repoPath);
    const file =
      (previous !== undefined && sameInput(previous.input, input) ? previous.file : undefined) ??
      cache?.restore(repoPath, input) ??
      // An edit of the file the last load read (a flip's): only the part it changed is parsed.
      (previous === undefined ? undefined : SourceFile.edited(previous.file, repoPath, input)) ??
      SourceFile.parse(repoPath, input);
    // Also a file reused from the last load, which may have been parsed by a load that kept nothing.
    if (cache !== undefined && !cache.holds(file)) {
      fresh.push({ input, file });
    }
    parsed.set(repoPath, { input, file });
    return file;
  };
  try {
    return { ...readProjectFiles(root, options, parseInput), parsed: fresh };
  } finally {
    lastLoadParsed = parsed;
  }
}

/** An input file as parsed, with the bytes or text it was parsed from. */
interface ParsedInput {
  readonly input: InputText;
  readonly file: SourceFile;
}

/**
 * The settings, catalogue and environment files the last load parsed, by repository path. A
 * command that loads a project twice (flip: the environment to edit, then every environment with
 * the edit) parses each unchanged file once; a file whose bytes differ is parsed again. A
 * SourceFile depends on its repository path and its bytes alone and does not change once parsed,
 * so a load of another copy of the repository reuses it too. Only the last load's files are kept.
 */
let lastLoadParsed = new Map<string, ParsedInput>();

function sameInput(a: InputText, b: InputText): boolean {
  if (typeof a === 'string' || typeof b === 'string') {
    return a === b;
  }
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

function readProjectFiles(root: string, options: LoadOptions, parseInput: (repoPath: string, input: InputText) => SourceFile): ReadProjectResult {
  const problems: Problem[] = [];
  const sources: InputSource[] = [];
  const imposterFiles = new Map<string, ImposterFile>();
  const read = (repoPath: string, maxBytes?: number): ReadResult => options.overrides?.get(repoPath) ?? readText(root, repoPath, maxBytes);
  /** An environment, catalogue or settings file: its text, or undefined with the problem reported. */
  const readInput = (repoPath: string): InputText | undefined => {
    const text = read(repoPath);
    if (isReadFailure(text)) {
      problems.push(
        'link' in text ? linkProblem(text.link, text.link === repoPath ? '(file)' : '(folder)') : tooLargeProblem(repoPath, text.tooLarge),
      );
      return undefined;
    }
    return text;
  };
  const envDir = path.join(root, ENVIRONMENTS_DIR);
  if (!fs.existsSync(envDir)) {
    return {
      problems: [
        {
          file: ENVIRONMENTS_DIR,
          line: 1,
          col: 1,
          field: '(folder)',
          message: 'must exist and hold the environment files',
          got: 'nothing',
          hint: repositoryRootHint(root),
        },
      ],
      sources,
    };
  }

  const settingsPath = `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;
  const settingsRead = read(settingsPath);
  const settingsText = isReadFailure(settingsRead) ? undefined : settingsRead;
  let settings: SettingsSpec | undefined;
  if (isReadFailure(settingsRead)) {
    problems.push(
      'link' in settingsRead
        ? linkProblem(settingsRead.link, settingsRead.link === settingsPath ? '(file)' : '(folder)')
        : tooLargeProblem(settingsPath, settingsRead.tooLarge),
    );
  } else if (settingsText === undefined) {
    problems.push({
      file: settingsPath,
      line: 1,
      col: 1,
      field: '(file)',
      message: 'must exist: it says where Argo CD runs and which clusters exist',
      got: 'nothing',
      hint: 'see the README for its format',
    });
  } else {
    const file = parseInput(settingsPath, settingsText);
    sources.push({ kind: 'settings', file });
    problems.push(...file.problems);
    if (file.problems.length === 0) {
      const { value, problems: schemaProblems } = parseWithSchema(file, SettingsSchema, 'settings');
      problems.push(...schemaProblems);
      if (value !== undefined) {
        settings = resolveSettings(file, value, problems);
      }
    }
  }

  const catalogs = new Map<string, LoadedCatalog>();
  // Catalogues that exist but could not be read: their problems are reported, and environments
  // that use them do not report each of their services as missing.
  let brokenCatalogs = new Set<string>();
  const catalogDir = `${ENVIRONMENTS_DIR}/${CATALOG_DIR}`;
  const beforeCatalogs = problems.length;
  const catalogFiles = listYaml(root, catalogDir, problems);
  for (const problem of problems.slice(beforeCatalogs)) {
    // A linked catalogue is reported once, not again as missing by every environment using it.
    if (problem.file === catalogDir || problem.file === ENVIRONMENTS_DIR) {
      brokenCatalogs = new EveryName();
    } else {
      brokenCatalogs.add(path.posix.basename(problem.file).replace(/\.ya?ml$/, ''));
    }
  }
  for (const repoPath of catalogFiles) {
    const name = path.posix.basename(repoPath).replace(/\.ya?ml$/, '');
    const text = readInput(repoPath);
    if (text === undefined) {
      brokenCatalogs.add(name);
      continue;
    }
    const file = parseInput(repoPath, text);
    sources.push({ kind: 'catalog', file });
    problems.push(...file.problems);
    if (file.problems.length > 0) {
      brokenCatalogs.add(name);
      continue;
    }
    const { value, problems: schemaProblems } = parseWithSchema(file, CatalogSchema, 'catalog');
    problems.push(...schemaProblems);
    if (value === undefined) {
      brokenCatalogs.add(name);
    } else {
      catalogs.set(name, { name, file, input: value });
    }
  }

  const environments: EnvironmentSpec[] = [];
  const beforeListing = problems.length;
  const envFiles = listYaml(root, ENVIRONMENTS_DIR, problems).filter((p) => path.posix.basename(p) !== SETTINGS_FILE);
  // A linked environment file or folder is reported as such, not as a missing one as well.
  if (envFiles.length === 0 && problems.length === beforeListing) {
    problems.push({
      file: ENVIRONMENTS_DIR,
      line: 1,
      col: 1,
      field: '(folder)',
      message: 'must hold at least one environment file (<name>.yaml)',
      got: 'none',
    });
  }
  const names = new Map<string, string>();
  if (envFiles.length > MAX_ENVIRONMENTS) {
    problems.push({
      file: ENVIRONMENTS_DIR,
      line: 1,
      col: 1,
      field: '(folder)',
      message: `holds ${envFiles.length} environment files, over the limit of ${MAX_ENVIRONMENTS}`,
      hint: 'split the environments over several repositories',
    });
  }
  for (const repoPath of envFiles.slice(0, MAX_ENVIRONMENTS)) {
    if (options.only !== undefined && options.readOthers === false && !options.only.includes(path.posix.basename(repoPath).replace(/\.ya?ml$/, ''))) {
      continue;
    }
    const text = readInput(repoPath);
    if (text === undefined) {
      continue;
    }
    const file = parseInput(repoPath, text);
    sources.push({ kind: 'environment', file });
    problems.push(...file.problems);
    if (file.problems.length > 0) {
      continue;
    }
    const { value, problems: schemaProblems } = parseWithSchema(file, EnvironmentSchema, 'environment');
    problems.push(...schemaProblems);
    if (value === undefined) {
      continue;
    }
    const other = names.get(value.name);
    if (other !== undefined) {
      problems.push(file.problem(['name'], `is already used by ${other}`));
      continue;
    }
    names.set(value.name, repoPath);
    if (options.only !== undefined && !options.only.includes(path.posix.basename(repoPath).replace(/\.ya?ml$/, ''))) {
      continue;
    }
    const env = resolveEnvironment(file, value, catalogs, brokenCatalogs, settings, read, problems, imposterFiles);
    const nameProblems = env === undefined ? [] : derivedNameProblems(env);
    problems.push(...nameProblems);
    if (env !== undefined && nameProblems.length === 0) {
      environments.push(env);
    }
  }
  if (options.only !== undefined) {
    const files = new Set(envFiles.map((f) => path.posix.basename(f).replace(/\.ya?ml$/, '')));
    for (const wanted of options.only) {
      if (!files.has(wanted)) {
        problems.push({
          file: ENVIRONMENTS_DIR,
          line: 1,
          col: 1,
          field: '(environment)',
          message: `must name an environment file (${[...files].sort(compareStrings).join(', ')})`,
          got: JSON.stringify(wanted),
        });
      }
    }
  }
  if (options.checkOverlaps ?? true) {
    problems.push(...reachProblems(environments.map(environmentReach)));
  }
  sources.push(...[...imposterFiles.values()].map(({ file }) => ({ kind: 'imposter' as const, file })));
  sources.sort((a, b) => compareStrings(a.file.path, b.file.path));
  if (problems.length > 0 || settings === undefined) {
    return { problems, sources, settings };
  }
  return {
    project: { root, settings, environments: environments.sort((a, b) => compareStrings(a.name, b.name)), sources },
    problems,
    sources,
    settings,
  };
}

/**
 * The folder of dist/ inside the repository, as environments/meshflip.yaml names it
 * (repository.path, `dist` unless it says otherwise). Only the settings file is read; when it
 * cannot be, this is the default and loading the project reports why.
 */
export function distFolder(root: string): string {
  return distSetting(root).path;
}

/** Where dist/ is, and how to report a problem about it at the line of repository.path. */
export interface DistSetting {
  /** As written in the settings file (or the default). */
  readonly path: string;
  /** A problem about repository.path, at its line; undefined when the default is in use. */
  readonly problem?: (message: string, hint: string) => Problem;
}

/** Like `distFolder`, with the location of repository.path for problems. */
export function distSetting(root: string): DistSetting {
  const repoPath = `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;
  const text = readText(root, repoPath);
  const file = text === undefined || isReadFailure(text) ? undefined : SourceFile.parse(repoPath, text);
  const value = file === undefined || file.problems.length > 0 ? undefined : parseWithSchema(file, SettingsSchema).value;
  const given = value?.repository.path;
  if (given === undefined || file === undefined) {
    return { path: DEFAULT_DIST_PATH };
  }
  return { path: given, problem: (message, hint) => file.problem(['repository', 'path'], message, { hint }) };
}

/** The closest folder at or above `from` that holds environments/meshflip.yaml. */
export function findRepositoryRoot(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ENVIRONMENTS_DIR, SETTINGS_FILE))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      return undefined;
    }
  }
}

/** What to tell someone who ran meshflip outside the repository root. */
export function repositoryRootHint(cwd: string): string {
  const root = findRepositoryRoot(cwd);
  return root === undefined || root === path.resolve(cwd)
    ? 'run meshflip from the repository root, the folder that holds environments/meshflip.yaml'
    : `run meshflip from the repository root: cd ${path.relative(cwd, root).split(path.sep).join('/')}`;
}

/**
 * Reads an input file of the repository: its bytes (SourceFile decodes them, so that bytes that
 * are not UTF-8 are reported rather than replaced), undefined when there is no regular file there
 * (nothing, a folder, a FIFO, a device), or its size when it is over `maxBytes` (not read).
 */
function readText(root: string, repoPath: string, maxBytes = MAX_INPUT_FILE_BYTES): ReadResult {
  // Imposter paths come from the input, and the file system takes no NUL in a path.
  if (repoPath.includes('\0')) {
    return undefined;
  }
  // Nothing is read through a symbolic link, anywhere on the way from the repository root: the
  // link is returned instead, so that no content from outside the repository (an imposter linked
  // to /etc/passwd) reaches the output or an error message.
  const link = linkOnPath(root, repoPath);
  if (link !== undefined) {
    return { link };
  }
  const read = readBounded(path.join(root, ...repoPath.split('/')), maxBytes);
  if ('bytes' in read) {
    return read.bytes;
  }
  return read.error === 'too-large' ? { tooLarge: read.size ?? maxBytes + 1 } : undefined;
}

/** The problem for an input file over the size limit, at the file. */
function tooLargeProblem(repoPath: string, size: number): Problem {
  return {
    file: repoPath,
    line: 1,
    col: 1,
    field: '(file)',
    message: `is ${formatBytes(size)} bytes, over the limit of ${formatBytes(MAX_INPUT_FILE_BYTES)} bytes for an input file`,
    hint: 'split its services over several catalogues or environments',
  };
}

/** The repository path of the first symbolic link on the way to `repoPath` (itself included), if any. */
function linkOnPath(root: string, repoPath: string): string | undefined {
  const segments = repoPath.split('/');
  for (let i = 1; i <= segments.length; i++) {
    const prefix = segments.slice(0, i);
    try {
      if (fs.lstatSync(path.join(root, ...prefix)).isSymbolicLink()) {
        return prefix.join('/');
      }
    } catch {
      // Nothing there (or a file on the way): reading reports it.
      return undefined;
    }
  }
  return undefined;
}

/** The problem for an input file or folder that is (or lies behind) a symbolic link. */
function linkProblem(link: string, field: '(file)' | '(folder)'): Problem {
  return {
    file: link,
    line: 1,
    col: 1,
    field,
    message: `must be a real ${field === '(file)' ? 'file' : 'folder'} in the repository, not a symbolic link: meshflip reads nothing through links`,
    got: 'a symbolic link',
    hint: 'replace the link by a copy of what it points to',
  };
}

/** Holds every name: when the catalogue folder is a link, no catalogue can be read, and none is reported missing. */
class EveryName extends Set<string> {
  public override has(): boolean {
    return true;
  }
}

/**
 * The `.yaml` / `.yml` files directly in a folder, as sorted repository paths. Links (to the
 * folder or to a file in it) are reported, never read through and never silently skipped.
 */
function listYaml(root: string, repoDir: string, problems: Problem[]): string[] {
  const link = linkOnPath(root, repoDir);
  if (link !== undefined) {
    problems.push(linkProblem(link, '(folder)'));
    return [];
  }
  const dir = path.join(root, ...repoDir.split('/'));
  if (!fs.existsSync(dir)) {
    return [];
  }
  const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => /\.ya?ml$/.test(d.name));
  for (const entry of entries.filter((d) => d.isSymbolicLink())) {
    problems.push(linkProblem(`${repoDir}/${entry.name}`, '(file)'));
  }
  return entries
    .filter((d) => d.isFile())
    .map((d) => `${repoDir}/${d.name}`)
    .sort(compareStrings);
}
