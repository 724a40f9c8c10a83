import * as path from 'path';
import { distEnvironments, environmentOf, listEnvironmentFiles, listFiles } from '../../src/pipeline/dist/read-dist';
import { copyRepo, removeTempDirs, writeFiles } from '../util';

// explain and diff read one environment's files without walking the whole of dist/ (50,000 files
// for 1,000 services x 10 environments): the short listing must be exactly the long one, filtered.

afterAll(removeTempDirs);

describe('listing the files of some environments', () => {
  const root = copyRepo(['dist']);
  const dist = path.join(root, 'dist');
  // Files in the odd places environmentOf also assigns: a folder below argocd/ and a file at the top.
  writeFiles(dist, { 'argocd/kong-perf/extra.k8s.yaml': 'a: 1\n', 'stray.k8s.yaml': 'b: 2\n' });
  const all = listFiles(dist);

  it('finds the same environments as the full listing', () => {
    const expected = [...new Set(all.map(environmentOf).filter((e): e is string => e !== undefined))].sort();
    expect(expected.length).toBeGreaterThan(3);
    expect(distEnvironments(dist)).toEqual(expected);
  });

  it.each(['kong-perf', 'coolstore', 'bootstrap', 'stray.k8s.yaml', 'nowhere'])('lists the files of %s as the full listing filtered to it', (env) => {
    expect(listEnvironmentFiles(dist, new Set([env]))).toEqual(all.filter((f) => environmentOf(f) === env));
  });

  it('lists two environments together', () => {
    const both = new Set(['kong-perf', 'kong-real']);
    const expected = all.filter((f) => both.has(environmentOf(f) ?? ''));
    expect(expected.length).toBeGreaterThan(10);
    expect(listEnvironmentFiles(dist, both)).toEqual(expected);
  });
});
