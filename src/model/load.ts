import * as fs from 'fs';
import * as path from 'path';
import { DEFAULT_DIST_PATH, LoadedCatalog, resolveEnvironment, resolveSettings } from './resolve';
import { CatalogSchema, EnvironmentSchema, SettingsSchema } from './schema';
import { FieldPath, formatPath, InputText, SourceFile } from './source-file';
import { EnvironmentSpec, isKuma, SettingsSpec } from './spec';
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
   * File contents to use instead of what is on disk, by repository path (an edit checked before
   * it is written).
   *
   * @default - none
   */
  readonly overrides?: ReadonlyMap<string, string>;
  /**
   * Check that no two environments deploy into the same namespace of a cluster. Parallel
   * synthesis turns it off and checks the claims of all workers together.
   *
   * @default true
   */
  readonly checkOverlaps?: boolean;
}

/**
 * Reads and validates every file under `<root>/environments/`. Every problem in every file is
 * collected; if there is any, a `SpecError` listing all of them (sorted by file and line) is thrown.
 */
export function loadProject(root: string, options: LoadOptions = {}): Project {
  const problems: Problem[] = [];
  const read = (repoPath: string): InputText | undefined => options.overrides?.get(repoPath) ?? readText(root, repoPath);
  const envDir = path.join(root, ENVIRONMENTS_DIR);
  if (!fs.existsSync(envDir)) {
    throw new SpecError([{ file: ENVIRONMENTS_DIR, line: 1, col: 1, field: '(folder)', message: 'must exist and hold the environment files', got: 'nothing', hint: repositoryRootHint(root) }]);
  }

  const settingsPath = `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;
  const settingsText = read(settingsPath);
  let settings: SettingsSpec | undefined;
  if (settingsText === undefined) {
    problems.push({ file: settingsPath, line: 1, col: 1, field: '(file)', message: 'must exist: it says where Argo CD runs and which clusters exist', got: 'nothing', hint: 'see the README for its format' });
  } else {
    const file = SourceFile.parse(settingsPath, settingsText);
    problems.push(...file.problems);
    if (file.problems.length === 0) {
      const { value, problems: schemaProblems } = parseWithSchema(file, SettingsSchema);
      problems.push(...schemaProblems);
      if (value !== undefined) {
        settings = resolveSettings(file, value, problems);
      }
    }
  }

  const catalogs = new Map<string, LoadedCatalog>();
  // Catalogues that exist but could not be read: their problems are reported, and environments
  // that use them do not report each of their services as missing.
  const brokenCatalogs = new Set<string>();
  for (const repoPath of listYaml(root, `${ENVIRONMENTS_DIR}/${CATALOG_DIR}`)) {
    const name = path.posix.basename(repoPath).replace(/\.ya?ml$/, '');
    const file = SourceFile.parse(repoPath, read(repoPath)!);
    problems.push(...file.problems);
    if (file.problems.length > 0) {
      brokenCatalogs.add(name);
      continue;
    }
    const { value, problems: schemaProblems } = parseWithSchema(file, CatalogSchema);
    problems.push(...schemaProblems);
    if (value === undefined) {
      brokenCatalogs.add(name);
    } else {
      catalogs.set(name, { name, file, input: value });
    }
  }

  const environments: EnvironmentSpec[] = [];
  const envFiles = listYaml(root, ENVIRONMENTS_DIR).filter((p) => path.posix.basename(p) !== SETTINGS_FILE);
  if (envFiles.length === 0) {
    problems.push({ file: ENVIRONMENTS_DIR, line: 1, col: 1, field: '(folder)', message: 'must hold at least one environment file (<name>.yaml)', got: 'none' });
  }
  const names = new Map<string, string>();
  for (const repoPath of envFiles) {
    const file = SourceFile.parse(repoPath, read(repoPath)!);
    problems.push(...file.problems);
    if (file.problems.length > 0) {
      continue;
    }
    const { value, problems: schemaProblems } = parseWithSchema(file, EnvironmentSchema);
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
    const env = resolveEnvironment(file, value, catalogs, brokenCatalogs, settings, read, problems);
    if (env !== undefined) {
      environments.push(env);
    }
  }
  if (options.only !== undefined) {
    const files = new Set(envFiles.map((f) => path.posix.basename(f).replace(/\.ya?ml$/, '')));
    for (const wanted of options.only) {
      if (!files.has(wanted)) {
        problems.push({ file: ENVIRONMENTS_DIR, line: 1, col: 1, field: '(environment)', message: `must name an environment file (${[...files].sort(compareStrings).join(', ')})`, got: JSON.stringify(wanted) });
      }
    }
  }
  if (options.checkOverlaps ?? true) {
    problems.push(...overlapProblems(environments.flatMap(namespaceClaims)));
  }
  if (problems.length > 0 || settings === undefined) {
    throw new SpecError(problems);
  }
  return { root, settings, environments: environments.sort((a, b) => compareStrings(a.name, b.name)) };
}

/**
 * The folder of dist/ inside the repository, as environments/meshflip.yaml names it
 * (repository.path, `dist` unless it says otherwise). Only the settings file is read; when it
 * cannot be, this is the default and loading the project reports why.
 */
export function distFolder(root: string): string {
  const repoPath = `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;
  const text = readText(root, repoPath);
  const file = text === undefined ? undefined : SourceFile.parse(repoPath, text);
  const value = file === undefined || file.problems.length > 0 ? undefined : parseWithSchema(file, SettingsSchema).value;
  return value?.repository.path ?? DEFAULT_DIST_PATH;
}

/**
 * A namespace of a cluster that an environment deploys into: two environments claiming the same
 * one would have two Argo CD Applications fighting over the same objects.
 */
export interface NamespaceClaim {
  readonly key: string;
  readonly env: string;
  readonly cluster: string;
  readonly namespace: string;
  /** Where the service that claims it is listed (plain data: claims cross worker threads). */
  readonly at: Pick<Problem, 'file' | 'line' | 'col' | 'field'>;
}

/** The cluster namespaces an environment deploys into. */
export function namespaceClaims(env: EnvironmentSpec): NamespaceClaim[] {
  const claims = new Map<string, NamespaceClaim>();
  for (const service of env.services) {
    const clusters = isKuma(env.mesh)
      ? [...service.zones, ...(env.mocks.enabled && service.mock ? [env.mesh.mocksZone] : [])]
        .map((zone) => (env.mesh as { zones: readonly { name: string; cluster: { name: string } }[] }).zones.find((z) => z.name === zone)!.cluster.name)
      : [env.mesh.cluster.name];
    for (const cluster of clusters) {
      const key = `${cluster}/${service.namespace}`;
      if (!claims.has(key)) {
        const at: FieldPath = ['services', service.name];
        const { line, col } = env.source.locate(at, true);
        claims.set(key, { key, env: env.name, cluster, namespace: service.namespace, at: { file: env.source.path, line, col, field: formatPath(at) } });
      }
    }
  }
  return [...claims.values()];
}

/** Problems for every namespace claimed by two environments (the later one in name order is reported). */
export function overlapProblems(claims: readonly NamespaceClaim[]): Problem[] {
  const owners = new Map<string, string>();
  const problems: Problem[] = [];
  for (const claim of [...claims].sort((a, b) => compareStrings(a.env, b.env) || compareStrings(a.key, b.key))) {
    const owner = owners.get(claim.key);
    if (owner !== undefined && owner !== claim.env) {
      problems.push({
        ...claim.at,
        message: `deploys into namespace ${claim.namespace} of cluster ${claim.cluster}, which environment ${owner} already uses`,
        hint: 'give each environment its own namespaces or clusters, so their Argo CD Applications do not fight',
      });
    } else {
      owners.set(claim.key, claim.env);
    }
  }
  return problems;
}

/** The closest folder at or above `from` that holds environments/meshflip.yaml. */
function findRepositoryRoot(from: string): string | undefined {
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

/** Errors that mean there is no file at a path: nothing there, a folder, a path through a file, a name too long. */
const NO_FILE = ['ENOENT', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG'];

/** The bytes of an input file: SourceFile decodes them, so that bytes that are not UTF-8 are reported rather than replaced. */
function readText(root: string, repoPath: string): Buffer | undefined {
  // Imposter paths come from the input, and the file system takes no NUL in a path.
  if (repoPath.includes('\0')) {
    return undefined;
  }
  try {
    return fs.readFileSync(path.join(root, ...repoPath.split('/')));
  } catch (e) {
    if (NO_FILE.includes((e as NodeJS.ErrnoException).code ?? '')) {
      return undefined;
    }
    throw e;
  }
}

/** The `.yaml` / `.yml` files directly in a folder, as sorted repository paths. */
function listYaml(root: string, repoDir: string): string[] {
  const dir = path.join(root, ...repoDir.split('/'));
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && /\.ya?ml$/.test(d.name))
    .map((d) => `${repoDir}/${d.name}`)
    .sort(compareStrings);
}
