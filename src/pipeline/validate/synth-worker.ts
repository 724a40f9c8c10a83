import { parentPort, workerData } from 'worker_threads';
import { environmentReach } from '../../model/reach';
import { loadAndRender, WorkerMessage, WorkerResult, WorkerTask } from './parallel-synth';

/**
 * A synthesis worker: loads the project (every file is checked and scanned for credentials, only
 * its share of the environments is resolved) and renders its environments one at a time, sending
 * each environment's files as soon as they are checked; then sends back the problems, where its
 * environments reach (namespaces, mesh services) and the exceptions to the credential checks it used.
 */
async function run(task: WorkerTask): Promise<WorkerResult> {
  const { project, ...result } = await loadAndRender(task, (files) => post({ files }));
  return { ...result, reach: project?.environments.map(environmentReach) ?? [] };
}

function post(message: WorkerMessage): void {
  parentPort!.postMessage(message);
}

void run(workerData as WorkerTask).then((result) => post({ result }));
