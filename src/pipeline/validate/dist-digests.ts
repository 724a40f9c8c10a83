import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { groupFilesByEnvironment, listFiles } from '../dist/read-dist';
import { INPUTS_FILE, outputsDigestOf } from '../dist/outputs-digest';
import { digestFiles } from '../dist/seen-files';
import { seenFilesIn } from './seen-files-cache';
import { compareStrings } from '../../model/spec-error';

/** One group of files of dist/ (an environment's, or those of none), as it is on disk. */
export interface FolderDigest {
  /** Its files, relative to dist/, sorted. */
  readonly files: readonly string[];
  /** The text of its INPUTS.sha256, when it has one. */
  readonly inputsText?: string;
  /** The digest of its files as they were read (`outputsDigest`; INPUTS.sha256 is not part of it). */
  readonly outputs: string;
}

/** What `digestDist` found: every file of dist/, and its groups by environment ('' for the files of none). */
export interface DistDigests {
  readonly files: readonly string[];
  readonly groups: ReadonlyMap<string, FolderDigest>;
}

/** Below this many files, a worker thread costs more than it saves. */
const WORKER_THRESHOLD_FILES = 2000;

/** The most worker threads dist/ is digested in. */
const MAX_DIGEST_WORKERS = 2;

/**
 * Digests each environment's files of dist/: what validate compares with the digests each
 * INPUTS.sha256 records, to know which environments it need not render again. With `checksDir`
 * (`defaultCacheDir`), a file that lstat says has not changed since it was last read or written is
 * not read again (`SeenFiles`).
 */
export function digestDist(distDir: string, checksDir?: string): DistDigests {
  const files = listFiles(distDir);
  return { files, groups: digestGroups(distDir, [...groupFilesByEnvironment(files)], checksDir) };
}

/** The digest of each group of files of dist/, by environment ('' for the files of none). */
export function digestGroups(
  distDir: string,
  groups: readonly (readonly [string, readonly string[]])[],
  checksDir?: string,
): Map<string, FolderDigest> {
  const seen = seenFilesIn(checksDir);
  const out = new Map<string, FolderDigest>();
  for (const [env, group] of groups) {
    const inputsFile = env === '' ? undefined : `${env}/${INPUTS_FILE}`;
    let inputsText: string | undefined;
    // As bytes: digested as they are, without decoding them.
    const keepInputs = (file: string, bytes: Buffer) => {
      if (file === inputsFile) {
        inputsText = bytes.toString('utf8');
      }
    };
    const digests = digestFiles(seen, distDir, env, group, keepInputs);
    if (inputsFile !== undefined && inputsText === undefined && digests.has(inputsFile)) {
      inputsText = fs.readFileSync(path.join(distDir, inputsFile), 'utf8');
    }
    out.set(env, {
      files: group,
      ...(inputsText === undefined ? {} : { inputsText }),
      outputs: outputsDigestOf(digests),
    });
  }
  return out;
}

/**
 * `digestDist` in worker threads for a large dist/, so that it runs while this thread loads the
 * project; in this thread for a small one. dist/ is listed once, here, and its environments are
 * shared out between up to two workers by their number of files: reading and digesting the
 * 50,000 files of a large dist/ takes longer than loading the project, which then waits for it.
 *
 * @param inWorker force the choice (tests) @default - workers from WORKER_THRESHOLD_FILES files on
 */
export function digestDistInBackground(distDir: string, inWorker?: boolean, checksDir?: string): Promise<DistDigests> {
  if (!(inWorker ?? countFilesUpTo(distDir, WORKER_THRESHOLD_FILES) >= WORKER_THRESHOLD_FILES)) {
    return new Promise((resolve) => resolve(digestDist(distDir, checksDir)));
  }
  const files = listFiles(distDir);
  const groups = [...groupFilesByEnvironment(files)];
  const shares = shareOut(groups, Math.min(MAX_DIGEST_WORKERS, os.availableParallelism()));
  return Promise.all(shares.map((share) => digestInWorker(distDir, share, checksDir))).then((digested) => {
    const byEnv = new Map(digested.flatMap((d) => [...d]));
    // In the order of the groups, whichever worker digested each.
    return { files, groups: new Map(groups.map(([env]) => [env, byEnv.get(env)!])) };
  });
}

/** Groups shared out into at most `count` shares of about as many files each (the largest first, each to the smallest share). */
export function shareOut<T extends readonly [string, readonly string[]]>(groups: readonly T[], count: number): T[][] {
  const shares = Array.from({ length: Math.max(1, count) }, () => ({ groups: [] as T[], files: 0 }));
  for (const group of [...groups].sort((a, b) => b[1].length - a[1].length || compareStrings(a[0], b[0]))) {
    const smallest = shares.reduce((a, b) => (b.files < a.files ? b : a));
    smallest.groups.push(group);
    smallest.files += group[1].length;
  }
  return shares.map((s) => s.groups).filter((g) => g.length > 0);
}

function digestInWorker(
  distDir: string,
  groups: readonly (readonly [string, readonly string[]])[],
  checksDir: string | undefined,
): Promise<Map<string, FolderDigest>> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'digest-worker.cjs'), { workerData: { distDir, groups, checksDir } });
    let result: [string, FolderDigest][] | undefined;
    worker.once('message', (message: typeof result) => {
      result = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) {
        resolve(new Map(result));
      } else {
        reject(new Error(`digest worker exited with code ${code} before reporting`));
      }
    });
  });
}

/** How many files dist/ holds, counting no further than `limit`. */
function countFilesUpTo(dir: string, limit: number): number {
  let count = 0;
  const walk = (current: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (count >= limit) {
        return;
      }
      if (entry.isDirectory()) {
        walk(path.join(current, entry.name));
      } else {
        count++;
      }
    }
  };
  walk(dir);
  return count;
}
