import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { compareStrings } from '../../model/spec-error';

/**
 * The folder meshflip keeps what it may reuse between runs in: `$MESHFLIP_CACHE_DIR` (set but
 * empty: nothing is kept), else `meshflip` in the user's cache folder (`$XDG_CACHE_HOME`, else
 * `~/.cache`). Undefined when there is none. Each kind of entry has a folder of its own below it.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.MESHFLIP_CACHE_DIR;
  if (configured !== undefined) {
    return configured === '' ? undefined : path.resolve(configured);
  }
  const base = env.XDG_CACHE_HOME !== undefined && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.isAbsolute(base) ? path.join(base, 'meshflip') : undefined;
}

/** How entries of one kind are written and read back. */
export interface EntryFormat<T> {
  /** The file name extension of an entry, without the dot. */
  readonly extension: string;
  readonly encode: (key: string, value: T) => string | Uint8Array;
  /** The value of an entry written for `key`, or undefined when it is not one (any other key, shape or version). */
  readonly decode: (key: string, bytes: Buffer) => T | undefined;
}

/**
 * The usual way of writing entries: `{format, key, value}` as JSON or V8-serialized (for values
 * JSON cannot hold, or large ones), read back only for the same format and key, and when `accepts`
 * takes the value as one of its shape (an entry written by other code, or damaged, is not).
 */
export function versionedEntry<T>(encoding: 'json' | 'v8', format: number, accepts: (value: T) => boolean): EntryFormat<T> {
  return {
    extension: encoding === 'json' ? 'json' : 'bin',
    encode: (key, value) => (encoding === 'json' ? JSON.stringify({ format, key, value }) : v8.serialize({ format, key, value })),
    decode: (key, bytes) => {
      const entry = (encoding === 'json' ? JSON.parse(bytes.toString('utf8')) : v8.deserialize(bytes)) as {
        format?: unknown;
        key?: unknown;
        value?: T;
      };
      return entry.format === format && entry.key === key && entry.value !== undefined && entry.value !== null && accepts(entry.value)
        ? entry.value
        : undefined;
    },
  };
}

/**
 * Entries kept between runs, one file per key in a folder, as a build cache keeps outputs: a key is
 * a digest of everything the value was computed from, so an entry is only ever found for exactly
 * that. An entry that cannot be read or decoded is a miss; a failure to write is ignored (a cache
 * never fails a run). Entries are written whole (a temporary file, then a rename), and at most
 * `maxEntries` are kept, the least recently used first out.
 */
export class KeptEntries<T> {
  private pruned = false;

  constructor(
    private readonly dir: string,
    private readonly format: EntryFormat<T>,
    private readonly maxEntries: number,
  ) {}

  get(key: string): T | undefined {
    const file = this.fileOf(key);
    let value: T | undefined;
    try {
      value = this.format.decode(key, fs.readFileSync(file));
    } catch {
      return undefined;
    }
    if (value === undefined) {
      return undefined;
    }
    try {
      // Most recently used: pruning keeps it.
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      // read-only cache: still a hit
    }
    return value;
  }

  /**
   * Whether an entry is kept for `key`, marked as used when it is: a key is a digest of everything
   * its value is computed from, so the caller need not compute the value to keep it again. An entry
   * that is there but cannot be read is a miss to `get`, as always.
   */
  has(key: string): boolean {
    try {
      const now = new Date();
      fs.utimesSync(this.fileOf(key), now, now);
      return true;
    } catch {
      return false;
    }
  }

  set(key: string, value: T): void {
    try {
      // Private to the user, as a cache of what their repositories hold should be.
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const temporary = path.join(this.dir, `.${key}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
      fs.writeFileSync(temporary, this.format.encode(key, value));
      fs.renameSync(temporary, this.fileOf(key));
      this.prune();
    } catch {
      // A cache that cannot be written is no cache.
    }
  }

  private fileOf(key: string): string {
    return path.join(this.dir, `${key}.${this.format.extension}`);
  }

  /** Removes the least recently used entries beyond `maxEntries` (once per process), and temporary files more than a day old. */
  private prune(): void {
    if (this.pruned) {
      return;
    }
    this.pruned = true;
    const entries: { file: string; mtime: number }[] = [];
    const dayAgo = Date.now() - 24 * 3600 * 1000;
    const entryName = new RegExp(`^[0-9a-f]{64}\\.${this.format.extension}$`);
    for (const name of fs.readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      const stat = fs.lstatSync(file, { throwIfNoEntry: false });
      if (stat === undefined || !stat.isFile()) {
        continue;
      }
      if (entryName.test(name)) {
        entries.push({ file, mtime: stat.mtimeMs });
      } else if (name.endsWith('.tmp') && stat.mtimeMs < dayAgo) {
        fs.rmSync(file, { force: true });
      }
    }
    entries.sort((a, b) => b.mtime - a.mtime || compareStrings(a.file, b.file));
    for (const { file } of entries.slice(this.maxEntries)) {
      fs.rmSync(file, { force: true });
    }
  }
}
