import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { fastYamlStats, readYamlSlow } from '../../src/pipeline/dist/fast-yaml';
import {
  distEnvironments,
  environmentOf,
  inEnvironments,
  isPatchFile,
  listEnvironmentFiles,
  listFiles,
  readDist,
} from '../../src/pipeline/dist/read-dist';
import { copyRepo, removeTempDirs, writeFiles } from '../util';

// explain and diff read one environment's files without walking the whole of dist/ (50,000 files
// for 1,000 services x 10 environments): the short listing must be exactly the long one, filtered.

afterAll(removeTempDirs);

describe('the environment of a file', () => {
  // What it must say, written out the long way: the first part of the path, except under argocd/,
  // where the Application file names the environment and the root and bootstrap files name none.
  const expected = (file: string): string | undefined => {
    const [first, second, third] = file.split('/');
    if (first !== 'argocd') {
      return first;
    }
    const env = (second ?? '').replace(/\.k8s\.yaml$/, '');
    return env === 'root' || (env === 'bootstrap' && third !== undefined) ? undefined : env;
  };

  it.each(['argocd', 'argocd/', 'argocd/root.k8s.yaml', 'argocd/bootstrap', 'argocd/bootstrap/x.yaml', 'argocd/a.k8s.yaml', '/x', 'a', 'a/b/c', ''])(
    'is the definition on %j',
    (file) => {
      expect(environmentOf(file)).toBe(expected(file));
    },
  );

  it('is the definition on any path', () => {
    const part = fc.constantFrom('argocd', 'root.k8s.yaml', 'bootstrap', 'bootstrap.k8s.yaml', 'env0', '', 'x.k8s.yaml');
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const file = parts.join('/');
        expect(environmentOf(file)).toBe(expected(file));
      }),
    );
  });
});

describe('listing the files of some environments', () => {
  const root = copyRepo(['dist']);
  const dist = path.join(root, 'dist');
  // Files in the odd places environmentOf also assigns: a folder below argocd/ and a file at the top;
  // and folders that hold only empty folders (no environment), or one file deep down (one).
  writeFiles(dist, { 'argocd/kong-perf/extra.k8s.yaml': 'a: 1\n', 'stray.k8s.yaml': 'b: 2\n', 'deep/zone/inner/x.k8s.yaml': 'c: 3\n' });
  fs.mkdirSync(path.join(dist, 'hollow/zone/inner'), { recursive: true });
  fs.mkdirSync(path.join(dist, 'argocd/hollow/inner'), { recursive: true });
  const all = listFiles(dist);

  it('finds the same environments as the full listing', () => {
    const expected = [...new Set(all.map(environmentOf).filter((e): e is string => e !== undefined))].sort();
    expect(expected.length).toBeGreaterThan(3);
    expect(expected).toContain('deep');
    expect(distEnvironments(dist)).toEqual(expected);
  });

  it('gives the bootstrap files (dist/argocd/bootstrap/) to no environment, and an environment named bootstrap its Application', () => {
    expect(all.filter((f) => f.startsWith('argocd/bootstrap/')).length).toBeGreaterThan(0);
    expect(all.filter((f) => f.startsWith('argocd/bootstrap/')).map(environmentOf)).toEqual(
      all.filter((f) => f.startsWith('argocd/bootstrap/')).map(() => undefined),
    );
    expect(distEnvironments(dist)).not.toContain('bootstrap');
    expect(environmentOf('argocd/bootstrap.k8s.yaml')).toBe('bootstrap');
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

  it.each([['kong-perf'], ['kong-perf', 'kong-real'], ['bootstrap', 'stray.k8s.yaml'], ['nowhere'], ['']])(
    'tells the files of %s from the others as listing them does',
    (...names) => {
      const environments = new Set(names);
      expect(all.filter(inEnvironments(environments))).toEqual(listEnvironmentFiles(dist, environments));
    },
  );
});

describe('reading the objects of dist/', () => {
  it('reads every object with its file and line exactly as the yaml package does, without asking it', () => {
    // GIVEN the committed dist/, with a hand edit outside the fast reader's subset (a flow map)
    const root = copyRepo(['dist']);
    const dist = path.join(root, 'dist');
    const edited = 'kong-perf/zone-real-services/crew.k8s.yaml';
    fs.appendFileSync(path.join(dist, edited), '---\n{kind: Extra, metadata: {name: x}}\n');
    const yamlFiles = listFiles(dist).filter((f) => /\.ya?ml$/.test(f) && !isPatchFile(f));
    const expected = yamlFiles.flatMap((file) => {
      const { documents, lines } = readYamlSlow(fs.readFileSync(path.join(dist, file), 'utf8'));
      return documents.map((object, i) => ({ file, object, line: lines[i] })).filter((o) => o.object !== null && typeof o.object === 'object');
    });
    const before = { ...fastYamlStats };
    // WHEN
    const { objects } = readDist(dist);
    // THEN the same objects, lines and order; every file but the edited one read without the yaml package
    expect(JSON.stringify(objects)).toBe(JSON.stringify(expected));
    expect(objects).toEqual(expected);
    expect(objects.find((o) => o.object.kind === 'Extra')).toEqual({
      file: edited,
      object: { kind: 'Extra', metadata: { name: 'x' } },
      line: expect.any(Number),
    });
    expect(fastYamlStats.fallback - before.fallback).toBe(1);
    expect(yamlFiles.length).toBeGreaterThan(50);
    expect(fastYamlStats.fast - before.fast).toBe(yamlFiles.length - 1);
  });
});
