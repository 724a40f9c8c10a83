import * as fs from 'fs';
import * as path from 'path';
import { changeSinceBase } from '../../src/pipeline/changes/change-summary';
import { rendererDigest, unchangedSinceRendered } from '../../src/pipeline/synth/inputs-digest';
import { INPUTS_FILE } from '../../src/pipeline/dist/outputs-digest';
import { synthesizeChanged } from '../../src/pipeline/validate/incremental-synth';
import { exampleEnvironments, removeTempDirs } from '../util';
import { commitAll, edit, gitRepoCopy, meshflipAsync } from '../cli/cli-util';

// `meshflip diff` loads nothing when every input is what dist/ records it was rendered from
// (`unchangedSinceRendered`): the working tree's rendering is then dist/ as it is. Anything that
// could make a load, a check or a rendering come out otherwise must send it back to loading and
// rendering as usual.

afterAll(removeTempDirs);

const ENVIRONMENTS = exampleEnvironments();

/** A git copy of the example repository, with `change` made to it. */
function repoWith(change: (dir: string) => void = () => undefined): { dir: string; dist: string } {
  const { dir } = gitRepoCopy();
  change(dir);
  return { dir, dist: path.join(dir, 'dist') };
}

test('names every environment of a repository whose dist/ is as rendered', () => {
  const { dir, dist } = repoWith();
  expect(unchangedSinceRendered(dir, dist)).toEqual(ENVIRONMENTS);
});

test.each<[string, (dir: string) => void]>([
  [
    'an environment file edited without rendering',
    (dir) => edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n'),
  ],
  ['an imposter file edited', (dir) => fs.appendFileSync(path.join(dir, 'environments/mocks/captains-log.imposter.json'), '\n')],
  [
    'a catalogue no environment lists (it is still loaded and checked)',
    (dir) => fs.writeFileSync(path.join(dir, 'environments/catalog/new.yaml'), 'services: [\n'),
  ],
  ['a new environment file', (dir) => fs.copyFileSync(path.join(dir, 'environments/kong-perf.yaml'), path.join(dir, 'environments/kong-perf2.yaml'))],
  ['an environment file removed', (dir) => fs.rmSync(path.join(dir, 'environments/kong-tutorial.yaml'))],
  ['a folder of dist/ no environment renders', (dir) => fs.mkdirSync(path.join(dir, 'dist/gone'))],
  ['an Application of dist/ no environment renders', (dir) => fs.writeFileSync(path.join(dir, 'dist/argocd/gone.k8s.yaml'), '')],
  [
    'an INPUTS.sha256 whose entries no longer give its digest',
    (dir) => {
      const file = path.join(dir, 'dist/kong-perf', INPUTS_FILE);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/^[0-9a-f]{64}(?= {2}environments\/kong-perf\.yaml)/m, '0'.repeat(64)));
    },
  ],
  ['an INPUTS.sha256 missing', (dir) => fs.rmSync(path.join(dir, 'dist/kong-perf', INPUTS_FILE))],
  [
    'an environment file that is a symbolic link',
    (dir) => {
      fs.renameSync(path.join(dir, 'environments/kong-perf.yaml'), path.join(dir, 'kong-perf.yaml'));
      fs.symlinkSync(path.join(dir, 'kong-perf.yaml'), path.join(dir, 'environments/kong-perf.yaml'));
    },
  ],
])('tells nothing about %s', (_name, change) => {
  const { dir, dist } = repoWith(change);
  expect(unchangedSinceRendered(dir, dist)).toBeUndefined();
});

test('tells nothing when another renderer wrote dist/', () => {
  const { dir, dist } = repoWith();
  expect(unchangedSinceRendered(dir, dist, rendererDigest())).toEqual(ENVIRONMENTS);
  expect(unchangedSinceRendered(dir, dist, '0'.repeat(64))).toBeUndefined();
});

test('diff of a flip reports, without loading, what it reports from a rendering of the working tree', async () => {
  // GIVEN a flip, written with dist/
  const { dir, dist } = repoWith();
  const base = commitAll(dir, 'base');
  expect((await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real'])).status).toBe(0);
  expect(unchangedSinceRendered(dir, dist)).toEqual(ENVIRONMENTS);
  // WHEN compared with the base as diff does (nothing loaded), and with the working tree rendered
  const quick = await changeSinceBase(dir, base);
  const head = await synthesizeChanged({ root: dir, distDir: dist, force: new Set(ENVIRONMENTS) });
  const rendered = await changeSinceBase(dir, base, {
    distPath: 'dist',
    environments: head.project!.environments.map((e) => e.name),
    files: head.files,
    keptFiles: head.keptFiles,
    routing: head.routing,
  });
  // THEN the same change, and it is the flip's
  expect(quick).toEqual(rendered);
  expect(quick.map((c) => c.name)).toEqual(['kong-perf']);
  expect(quick[0].services.map((s) => s.service)).toEqual(['captains-log']);
}, 120_000);

test('diff still fails on a catalogue that does not load, though no environment lists it', async () => {
  const { dir } = repoWith((d) => fs.writeFileSync(path.join(d, 'environments/catalog/new.yaml'), 'services: [\n'));
  const run = await meshflipAsync(dir, ['diff']);
  expect(run.status).toBe(1);
  expect(run.stderr).toBe(
    'error: environments/catalog/new.yaml:2:1: services: is not valid YAML: a [ list is not closed with ], got the end of the file; ' +
      'close it with ] on the line it starts, or indent the lines it continues on\n1 problem found; nothing was written.\n',
  );
}, 120_000);
