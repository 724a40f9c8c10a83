import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { groupFilesByEnvironment, listFiles } from '../dist/read-dist';
import { INPUTS_FILE, isInputsFile, outputsDigest } from '../dist/outputs-digest';

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

/**
 * Reads every file of dist/ once and digests each environment's files: what validate compares with
 * the digests each INPUTS.sha256 records, to know which environments it need not render again.
 */
export function digestDist(distDir: string): DistDigests {
  const files = listFiles(distDir);
  const groups = new Map<string, FolderDigest>();
  for (const [env, group] of groupFilesByEnvironment(files)) {
    // As bytes: digested as they are, without decoding them.
    const bytes = group.map((file) => ({ path: file, content: fs.readFileSync(path.join(distDir, file)) }));
    const inputs = env === '' ? undefined : bytes.find((f) => f.path === `${env}/${INPUTS_FILE}`);
    groups.set(env, {
      files: group,
      ...(inputs === undefined ? {} : { inputsText: inputs.content.toString('utf8') }),
      outputs: outputsDigest(bytes.filter((f) => !isInputsFile(f.path))),
    });
  }
  return { files, groups };
}

/**
 * `digestDist` in a worker thread for a large dist/, so that it runs while this thread loads the
 * project (the two take about as long on a large repository); in this thread for a small one.
 *
 * @param inWorker force the choice (tests) @default - a worker from WORKER_THRESHOLD_FILES files on
 */
export function digestDistInBackground(distDir: string, inWorker?: boolean): Promise<DistDigests> {
  if (!(inWorker ?? countFilesUpTo(distDir, WORKER_THRESHOLD_FILES) >= WORKER_THRESHOLD_FILES)) {
    return new Promise((resolve) => resolve(digestDist(distDir)));
  }
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'digest-worker.cjs'), { workerData: { distDir } });
    let result: { files: string[]; groups: [string, FolderDigest][] } | undefined;
    worker.once('message', (message: typeof result) => {
      result = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result !== undefined) {
        resolve({ files: result.files, groups: new Map(result.groups) });
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
