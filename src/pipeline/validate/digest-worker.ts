import { parentPort, workerData } from 'worker_threads';
import { digestGroups } from './dist-digests';

/** A digest worker: reads and digests its share of the groups of files of dist/ (see `digestDistInBackground`), as plain data. */
const { distDir, groups, checksDir } = workerData as { distDir: string; groups: [string, string[]][]; checksDir?: string };
parentPort!.postMessage([...digestGroups(distDir, groups, checksDir)]);
