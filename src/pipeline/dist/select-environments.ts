import * as fs from 'fs';
import * as path from 'path';
import { listFiles } from './read-dist';
import { RenderedFile } from '../dist/read-dist';

/** Whether a file of dist/ belongs to one of `environments`: its folder, and its Argo CD objects. */
export function belongsTo(file: string, environments: ReadonlySet<string>): boolean {
  const [top, rest] = [file.slice(0, file.indexOf('/')), file.slice(file.indexOf('/') + 1)];
  if (top === 'argocd') {
    return environments.has(rest.replace(/\.k8s\.yaml$/, '')) && rest.endsWith('.k8s.yaml') && !rest.includes('/');
  }
  return environments.has(top);
}

/**
 * What dist/ should hold when only `environments` are rendered: their files as rendered, and
 * every other file exactly as it is in `distDir` now (other environments, the root Application,
 * files no longer produced for them). Handing this to `writeDist` changes nothing outside them.
 */
export function withOthersAsTheyAre(distDir: string, rendered: readonly RenderedFile[], environments: ReadonlySet<string>): RenderedFile[] {
  const selected = rendered.filter((f) => belongsTo(f.path, environments));
  const others = listFiles(distDir)
    .filter((f) => !belongsTo(f, environments))
    .map((f) => ({ path: f, content: fs.readFileSync(path.join(distDir, ...f.split('/')), 'utf8') }));
  return [...selected, ...others];
}
