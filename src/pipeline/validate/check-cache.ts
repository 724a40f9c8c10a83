import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { EnvironmentRouting, RenderedObject } from '../../meshes/effective-routing';
import { Finding } from '../../meshes/findings';
import { cacheRoot, KeptEntries, versionedEntry } from './kept-entries';
import { compareStrings, Problem } from '../../model/spec-error';
import { readSchemaClusters } from './schema-check';
import { entryKey } from './checker-digest';

/**
 * What validate's checks over one environment's files of dist/ found, as `validateRepository`
 * uses it: the problems, how many objects were checked, what the checks across environments read
 * of each object (`argoCdView`), and the routing read back from the objects (none for the files of
 * no environment).
 */
export interface EnvironmentCheck {
  readonly problems: readonly Problem[];
  readonly objects: number;
  readonly views: readonly RenderedObject[];
  /** The digest of `views` (`viewsDigest`): the checks across environments are kept by it (`AcrossChecks`). */
  readonly viewsDigest: string;
  readonly routing?: EnvironmentRouting;
}

/** Everything the checks of one environment's files read, but the files themselves. */
export interface CheckKeyParts {
  /** The environment; none for the files of no environment (the root Application, the bootstrap files). */
  readonly env?: string;
  /** dist/ as the repository names it (the problems name files under it). */
  readonly distRel: string;
  /**
   * The digest of the environment's inputs (the problems' hints name lines of its input files);
   * none for the files of no environment, rendered from the settings their own digest covers.
   */
  readonly inputs?: string;
  /** The digest of the environment's files (`outputsDigest`). */
  readonly outputs: string;
  /** The fingerprints of the credentials allowedSecrets lets through. */
  readonly allowedFingerprints: readonly string[];
  /** The identity of the schema checks (`checksIdentity`). */
  readonly checks: string;
}

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 2;

/** How many entries a cache keeps; the least recently used beyond that are removed. */
const MAX_ENTRIES = 200;

/**
 * The folder the command line keeps check results in: `checks` in the cache folder (`cacheRoot`:
 * `$MESHFLIP_CACHE_DIR`, set but empty for none, else `meshflip` in the user's cache folder).
 * Undefined when there is none.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const root = cacheRoot(env);
  return root === undefined ? undefined : path.join(root, 'checks');
}

/**
 * The identity of the schema checks of a run: none, or the content of every file of the schema
 * folder, strictness and the clusters the environments map to schema folders. Equal identities
 * check every object the same way.
 */
export function checksIdentity(crdsRoot: string | undefined, strict: boolean, root: string): string {
  if (crdsRoot === undefined) {
    return 'none';
  }
  const hash = createHash('sha256');
  hash.update(`strict ${strict}\nclusters ${JSON.stringify(readSchemaClusters(root) ?? null)}\n`);
  const walk = (dir: string, prefix: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareStrings(a.name, b.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const rel = `${prefix}${entry.name}`;
      // As the schema loader reads them: through links.
      const stat = fs.statSync(full);
      if (stat.isDirectory()) {
        walk(full, `${rel}/`);
      } else if (stat.isFile()) {
        hash.update(`${createHash('sha256').update(fs.readFileSync(full)).digest('hex')}  ${rel}\n`);
      }
    }
  };
  walk(crdsRoot, '');
  return hash.digest('hex');
}

/** The key of an environment's check results: a digest of everything the checks read. */
export function checkKey(parts: CheckKeyParts): string {
  return entryKey({
    format: FORMAT,
    env: parts.env,
    distRel: parts.distRel,
    inputs: parts.inputs,
    outputs: parts.outputs,
    allowed: [...parts.allowedFingerprints].sort(compareStrings),
    checks: parts.checks,
  });
}

/** An entry as written: JSON, with the key it was written for. */
const CHECK_ENTRY = versionedEntry<EnvironmentCheck>('json', FORMAT, (check) => typeof check.viewsDigest === 'string');

/**
 * Check results kept between runs (`KeptEntries`): a key is a digest of everything the checks read
 * (the environment's files byte for byte, its inputs, the credential exceptions, the schemas, the
 * code), so an entry is only ever found for exactly the checks that made it. Nothing secret is kept:
 * problems name files and lines, and a credential problem never holds the value.
 */
export class CheckCache extends KeptEntries<EnvironmentCheck> {
  constructor(dir: string) {
    super(dir, CHECK_ENTRY, MAX_ENTRIES);
  }
}

/** The digest of what the checks across environments read of a group's objects (`argoCdView`s), as kept with its check results. */
export function viewsDigest(views: readonly RenderedObject[]): string {
  return createHash('sha256').update(JSON.stringify(views)).digest('hex');
}

/** What the checks across environments found, kept (`AcrossChecks`). */
const ACROSS_ENTRY = versionedEntry<Finding[]>('json', FORMAT, (findings) => Array.isArray(findings));

/**
 * What the checks across environments (Argo CD's: `checkArgoCdSetup`) found, kept between runs by
 * what they read: the digest of the views of each group of dist/ (as its check results keep it), in
 * order, and every path of dist/. A validation whose groups all have the views of an earlier one,
 * under the same paths, finds what that one found without checking again: on a large repository,
 * the views are a hundred thousand objects.
 */
export class AcrossChecks {
  private readonly entries: KeptEntries<Finding[]>;

  /** @param dir the check results' folder; these are kept in `across` below it */
  constructor(dir: string) {
    this.entries = new KeptEntries(path.join(dir, 'across'), ACROSS_ENTRY, MAX_ENTRIES);
  }

  /** What `check` finds, or found for the same views and paths. */
  run(digests: readonly string[], files: readonly string[], check: () => Finding[]): Finding[] {
    const key = entryKey({ format: FORMAT, views: digests, files });
    const kept = this.entries.get(key);
    if (kept !== undefined) {
      return kept;
    }
    const found = check();
    this.entries.set(key, found);
    return found;
  }
}
