import * as path from 'path';
import { RenderedObject } from '../../meshes/effective-routing';
import { KeptFileObjects, KeptObjectsByFiles } from '../dist/read-dist';
import { KeptFrom } from '../synth/synth';
import { entryKey } from './checker-digest';
import { KeptEntries, versionedEntry } from './kept-entries';

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 1;

/**
 * How many entries are kept; the least recently used beyond that are removed. An entry of a whole
 * environment is about the size of its YAML in dist/ (12 MB for 1,000 services); an edit's entry
 * holds only the files it rendered.
 */
const MAX_ENTRIES = 40;

/**
 * An edit's entry adds to at most this many entries before it (`base`): past that, the whole
 * environment is kept again, so a lookup never reads a long chain.
 */
const MAX_CHAIN = 8;

/**
 * What an entry holds: the objects of an environment's YAML files, and the line each starts on;
 * with `base`, only the files an edit rendered, the others being those of the entry kept for the
 * files before the edit (their digest).
 */
interface ObjectsEntry {
  readonly env: string;
  readonly base?: string;
  /** How many entries this one adds to (0 for a whole environment's). */
  readonly depth: number;
  readonly files: readonly (readonly [path: string, objects: Record<string, unknown>[], lines: number[]])[];
}

const OBJECTS_ENTRY = versionedEntry<ObjectsEntry>(
  'json',
  FORMAT,
  (entry) => typeof entry.env === 'string' && Number.isInteger(entry.depth) && Array.isArray(entry.files),
);

/**
 * The objects of an environment's files of dist/ as read back, kept between runs by the digest of
 * those files (`outputsDigest`: every path and every byte) and meshflip's code (which reads them):
 * files with that digest hold those objects. Synthesis keeps every environment it renders; a flip
 * then reads the files it does not render again (a whole environment's but the edited services')
 * from here instead of parsing them, and keeps what it rendered on top of that.
 *
 * An entry is JSON, which `JSON.parse` reads several times faster than YAML is parsed. JSON holds
 * exactly strings, booleans, null, finite numbers but -0, lists and plain maps, and that is all a
 * file of dist/ holds in practice; an environment whose objects hold anything else (a `.nan`, a
 * `-0`, a `__proto__` key) is not kept, and its files are parsed.
 */
export class ObjectsCache implements KeptObjectsByFiles {
  private readonly entries: KeptEntries<ObjectsEntry>;

  /** @param dir the folder of the entries (`objectsCacheIn`) */
  constructor(dir: string) {
    this.entries = new KeptEntries(dir, OBJECTS_ENTRY, MAX_ENTRIES);
  }

  get(env: string, outputs: string): KeptFileObjects | undefined {
    const files = new Map<string, { objects: Record<string, unknown>[]; lines: number[] }>();
    let depth: number | undefined;
    for (let key: string | undefined = objectsKey(env, outputs), seen = 0; key !== undefined; seen++) {
      const entry: ObjectsEntry | undefined = seen > MAX_CHAIN ? undefined : this.entries.get(key);
      if (entry === undefined || entry.env !== env) {
        return undefined;
      }
      depth ??= entry.depth;
      // The newest entry first: what an edit rendered replaces what its base held.
      for (const [file, objects, lines] of entry.files) {
        if (!files.has(file)) {
          files.set(file, { objects, lines });
        }
      }
      key = entry.base === undefined ? undefined : objectsKey(env, entry.base);
    }
    return { files, depth: depth! };
  }

  /**
   * Keeps the objects of the YAML files of `env` whose files have the digest `outputs`, as read
   * back (each object with the line it starts on). With `from` (an edit: `KeptFrom`, and the files
   * it read from dist/ rather than rendered), only the files it rendered are written, over the
   * entry of the files before it, while that chain is shorter than `MAX_CHAIN`.
   */
  set(
    env: string,
    outputs: string,
    files: readonly { readonly path: string; readonly objects: readonly RenderedObject[]; readonly plainJson?: boolean }[],
    from?: KeptFrom & { readonly kept: ReadonlySet<string> },
  ): void {
    const key = objectsKey(env, outputs);
    // The same files kept before (a synthesis that changed nothing, or changed another
    // environment): their objects are those, and go unwritten.
    if (this.entries.has(key)) {
      return;
    }
    const base = from?.depth !== undefined && from.depth < MAX_CHAIN ? { base: from.outputs, depth: from.depth + 1 } : { depth: 0 };
    const added = base.depth === 0 ? files : files.filter((f) => !from!.kept.has(f.path));
    const entry: ObjectsEntry = {
      env,
      ...base,
      files: added.map((f) => [f.path, f.objects.map((o) => o.object), f.objects.map((o) => o.line!)] as const),
    };
    // A file the emitter wrote itself holds what JSON does (`RenderedFile.plainJson`): not walked again.
    const exact = (i: number) => added[i].plainJson === true || entry.files[i][1].every(heldExactlyByJson);
    if (entry.files.every(([, , lines], i) => exact(i) && lines.every(Number.isInteger))) {
      this.entries.set(key, entry);
    }
  }
}

/** The objects kept beside the check results of `checksDir` (`defaultCacheDir`), in `objects` below it; none without a folder. */
export function objectsCacheIn(checksDir: string | undefined): ObjectsCache | undefined {
  return checksDir === undefined ? undefined : new ObjectsCache(path.join(checksDir, 'objects'));
}

function objectsKey(env: string, outputs: string): string {
  return entryKey({ format: FORMAT, env, outputs });
}

/**
 * Whether `JSON.parse(JSON.stringify(value))` gives `value` back exactly: strings, booleans, null,
 * finite numbers but -0, lists of those, and maps made by a literal (no other prototype) with no
 * `__proto__` key (JSON.parse makes it an own property, as no reader of dist/ does) and no
 * undefined value (JSON leaves it out, or writes null in a list).
 */
export function heldExactlyByJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object':
      if (value === null) {
        return true;
      }
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !heldExactlyByJson(value[i])) {
            return false;
          }
        }
        return true;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) {
        return false;
      }
      for (const key in value) {
        if (key === '__proto__' || !heldExactlyByJson((value as Record<string, unknown>)[key])) {
          return false;
        }
      }
      return Object.getOwnPropertySymbols(value).length === 0;
    default:
      return false;
  }
}
