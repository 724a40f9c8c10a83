import { ChildProcess, spawn } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { WORK_FOLDER_PREFIX } from '../../model/output-path';
import { compareStrings } from '../../model/spec-error';
import { exchangeDirectories } from './exchange';
import { OutputError } from './output-folder';
import { environmentOf, RenderedFile } from './read-dist';
import { contentDigest } from './outputs-digest';
import { FileStat, SeenFiles, WrittenFile } from './seen-files';

/** What a write changed. Paths are relative to dist/, sorted. */
export interface WriteResult {
  /** Files that did not exist before. */
  readonly added: readonly string[];
  /** Files whose content changed. */
  readonly changed: readonly string[];
  /** Files that are no longer produced and were deleted. */
  readonly removed: readonly string[];
  /** Files left as they were (not rewritten, mtime kept), but those of the folders not listed (`keepFolders`). */
  readonly unchanged: number;
  /** With `recordPrevious`: what each changed and removed file held before the write, by path. */
  readonly previous?: ReadonlyMap<string, string>;
}

/**
 * The calls of `writeDist` that change the file system, so that a test can make one fail
 * (a full disk, a rename refused) at any point.
 */
export interface WriteFileSystem {
  /** Writes a new file; returns what fstat says of it once written, when it can at no cost (else it is asked with lstat). */
  writeFileSync(file: string, data: string): FileStat | void;
  linkSync(existing: string, newPath: string): void;
  renameSync(from: string, to: string): void;
  /** Swaps two directories atomically; false when this system cannot (see `exchangeDirectories`). */
  exchange(a: string, b: string): boolean;
}

/** Options for `writeDist`. */
export interface WriteOptions {
  /**
   * Called once the new tree is complete, right before it replaces dist/. Tests use it to fail or
   * stop a write midway.
   *
   * @default - nothing
   */
  readonly beforeCommit?: () => void;
  /** Called right after the new tree replaced dist/, before the companions are written (tests). @default - nothing */
  readonly afterCommit?: () => void;
  /**
   * The repository root: files are named relative to it in errors.
   *
   * @default - the folder that holds dist/
   */
  readonly root?: string;
  /**
   * Replaces some of the file system calls (tests).
   *
   * @default - the real ones
   */
  readonly fileSystem?: Partial<WriteFileSystem>;
  /**
   * Files outside dist/ (absolute paths) to write together with it, all or nothing: `meshflip flip`
   * writes the environment file it edited with the dist/ rendered from it. See `writeDist`.
   *
   * @default - none
   */
  readonly companions?: readonly { readonly file: string; readonly content: string }[];
  /**
   * Files of dist/ that stay exactly as they are, by path, or a test of each path: they are linked
   * into the new tree without being read or compared (an incremental synthesis reuses whole
   * environments this way).
   *
   * @default - none
   */
  readonly keep?: readonly string[] | ((file: string) => boolean);
  /**
   * Folders of dist/ (relative to it) whose every file `keep` keeps and no rendered file lies in:
   * they are not even listed, unless the write has to stage the whole of dist/. A flip of one
   * environment of a large repository then lists its own folder, not the other environments'
   * tens of thousands of files.
   *
   * @default - every folder is listed
   */
  readonly keepFolders?: (folder: string) => boolean;
  /**
   * Return the content each changed and removed file had before the write (`WriteResult.previous`):
   * `meshflip flip` reads the routing before its edit from them.
   *
   * @default false
   */
  readonly recordPrevious?: boolean;
  /**
   * Where to record the files written, with their digests and what lstat says of them (`SeenFiles`):
   * the next command that digests them need not read them.
   *
   * @default - nothing is recorded
   */
  readonly seen?: SeenFiles;
  /**
   * Files written ahead, while they were still being rendered (`Prewrite`): a new or changed file
   * with a copy of the same digest is moved into the new tree instead of being written, and a new
   * dist/ written ahead whole becomes dist/ in one rename.
   *
   * @default - every file is written here
   */
  readonly prewritten?: Prewritten;
}

/** Copies of files of dist/ written ahead of `writeDist` (see `Prewrite`). */
export interface Prewritten {
  /** The copy of `file` (its path in dist/) written with exactly the content of `digest`, and what fstat said of it; each copy is given once. */
  take(file: string, digest: string): { readonly path: string; readonly stat: FileStat } | undefined;
  /**
   * The folder of the copies, laid out as dist/, when it holds copies of exactly `files` and no
   * other: it is then the caller's, and each copy is where the file goes.
   */
  adopt(files: readonly { readonly path: string; readonly digest: string }[]): string | undefined;
}

/**
 * Prefix of the folders meshflip creates next to dist/ while it writes (ignored by git): the new
 * tree being built (`<prefix><pid>-<random>`), and with the two-rename fallback the old tree while
 * it is moved aside (`<prefix>old-<pid>-<name of dist>`).
 */
export const STAGING_PREFIX = WORK_FOLDER_PREFIX;

/**
 * Prefix of the folder files are written ahead in while a synthesis renders (`Prewrite`):
 * `<prefix><pid>-<random>`, removed by the next write once that process is gone.
 */
export const AHEAD_PREFIX = `${STAGING_PREFIX}ahead-`;

/**
 * A test hook, inert unless the variable is set: with `MESHFLIP_FAILPOINT=<n>` (a positive integer)
 * the process kills itself (SIGKILL, as a crash or a cancelled job would) right before the n-th
 * change `writeDist` makes to the file system (each folder made, file written or linked, rename,
 * exchange and removal, counted from 1 in the process). A test runs the real command with n = 1,
 * 2, ... until a run completes, so a write is stopped at every one of its steps
 * (test/cli/synth-killed.test.ts, test/cli/flip-killed.test.ts). Nothing else reads it.
 */
const FAILPOINT = /^[1-9][0-9]*$/.test(process.env.MESHFLIP_FAILPOINT ?? '') ? Number(process.env.MESHFLIP_FAILPOINT) : undefined;
let steps = 0;

/** Called right before each change to the file system (see FAILPOINT); `Prewrite` calls it too. */
export function step(): void {
  if (FAILPOINT !== undefined && ++steps === FAILPOINT) {
    process.kill(process.pid, 'SIGKILL');
  }
}

/** Writes a file through its descriptor, opened with `flags`, and returns what fstat says of it once written. */
export function writeAndStat(file: string, data: string, flags: 'w' | 'wx'): FileStat {
  const fd = fs.openSync(file, flags);
  try {
    fs.writeFileSync(fd, data);
    return fs.fstatSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

const REAL_FILE_SYSTEM: WriteFileSystem = {
  writeFileSync: (file, data) => writeAndStat(file, data, 'w'),
  linkSync: (existing, newPath) => fs.linkSync(existing, newPath),
  renameSync: (from, to) => fs.renameSync(from, to),
  exchange: exchangeDirectories,
};

/**
 * Makes `distDir` hold exactly `files`, atomically for the whole tree.
 *
 * The complete new tree is built in a staging folder next to dist/ (on the same file system):
 * files that did not change are hard links to the ones in dist/ (same inode, same mtime, and no
 * copying), new and changed files are written. Then the staging folder and dist/ trade places in
 * one system call (`renameat2` with `RENAME_EXCHANGE` on Linux, `renamex_np` with `RENAME_SWAP`
 * on macOS), and the old tree, now under the staging name, is deleted. Any reader, git included,
 * sees either the old dist/ or the new one, whatever stops the process; until the exchange
 * nothing in dist/ is touched at all.
 *
 * Where the exchange is not available (another OS, or a file system that lacks it), dist/ is
 * renamed aside and the staging folder renamed into its place: two renames, with a window of a
 * few microseconds in which dist/ does not exist. A process killed in that window leaves the old
 * tree aside; the next write (any command that writes dist/) puts it back first.
 *
 * Only the deepest folder of dist/ that holds every change is staged and exchanged this way (a flip
 * of one service stages its environment's folder, not the whole of dist/): a reader sees that
 * folder old or new, and nothing else changes.
 *
 * With `companions` (files outside dist/), the write is journalled so that a process killed at any
 * point leaves dist/ and those files both as they were or both new, once the next run has looked:
 * the journal (`<prefix>journal-<name of dist>.json` next to dist/, holding the companions' new
 * content and the identity of the staged tree) is written before the exchange and deleted after
 * the companions are written. A run that finds a journal of a dead process rolls it forward when
 * dist/ is the staged tree (the exchange happened), else drops it (`recoverInterruptedWrite`).
 *
 * Nothing is ever followed through a symbolic link, and only files meshflip produced are deleted:
 * a link anywhere in dist/, or a file no longer produced that meshflip did not write (no
 * "Generated from ... by npm run synth" header, or a kind of file it never writes), stops the
 * write with an `OutputError` before anything is changed. So does a dist/ whose mode says it is
 * read-only, and any failure while writing (a full disk, a refused rename), which leaves dist/
 * exactly as it was.
 */
export function writeDist(distDir: string, files: readonly RenderedFile[], options: WriteOptions = {}): WriteResult {
  const dist = path.resolve(distDir);
  const parent = path.dirname(dist);
  const io: WriteFileSystem = { ...REAL_FILE_SYSTEM, ...options.fileSystem };
  const display = (file: string) => displayName(options.root ?? parent, file);
  const distName = display(dist);
  let staging: string | undefined;
  /** The folder the staging folder will replace: dist/, or the part of it a write changes. */
  let stagedFor = dist;
  try {
    // dist/ may sit deeper in the repository (repository.path: deploy/manifests) than exists yet.
    step();
    fs.mkdirSync(parent, { recursive: true });
    recoverInterruptedSwap(parent, path.basename(dist), io);
    recoverJournal(parent, path.basename(dist));
    removeStaleStaging(parent);
    let existing = readTree(dist, display, options.keepFolders);
    let plan = planWrite(dist, existing, files, display, options.keep ?? [], options.seen);
    /** The whole tree and what to do with it, where the folders kept were not listed. */
    const listEverything = () => {
      if (existing !== undefined && existing.skipped.size > 0) {
        existing = readTree(dist, display);
        plan = planWrite(dist, existing, files, display, options.keep ?? [], options.seen);
      }
    };
    const previous = options.recordPrevious
      ? { previous: new Map([...plan.changed, ...plan.removed].map((file) => [file, fs.readFileSync(path.join(dist, file), 'utf8')])) }
      : {};
    const result: WriteResult = { added: plan.added, changed: plan.changed, removed: plan.removed, unchanged: plan.unchanged.length, ...previous };
    const companions = options.companions ?? [];
    if (existing !== undefined && plan.added.length + plan.changed.length + plan.removed.length === 0) {
      // dist/ stays as it is: the companions alone change, each in one rename.
      companions.forEach((c) => replaceFile(c.file, c.content));
      options.seen?.recordWritten(dist, plan.confirmed, [], seenGroup);
      return result;
    }
    if (existing !== undefined) {
      refuseReadOnly(dist, distName);
    }
    const wanted = new Map(files.map((f) => [f.path, f]));
    /** The files written, as `seen` records them. */
    let written: WrittenFile[] = [];
    // Only the smallest folder of dist/ that holds every change is rebuilt and exchanged: a flip
    // changes a few files of one environment's folder, and the other environments' tens of
    // thousands of files are neither linked nor deleted. A reader sees that folder old or new, and
    // nothing else changes. Without the atomic exchange, the whole tree is (two renames of dist/).
    let scope = existing === undefined ? '' : changeScope([...plan.added, ...plan.changed, ...plan.removed], existing.folders);
    if (scope === '') {
      listEverything();
    }
    let oldTree: string | undefined;
    let journal: string | undefined;
    let committed = false;
    let hookCalled = false;
    while (!committed) {
      const target = scope === '' ? dist : path.join(dist, ...scope.split('/'));
      stagedFor = target;
      const prefix = scope === '' ? '' : `${scope}/`;
      // A new dist/ written ahead whole is the new tree as it is (its folders have the default mode,
      // as those of a new tree do); else its folders get the default mode, and dist/ keeps its own.
      const adopted =
        existing === undefined && scope === '' && plan.unchanged.length === 0
          ? options.prewritten?.adopt(plan.added.map((file) => ({ path: file, digest: contentDigest(wanted.get(file)!) })))
          : undefined;
      staging = adopted ?? makeStagingFolder(parent, existing === undefined || scope !== '' ? undefined : fs.lstatSync(dist).mode);
      const stagingFolders = folderMaker();
      written = [];
      for (const file of plan.unchanged) {
        if (file.startsWith(prefix)) {
          const staged = path.join(staging, file.slice(prefix.length));
          stagingFolders(path.dirname(staged));
          linkOrCopy(path.join(dist, file), staged, io);
        }
      }
      for (const file of [...plan.added, ...plan.changed]) {
        const staged = path.join(staging, file.slice(prefix.length));
        const rendered = wanted.get(file)!;
        const digest = contentDigest(rendered);
        const copy = options.prewritten?.take(file, digest);
        let stat: FileStat | void;
        if (copy === undefined) {
          stagingFolders(path.dirname(staged));
          step();
          stat = io.writeFileSync(staged, rendered.content);
        } else {
          // Written ahead: moved in (or there already, in a tree adopted whole), the same file.
          if (copy.path !== staged) {
            stagingFolders(path.dirname(staged));
            step();
            io.renameSync(copy.path, staged);
          }
          stat = copy.stat;
        }
        if (options.seen !== undefined) {
          // Renamed into dist/ with the folder that holds it: the same file, as lstat sees it.
          written.push({ path: file, digest, stat: stat ?? fs.lstatSync(staged) });
        }
      }
      journal = companions.length === 0 ? undefined : writeJournal(parent, path.basename(dist), staging, companions, scope);
      if (!hookCalled) {
        hookCalled = true;
        options.beforeCommit?.();
      }
      if (scope === '') {
        oldTree = commit(staging, dist, existing !== undefined, io, distName);
        committed = true;
        continue;
      }
      step();
      if (io.exchange(staging, target)) {
        oldTree = staging;
        committed = true;
      } else {
        // No atomic exchange on this system: stage the whole tree instead.
        if (journal !== undefined) {
          step();
          fs.rmSync(journal);
        }
        step();
        fs.rmSync(staging, { recursive: true, force: true });
        scope = '';
        listEverything();
      }
    }
    staging = undefined;
    if (journal !== undefined) {
      options.afterCommit?.();
      companions.forEach((c) => replaceFile(c.file, c.content));
      step();
      fs.rmSync(journal);
    }
    options.seen?.recordWritten(dist, [...written, ...plan.confirmed], plan.removed, seenGroup);
    if (oldTree !== undefined) {
      // The new dist/ is in place: what is left is the old tree, under a name git ignores.
      const prefix = stagedFor === dist ? '' : `${path.relative(dist, stagedFor).split(path.sep).join('/')}/`;
      removeOldTree(oldTree, existing?.files.filter((file) => file.startsWith(prefix)).length ?? 0);
    }
    return result;
  } catch (e) {
    if (staging !== undefined) {
      try {
        fs.rmSync(staging, { recursive: true, force: true });
      } catch {
        // left for removeStaleStaging
      }
    }
    throw toOutputError(e, distName, (file) =>
      display(staging !== undefined && file.startsWith(staging) ? stagedFor + file.slice(staging.length) : file),
    );
  }
}

/**
 * The deepest folder of dist/ (relative to it, '' for dist/ itself) that holds every changed
 * path and exists already: the part of the tree a write replaces.
 */
function changeScope(changed: readonly string[], folders: ReadonlySet<string>): string {
  let common: string[] | undefined;
  for (const file of changed) {
    const parts = file.split('/').slice(0, -1);
    if (common === undefined) {
      common = parts;
    } else {
      let i = 0;
      while (i < common.length && i < parts.length && common[i] === parts[i]) {
        i++;
      }
      common = common.slice(0, i);
    }
  }
  for (let parts = common ?? []; parts.length > 0; parts = parts.slice(0, -1)) {
    if (folders.has(parts.join('/'))) {
      return parts.join('/');
    }
  }
  return '';
}

/** Which files are new, changed, unchanged or no longer produced, checking that the last were written by meshflip. */
function planWrite(
  dist: string,
  existing: Tree | undefined,
  files: readonly RenderedFile[],
  display: (file: string) => string,
  keep: readonly string[] | ((file: string) => boolean),
  seen: SeenFiles | undefined,
) {
  const have = new Set(existing?.files ?? []);
  const kept = typeof keep === 'function' ? [...have].filter(keep) : keep.filter((f) => have.has(f));
  const wanted = new Set([...files.map((f) => f.path), ...kept]);
  for (const file of files) {
    // The renderer names files after validated environment names; anything else is a bug.
    if (!isPlainDistPath(file.path)) {
      throw new Error(`refusing to write ${JSON.stringify(file.path)}: not a plain path inside dist/`);
    }
    if (existing?.folders.has(file.path)) {
      throw new OutputError(
        `${display(path.join(dist, file.path))} is a folder, where synth writes a file`,
        `move the folder away (it may hold files meshflip did not write); nothing was changed`,
      );
    }
    for (let slash = file.path.indexOf('/'); slash !== -1; slash = file.path.indexOf('/', slash + 1)) {
      if (existing?.skipped.has(file.path.slice(0, slash))) {
        throw new Error(`refusing to write ${JSON.stringify(file.path)}: its folder was said to be kept whole`);
      }
      if (have.has(file.path.slice(0, slash))) {
        throw new OutputError(
          `${display(path.join(dist, file.path.slice(0, slash)))} is a file, where synth writes a folder`,
          `move the file away; nothing was changed`,
        );
      }
    }
  }
  const added: string[] = [];
  const changed: string[] = [];
  const unchanged: string[] = [...kept];
  // The files read and found as rendered are recorded with the write (`SeenFiles`): read after this clock.
  const clock = seen?.clockBeside(dist);
  const confirmed: WrittenFile[] = [];
  const confirm =
    clock === undefined
      ? undefined
      : (file: RenderedFile, stat: FileStat) => confirmed.push({ path: file.path, digest: contentDigest(file), stat, readAfter: clock });
  const recorded = recordedDigests(seen, dist);
  for (const file of files) {
    if (!have.has(file.path)) {
      added.push(file.path);
    } else if (!sameContent(path.join(dist, file.path), file, (stat) => recorded(file.path, stat), confirm)) {
      changed.push(file.path);
    } else {
      unchanged.push(file.path);
    }
  }
  const removed = [...have].filter((f) => !wanted.has(f));
  for (const file of removed) {
    const why = notProducedByMeshflip(path.join(dist, file), file);
    if (why !== undefined) {
      throw new OutputError(
        `${display(path.join(dist, file))} was not written by meshflip (${why}), and synth would delete it`,
        `meshflip deletes only files it produced; move the file out of ${display(dist)}/, or delete it yourself if it is not needed`,
      );
    }
  }
  return { added: added.sort(compareStrings), changed: changed.sort(compareStrings), removed: removed.sort(compareStrings), unchanged, confirmed };
}

/** The kinds of file synth writes: Kubernetes manifests, kumactl documents, ROUTING.md, INPUTS.sha256. */
const PRODUCED = /(^|\/)([^/]+\.k8s\.yaml|[^/]+\.kumactl\.yaml|ROUTING\.md|INPUTS\.sha256)$/;
/** The first line of every file synth writes (see `fileHeader` and `routingMarkdown`). */
const HEADER = /^(# |<!-- )Generated from \S.* by npm run synth\. Do not edit\.( -->)?\r?\n/;

function notProducedByMeshflip(file: string, rel: string): string | undefined {
  if (!PRODUCED.test(rel)) {
    return 'not a kind of file it writes: *.k8s.yaml, *.kumactl.yaml, ROUTING.md, INPUTS.sha256';
  }
  const head = Buffer.alloc(512);
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  let read: number;
  try {
    read = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  return HEADER.test(head.subarray(0, read).toString('utf8')) ? undefined : 'it does not open with "Generated from ... by npm run synth"';
}

/**
 * Every file below `dist`, as sorted paths relative to it with forward slashes, or undefined when
 * dist/ does not exist. A symbolic link, or anything that is neither a file nor a folder, stops
 * the write: meshflip never writes or deletes through a link.
 */
function readTree(dist: string, display: (file: string) => string, skip?: (folder: string) => boolean): Tree | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dist);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw e;
  }
  if (!stat.isDirectory()) {
    throw notFileOrFolder(dist, stat, display);
  }
  const files: string[] = [];
  const folders = new Set<string>();
  const skipped = new Set<string>();
  const walk = (dir: string, prefix: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        folders.add(rel);
        if (skip?.(rel)) {
          skipped.add(rel);
        } else {
          walk(full, rel);
        }
      } else if (entry.isFile()) {
        files.push(rel);
      } else {
        throw notFileOrFolder(full, fs.lstatSync(full), display);
      }
    }
  };
  walk(dist, '');
  return { files: files.sort(compareStrings), folders, skipped };
}

/** What dist/ holds: files (sorted) and folders, relative to it, but the files of the folders `skipped` (`keepFolders`). */
interface Tree {
  readonly files: readonly string[];
  readonly folders: ReadonlySet<string>;
  readonly skipped: ReadonlySet<string>;
}

function notFileOrFolder(file: string, stat: fs.Stats, display: (file: string) => string): OutputError {
  if (stat.isSymbolicLink()) {
    return new OutputError(
      `${display(file)} is a symbolic link (to ${fs.readlinkSync(file)}); meshflip never writes or deletes through a link`,
      'replace the link by a real folder or delete it: synth renders every file again',
    );
  }
  return new OutputError(`${display(file)} is neither a file nor a folder`, 'remove it: synth writes only folders and files there');
}

/**
 * A dist/ whose mode allows nobody to write is a statement: leave it alone. (As root, the mode
 * alone would not stop a write, so it is checked here rather than left to the system.)
 */
function refuseReadOnly(dist: string, distName: string): void {
  const mode = fs.lstatSync(dist).mode & 0o777;
  if ((mode & 0o222) === 0) {
    throw new OutputError(
      `${distName}/ is read-only (mode ${mode.toString(8).padStart(4, '0')})`,
      `make it writable (chmod u+w ${distName}) to let synth write it; nothing was changed`,
    );
  }
  fs.accessSync(dist, fs.constants.W_OK);
}

/** Creates the staging folder, with the mode of the dist/ it will replace. */
/** A new folder in `parent` named `<prefix><pid>-<random>`, with the mode of dist/ when given. */
export function makeStagingFolder(parent: string, distMode: number | undefined, prefix: string = STAGING_PREFIX): string {
  for (;;) {
    const staging = path.join(parent, `${prefix}${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      step();
      fs.mkdirSync(staging);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        continue;
      }
      throw e;
    }
    if (distMode !== undefined) {
      step();
      fs.chmodSync(staging, distMode & 0o7777);
    }
    return staging;
  }
}

/** The name the fallback gives the old dist/ while it puts the new one in place. */
function asideName(parent: string, base: string): string {
  return path.join(parent, `${STAGING_PREFIX}old-${process.pid}-${base}`);
}

/**
 * Puts the staging folder in the place of dist/ and returns where the old tree now is (to be
 * deleted), or undefined when there was none.
 */
function commit(staging: string, dist: string, hadDist: boolean, io: WriteFileSystem, distName: string): string | undefined {
  if (!hadDist) {
    // Nothing to replace: one rename is atomic.
    step();
    io.renameSync(staging, dist);
    return undefined;
  }
  step();
  if (io.exchange(staging, dist)) {
    return staging;
  }
  // No atomic exchange here. Between these two renames dist/ does not exist; a process killed
  // right there leaves the old tree aside, and the next write puts it back (recoverInterruptedSwap).
  const aside = asideName(path.dirname(dist), path.basename(dist));
  step();
  io.renameSync(dist, aside);
  try {
    step();
    io.renameSync(staging, dist);
  } catch (e) {
    try {
      io.renameSync(aside, dist);
    } catch {
      throw new OutputError(
        `${distName}/ could not be put back after a failed write; its previous content is in ${path.basename(aside)}`,
        `rename ${path.basename(aside)} to ${path.basename(dist)} (${(e as Error).message})`,
      );
    }
    throw e;
  }
  return aside;
}

/**
 * Puts back a dist/ left aside by a write killed in the middle of the two-rename fallback (see
 * `writeDist`). Commands that read dist/ call it first; writing does it anyway.
 */
export function recoverInterruptedWrite(distDir: string): void {
  const dist = path.resolve(distDir);
  if (fs.existsSync(path.dirname(dist))) {
    recoverInterruptedSwap(path.dirname(dist), path.basename(dist), REAL_FILE_SYSTEM);
    recoverJournal(path.dirname(dist), path.basename(dist));
  }
}

/** What a journalled write records before it replaces dist/ (see `writeDist`). */
interface Journal {
  readonly version: 1;
  readonly pid: number;
  /** The device and inode of the staged tree: dist/ (or its folder `scope`) has them once the exchange happened. */
  readonly staged: { readonly dev: number; readonly ino: number };
  /** The folder of dist/ the staged tree replaces, relative to it; absent or empty for dist/ itself. */
  readonly scope?: string;
  /** The files outside dist/ to write, relative to the folder that holds dist/ and the journal. */
  readonly companions: readonly { readonly file: string; readonly content: string }[];
}

function journalPath(parent: string, base: string): string {
  return path.join(parent, `${STAGING_PREFIX}journal-${base}.json`);
}

/** Writes the journal of a write about to replace dist/ with `staging`, atomically (a temporary file renamed). */
function writeJournal(
  parent: string,
  base: string,
  staging: string,
  companions: readonly { file: string; content: string }[],
  scope: string,
): string {
  const stat = fs.statSync(staging);
  const journal: Journal = {
    version: 1,
    pid: process.pid,
    staged: { dev: stat.dev, ino: stat.ino },
    ...(scope === '' ? {} : { scope }),
    companions: companions.map((c) => ({ file: path.relative(parent, c.file).split(path.sep).join('/'), content: c.content })),
  };
  const file = journalPath(parent, base);
  replaceFile(file, JSON.stringify(journal));
  return file;
}

/**
 * Finishes or drops the journalled write of a process that was killed (see `writeDist`): when
 * dist/ is the tree that write staged, its companions are written (again: that is harmless); in
 * every case the journal is then removed. A journal of a live process is left alone.
 */
function recoverJournal(parent: string, base: string): void {
  const file = journalPath(parent, base);
  let journal: Journal;
  try {
    journal = JSON.parse(fs.readFileSync(file, 'utf8')) as Journal;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return;
    }
    // Unreadable: written by no complete run (the journal lands in one rename), so nothing to finish.
    step();
    fs.rmSync(file, { force: true });
    return;
  }
  if (writerAlive(journal.pid)) {
    return;
  }
  const scope = typeof journal.scope === 'string' && journal.scope !== '' ? journal.scope.split('/') : [];
  const dist = scope.includes('..') ? undefined : fs.statSync(path.join(parent, base, ...scope), { throwIfNoEntry: false });
  const forward = dist !== undefined && dist.dev === journal.staged.dev && dist.ino === journal.staged.ino;
  for (const companion of journal.companions) {
    const target = path.resolve(parent, ...companion.file.split('/'));
    step();
    fs.rmSync(temporaryName(target, journal.pid), { force: true });
    if (forward) {
      replaceFile(target, companion.content);
    }
  }
  step();
  fs.rmSync(file, { force: true });
}

/** Where `replaceFile` writes first: beside the file, under a name no input listing takes for an input (`.tmp`). */
function temporaryName(file: string, pid: number): string {
  return path.join(path.dirname(file), `${STAGING_PREFIX}${pid}-${path.basename(file)}.tmp`);
}

/** Replaces a file's content in one rename: a reader sees the old content or the new, never part of it. */
function replaceFile(file: string, content: string): void {
  const temporary = temporaryName(file, process.pid);
  const mode = fs.statSync(file, { throwIfNoEntry: false })?.mode;
  // Created anew, never opened through what stands there (a leftover, or a link a repository
  // planted under that name): the name is removed first, and the file must not exist.
  step();
  fs.rmSync(temporary, { force: true });
  step();
  const fd = fs.openSync(temporary, 'wx', mode === undefined ? 0o666 : mode & 0o7777);
  try {
    step();
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  step();
  fs.renameSync(temporary, file);
}

/**
 * Puts back a dist/ that the two-rename fallback had moved aside when its process was killed
 * between the two renames; removes an old tree left aside after the second rename.
 */
function recoverInterruptedSwap(parent: string, base: string, io: WriteFileSystem): void {
  const pattern = new RegExp(`^${escapeRegExp(STAGING_PREFIX)}old-(\\d+)-(.+)$`);
  for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
    const match = pattern.exec(entry.name);
    if (match === null || match[2] !== base || !entry.isDirectory() || writerAlive(Number(match[1]))) {
      continue;
    }
    const aside = path.join(parent, entry.name);
    step();
    if (fs.existsSync(path.join(parent, base)) || isLink(path.join(parent, base))) {
      fs.rmSync(aside, { recursive: true, force: true });
    } else {
      io.renameSync(aside, path.join(parent, base));
    }
  }
}

/**
 * Removes staging folders, and the temporary files of `replaceFile`, left behind by runs that were
 * killed (only real folders and files of dead processes).
 */
function removeStaleStaging(parent: string): void {
  const folder = new RegExp(`^${escapeRegExp(STAGING_PREFIX)}(\\d+)-[0-9a-zA-Z]+$`);
  const file = new RegExp(`^${escapeRegExp(STAGING_PREFIX)}(\\d+)-.+\\.tmp$`);
  // Files written ahead are this process's own while it synthesizes (`Prewrite`): only those of a
  // process that is gone are left over.
  const ahead = new RegExp(`^${escapeRegExp(AHEAD_PREFIX)}(\\d+)-[0-9a-zA-Z]+$`);
  for (const entry of fs.readdirSync(parent, { withFileTypes: true })) {
    const aheadOf = entry.isDirectory() ? ahead.exec(entry.name) : null;
    if (aheadOf !== null && Number(aheadOf[1]) !== process.pid && !writerAlive(Number(aheadOf[1]))) {
      step();
      fs.rmSync(path.join(parent, entry.name), { recursive: true, force: true });
      continue;
    }
    const match = entry.isDirectory() ? folder.exec(entry.name) : entry.isFile() ? file.exec(entry.name) : null;
    if (match !== null && !writerAlive(Number(match[1]))) {
      // rmSync deletes links themselves, never what they point to.
      step();
      fs.rmSync(path.join(parent, entry.name), { recursive: true, force: true });
    }
  }
  // The old trees whose removing process is gone (see `removeOldTree`).
  const trash = trashFolder(parent);
  const left = /^(\d+)-[0-9a-zA-Z]+$/;
  if (isFolder(trash)) {
    for (const entry of fs.readdirSync(trash, { withFileTypes: true })) {
      const match = entry.isDirectory() ? left.exec(entry.name) : null;
      if (match !== null && !writerAlive(Number(match[1]))) {
        step();
        fs.rmSync(path.join(trash, entry.name), { recursive: true, force: true });
      }
    }
  }
}

/** Whether a path names a file inside dist/ as the renderer names them: relative, normalized, never above it. */
export function isPlainDistPath(file: string): boolean {
  return file !== '' && path.posix.normalize(file) === file && !file.startsWith('../') && !path.posix.isAbsolute(file);
}

/** The group a file of dist/ is recorded under (`SeenFiles`): its environment, '' for the files of none. */
export function seenGroup(file: string): string {
  return environmentOf(file) ?? '';
}

/**
 * The digest `seen` records for a file of dist/ that lstat says is as recorded (`SeenFiles.recorded`),
 * each group's records looked up once; undefined for any other file, and for every file without `seen`.
 */
export function recordedDigests(seen: SeenFiles | undefined, dist: string): (file: string, stat: FileStat) => string | undefined {
  const groups = new Map<string, ((file: string, stat: FileStat) => string | undefined) | undefined>();
  return (file, stat) => {
    const group = seenGroup(file);
    if (!groups.has(group)) {
      groups.set(group, seen?.recorded(dist, group));
    }
    return groups.get(group)?.(file, stat);
  };
}

/** Whether a path is a folder itself, not a link to one. */
function isFolder(file: string): boolean {
  return fs.lstatSync(file, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/**
 * Whether the process that made a staging folder may still be writing. This process is not: a
 * write runs from start to end in one synchronous call, so a folder of ours is a leftover.
 */
function writerAlive(pid: number): boolean {
  if (pid === process.pid) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * An old tree of at least this many files is removed by a process of its own (`removeOldTree`):
 * deleting the 6,000 files of a large environment's folder takes longer than the rest of a flip's write.
 */
export const BACKGROUND_REMOVAL_FILES = 1000;

/**
 * The folder beside dist/ where old trees wait for the process that removes them: it holds a
 * .gitignore that ignores everything, so that `git add -A` run meanwhile takes nothing from it,
 * whether or not the repository ignores meshflip's work folders, and it stays.
 */
export function trashFolder(parent: string): string {
  return path.join(parent, `${STAGING_PREFIX}trash`);
}

/**
 * Removes the old tree a write replaced (it holds `files` files): at once when it is small, else by
 * a process started for it, which the command does not wait for. That process removes the tree
 * from the trash folder, named with its own pid, so no other run removes it while it does; the
 * next write removes what it leaves if it is stopped. When the tree cannot be removed now, the
 * next write does it (`removeStaleStaging`).
 */
function removeOldTree(oldTree: string, files: number): void {
  if (files >= BACKGROUND_REMOVAL_FILES && removeInBackground(oldTree)) {
    return;
  }
  try {
    step();
    fs.rmSync(oldTree, { recursive: true, force: true });
  } catch {
    // left for removeStaleStaging
  }
}

/**
 * What the removing process runs (`node -e`, with the trash folder and a suffix as arguments): it
 * waits for its tree, named with its own pid, to appear there (the write moves the old tree once
 * it knows that pid), and removes it; it gives up after ten seconds.
 */
const REMOVER = `
const fs = require('fs');
const path = require('path');
const [trash, suffix] = process.argv.slice(1);
const target = path.join(trash, process.pid + '-' + suffix);
const until = Date.now() + 10000;
const attempt = () => {
  if (fs.existsSync(target)) {
    fs.rmSync(target, { recursive: true, force: true });
  } else if (Date.now() < until) {
    setTimeout(attempt, 5);
  }
};
attempt();
`;

/** Hands the old tree to a process of its own (see `removeOldTree`); false when none could be started or given it. */
function removeInBackground(oldTree: string): boolean {
  const trash = trashFolder(path.dirname(oldTree));
  const ignore = path.join(trash, '.gitignore');
  try {
    // Nothing is written or moved through a link: a trash folder, or a .gitignore in it, that is
    // anything but a real folder and file leaves the old tree to be removed here.
    const folder = fs.lstatSync(trash, { throwIfNoEntry: false });
    if (folder === undefined) {
      step();
      fs.mkdirSync(trash);
    } else if (!folder.isDirectory()) {
      return false;
    }
    const file = fs.lstatSync(ignore, { throwIfNoEntry: false });
    if (file === undefined) {
      step();
      fs.writeFileSync(ignore, '# meshflip deletes what is here\n*\n', { flag: 'wx' });
    } else if (!file.isFile()) {
      return false;
    }
  } catch {
    return false;
  }
  const suffix = randomBytes(6).toString('hex');
  let child: ChildProcess;
  try {
    // Without NODE_OPTIONS: whatever it asks for (a profiler, a loader) is not for this.
    child = spawn(process.execPath, ['-e', REMOVER, trash, suffix], {
      detached: true,
      stdio: 'ignore',
      windowsHide: true,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  } catch {
    return false;
  }
  // A failure to start is reported as an event, later: nothing to wait for.
  child.on('error', () => undefined);
  if (child.pid === undefined) {
    return false;
  }
  try {
    step();
    fs.renameSync(oldTree, path.join(trash, `${child.pid}-${suffix}`));
  } catch {
    child.kill();
    return false;
  }
  child.unref();
  return true;
}

/** A hard link keeps the inode and mtime for free; where the file system has none, a copy with the same mtime. */
function linkOrCopy(existing: string, target: string, io: WriteFileSystem): void {
  try {
    step();
    io.linkSync(existing, target);
  } catch (e) {
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'EXDEV'].includes((e as NodeJS.ErrnoException).code ?? '')) {
      throw e;
    }
    step();
    fs.copyFileSync(existing, target);
    const stat = fs.statSync(existing);
    step();
    fs.utimesSync(target, stat.atime, stat.mtime);
  }
}

/** Turns a file system failure into a clear error naming the file; an OutputError passes as it is. */
function toOutputError(e: unknown, distName: string, display: (file: string) => string): unknown {
  if (e instanceof OutputError) {
    return e;
  }
  const error = e as NodeJS.ErrnoException;
  if (typeof error?.code !== 'string' || !error.code.startsWith('E')) {
    return e;
  }
  const file = error.path === undefined ? `${distName}/` : display(error.path);
  const kept = `${distName}/ was left as it was`;
  switch (error.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new OutputError(`no space left on the device while writing ${file}`, `free some space and run synth again; ${kept}`);
    case 'EROFS':
      return new OutputError(`${file} is on a read-only file system`, `synth must run where ${distName}/ can be written; ${kept}`);
    case 'EACCES':
    case 'EPERM':
      return new OutputError(`permission denied writing ${file}`, `make ${distName}/ and the folder that holds it writable for this user; ${kept}`);
    default:
      return new OutputError(`could not write ${file} (${error.code})`, kept);
  }
}

function displayName(root: string, file: string): string {
  const rel = path.relative(root, file);
  return rel === '' ? '.' : rel.split(path.sep).join('/');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Makes folders, each once: a recursive mkdir costs several system calls even when the folder
 * exists, which for one call per file was most of the time of writing a large dist/.
 */
function folderMaker(): (dir: string) => void {
  const made = new Set<string>();
  return (dir) => {
    if (!made.has(dir)) {
      step();
      fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
  };
}

/**
 * Whether a file of dist/ holds exactly what was rendered: by the digest recorded for it when lstat
 * says it is the file recorded (`SeenFiles`), else by its bytes.
 */
function sameContent(
  file: string,
  rendered: RenderedFile,
  recorded: (stat: FileStat) => string | undefined,
  confirm: ((file: RenderedFile, stat: FileStat) => void) | undefined,
): boolean {
  const stat = fs.lstatSync(file);
  if (stat.size !== Buffer.byteLength(rendered.content, 'utf8')) {
    return false;
  }
  const digest = recorded(stat);
  if (digest !== undefined) {
    return digest === contentDigest(rendered);
  }
  const same = fs.readFileSync(file).equals(Buffer.from(rendered.content, 'utf8'));
  if (same) {
    confirm?.(rendered, stat);
  }
  return same;
}
