import * as path from 'path';
import { loadProject } from '../src/model/load';
import { synthesize } from '../src/pipeline/synth/synth';
import { writeDist } from '../src/pipeline/dist/write-dist';
import { REPO, tempDir } from './util';

let rendered: string | undefined;

/**
 * The repository's environments rendered now into a temporary dist/ folder, once per test file (call
 * `removeTempDirs()` in afterAll). Tests of what synthesis renders read this, never the committed dist/: that one
 * may be stale, and CI checks its freshness separately (`.ci/run`, "Check that the committed dist/ is fresh").
 */
export function renderedDist(): string {
  if (rendered === undefined) {
    const dir = path.join(tempDir('meshflip-rendered-'), 'dist');
    writeDist(dir, synthesize(loadProject(REPO)));
    rendered = dir;
  }
  return rendered;
}
