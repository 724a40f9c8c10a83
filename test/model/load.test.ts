import * as path from 'path';
import { loadProject } from '../../src/model/load';

const REPO = path.resolve(__dirname, '../..');

test('loads the example environments', () => {
  // WHEN
  const project = loadProject(REPO);
  // THEN
  expect(project.environments.map((e) => e.name)).toEqual(['coolstore', 'coolstore-chaos', 'kong-perf', 'kong-real', 'kong-tutorial']);
});
