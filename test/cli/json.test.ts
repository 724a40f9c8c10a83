import * as path from 'path';
import { removeTempDirs } from '../util';
import { changedFiles, countObjects, edit, gitRepoCopy, lines, meshflipAsync } from './cli-util';

// --json on every command that reports: one JSON document on stdout, the shape the README
// documents (JSON output), the same exit code as without it, and nothing else on stdout.

afterAll(removeTempDirs);

const NOW = '2026-03-01T10:00:00Z';

describe('validate --json', () => {
  test('a valid repository', async () => {
    // GIVEN
    const { dir } = gitRepoCopy();
    // WHEN
    const run = await meshflipAsync(dir, ['validate', '--json', '--now', NOW]);
    // THEN
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      valid: true,
      environments: 8,
      objects: countObjects(path.join(dir, 'dist')),
      schemas: null,
      errors: 0,
      warnings: 0,
      problems: [],
    });
  });

  test('an environment with an error: every environment counted, the problem in full, exit 1', async () => {
    // GIVEN
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: mocked\n');
    // WHEN
    const json = await meshflipAsync(dir, ['validate', '--json', '--now', NOW]);
    const text = await meshflipAsync(dir, ['validate', '--now', NOW]);
    // THEN
    expect(json.status).toBe(1);
    const result = JSON.parse(json.stdout);
    expect({ ...result, problems: undefined }).toEqual({
      valid: false,
      environments: 8,
      objects: countObjects(path.join(dir, 'dist')),
      schemas: null,
      errors: 1,
      warnings: 0,
      problems: undefined,
    });
    expect(result.problems).toEqual([
      expect.objectContaining({
        severity: 'error',
        file: 'environments/kong-perf.yaml',
        line: 30,
        field: 'routing.services.captains-log',
        got: '"mocked"',
      }),
    ]);
    expect(Object.keys(result.problems[0])).toEqual(['severity', 'file', 'line', 'col', 'field', 'message', 'got', 'hint']);
    // and the text summary counts the environments too
    expect(text.status).toBe(1);
    expect(lines(text.stdout)).toEqual([`invalid: 8 environments, ${countObjects(path.join(dir, 'dist'))} objects in dist/: 1 error, 0 warnings`]);
  });
});

describe('diff --json and flip --json', () => {
  test('flip prints its edit, the routing change and the files of dist/; diff then shows the same change', async () => {
    // GIVEN
    const { dir } = gitRepoCopy();
    // WHEN
    const flip = await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real', '--json']);
    const diff = await meshflipAsync(dir, ['diff', '--json']);
    // THEN
    expect(flip.stderr).toBe('');
    expect(flip.status).toBe(0);
    const flipped = JSON.parse(flip.stdout);
    const distChanged = changedFiles(dir)
      .filter((f) => f.startsWith('dist/'))
      .map((f) => f.slice('dist/'.length));
    expect(flipped).toEqual({
      environment: 'kong-perf',
      service: 'captains-log',
      to: 'real',
      file: 'environments/kong-perf.yaml',
      changed: true,
      edit: ['- routing:', '-   services:', '-     captains-log: mock'],
      routing: [
        {
          environment: 'kong-perf',
          mesh: 'kong-mesh',
          protected: false,
          status: 'changed',
          protection: null,
          violations: [],
          services: [expect.objectContaining({ service: 'captains-log', toMock: false })],
        },
      ],
      dist: { added: [], changed: distChanged, removed: [] },
      warnings: [],
    });
    expect(diff.status).toBe(0);
    expect(JSON.parse(diff.stdout)).toEqual({ base: 'HEAD', environments: flipped.routing });
    // and flipping again changes nothing, said in the same shape
    const again = await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real', '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ ...flipped, changed: false, edit: [], routing: [], dist: { added: [], changed: [], removed: [] } });
  });
});

describe('explain --json', () => {
  test('--json with --mermaid is a usage error', async () => {
    // GIVEN
    const { dir } = gitRepoCopy();
    // WHEN
    const run = await meshflipAsync(dir, ['explain', 'kong-perf', '--json', '--mermaid']);
    // THEN
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(lines(run.stderr)).toEqual([
      'error: --json and --mermaid cannot be combined: each is a whole output of its own',
      'hint: pass one of them',
    ]);
  });
});

describe('explain --all --mermaid', () => {
  test('names the environment of each graph in a Mermaid comment', async () => {
    // GIVEN
    const { dir } = gitRepoCopy();
    // WHEN
    const run = await meshflipAsync(dir, ['explain', '--all', '--mermaid']);
    // THEN one heading per environment, each right before its flowchart
    expect(run.status).toBe(0);
    const out = lines(run.stdout);
    const headings = out.map((l, i) => [l, out[i + 1]] as const).filter(([l]) => l.startsWith('%% '));
    expect(headings.map(([l]) => l)).toEqual([
      '%% coolstore (openshift-service-mesh, protected)',
      '%% coolstore-chaos (openshift-service-mesh)',
      '%% coolstore-migrating (openshift-service-mesh)',
      '%% coolstore-ossm3 (openshift-service-mesh, protected)',
      '%% coolstore-ossm3-chaos (openshift-service-mesh)',
      '%% kong-perf (kong-mesh)',
      '%% kong-real (kong-mesh)',
      '%% kong-tutorial (kong-mesh)',
    ]);
    expect(headings.every(([, next]) => next === 'graph LR')).toBe(true);
  });
});
