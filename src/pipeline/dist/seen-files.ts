import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { WORK_FOLDER_PREFIX } from '../../model/output-path';
import { compareStrings } from '../../model/spec-error';

/** Bumped whenever what an entry holds changes shape. */
export const SEEN_FORMAT = 1;

/**
 * What lstat said of a file whose content had the SHA-256 `digest`: its device, inode, size and
 * modification time (`mtimeMs`, as lstat gives it).
 */
type Seen = readonly [dev: number, ino: number, size: number, mtimeMs: number, digest: string];

/** An entry: the files of one group seen, by path relative to dist/, sorted. */
export interface SeenEntry {
  readonly files: readonly (readonly [path: string, ...seen: Seen])[];
}

/** Where the entries are kept, by key (`seenFilesIn` keeps them in the cache folder). */
export interface SeenEntries {
  get(key: string): SeenEntry | undefined;
  set(key: string, entry: SeenEntry): void;
}

/** The part of a file's lstat that says whether it is the file seen before. */
export type FileStat = Pick<fs.Stats, 'dev' | 'ino' | 'size' | 'mtimeMs'>;

/**
 * A file of dist/ written with the content of this digest, and what lstat said of it right after;
 * or a file whose content was read and found to have this digest, and what lstat said of it before.
 */
export interface WrittenFile {
  readonly path: string;
  readonly digest: string;
  readonly stat: FileStat;
  /** For a file read: the file system's clock before lstat was asked (see `SeenFiles`). @default - the clock once the files are written */
  readonly readAfter?: FileStat;
}

/**
 * The digests of the files of dist/ as they were last read or written, trusted while lstat says the
 * same of each file, as git trusts its index: the same device, inode, size and modification time.
 * A command that needs the digest of every file of an environment (to compare with what its
 * INPUTS.sha256 records) then reads only the files that changed since. Kept per folder of dist/
 * (by its real path) and environment (`seenFilesIn` keeps them in the cache folder).
 *
 * Racily clean files: a file whose modification time is not earlier than the file system's clock
 * when it was seen (a probe file written beside dist/) is not recorded, because a change within
 * the same tick of that clock would keep its size and time. What is recorded was seen before the
 * clock moved past its last change, so any later change gives it another time.
 *
 * This trusts what the file system says: a hand edit of dist/ that keeps a file's size, and then
 * sets its modification time back (`touch -r`), is taken for the file as it was. CI renders
 * everything from scratch (`npm run synth`, then `git diff --exit-code`), which catches that.
 */
export class SeenFiles {
  /**
   * @param entries where the entries are kept
   * @param clock the file system's clock in a folder (tests) @default - `fileSystemClock`
   */
  constructor(
    private readonly entries: SeenEntries,
    private readonly clock: (dir: string) => FileStat | undefined = fileSystemClock,
  ) {}

  /**
   * The SHA-256 (hex) of each of `files` (one group: an environment's, or those of none; paths
   * relative to `distDir`), by path: recorded for a file lstat says is the one seen, else read and
   * digested now (and recorded, when it is not racily clean). `read` gets the bytes of each file
   * read. A file that cannot be read throws, as reading it would.
   */
  digests(distDir: string, group: string, files: readonly string[], read?: (file: string, bytes: Buffer) => void): Map<string, string> {
    const dist = realDist(distDir);
    const key = dist === undefined ? undefined : seenKey(dist, group);
    const recorded = this.recordsOf(key);
    const out = new Map<string, string>();
    const next = new Map<string, Seen>();
    const unseen: { file: string; stat: fs.Stats }[] = [];
    for (const file of files) {
      const stat = fs.lstatSync(path.join(distDir, file));
      const seen = recorded.get(file);
      if (seen !== undefined && stat.isFile() && sameFile(seen, stat)) {
        out.set(file, seen[4]);
        next.set(file, seen);
      } else {
        unseen.push({ file, stat });
      }
    }
    // The clock after every lstat above and before any read below (see the class).
    const clock = unseen.length === 0 || key === undefined ? undefined : this.clock(path.dirname(dist!));
    for (const { file, stat } of unseen) {
      const digest = readAndDigest(distDir, file, read);
      out.set(file, digest);
      if (clock !== undefined && stat.isFile() && settled(stat, clock)) {
        next.set(file, [stat.dev, stat.ino, stat.size, stat.mtimeMs, digest]);
      }
    }
    if (key !== undefined && (unseen.length > 0 || recorded.size !== next.size)) {
      this.keep(key, next);
    }
    return out;
  }

  /** The file system's clock beside dist/ now (see the class): what a file read after it is recorded against (`WrittenFile.readAfter`). */
  clockBeside(distDir: string): FileStat | undefined {
    const dist = realDist(distDir);
    return dist === undefined ? undefined : this.clock(path.dirname(dist));
  }

  /**
   * What is recorded of one group (see `digests`): the digest of a file (by path relative to
   * `distDir`) when lstat says `stat` of it and that is what was recorded, else undefined.
   */
  recorded(distDir: string, group: string): (file: string, stat: FileStat) => string | undefined {
    const dist = realDist(distDir);
    const files = this.recordsOf(dist === undefined ? undefined : seenKey(dist, group));
    return (file, stat) => {
      const seen = files.get(file);
      return seen !== undefined && sameFile(seen, stat) ? seen[4] : undefined;
    };
  }

  /**
   * Records files just written, with the digest of what was written and what lstat said right
   * after, and files read and compared (`readAfter`); `removed` files are forgotten. The files of
   * each group not named stay recorded as they were: a write that links a file it keeps leaves it
   * the same file. Files written within the current tick of the file system's clock, or changed in
   * the tick of `readAfter`, are not recorded (racily clean, see the class).
   */
  recordWritten(distDir: string, written: readonly WrittenFile[], removed: readonly string[], groupOf: (file: string) => string): void {
    const dist = realDist(distDir);
    if (dist === undefined || written.length + removed.length === 0) {
      return;
    }
    const clock = this.clock(path.dirname(dist));
    const groups = new Map<string, { written: WrittenFile[]; removed: string[] }>();
    const groupFor = (file: string) => {
      const name = groupOf(file);
      let group = groups.get(name);
      if (group === undefined) {
        group = { written: [], removed: [] };
        groups.set(name, group);
      }
      return group;
    };
    written.forEach((w) => groupFor(w.path).written.push(w));
    removed.forEach((file) => groupFor(file).removed.push(file));
    for (const [group, changes] of groups) {
      const key = seenKey(dist, group);
      const files = this.recordsOf(key);
      for (const file of [...changes.removed, ...changes.written.map((w) => w.path)]) {
        files.delete(file);
      }
      for (const w of changes.written) {
        const before = w.readAfter ?? clock;
        if (before !== undefined && settled(w.stat, before)) {
          files.set(w.path, [w.stat.dev, w.stat.ino, w.stat.size, w.stat.mtimeMs, w.digest]);
        }
      }
      this.keep(key, files);
    }
  }

  /** The files an entry records, by path (none without an entry). */
  private recordsOf(key: string | undefined): Map<string, Seen> {
    return new Map((key === undefined ? undefined : this.entries.get(key))?.files.map(([file, ...seen]) => [file, seen]));
  }

  /** Keeps the files recorded under `key`, in path order. */
  private keep(key: string, files: ReadonlyMap<string, Seen>): void {
    this.entries.set(key, { files: [...files].map(([file, seen]) => [file, ...seen] as const).sort(([a], [b]) => compareStrings(a, b)) });
  }
}

/**
 * The SHA-256 (hex) of each of `files` of one group of dist/, by path: from what `seen` records of
 * them (`SeenFiles.digests`), or, without it, each file read and digested. `read` gets the bytes of
 * each file read.
 */
export function digestFiles(
  seen: SeenFiles | undefined,
  distDir: string,
  group: string,
  files: readonly string[],
  read?: (file: string, bytes: Buffer) => void,
): Map<string, string> {
  return seen?.digests(distDir, group, files, read) ?? new Map(files.map((file) => [file, readAndDigest(distDir, file, read)]));
}

/** Reads a file of dist/, hands its bytes to `read`, and gives their SHA-256 (hex). */
function readAndDigest(distDir: string, file: string, read: ((file: string, bytes: Buffer) => void) | undefined): string {
  const bytes = fs.readFileSync(path.join(distDir, file));
  read?.(file, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

function seenKey(realDistDir: string, group: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: SEEN_FORMAT, dist: realDistDir, group }))
    .digest('hex');
}

/** The real path of dist/, which names its entries; undefined when it does not exist. */
function realDist(distDir: string): string | undefined {
  try {
    return fs.realpathSync.native(distDir);
  } catch {
    return undefined;
  }
}

function sameFile(seen: Seen, stat: FileStat): boolean {
  return seen[0] === stat.dev && seen[1] === stat.ino && seen[2] === stat.size && seen[3] === stat.mtimeMs;
}

/** Whether a file last changed before the clock read (on its device): a later change gives it another modification time. */
function settled(stat: FileStat, clock: FileStat): boolean {
  return stat.dev === clock.dev && stat.mtimeMs < clock.mtimeMs;
}

/**
 * The file system's clock now, as the modification time of a file created in `dir` (and removed
 * at once), with that file's device; undefined where nothing can be written there. A file named as
 * the temporary files meshflip writes beside dist/, which a later run removes if this one cannot.
 */
export function fileSystemClock(dir: string): FileStat | undefined {
  const probe = path.join(dir, `${WORK_FOLDER_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}-clock.tmp`);
  try {
    // A new file, never one opened through whatever stands under that name.
    const fd = fs.openSync(probe, 'wx');
    try {
      fs.writeSync(fd, 'clock');
      return fs.fstatSync(fd);
    } finally {
      fs.closeSync(fd);
      fs.rmSync(probe, { force: true });
    }
  } catch {
    return undefined;
  }
}
