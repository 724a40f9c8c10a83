import { parentPort, workerData } from 'worker_threads';
import { namespaceClaims } from '../model/load';
import { loadAndRender, WorkerResult, WorkerTask } from './parallel-synth';

/**
 * A synthesis worker: loads the project (every file is checked and scanned for credentials, only
 * its share of the environments is resolved), renders its environments one at a time and sends
 * back the files, the problems, the namespaces its environments claim and the exceptions to the
 * credential checks it used.
 */
async function run(task: WorkerTask): Promise<WorkerResult> {
  const { project, ...result } = await loadAndRender(task);
  return { ...result, claims: project?.environments.flatMap(namespaceClaims) ?? [] };
}

void run(workerData as WorkerTask).then((result) => parentPort!.postMessage(result));
