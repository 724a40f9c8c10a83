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
  // THEN every rendered file, byte for byte (a change to dist/ shows here as a reviewable diff)
  expect(Object.fromEntries(files.map((f) => [f.path, f.content]))).toMatchSnapshot();
});
