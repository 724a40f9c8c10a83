import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { heldExactlyByJson, ObjectsCache } from '../../src/pipeline/validate/objects-cache';
import { removeTempDirs, tempDir } from '../util';

// The objects of an environment's files of dist/, kept by the digest of those files, stand in for
// parsing them (a flip reads every file it does not render from here). What comes back must be
// exactly what was kept, or nothing: an entry is JSON, so only what JSON holds exactly is kept.

afterAll(removeTempDirs);

/** Values with types, -0, NaN, holes, key order and prototypes spelled out, for an exact comparison. */
function exact(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${Array.from({ length: value.length }, (_, i) => (i in value ? exact(value[i]) : 'hole')).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    const entries = Reflect.ownKeys(value).map((k) => `${String(k)}:${exact((value as Record<string | symbol, unknown>)[k])}`);
    return `${proto === Object.prototype ? '' : 'proto?'}{${entries.join(',')}}`;
  }
  if (typeof value === 'number') {
    return Object.is(value, -0) ? 'n:-0' : `n:${value}`;
  }
  return `${typeof value}:${String(value)}`;
}

describe('heldExactlyByJson', () => {
  test('says a value is held only when JSON gives it back exactly', () => {
    fc.assert(
      fc.property(
        fc.anything({ withNullPrototype: true, withSparseArray: true, withBigInt: true, withDate: true, withBoxedValues: true }),
        (value) => {
          if (heldExactlyByJson(value)) {
            expect(exact(JSON.parse(JSON.stringify(value)))).toBe(exact(value));
          }
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
  });

  test('holds what manifests hold', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // fast-check's JSON values include -0, which JSON writes as 0, and __proto__ keys, which no
        // reader of dist/ makes (readYamlFast refuses them): both are left out.
        const text = JSON.stringify(value);
        expect(heldExactlyByJson(value)).toBe(exact(JSON.parse(text)) === exact(value) && !text.includes('"__proto__":'));
      }),
      { numRuns: 3000, seed: 7 },
    );
    expect(heldExactlyByJson({ apiVersion: 'v1', kind: 'Service', spec: { ports: [{ port: 80, name: 'http' }], x: null, y: true, z: 1.5 } })).toBe(
      true,
    );
  });

  test.each([
    ['-0', { replicas: -0 }],
    ['NaN', { weight: NaN }],
    ['Infinity', [Infinity]],
    ['undefined in a map', { a: undefined }],
    ['undefined in a list', [1, undefined]],
    ['a hole', [1, , 3]], // eslint-disable-line no-sparse-arrays
    ['a __proto__ key', JSON.parse('{"__proto__": {"polluted": true}}') as unknown],
    ['a map of another prototype', { spec: Object.create(null) as object }],
    ['a date', { at: new Date(0) }],
    ['a symbol key', { [Symbol('s')]: 1 }],
    ['a big integer', { n: 1n }],
  ])('does not hold %s', (_name, value) => {
    expect(heldExactlyByJson(value)).toBe(false);
  });
});

describe('ObjectsCache', () => {
  /** A file as synthesis has checked it: each object with its file and line. */
  const checked = (p: string, object: Record<string, unknown>) => ({ path: p, objects: [{ file: p, object, line: 2 }] });
  const file = (p: string, n: number) => checked(p, { kind: 'ConfigMap', data: { n: String(n) } });

  test('gives back the objects kept for an environment and digest, and nothing for another', () => {
    const cache = new ObjectsCache(tempDir('meshflip-objects-'));
    cache.set('env0', 'a'.repeat(64), [file('env0/x.k8s.yaml', 1), file('env0/y.k8s.yaml', 2)]);
    const kept = cache.get('env0', 'a'.repeat(64));
    expect(kept?.depth).toBe(0);
    expect([...kept!.files]).toEqual([
      ['env0/x.k8s.yaml', { objects: [{ kind: 'ConfigMap', data: { n: '1' } }], lines: [2] }],
      ['env0/y.k8s.yaml', { objects: [{ kind: 'ConfigMap', data: { n: '2' } }], lines: [2] }],
    ]);
    expect(cache.get('env0', 'b'.repeat(64))).toBeUndefined();
    expect(cache.get('env1', 'a'.repeat(64))).toBeUndefined();
  });

  test('keeps an edit as what it rendered over the entry of the files before it, and again whole past a chain of eight', () => {
    const dir = tempDir('meshflip-objects-');
    const cache = new ObjectsCache(dir);
    const digest = (i: number) => i.toString(16).padStart(64, '0');
    cache.set('env0', digest(0), [file('env0/x.k8s.yaml', 0), file('env0/y.k8s.yaml', 0)]);
    const depths: number[] = [];
    for (let i = 1; i <= 20; i++) {
      const before = cache.get('env0', digest(i - 1))!;
      // Each edit renders x again; y is read from dist/.
      cache.set('env0', digest(i), [file('env0/x.k8s.yaml', i), file('env0/y.k8s.yaml', 0)], {
        outputs: digest(i - 1),
        depth: before.depth,
        kept: new Set(['env0/y.k8s.yaml']),
      });
      const kept = cache.get('env0', digest(i))!;
      depths.push(kept.depth);
      expect(kept.files.get('env0/x.k8s.yaml')?.objects).toEqual([{ kind: 'ConfigMap', data: { n: String(i) } }]);
      expect(kept.files.get('env0/y.k8s.yaml')?.objects).toEqual([{ kind: 'ConfigMap', data: { n: '0' } }]);
    }
    expect(depths).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2]);
    // An edit's entry holds only what it rendered: x.
    const entries = fs
      .readdirSync(dir)
      .map((name) => JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as { value: { depth: number; files: unknown[] } });
    expect(entries.filter((e) => e.value.depth > 0).every((e) => e.value.files.length === 1)).toBe(true);
  });

  test('gives nothing for an edit whose base is gone', () => {
    const dir = tempDir('meshflip-objects-');
    const cache = new ObjectsCache(dir);
    cache.set('env0', 'a'.repeat(64), [file('env0/x.k8s.yaml', 1), file('env0/y.k8s.yaml', 1)]);
    const base = fs.readdirSync(dir);
    cache.set('env0', 'b'.repeat(64), [file('env0/x.k8s.yaml', 2), file('env0/y.k8s.yaml', 1)], {
      outputs: 'a'.repeat(64),
      depth: 0,
      kept: new Set(['env0/y.k8s.yaml']),
    });
    expect(cache.get('env0', 'b'.repeat(64))?.files.size).toBe(2);
    fs.rmSync(path.join(dir, base[0]));
    expect(cache.get('env0', 'b'.repeat(64))).toBeUndefined();
  });

  test('keeps the objects of the same files once: they are not computed or written again, and the entry is marked as used', () => {
    const dir = tempDir('meshflip-objects-');
    const cache = new ObjectsCache(dir);
    cache.set('env0', 'a'.repeat(64), [file('env0/x.k8s.yaml', 1)]);
    const [name] = fs.readdirSync(dir);
    const longAgo = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(path.join(dir, name), longAgo, longAgo);
    // Other objects under the same key (which a key's digest rules out): the entry stays as it was.
    cache.set('env0', 'a'.repeat(64), [file('env0/x.k8s.yaml', 2)]);
    expect(fs.statSync(path.join(dir, name)).mtimeMs).toBeGreaterThan(longAgo.getTime());
    expect(fs.readdirSync(dir)).toEqual([name]);
    expect(cache.get('env0', 'a'.repeat(64))?.files.get('env0/x.k8s.yaml')?.objects).toEqual([{ kind: 'ConfigMap', data: { n: '1' } }]);
  });

  test('keeps a file the emitter wrote itself without walking its objects: its reader gets what JSON gives back', () => {
    // GIVEN the same object without a prototype, in a file written directly and in one that was not
    const cache = new ObjectsCache(tempDir('meshflip-objects-'));
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { kind: 'ConfigMap' });
    // WHEN
    cache.set('env0', 'a'.repeat(64), [{ ...checked('env0/x.k8s.yaml', bare), plainJson: true }]);
    cache.set('env1', 'a'.repeat(64), [checked('env1/x.k8s.yaml', bare)]);
    // THEN the first is kept, as JSON and a reader of its text give it; the second, walked, is not
    expect([...cache.get('env0', 'a'.repeat(64))!.files.values()].map((f) => exact(f.objects))).toEqual([exact([{ kind: 'ConfigMap' }])]);
    expect(cache.get('env1', 'a'.repeat(64))).toBeUndefined();
  });

  test('keeps nothing of an environment with a value JSON does not hold exactly', () => {
    const cache = new ObjectsCache(tempDir('meshflip-objects-'));
    cache.set('env0', 'a'.repeat(64), [file('env0/x.k8s.yaml', 1), checked('env0/y.k8s.yaml', { spec: { weight: -0 } })]);
    expect(cache.get('env0', 'a'.repeat(64))).toBeUndefined();
  });
});
