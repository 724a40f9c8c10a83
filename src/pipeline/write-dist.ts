import * as fs from 'fs';
import * as path from 'path';
import { compareStrings } from '../model/spec-error';
import { RenderedFile } from './synth';

/** What a write changed. Paths are relative to dist/, sorted. */
export interface WriteResult {
  /** Files that did not exist before. */
  readonly added: readonly string[];
  /** Files whose content changed. */
  readonly changed: readonly string[];
  /** Files that are no longer produced and were deleted. */
  readonly removed: readonly string[];
  /** Files left as they were (not rewritten, mtime kept). */
  readonly unchanged: number;
}

/** Options for `writeDist`. */
export interface WriteOptions {
  /**
   * Called once everything is staged, right before dist/ is touched. Tests use it to fail or
   * stop a write midway.
   *
   * @default - nothing
   */
  readonly beforeCommit?: () => void;
}

/** Prefix of the staging folders created next to dist/ (ignored by git). */
export const STAGING_PREFIX = '.meshflip-tmp-';

/**
 * Makes `distDir` hold exactly `files`, changing only what differs.
 *
 * Every new or changed file is first written to a staging folder next to dist/ (on the same file
 * system), so nothing in dist/ is touched until all of them are on disk. Then each one is moved
 * into place with an atomic rename, files that are no longer produced are deleted, and folders
 * left empty are removed. Unchanged files are not rewritten, so their mtime is kept. A failure
 * (or a kill) before the commit leaves dist/ exactly as it was; the staging folder is removed, or
 * cleaned up by the next run.
 */
export function writeDist(distDir: string, files: readonly RenderedFile[], options: WriteOptions = {}): WriteResult {
  const root = path.resolve(distDir);
  const parent = path.dirname(root);
  // dist/ may sit deeper in the repository (repository.path: deploy/manifests) than exists yet.
  fs.mkdirSync(parent, { recursive: true });
  removeStaleStaging(parent);
  const existing = new Set(listFiles(root));
  const wanted = new Map(files.map((f) => [f.path, f.content]));
  const added: string[] = [];
  const changed: string[] = [];
  let unchanged = 0;
  for (const [file, content] of wanted) {
    if (!existing.has(file)) {
      added.push(file);
    } else if (!sameContent(path.join(root, file), content)) {
      changed.push(file);
    } else {
      unchanged++;
    }
  }
  const removed = [...existing].filter((f) => !wanted.has(f));

  const staging = fs.mkdtempSync(path.join(parent, `${STAGING_PREFIX}${process.pid}-`));
  try {
    const stagingFolders = folderMaker();
    for (const file of [...added, ...changed]) {
      const target = path.join(staging, file);
      stagingFolders(path.dirname(target));
      fs.writeFileSync(target, wanted.get(file)!);
    }
    options.beforeCommit?.();
    const distFolders = folderMaker();
    for (const file of [...added, ...changed]) {
      const target = path.join(root, file);
      distFolders(path.dirname(target));
      fs.renameSync(path.join(staging, file), target);
    }
    for (const file of removed) {
      fs.rmSync(path.join(root, file), { force: true });
    }
    removeEmptyFolders(root);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return { added: added.sort(compareStrings), changed: changed.sort(compareStrings), removed: removed.sort(compareStrings), unchanged };
}

/**
 * Makes folders, each once: a recursive mkdir costs several system calls even when the folder
 * exists, which for one call per file was most of the time of writing a large dist/.
 */
function folderMaker(): (dir: string) => void {
  const made = new Set<string>();
  return (dir) => {
    if (!made.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
  };
}

/** Every file below `dir`, as paths relative to it with forward slashes. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return;
      }
      throw e;
    }
    for (const entry of entries) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(path.join(current, entry.name), rel);
      } else {
        out.push(rel);
      }
    }
  };
  walk(dir, '');
  return out.sort(compareStrings);
}

function sameContent(file: string, content: string): boolean {
  const bytes = Buffer.from(content, 'utf8');
  const stat = fs.statSync(file);
  return stat.size === bytes.length && fs.readFileSync(file).equals(bytes);
}

function removeEmptyFolders(dir: string): boolean {
  if (!fs.existsSync(dir)) {
    return true;
  }
  let empty = true;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && removeEmptyFolders(path.join(dir, entry.name))) {
      fs.rmdirSync(path.join(dir, entry.name));
    } else {
      empty = false;
    }
  }
  return empty;
}

/** Removes staging folders left behind by runs that were killed. */
function removeStaleStaging(parent: string): void {
  for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
    const match = new RegExp(`^${STAGING_PREFIX.replace('.', '\\.')}(\\d+)-`).exec(entry.name);
    if (entry.isDirectory() && match !== null && !processAlive(Number(match[1]))) {
      fs.rmSync(path.join(parent, entry.name), { recursive: true, force: true });
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
