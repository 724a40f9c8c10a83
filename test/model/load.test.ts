import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { loadProject } from '../../src/model/load';
import { removeTempDirs, tempDir } from '../util';
import { CATALOG, fixtureRepo, problemsOf } from './fixtures';

const REPO = path.resolve(__dirname, '../..');

test('loads the example environments', () => {
  // WHEN
  const project = loadProject(REPO);
  // THEN
  expect(project.environments.map((e) => e.name)).toEqual([
    'coolstore',
    'coolstore-chaos',
    'coolstore-migrating',
    'coolstore-ossm3',
    'coolstore-ossm3-chaos',
    'kong-perf',
    'kong-real',
    'kong-tutorial',
  ]);
});

describe('input is never read through a symbolic link', () => {
  afterAll(removeTempDirs);

  const LINK =
    'must be a real file in the repository, not a symbolic link: meshflip reads nothing through links, got a symbolic link; replace the link by a copy of what it points to';
  const FOLDER_LINK =
    'must be a real folder in the repository, not a symbolic link: meshflip reads nothing through links, got a symbolic link; replace the link by a copy of what it points to';

  /** Moves `repoPath` out of the repository and puts a link to it in its place. */
  function linkOut(root: string, repoPath: string): void {
    const outside = path.join(tempDir('meshflip-outside-'), path.basename(repoPath));
    fs.renameSync(path.join(root, repoPath), outside);
    fs.symlinkSync(outside, path.join(root, repoPath));
  }

  test('fails when the settings file is a link', () => {
    // GIVEN
    const root = fixtureRepo();
    linkOut(root, 'environments/meshflip.yaml');
    // THEN
    expect(problemsOf(root)).toEqual([`environments/meshflip.yaml:1:1: (file): ${LINK}`]);
  });

  test('fails when the catalogue folder is a link, without reporting each of its services as unknown', () => {
    // GIVEN
    const root = fixtureRepo();
    linkOut(root, 'environments/catalog');
    // THEN
    expect(problemsOf(root)).toEqual([`environments/catalog:1:1: (folder): ${FOLDER_LINK}`]);
  });

  test('fails when a catalogue file is a link, even to a file inside the repository', () => {
    // GIVEN
    const root = fixtureRepo({ 'copies/shop.yaml': CATALOG });
    fs.rmSync(path.join(root, 'environments/catalog/shop.yaml'));
    fs.symlinkSync('../../copies/shop.yaml', path.join(root, 'environments/catalog/shop.yaml'));
    // THEN
    expect(problemsOf(root)).toEqual([`environments/catalog/shop.yaml:1:1: (file): ${LINK}`]);
  });

  test('fails when the mocks folder on the way to an imposter is a link', () => {
    // GIVEN
    const root = fixtureRepo();
    linkOut(root, 'environments/mocks');
    // THEN
    const [line, col] = lineCol(CATALOG, '../mocks/orders.imposter.json');
    expect(problemsOf(root)).toEqual([
      `environments/catalog/shop.yaml:${line}:${col}: services.orders.mock.imposters[0]: must name a file in the repository, not a symbolic link ` +
        '(environments/mocks is one): meshflip reads nothing through links, got "../mocks/orders.imposter.json"; replace the link by a copy of the imposter file',
    ]);
  });

  test('fails when an imposter is a named pipe, without waiting on it', () => {
    // GIVEN
    const root = fixtureRepo({ 'environments/mocks/orders.imposter.json': null });
    fs.mkdirSync(path.join(root, 'environments/mocks'));
    expect(spawnSync('mkfifo', [path.join(root, 'environments/mocks/orders.imposter.json')]).status).toBe(0);
    // THEN
    const [line, col] = lineCol(CATALOG, '../mocks/orders.imposter.json');
    expect(problemsOf(root)).toEqual([
      `environments/catalog/shop.yaml:${line}:${col}: services.orders.mock.imposters[0]: must name an imposter file that exists (looked for environments/mocks/orders.imposter.json), ` +
        'got "../mocks/orders.imposter.json"; paths are relative to the file that declares the mock',
    ]);
  }, 10_000);
});

function lineCol(text: string, needle: string): [number, number] {
  const before = text.slice(0, text.indexOf(needle)).split('\n');
  return [before.length, before[before.length - 1].length + 1];
}
