import { parentPort, workerData } from 'worker_threads';
import { loadProject } from '../model/load';
import { environmentReach } from '../model/reach';
import { SpecError } from '../model/spec-error';
import { renderShare, WorkerResult, WorkerTask } from './parallel-synth';

/**
 * A synthesis worker: loads the project (every file is checked, only its share of the
 * environments is resolved), renders its environments one at a time and sends back the files,
 * the problems and where its environments reach (namespaces, mesh services).
 */
function run(task: WorkerTask): WorkerResult {
  try {
    const project = loadProject(task.root, { only: task.environments, checkOverlaps: false });
    return { ...renderShare(project, task), reach: project.environments.map(environmentReach) };
  } catch (e) {
    if (SpecError.is(e)) {
      return { files: [], routing: [], problems: [...e.problems], reach: [] };
    }
    throw e;
  }
}

parentPort!.postMessage(run(workerData as WorkerTask));
