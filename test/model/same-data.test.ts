import * as fc from 'fast-check';
import { canonical, sameData } from '../../src/model/service-scope';
import { SourceFile } from '../../src/model/source-file';

// editedServices asks whether two loads of an environment are the same data but for some services'
// entries. It used to compare their canonical texts; sameData answers without writing them. It must
// never call two values the same whose texts differ: the flip would then keep files it must render.

const files = ['environments/a.yaml', 'environments/b.yaml'].map((p) => SourceFile.parse(p, 'a: 1\n'));

/** Values of the kinds an environment holds, and those JSON writes in its own ways. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom(undefined, null, NaN, Infinity, -0, 0, 1, '', 'a', true, false, () => 1, Symbol.for('s')),
    fc.constantFrom(...files),
    fc.constantFrom(new Date(0), new Date(1)),
    fc.string({ maxLength: 3 }),
    fc.integer({ min: -2, max: 2 }),
  ),
  node: fc.oneof({ maxDepth: 3 }, tie('leaf'), tie('list'), tie('map'), tie('jsMap'), tie('jsSet'), tie('sourceLike')),
  list: fc.array(tie('node'), { maxLength: 3 }),
  map: fc.dictionary(fc.constantFrom('a', 'b', 'map', 'set', 'sourceFile'), tie('node'), { maxKeys: 3 }),
  jsMap: fc.array(fc.tuple(fc.constantFrom('a', 'b'), tie('node')), { maxLength: 2 }).map((entries) => new Map(entries)),
  jsSet: fc.array(tie('node'), { maxLength: 2 }).map((items) => new Set(items)),
  sourceLike: fc.constantFrom(...files).map((f) => ({ sourceFile: f.path })),
})).node;

/** A copy made apart from the value, as a second load makes it: other objects with the same data (`reversed`: each map's keys in the other order). */
function copy(v: unknown, reversed = false): unknown {
  if (v instanceof SourceFile || v instanceof Date || typeof v !== 'object' || v === null) {
    return v instanceof Date ? new Date(v.getTime()) : v;
  }
  if (v instanceof Map) {
    return new Map([...v].map(([k, x]) => [k, copy(x, reversed)]));
  }
  if (v instanceof Set) {
    return new Set([...v].map((x) => copy(x, reversed)));
  }
  if (Array.isArray(v)) {
    return v.map((x) => copy(x, reversed));
  }
  const entries = Object.entries(v).map(([k, x]) => [k, copy(x, reversed)]);
  return Object.fromEntries(reversed ? entries.reverse() : entries);
}

describe('sameData', () => {
  it('calls two values the same only when their canonical texts are equal', () => {
    // Pairs that share most of their data, as two loads of an environment do: a copy of one part,
    // and parts drawn apart, in maps, lists and JavaScript maps.
    const pair = fc
      .tuple(value, value, value, fc.constantFrom('copy', 'reversed', 'apart'), fc.constantFrom('map', 'list', 'jsMap'))
      .map(([shared, x, y, alike, shape]) => {
        const a: [unknown, unknown] = [shared, x];
        const b: [unknown, unknown] = [copy(shared), alike === 'apart' ? y : copy(x, alike === 'reversed')];
        return shape === 'map'
          ? [
              { s: a[0], t: a[1] },
              { s: b[0], t: b[1] },
            ]
          : shape === 'list'
            ? [a, b]
            : [new Map([a]), new Map([b])];
      });
    let same = 0;
    fc.assert(
      fc.property(fc.oneof(pair, fc.tuple(value, value)), ([a, b]) => {
        if (sameData(a, b)) {
          same++;
          expect(canonical(a)).toBe(canonical(b));
        }
      }),
      { numRuns: 3000 },
    );
    expect(same).toBeGreaterThan(300);
  });

  it('calls a value and its copy the same, whenever JSON writes the value the one way (no NaN, Infinity or undefined in a list)', () => {
    const plain = (v: unknown): boolean =>
      typeof v === 'number'
        ? Number.isFinite(v)
        : Array.isArray(v)
          ? v.every((x) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol' && plain(x))
          : v instanceof Map || v instanceof Set
            ? plain([...v].flat())
            : typeof v === 'object' && v !== null && !(v instanceof SourceFile)
              ? Object.values(v).every(plain)
              : true;
    fc.assert(
      fc.property(
        value.filter((v) => plain(v)),
        (v) => {
          expect(sameData(v, copy(v))).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('tells apart what the texts tell apart: key order, a source file, a map from a set, a list from a map', () => {
    expect(sameData({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(false);
    expect(sameData({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameData(files[0], files[1])).toBe(false);
    expect(sameData(files[0], SourceFile.parse(files[0].path, 'other: text\n'))).toBe(true);
    expect(sameData(new Map([['a', 1]]), new Set([['a', 1]]))).toBe(false);
    expect(sameData(new Map([['a', 1]]), new Map([['a', 2]]))).toBe(false);
    expect(sameData([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameData(new Date(0), new Date(1))).toBe(false);
    expect(sameData('1', 1)).toBe(false);
  });
});
