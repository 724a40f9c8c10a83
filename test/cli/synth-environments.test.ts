import * as fs from 'fs';
import * as path from 'path';
import { removeTempDirs, snapshotTree } from '../util';
import { changedFiles, edit, gitRepoCopy, lines, meshflipAsync, read } from './cli-util';

// meshflip synth <env>...: renders the environments named, and leaves every other file of dist/
// exactly as it is, including the root Application and hand edits of other environments.

afterAll(removeTempDirs);

describe('synth <env>...', () => {
  test('writes only the files of the environments named', async () => {
    // GIVEN a change to kong-perf and to kong-real, and hand edits of coolstore's dist/ and the root Application
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n');
    edit(dir, 'environments/kong-real.yaml', '    delay: { value: 1s, percent: 100 }\n', '    delay: { value: 2s, percent: 100 }\n');
    fs.appendFileSync(path.join(dir, 'dist/coolstore/ROUTING.md'), 'hand edit\n');
    fs.appendFileSync(path.join(dir, 'dist/argocd/root.k8s.yaml'), '# hand edit\n');
    const kongReal = snapshotTree(path.join(dir, 'dist/kong-real'));
    // WHEN only kong-perf is rendered
    const run = await meshflipAsync(dir, ['synth', 'kong-perf']);
    // THEN kong-perf's routes changed, and nothing else did
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const changed = changedFiles(dir);
    expect(changed.filter((f) => f.startsWith('dist/kong-perf/')).length).toBeGreaterThan(0);
    expect(changed.filter((f) => f.startsWith('dist/') && !f.startsWith('dist/kong-perf/'))).toEqual([
      'dist/argocd/root.k8s.yaml',
      'dist/coolstore/ROUTING.md',
    ]);
    expect(read(dir, 'dist/coolstore/ROUTING.md').endsWith('hand edit\n')).toBe(true);
    expect(read(dir, 'dist/argocd/root.k8s.yaml').endsWith('# hand edit\n')).toBe(true);
    expect(snapshotTree(path.join(dir, 'dist/kong-real'))).toEqual(kongReal);
    const count = Object.keys(snapshotTree(path.join(dir, 'dist/kong-perf'))).length + 1;
    const out = lines(run.stdout);
    expect(out[0]).toMatch(new RegExp(`^synthesized kong-perf into dist/: ${count} files, 0 added, [1-9]\\d* changed, 0 removed, \\d+ unchanged$`));
    // and rendering kong-real too then brings its change
    const both = await meshflipAsync(dir, ['synth', 'kong-real', 'kong-perf']);
    expect(both.status).toBe(0);
    expect(lines(both.stdout)[0]).toMatch(/^synthesized kong-perf, kong-real into dist\/: /);
    expect(changedFiles(dir).some((f) => f.startsWith('dist/kong-real/'))).toBe(true);
  });

  test('fails for an unknown environment, with a suggestion, and writes nothing', async () => {
    // GIVEN
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n');
    // WHEN
    const run = await meshflipAsync(dir, ['synth', 'kong-perf', 'kong-prf']);
    // THEN
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toEqual(['error: no environment "kong-prf" in environments/', 'hint: did you mean "kong-perf"?']);
    expect(changedFiles(dir)).toEqual(['environments/kong-perf.yaml']);
  });
});
