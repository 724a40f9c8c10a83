import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CATALOG_DIR, ENVIRONMENTS_DIR, Project, SETTINGS_FILE } from '../../model/load';
import { EnvironmentSpec } from '../../model/spec';
import { compareStrings } from '../../model/spec-error';

/** The file in each environment's folder of dist/ that records what it was rendered from. */
export const INPUTS_FILE = 'INPUTS.sha256';

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
function meshflipRoot(): string {
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
  const digest = sha256(entries.map((e) => `${e.sha256}  ${e.name}\n`).join(''));
  return { environment: env.name, entries, digest };
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
    inputs.entries.map((e) => `${e.sha256}  ${e.name}\n`).join('') +
    `${inputs.digest}  (digest)\n` +
    `${outputs}  (outputs)\n`
  );
}

/**
 * The SHA-256 over an environment's files as rendered (all but INPUTS.sha256): the SHA-256 of each
 * file's exact bytes and its path, in path order. Equal digests mean byte-identical files.
 */
export function outputsDigest(files: readonly { readonly path: string; readonly content: string }[]): string {
  const hash = createHash('sha256');
  for (const f of [...files].sort((a, b) => compareStrings(a.path, b.path))) {
    if (!isInputsFile(f.path)) {
      hash.update(`${createHash('sha256').update(f.content, 'utf8').digest('hex')}  ${f.path}\n`);
    }
  }
  return hash.digest('hex');
}

/** Whether a path of dist/ is an environment's INPUTS.sha256. */
export function isInputsFile(file: string): boolean {
  const parts = file.split('/');
  return parts.length === 2 && parts[1] === INPUTS_FILE;
}

/** The outputs digest recorded in an INPUTS.sha256 text, or undefined when it has none. */
export function recordedOutputs(inputsText: string | undefined): string | undefined {
  return inputsText === undefined ? undefined : /^([0-9a-f]{64}) {2}\(outputs\)$/m.exec(inputsText)?.[1];
}

/** The inputs digest recorded in an INPUTS.sha256 text, or undefined when it has none. */
export function recordedInputs(inputsText: string | undefined): string | undefined {
  return inputsText === undefined ? undefined : /^([0-9a-f]{64}) {2}\(digest\)$/m.exec(inputsText)?.[1];
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
