import * as fs from 'fs';
import * as path from 'path';
import { LoadedCatalog, resolveEnvironment, resolveSettings } from './resolve';
import { CatalogSchema, EnvironmentSchema, SettingsSchema } from './schema';
import { SourceFile } from './source-file';
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
   * Only resolve these environments (by name); the others are still parsed and checked for syntax.
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
}

/**
 * Reads and validates every file under `<root>/environments/`. Every problem in every file is
 * collected; if there is any, a `SpecError` listing all of them (sorted by file and line) is thrown.
 */
export function loadProject(root: string, options: LoadOptions = {}): Project {
  const problems: Problem[] = [];
  const read = (repoPath: string): string | undefined => options.overrides?.get(repoPath) ?? readText(root, repoPath);
  const envDir = path.join(root, ENVIRONMENTS_DIR);
  if (!fs.existsSync(envDir)) {
    throw new SpecError([{ file: ENVIRONMENTS_DIR, line: 1, col: 1, field: '(folder)', message: 'must exist and hold the environment files', got: 'nothing', hint: 'run meshflip from the repository root' }]);
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
  for (const repoPath of listYaml(root, `${ENVIRONMENTS_DIR}/${CATALOG_DIR}`)) {
    const file = SourceFile.parse(repoPath, read(repoPath)!);
    problems.push(...file.problems);
    if (file.problems.length > 0) {
      continue;
    }
    const { value, problems: schemaProblems } = parseWithSchema(file, CatalogSchema);
    problems.push(...schemaProblems);
    if (value !== undefined) {
      const name = path.posix.basename(repoPath).replace(/\.ya?ml$/, '');
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
    if (options.only !== undefined && !options.only.includes(value.name)) {
      continue;
    }
    const env = resolveEnvironment(file, value, catalogs, settings, read, problems);
    if (env !== undefined) {
      environments.push(env);
    }
  }
  if (options.only !== undefined) {
    for (const wanted of options.only) {
      if (!names.has(wanted)) {
        problems.push({ file: ENVIRONMENTS_DIR, line: 1, col: 1, field: '(environment)', message: `must name an environment (${[...names.keys()].sort(compareStrings).join(', ')})`, got: JSON.stringify(wanted) });
      }
    }
  }
  checkOverlaps(environments, problems);
  if (problems.length > 0 || settings === undefined) {
    throw new SpecError(problems);
  }
  return { root, settings, environments: environments.sort((a, b) => compareStrings(a.name, b.name)) };
}

/**
 * Two environments that deploy into the same namespace of the same cluster would have two Argo CD
 * Applications fighting over the same objects.
 */
function checkOverlaps(environments: readonly EnvironmentSpec[], problems: Problem[]): void {
  const owners = new Map<string, EnvironmentSpec>();
  for (const env of environments) {
    const seen = new Set<string>();
    for (const service of env.services) {
      const clusters = isKuma(env.mesh)
        ? [...service.zones, ...(env.mocks.enabled && service.mock ? [env.mesh.mocksZone] : [])]
          .map((zone) => (env.mesh as { zones: readonly { name: string; cluster: { name: string } }[] }).zones.find((z) => z.name === zone)!.cluster.name)
        : [env.mesh.cluster.name];
      for (const cluster of clusters) {
        const key = `${cluster}/${service.namespace}`;
        if (seen.has(key)) {
          continue;
        }
        seen.add(key);
        const owner = owners.get(key);
        if (owner !== undefined && owner !== env) {
          problems.push(env.source.problem(['services', service.name], `deploys into namespace ${service.namespace} of cluster ${cluster}, which environment ${owner.name} already uses`, {
            atKey: true, noGot: true, hint: 'give each environment its own namespaces or clusters, so their Argo CD Applications do not fight',
          }));
        } else {
          owners.set(key, env);
        }
      }
    }
  }
}

/** Errors that mean there is no file at a path: nothing there, a folder, a path through a file, a name too long. */
const NO_FILE = ['ENOENT', 'EISDIR', 'ENOTDIR', 'ENAMETOOLONG'];

function readText(root: string, repoPath: string): string | undefined {
  // Imposter paths come from the input, and the file system takes no NUL in a path.
  if (repoPath.includes('\0')) {
    return undefined;
  }
  try {
    return fs.readFileSync(path.join(root, ...repoPath.split('/')), 'utf8');
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
