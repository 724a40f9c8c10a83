import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CATALOG_DIR, ENVIRONMENTS_DIR, Project, SETTINGS_FILE } from '../../model/load';
import { EnvironmentSpec } from '../../model/spec';
import { compareStrings } from '../../model/spec-error';
import { INPUTS_FILE, recordedInputs } from '../dist/outputs-digest';

/** The libraries whose code renders objects, by the versions the lockfile resolves them to. */
const RENDERING_LIBRARIES = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml', 'zod'];

/** What an environment's output was rendered from: each input file and the renderer, with their SHA-256. */
export interface EnvironmentInputs {
  readonly environment: string;
  /** Repository paths of the input files with the SHA-256 of their text, sorted by path; the renderer first. */
  readonly entries: readonly { readonly name: string; readonly sha256: string }[];
  /** The SHA-256 over every entry: the environment is rendered again when it changes. */
  readonly digest: string;
}

/**
 * Text hashed the same on every machine: a checkout that turns line ends into CRLF (git's
 * core.autocrlf) reads and renders the same, so it hashes the same.
 */
function sha256(text: string): string {
  return createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

const rendererCache = new Map<string, string>();

/**
 * The identity of the renderer build: meshflip's version, every source file that takes part in
 * rendering (all of src/ but the command line, which only calls it) and the versions of the
 * rendering libraries the lockfile resolves. A change to any of them renders every environment
 * again, so no output of an older renderer is ever reused.
 */
export function rendererDigest(packageRoot: string = meshflipRoot()): string {
  const cached = rendererCache.get(packageRoot);
  if (cached !== undefined) {
    return cached;
  }
  const hash = createHash('sha256');
  const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version?: string };
  hash.update(`version ${pkg.version ?? ''}\n`);
  const lockFile = path.join(packageRoot, 'package-lock.json');
  const lock = fs.existsSync(lockFile) ? (JSON.parse(fs.readFileSync(lockFile, 'utf8')) as { packages?: Record<string, { version?: string }> }) : {};
  for (const name of RENDERING_LIBRARIES) {
    hash.update(`${name} ${lock.packages?.[`node_modules/${name}`]?.version ?? ''}\n`);
  }
  for (const file of sourceFiles(path.join(packageRoot, 'src'))) {
    hash.update(`${file} ${sha256(fs.readFileSync(path.join(packageRoot, 'src', ...file.split('/')), 'utf8'))}\n`);
  }
  const digest = hash.digest('hex');
  rendererCache.set(packageRoot, digest);
  return digest;
}

/** The folder that holds meshflip's package.json (above this file). */
export function meshflipRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src'))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`no package.json with src/ above ${__dirname}`);
    }
  }
}

/** The source files below `src`, relative to it with forward slashes, sorted; the command line (cli/) left out. */
function sourceFiles(src: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        if (rel !== 'cli') {
          walk(path.join(dir, entry.name), rel);
        }
      } else if (/\.(ts|cjs|js|json)$/.test(entry.name)) {
        out.push(rel);
      }
    }
  };
  walk(src, '');
  return out.sort(compareStrings);
}

/**
 * The input files an environment is rendered from: its own file, the settings, every catalogue it
 * lists under `catalog:` (a service it does not define itself is looked up there, so any change to
 * one may change it) and the imposter files of its mocks.
 */
export function environmentInputFiles(env: EnvironmentSpec, project: Pick<Project, 'sources'>): string[] {
  const files = new Set<string>([env.file, `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`]);
  const own = project.sources.find((s) => s.file.path === env.file)?.file.data as { catalog?: unknown } | undefined;
  const listed = Array.isArray(own?.catalog) ? own.catalog.filter((n): n is string => typeof n === 'string') : [];
  for (const source of project.sources) {
    const [dir, name] = [path.posix.dirname(source.file.path), path.posix.basename(source.file.path).replace(/\.ya?ml$/, '')];
    if (source.kind === 'catalog' && dir === `${ENVIRONMENTS_DIR}/${CATALOG_DIR}` && listed.includes(name)) {
      files.add(source.file.path);
    }
  }
  for (const service of env.services) {
    files.add(service.definedIn.file.path);
    for (const imposter of service.mock?.imposters ?? []) {
      files.add(imposter.file);
    }
  }
  return [...files].sort(compareStrings);
}

/** What `env` is rendered from, with its digest. */
export function environmentInputs(env: EnvironmentSpec, project: Pick<Project, 'sources'>, renderer: string = rendererDigest()): EnvironmentInputs {
  const texts = new Map(project.sources.map((s) => [s.file.path, s.file.text]));
  const entries = [
    { name: '(renderer)', sha256: renderer },
    ...environmentInputFiles(env, project).map((name) => ({ name, sha256: sha256(texts.get(name) ?? '') })),
  ];
  return { environment: env.name, entries, digest: sha256(entryLines(entries)) };
}

/** The lines of INPUTS.sha256 for `entries` (as `sha256sum` prints them): what the digest is taken over. */
function entryLines(entries: readonly { readonly name: string; readonly sha256: string }[]): string {
  return entries.map((e) => `${e.sha256}  ${e.name}\n`).join('');
}

/**
 * `dist/<env>/INPUTS.sha256`: the inputs of an environment, one per line, and their digest; then
 * the digest of the files rendered from them (`outputsDigest`).
 */
export function inputsFileContent(inputs: EnvironmentInputs, header: string, outputs: string): string {
  return (
    header +
    '# What this environment was rendered from. meshflip renders it again when the digest changes;\n' +
    '# (outputs) is the digest of the files rendered from it: validate renders the environment again\n' +
    '# when they differ. CI renders everything from scratch, so an edit to this file is still caught.\n' +
    entryLines(inputs.entries) +
    `${inputs.digest}  (digest)\n` +
    `${outputs}  (outputs)\n`
  );
}

/** The digest recorded in an environment's INPUTS.sha256, or undefined when it has none or cannot be read. */
export function recordedDigest(distDir: string, environment: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(distDir, environment, INPUTS_FILE), 'utf8');
  } catch {
    return undefined;
  }
  return recordedInputs(text);
}

/**
 * The environments of the repository when every one of them is, in dist/, what the input files
 * render now, as far as the INPUTS.sha256 files can tell without loading anything: each lists the
 * running renderer and files whose text has the SHA-256 it records (and its digest is theirs),
 * every environment file and catalogue is listed by some environment, and dist/ has no folder of
 * an environment that no longer exists. Such inputs load, check and render exactly as they did when
 * dist/ was written (the files an environment is rendered from are named by those files). Undefined
 * when anything differs or cannot be told: the caller then loads and renders as usual.
 */
export function unchangedSinceRendered(root: string, distDir: string, renderer: string = rendererDigest()): string[] | undefined {
  const regularYaml = (repoDir: string): string[] | undefined => {
    const dir = path.join(root, ...repoDir.split('/'));
    const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
    if (stat === undefined) {
      return [];
    }
    if (!stat.isDirectory()) {
      return undefined;
    }
    const entries = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => /\.ya?ml$/.test(d.name));
    return entries.every((d) => d.isFile()) ? entries.map((d) => `${repoDir}/${d.name}`) : undefined;
  };
  const envFiles = regularYaml(ENVIRONMENTS_DIR);
  const catalogs = regularYaml(`${ENVIRONMENTS_DIR}/${CATALOG_DIR}`);
  if (envFiles === undefined || catalogs === undefined || !envFiles.includes(`${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`)) {
    return undefined;
  }
  const environments = envFiles
    .filter((f) => f !== `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`)
    .map((f) => path.posix.basename(f).replace(/\.ya?ml$/, ''))
    .sort(compareStrings);
  if (environments.length === 0 || new Set(environments).size !== environments.length) {
    return undefined;
  }
  const hashes = new Map<string, string | undefined>();
  const hashOf = (file: string): string | undefined => {
    if (!hashes.has(file)) {
      const full = path.join(root, ...file.split('/'));
      const stat = fs.lstatSync(full, { throwIfNoEntry: false });
      hashes.set(file, stat?.isFile() === true ? sha256(fs.readFileSync(full, 'utf8')) : undefined);
    }
    return hashes.get(file);
  };
  const listed = new Set<string>();
  for (const env of environments) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(distDir, env, INPUTS_FILE), 'utf8');
    } catch {
      return undefined;
    }
    const entries = [...text.matchAll(/^([0-9a-f]{64}) {2}(.+)$/gm)].map((m) => ({ sha256: m[1], name: m[2] }));
    const inputs = entries.filter((e) => e.name !== '(digest)' && e.name !== '(outputs)');
    if (inputs[0]?.name !== '(renderer)' || inputs[0].sha256 !== renderer) {
      return undefined;
    }
    if (recordedInputs(text) !== sha256(entryLines(inputs))) {
      return undefined;
    }
    for (const entry of inputs.slice(1)) {
      const name = entry.name;
      if (!name.startsWith(`${ENVIRONMENTS_DIR}/`) || name.split('/').some((part) => part === '..' || part === '.' || part === '')) {
        return undefined;
      }
      if (hashOf(name) !== entry.sha256) {
        return undefined;
      }
      listed.add(name);
    }
    // Its own file first of all (a second file of the same name, .yml beside .yaml, is refused above).
    if (!inputs.some((e) => envFiles.includes(e.name) && path.posix.basename(e.name).replace(/\.ya?ml$/, '') === env)) {
      return undefined;
    }
  }
  if (![...envFiles, ...catalogs].every((f) => listed.has(f))) {
    return undefined;
  }
  // A file of dist/ that no environment renders is one a synthesis would remove.
  const known = new Set(environments);
  const entries = (dir: string) => {
    try {
      return fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return undefined;
    }
  };
  const tops = entries(distDir);
  const argocd = entries(path.join(distDir, 'argocd'));
  if (
    tops === undefined ||
    argocd === undefined ||
    !tops.every((d) => d.isDirectory() && (known.has(d.name) || d.name === 'argocd')) ||
    !argocd.every((d) => (d.isDirectory() ? d.name === 'bootstrap' : d.name === 'root.k8s.yaml' || known.has(d.name.replace(/\.k8s\.yaml$/, ''))))
  ) {
    return undefined;
  }
  return environments;
}
