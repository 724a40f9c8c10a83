import { EnvironmentRouting } from '../meshes/effective-routing';
import { loadProject, LoadOptions } from '../model/load';
import { checkoutFolder } from './git';
import { diffRouting, EnvironmentChange } from './routing-diff';
import { readDistRouting } from './routing-reader';
import { synthesizeWithRouting } from './synth';

/**
 * How the routing changes between a base revision and the working tree: the base is read from
 * dist/ as committed at `baseRef` (it passed CI), the head is synthesized fresh from
 * environments/, so a stale dist/ in the change cannot hide anything.
 */
export function changeSinceBase(root: string, baseRef: string, options: LoadOptions = {}): { changes: EnvironmentChange[]; head: EnvironmentRouting[] } {
  const project = loadProject(root, options);
  const head = synthesizeWithRouting(project).routing;
  const base = checkoutFolder(root, baseRef, project.settings.distPath);
  try {
    return { changes: diffRouting(readDistRouting(base.dir), head), head };
  } finally {
    base.remove();
  }
}
