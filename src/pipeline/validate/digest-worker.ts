import { parentPort, workerData } from 'worker_threads';
import { digestDist } from './dist-digests';

/** A digest worker: reads dist/ and digests each environment's files (see `digestDistInBackground`), as plain data. */
const { files, groups } = digestDist((workerData as { distDir: string }).distDir);
parentPort!.postMessage({ files, groups: [...groups] });
