import { parentPort, workerData } from 'worker_threads';
import { environmentReach } from '../../model/reach';
import { loadAndRender, WorkerResult, WorkerTask } from './parallel-synth';

/**
 * A synthesis worker: loads the project (every file is checked and scanned for credentials, only
 * its share of the environments is resolved), renders its environments one at a time and sends
 * back the files, the problems, where its environments reach (namespaces, mesh services) and the exceptions to the
 * credential checks it used.
 */
async function run(task: WorkerTask): Promise<WorkerResult> {
  const { project, ...result } = await loadAndRender(task);
  return { ...result, reach: project?.environments.map(environmentReach) ?? [] };
}

void run(workerData as WorkerTask).then((result) => parentPort!.postMessage(result));
