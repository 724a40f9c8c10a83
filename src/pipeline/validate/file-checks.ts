import * as path from 'path';
import { RenderedObject } from '../../meshes/effective-routing';
import { Finding } from '../../meshes/findings';
import { compareStrings } from '../../model/spec-error';
import { entryKey } from './checker-digest';
import { contentDigest } from '../dist/outputs-digest';
import { KeptEntries, versionedEntry } from './kept-entries';

/**
 * A check that looks at one object at a time: what it finds in a list of objects is what it finds
 * in each, in the order of the list, each finding about the object it was found in (`at`). The
 * Kubernetes limits, the credential scan of rendered objects and the schema check are such checks.
 * `environment` is every object of the environment the objects are of, for what a check reads of
 * it as a whole (the schema check, the platform whose schemas apply); the key says what that is.
 */
export type ObjectCheck = (objects: readonly RenderedObject[], environment: readonly RenderedObject[]) => Finding[] | Promise<Finding[]>;

/** A file of dist/ with the objects it holds, in order. */
export interface CheckedFile {
  readonly path: string;
  readonly content: string;
  readonly objects: readonly RenderedObject[];
  /** The SHA-256 of `content`, when the caller has it. @default - computed */
  readonly digest?: string;
}

/** Everything the findings of one check in a file depend on, but the file itself. */
export interface FileChecksKeyParts {
  /** The environment (none for the files of no environment). */
  readonly env?: string;
  /** The fingerprints of the credentials allowedSecrets lets through. */
  readonly allowedFingerprints: readonly string[];
  /** The identity of the schema checks (`checksIdentity`). */
  readonly checks: string;
  /** What else the checks read of the environment as a whole (the schema set its platform selects). */
  readonly context: string;
}

/** What each check found in one file: per check, `[object index, severity, message]`. */
type FileFindings = readonly (readonly (readonly [number, Finding['severity'], string])[])[];

/** The findings of one environment's files, by path, each with the digest of the content they were found in. */
interface FileChecksEntry {
  readonly files: Readonly<Record<string, readonly [string, FileFindings?]>>;
}

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 1;

/** How many environments' entries are kept; the least recently used beyond that are removed. */
const MAX_ENTRIES = 200;

const FILE_CHECKS_ENTRY = versionedEntry<FileChecksEntry>('json', FORMAT, (entry) => typeof entry.files === 'object');

/**
 * What the object checks found in each file of an environment the last time it was rendered, kept
 * between runs: a file whose path and content are those it was found in gets the same findings
 * without being checked again. A flip changes a few files of an environment of thousands, so
 * checking the others again (the credential scan of every string above all, and the schemas) is
 * what this saves. The key covers everything else the findings depend on (the code, the
 * credential exceptions, the schemas, the environment's schema set); the content, in the entry,
 * is compared file by file.
 */
export class FileChecks {
  private readonly store: KeptEntries<FileChecksEntry>;

  /** @param dir the check results' folder (`defaultCacheDir`); file findings are kept in `files` below it */
  constructor(dir: string) {
    this.store = new KeptEntries(path.join(dir, 'files'), FILE_CHECKS_ENTRY, MAX_ENTRIES);
  }

  /**
   * The findings of each check over the objects of `files` (in the order of the files), as one
   * call of each check over all their objects finds them. Only the files that are not as they were
   * when the entry for `key` was kept are checked; the entry is then replaced by one for `files`.
   */
  async run(key: FileChecksKeyParts, files: readonly CheckedFile[], checks: readonly ObjectCheck[]): Promise<Finding[][]> {
    const entryKey = fileChecksKey(key);
    const kept = this.store.get(entryKey)?.files ?? {};
    const digests = files.map((f) => contentDigest(f));
    const reused = files.map((f, i) => {
      const entry = Object.prototype.hasOwnProperty.call(kept, f.path) ? kept[f.path] : undefined;
      return entry !== undefined && entry[0] === digests[i] && fitsFile(entry[1], checks.length, f.objects.length) ? (entry[1] ?? []) : undefined;
    });
    const found = await checkFiles(
      files.filter((_, i) => reused[i] === undefined),
      files.flatMap((f) => f.objects),
      checks,
    );
    const out: Finding[][] = checks.map(() => []);
    const entry: Record<string, readonly [string, FileFindings?]> = {};
    files.forEach((file, i) => {
      const findings: FileFindings = reused[i] ?? found.get(file.path)!;
      findings.forEach((list, c) => out[c].push(...list.map(([at, severity, message]) => ({ at: file.objects[at], severity, message }))));
      entry[file.path] = findings.some((list) => list.length > 0) ? [digests[i], findings] : [digests[i]];
    });
    // An entry that says exactly this already stays as it is (reading it marked it as used).
    if (reused.some((r) => r === undefined) || files.length !== Object.keys(kept).length) {
      this.store.set(entryKey, { files: entry });
    }
    return out;
  }
}

/** What each check finds in `objects`, all of one environment. */
export async function runObjectChecks(objects: readonly RenderedObject[], checks: readonly ObjectCheck[]): Promise<Finding[][]> {
  const out: Finding[][] = [];
  for (const check of checks) {
    out.push(await check(objects, objects));
  }
  return out;
}

/**
 * Runs each check once over the objects of all `files`, and splits what it found by file:
 * per file, per check, the index of the object each finding is about.
 */
async function checkFiles(
  files: readonly CheckedFile[],
  environment: readonly RenderedObject[],
  checks: readonly ObjectCheck[],
): Promise<Map<string, FileFindings>> {
  const where = new Map<RenderedObject, readonly [string, number]>();
  const out = new Map<string, (readonly [number, Finding['severity'], string])[][]>();
  for (const file of files) {
    file.objects.forEach((o, i) => where.set(o, [file.path, i]));
    out.set(
      file.path,
      checks.map(() => []),
    );
  }
  const objects = files.flatMap((f) => f.objects);
  if (objects.length === 0) {
    return out;
  }
  for (const [c, check] of checks.entries()) {
    for (const finding of await check(objects, environment)) {
      const at = where.get(finding.at);
      if (at === undefined) {
        throw new Error(`a check found "${finding.message}" about an object it was not given`);
      }
      out.get(at[0])![c].push([at[1], finding.severity, finding.message]);
    }
  }
  return out;
}

/** Whether kept findings can be those of a file with this many objects, for this many checks. */
function fitsFile(findings: FileFindings | undefined, checks: number, objects: number): boolean {
  return (
    findings === undefined ||
    (Array.isArray(findings) &&
      findings.length === checks &&
      findings.every((list) => Array.isArray(list) && list.every(([at]) => Number.isInteger(at) && at >= 0 && at < objects)))
  );
}

/** The key of an environment's file findings: a digest of everything they depend on but the files. */
function fileChecksKey(parts: FileChecksKeyParts): string {
  return entryKey({
    format: FORMAT,
    env: parts.env,
    allowed: [...parts.allowedFingerprints].sort(compareStrings),
    checks: parts.checks,
    context: parts.context,
  });
}
