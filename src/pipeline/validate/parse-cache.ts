import { createHash } from 'crypto';
import * as path from 'path';
import { KeptParses, LoadOptions } from '../../model/load';
import { InputText, KeptParse, SourceFile } from '../../model/source-file';
import { checkerDigest } from './checker-digest';
import { cacheRoot, KeptEntries, versionedEntry } from './kept-entries';

/**
 * Where parses are kept, and the identity of the code that parsed them (the build and every locked
 * dependency, `yaml` among them): an entry made by other code is never found. Plain data, so that
 * it crosses into worker threads.
 */
export interface ParseCacheOptions {
  readonly dir: string;
  readonly code: string;
}

/**
 * The parse cache the command line uses: `parses` in the cache folder (`cacheRoot`), with the
 * identity of the running code. Undefined when there is no cache folder.
 */
export function defaultParseCache(env: NodeJS.ProcessEnv = process.env): ParseCacheOptions | undefined {
  const root = cacheRoot(env);
  return root === undefined ? undefined : { dir: path.join(root, 'parses'), code: checkerDigest() };
}

/** The loader's option for a parse cache (`LoadOptions.parseCache`): none without one. */
export function parseCacheOption(options: ParseCacheOptions | undefined): Pick<LoadOptions, 'parseCache'> {
  return options === undefined ? {} : { parseCache: new ParseCache(options) };
}

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 3;

/** Entries kept: a parse per version of each input file, so a few hundred cover many projects and edits. */
const MAX_ENTRIES = 400;

/** An entry as written: V8's serialization (what worker threads use), which keeps every value `yaml` gives (`.inf`, `-0`...) as it is. */
const PARSE_ENTRY = versionedEntry<KeptParse>(
  'v8',
  FORMAT,
  (kept) =>
    Array.isArray(kept.problems) &&
    (kept.tree === undefined || kept.tree instanceof Uint8Array) &&
    (kept.schemaValues === undefined || (Array.isArray(kept.schemaValues) && kept.schemaValues.every(isSchemaValue))),
);

function isSchemaValue(entry: unknown): boolean {
  return Array.isArray(entry) && entry.length === 2 && typeof entry[0] === 'string' && entry[1] instanceof Uint8Array;
}

/**
 * The cache (folder and code) each file of this process is known to be in: restored from it, or
 * kept in it. Every command makes caches of its own, so they are told apart by what they name.
 */
const held = new WeakMap<SourceFile, string>();

/**
 * Input files as an earlier run parsed them (`SourceFile.kept()`), keyed by their path, their bytes
 * and the code: parsing the YAML of a large project with positions is most of loading it, and most
 * files are what the last command read.
 *
 * Only files that parsed without a problem and in which the credential scan found nothing are kept
 * (`keep`): an entry holds the file's values, and a cache folder must not become a copy of a
 * credential the user removes from the repository.
 */
export class ParseCache implements KeptParses {
  private readonly entries: KeptEntries<KeptParse>;
  /** The folder and code, as `held` names this cache. */
  private readonly id: string;

  constructor(private readonly options: ParseCacheOptions) {
    this.entries = new KeptEntries(options.dir, PARSE_ENTRY, MAX_ENTRIES);
    this.id = JSON.stringify([options.dir, options.code]);
  }

  /** The key of a file's parse, with the default limits (the loader's): its path (problems name it), whether it was read as bytes or given as text, the bytes, and the code. */
  key(repoPath: string, input: InputText): string {
    return createHash('sha256')
      .update(JSON.stringify({ format: FORMAT, code: this.options.code, path: repoPath, input: typeof input === 'string' ? 'text' : 'bytes' }))
      .update('\n')
      .update(input)
      .digest('hex');
  }

  restore(repoPath: string, input: InputText): SourceFile | undefined {
    const kept = this.entries.get(this.key(repoPath, input));
    const file = kept === undefined ? undefined : SourceFile.restore(repoPath, input, kept);
    if (file !== undefined) {
      held.set(file, this.id);
    }
    return file;
  }

  /** Keeps the file, when it parsed without a problem (see the class). */
  keep(repoPath: string, input: InputText, file: SourceFile): void {
    if (file.problems.length === 0) {
      this.entries.set(this.key(repoPath, input), file.kept());
      held.set(file, this.id);
    }
  }

  holds(file: SourceFile): boolean {
    return held.get(file) === this.id;
  }
}
