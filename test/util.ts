import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** The repository root. */
export const REPO = path.resolve(__dirname, '..');
/**
 * Title mark of every suite that reads the upstream schemas. Without $MESHFLIP_CRDS those suites
 * are skipped, the reporter that defines the mark lists them, and `.ci/run` fails when one was skipped.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest loads as a reporter too
export const NEEDS_CRDS: string = (require('./crds-skip-reporter.cjs') as { NEEDS_CRDS: string }).NEEDS_CRDS;

/** The folders a schema folder holds, as upstream publishes them (see the README: Upstream schemas). */
const CRDS_LAYOUT = ['argocd', 'istio', 'kubernetes', 'kuma', 'maistra', 'olm', 'openshift', 'alternatives'];

/**
 * The upstream schemas the tests validate against: $MESHFLIP_CRDS, a folder laid out with the
 * sets of CRDS_LAYOUT. Undefined when it is not set; a set variable naming anything else is an error.
 */
export const CONFIGURED_CRDS: string | undefined = configuredCrds(process.env.MESHFLIP_CRDS);

function configuredCrds(value: string | undefined): string | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  const dir = path.resolve(value);
  const missing = CRDS_LAYOUT.filter((set) => !fs.existsSync(path.join(dir, set)));
  if (missing.length > 0) {
    throw new Error(
      `MESHFLIP_CRDS=${value}: not a folder of upstream schemas, it lacks ${missing.join('/, ')}/; ` +
        'unset it to skip the tests that need them, or point it at a folder with kuma/, istio/, ...',
    );
  }
  return dir;
}

/** The configured upstream schemas; only for the bodies of `describeWithCrds` suites, which run only then. */
export function crds(): string {
  if (CONFIGURED_CRDS === undefined) {
    throw new Error('no upstream schemas configured: call crds() only inside describeWithCrds');
  }
  return CONFIGURED_CRDS;
}

/**
 * Runs `body` with $MESHFLIP_CRDS set empty, then as it was: a synthesis or validation inside checks
 * only the schemas it is given (none by default), whatever the test run was configured with.
 */
export async function withoutConfiguredSchemas<T>(body: () => Promise<T>): Promise<T> {
  const configured = process.env.MESHFLIP_CRDS;
  process.env.MESHFLIP_CRDS = '';
  try {
    return await body();
  } finally {
    if (configured === undefined) {
      delete process.env.MESHFLIP_CRDS;
    } else {
      process.env.MESHFLIP_CRDS = configured;
    }
  }
}

/** A suite that reads the upstream schemas: skipped, with the reason in its title, when $MESHFLIP_CRDS is not set. */
export function describeWithCrds(title: string, body: () => void): void {
  (CONFIGURED_CRDS === undefined ? describe.skip : describe)(`${title} ${NEEDS_CRDS}`, body);
}
/** The meshflip command. */
export const BIN = path.join(REPO, 'src', 'cli', 'meshflip.cjs');

/**
 * A new empty folder in the test run's temporary folder (in memory when the machine has one:
 * test/global-setup.cjs), or on the disk in a file that called `tempDirsOnDisk()`; removed by
 * `removeTempDirs()`.
 */
export function tempDir(prefix = 'meshflip-test-'): string {
  const dir = fs.mkdtempSync(path.join(onDisk ? (process.env.MESHFLIP_TEST_DISK_TMPDIR ?? os.tmpdir()) : os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}
const created: string[] = [];
let onDisk = false;

/**
 * Makes every `tempDir()` of the calling test file a folder on the disk, the file system a
 * repository is on: for the tests of the write to dist/, whose steps (links, renames, the exchange
 * of two folders) are the file system's. Jest loads this module once per test file.
 */
export function tempDirsOnDisk(): void {
  onDisk = true;
}

/** Removes every folder `tempDir()` created (call in afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes files (repository-relative path -> content) under `root`. */
export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [file, content] of Object.entries(files)) {
    const full = path.join(root, ...file.split('/'));
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}

/** The example's environments, by the files of environments/ that declare them, sorted. */
export function exampleEnvironments(): string[] {
  return fs
    .readdirSync(path.join(REPO, 'environments'))
    .filter((f) => f.endsWith('.yaml') && f !== 'meshflip.yaml')
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

/** Copies folders of this repository (`environments`, `dist`, ...) into a new temp repository. */
export function copyRepo(folders: readonly string[] = ['environments']): string {
  const dir = tempDir('meshflip-repo-');
  for (const folder of folders) {
    fs.cpSync(path.join(REPO, folder), path.join(dir, folder), { recursive: true });
  }
  return dir;
}

/** Every file under `dir` with its bytes, by relative path: for byte-for-byte comparisons. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string, prefix: string) => {
    if (!fs.existsSync(current)) {
      return;
    }
    for (const entry of fs.readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(path.join(current, entry.name), rel);
      } else {
        out[rel] = fs.readFileSync(path.join(current, entry.name), 'utf8');
      }
    }
  };
  walk(dir, '');
  return out;
}

/**
 * Runs the real meshflip command in `cwd`. The schemas the tests were given ($MESHFLIP_CRDS) are
 * not the command's: a test that wants them passes --crds or sets the variable in `env`.
 */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    encoding: 'utf8',
    env: { ...process.env, MESHFLIP_CRDS: undefined, MESHFLIP_DEBUG: undefined, FORCE_COLOR: undefined, NO_COLOR: '1', ...options.env },
    input: options.input,
  });
}

/** Runs git in `cwd` with a fixed identity; throws on failure. */
export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'test',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'test',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  });
  if (result.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  }
  return result.stdout;
}

/** The objects of a multi-document YAML text. */
export function parseYamlDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Record<string, unknown>)
    .filter((o) => o !== null);
}

/** The objects of `kind` among synthesized manifests. */
export function manifestsOfKind<T = any>(manifests: readonly any[], kind: string): T[] {
  return manifests.filter((m) => m.kind === kind) as T[];
}
