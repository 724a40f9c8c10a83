import { loadProject, Project } from '../../model/load';
import { checkoutFolder } from './git';
import { diffObjects } from './object-diff';
import { diffRouting, EnvironmentChange, withObjectChanges } from './routing-diff';
import { readDistRouting } from '../routing/routing-reader';
import { Synthesized, synthesizeWithRouting } from '../synth/synth';

/**
 * How the routing, and every other rendered object, changes between a base revision and the working tree: the base is read from
 * dist/ as committed at `baseRef` (it passed CI), the head is synthesized fresh from
 * environments/, so a stale dist/ in the change cannot hide anything.
 */
export function changeSinceBase(
  root: string,
  baseRef: string,
  synthesized?: { project: Project; fresh: Synthesized },
): EnvironmentChange[] {
  // A caller that has just synthesized the working tree (meshflip ci-summary validates first) passes it in.
  const project = synthesized?.project ?? loadProject(root);
  const { files, routing: head } = synthesized?.fresh ?? synthesizeWithRouting(project);
  const base = checkoutFolder(root, baseRef, project.settings.distPath);
  try {
    // Most files of the base are byte for byte what the head renders: their objects are known.
    const rendered = new Map(files.map((f) => [f.path, f]));
    const baseRouting = readDistRouting(base.dir, undefined, rendered);
    return withObjectChanges(diffRouting(baseRouting, head), diffObjects(base.dir, files, project.settings.distPath), baseRouting, head);
  } finally {
    base.remove();
  }
}
