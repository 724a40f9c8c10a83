import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** The repository root. */
export const REPO = path.resolve(__dirname, '..');
/** The shared upstream schemas, beside the repository. */
export const SHARED_CRDS = path.resolve(REPO, '..', 'shared', 'crds');
/** The meshflip command. */
export const BIN = path.join(REPO, 'src', 'cli', 'meshflip.cjs');

/** A new empty folder under the OS temp directory, removed by `removeTempDirs()`. */
export function tempDir(prefix = 'meshflip-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}
const created: string[] = [];

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

/** Runs the real meshflip command in `cwd`. */
export function runCli(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; input?: string }): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...options.env },
    input: options.input,
  });
}

/** Runs git in `cwd` with a fixed identity; throws on failure. */
export function git(cwd: string, ...args: string[]): string {
  const result = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 'test@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 'test@example.com' },
  });
  if (result.status !== 0) {
    throw new Error(`git ${args.join(' ')} failed: ${result.stderr}`);
  }
  return result.stdout;
}

/** The objects of a multi-document YAML text. */
export function parseYamlDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((d) => d.toJS() as Record<string, unknown>).filter((o) => o !== null);
}

/** The objects of `kind` among synthesized manifests. */
export function manifestsOfKind<T = any>(manifests: readonly any[], kind: string): T[] {
  return manifests.filter((m) => m.kind === kind) as T[];
}
