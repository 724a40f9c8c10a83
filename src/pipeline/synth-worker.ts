import { parentPort, workerData } from 'worker_threads';
import { loadProject, namespaceClaims } from '../model/load';
import { SpecError } from '../model/spec-error';
import { renderShare, WorkerResult, WorkerTask } from './parallel-synth';

/**
 * A synthesis worker: loads the project (every file is checked, only its share of the
 * environments is resolved), renders its environments one at a time and sends back the files,
 * the problems and the namespaces its environments claim.
 */
function run(task: WorkerTask): WorkerResult {
  try {
    const project = loadProject(task.root, { only: task.environments, checkOverlaps: false });
    const claims = project.environments.flatMap(namespaceClaims);
    return { ...renderShare(project, task), claims };
  } catch (e) {
    if (SpecError.is(e)) {
      return { files: [], routing: [], problems: [...e.problems], claims: [] };
    }
    throw e;
  }
}

parentPort!.postMessage(run(workerData as WorkerTask));
