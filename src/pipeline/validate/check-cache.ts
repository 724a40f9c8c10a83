import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EnvironmentRouting, RenderedObject } from '../../meshes/effective-routing';
import { compareStrings, Problem } from '../../model/spec-error';
import { readSchemaClusters } from './schema-check';
import { meshflipRoot, rendererDigest } from '../synth/inputs-digest';

/**
 * What validate's checks over one environment's files of dist/ found, as `validateRepository`
 * uses it: the problems, how many objects were checked, what the checks across environments read
 * of each object (`argoCdView`), and the routing read back from the objects.
 */
export interface EnvironmentCheck {
  readonly problems: readonly Problem[];
  readonly objects: number;
  readonly views: readonly RenderedObject[];
  readonly routing: EnvironmentRouting;
}

/** Everything the checks of one environment's files read, but the files themselves. */
export interface CheckKeyParts {
  /** The environment. */
  readonly env: string;
  /** dist/ as the repository names it (the problems name files under it). */
  readonly distRel: string;
  /** The digest of the environment's inputs (the problems' hints name lines of its input files). */
  readonly inputs: string;
  /** The digest of the environment's files (`outputsDigest`). */
  readonly outputs: string;
  /** The fingerprints of the credentials allowedSecrets lets through. */
  readonly allowedFingerprints: readonly string[];
  /** The identity of the schema checks (`checksIdentity`). */
  readonly checks: string;
}

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 1;

/** How many entries a cache keeps; the least recently used beyond that are removed. */
const MAX_ENTRIES = 200;

/**
 * The folder the command line keeps check results in: `$MESHFLIP_CACHE_DIR` (set but empty: no
 * cache), else `meshflip/checks` in the user's cache folder (`$XDG_CACHE_HOME`, else `~/.cache`).
 * Undefined when there is none.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const configured = env.MESHFLIP_CACHE_DIR;
  if (configured !== undefined) {
    return configured === '' ? undefined : path.resolve(configured, 'checks');
  }
  const base = env.XDG_CACHE_HOME !== undefined && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.isAbsolute(base) ? path.join(base, 'meshflip', 'checks') : undefined;
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

let dependencies: string | undefined;

/** The identity of the code that checks: the renderer build, and every dependency the lockfile pins (the credential rules, the CEL evaluator...). */
function checkerDigest(): string {
  if (dependencies === undefined) {
    const lock = path.join(meshflipRoot(), 'package-lock.json');
    dependencies = createHash('sha256')
      .update(rendererDigest())
      .update(fs.existsSync(lock) ? fs.readFileSync(lock) : '')
      .digest('hex');
  }
  return dependencies;
}

/** The key of an environment's check results: a digest of everything the checks read. */
export function checkKey(parts: CheckKeyParts): string {
  return createHash('sha256')
    .update(
      JSON.stringify({
        format: FORMAT,
        checker: checkerDigest(),
        env: parts.env,
        distRel: parts.distRel,
        inputs: parts.inputs,
        outputs: parts.outputs,
        allowed: [...parts.allowedFingerprints].sort(compareStrings),
        checks: parts.checks,
      }),
    )
    .digest('hex');
}

/**
 * Check results kept between runs, one file per key, as a build cache keeps outputs: a key is a
 * digest of everything the checks read (the environment's files byte for byte, its inputs, the
 * credential exceptions, the schemas, the code), so an entry is only ever found for exactly the
 * checks that made it. Entries that cannot be read are misses; failures to write are ignored (a
 * cache never fails a run). Nothing secret is kept: problems name files and lines, and a credential
 * problem never holds the value.
 */
export class CheckCache {
  private pruned = false;

  constructor(private readonly dir: string) {}

  get(key: string): EnvironmentCheck | undefined {
    const file = this.fileOf(key);
    let entry: { format?: unknown; key?: unknown; check?: EnvironmentCheck };
    try {
      entry = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof entry;
    } catch {
      return undefined;
    }
    if (entry.format !== FORMAT || entry.key !== key || entry.check === undefined) {
      return undefined;
    }
    try {
      // Most recently used: pruning keeps it.
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      // read-only cache: still a hit
    }
    return entry.check;
  }

  set(key: string, check: EnvironmentCheck): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true });
      const temporary = path.join(this.dir, `.${key}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
      fs.writeFileSync(temporary, JSON.stringify({ format: FORMAT, key, check }));
      fs.renameSync(temporary, this.fileOf(key));
      this.prune();
    } catch {
      // A cache that cannot be written is no cache.
    }
  }

  private fileOf(key: string): string {
    return path.join(this.dir, `${key}.json`);
  }

  /** Removes the least recently used entries beyond MAX_ENTRIES (once per process), and temporary files more than a day old. */
  private prune(): void {
    if (this.pruned) {
      return;
    }
    this.pruned = true;
    const entries: { file: string; mtime: number }[] = [];
    const dayAgo = Date.now() - 24 * 3600 * 1000;
    for (const name of fs.readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      const stat = fs.lstatSync(file, { throwIfNoEntry: false });
      if (stat === undefined || !stat.isFile()) {
        continue;
      }
      if (/^[0-9a-f]{64}\.json$/.test(name)) {
        entries.push({ file, mtime: stat.mtimeMs });
      } else if (name.endsWith('.tmp') && stat.mtimeMs < dayAgo) {
        fs.rmSync(file, { force: true });
      }
    }
    entries.sort((a, b) => b.mtime - a.mtime || compareStrings(a.file, b.file));
    for (const { file } of entries.slice(MAX_ENTRIES)) {
      fs.rmSync(file, { force: true });
    }
  }
}
