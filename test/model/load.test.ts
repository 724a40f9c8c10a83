import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { InputSource, loadProject, readProject } from '../../src/model/load';
import { removeTempDirs, tempDir } from '../util';
import { CATALOG, fixtureRepo, kongEnvironment, problemsOf } from './fixtures';

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

describe('loading a project again in the same process', () => {
  afterAll(removeTempDirs);

  const fileOf = (project: { sources: readonly InputSource[] }, repoPath: string) => project.sources.find((s) => s.file.path === repoPath)!.file;

  test('parses a file that did not change once, and again when its bytes or the edit given for it differ', () => {
    // GIVEN a repository loaded once
    const root = fixtureRepo();
    const first = readProject(root);
    // WHEN it is loaded again unchanged, with an edit of lab.yaml, and after lab.yaml changed on disk
    const again = readProject(root);
    const edited = kongEnvironment('lab', 'description: edited');
    const withEdit = readProject(root, { overrides: new Map([['environments/lab.yaml', edited]]) });
    fs.appendFileSync(path.join(root, 'environments/lab.yaml'), 'description: on disk\n');
    const changed = loadProject(root);
    // THEN unchanged files are the ones already parsed; an edited or changed file is read as it is now
    expect(first.project).toBeDefined();
    expect(fileOf(again, 'environments/catalog/shop.yaml')).toBe(fileOf(first, 'environments/catalog/shop.yaml'));
    expect(fileOf(again, 'environments/lab.yaml')).toBe(fileOf(first, 'environments/lab.yaml'));
    expect(fileOf(withEdit, 'environments/lab.yaml').text).toBe(edited);
    expect(withEdit.project!.environments[0].description).toBe('edited');
    expect(fileOf(withEdit, 'environments/catalog/shop.yaml')).toBe(fileOf(first, 'environments/catalog/shop.yaml'));
    expect(changed.environments[0].description).toBe('on disk');
    expect(fileOf(changed, 'environments/meshflip.yaml')).toBe(fileOf(first, 'environments/meshflip.yaml'));
  });

  test('reports the problems of an unchanged broken file again, at the same lines', () => {
    // GIVEN a catalogue with a repeated key
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': CATALOG.replace('  payments:\n', '  orders:\n') });
    // WHEN it is loaded twice
    const first = problemsOf(root);
    const second = problemsOf(root);
    // THEN
    expect(first.length).toBeGreaterThan(0);
    expect(second).toEqual(first);
  });
});
