import * as path from 'path';
import { loadProject } from '../../src/model/load';
import { synthesize } from '../../src/pipeline/synth/synth';
import { REPO } from '../util';

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'repo');

test('renders the test fixtures exactly as reviewed', () => {
  // GIVEN the fixture repository: Kuma with zone and global placement, legacy Kuma, Istio and OpenShift Service Mesh
  const project = loadProject(FIXTURES);
  // WHEN
  const files = synthesize(project);
  // THEN every rendered file, byte for byte (a change to dist/ shows here as a reviewable diff), but
  // for the digests of the renderer in INPUTS.sha256, which change with every change to src/
  // (test/pipeline/incremental.test.ts covers them)
  const stable = (content: string) => content.replace(/^[0-9a-f]{64}(?= {2}\((renderer|digest)\)$)/gm, '<sha256 of the renderer build>');
  expect(Object.fromEntries(files.map((f) => [f.path, stable(f.content)]))).toMatchSnapshot();
});
