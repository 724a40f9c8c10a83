import * as fc from 'fast-check';
import { closest, editDistance } from '../../src/model/spec-error';

// The "did you mean" hints rest on the optimal string alignment distance. It is computed with three
// rows and stops once it is certain to be over a bound; what it gives must be what the whole table
// gives, and over the bound whenever that is.

/** The distance from the whole table, as the textbook writes it. */
function tableDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate as the hints chose it before the bound: every distance in full. */
function closestInFull(value: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = tableDistance(value.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
      [best, bestDistance] = [candidate, distance];
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(Math.max(value.length, best.length) / 3)) ? best : undefined;
}

// Few letters, so that strings share runs and swaps, and distances are small and large alike.
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'A', '-'), maxLength: 12 });

describe('the edit distance of the hints', () => {
  test('is what the whole table gives, and over a bound exactly when the distance is', () => {
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 8 }), (a, b, bound) => {
        const full = tableDistance(a, b);
        expect(editDistance(a, b)).toBe(full);
        const bounded = editDistance(a, b, bound);
        expect(bounded > bound).toBe(full > bound);
        if (full <= bound) {
          expect(bounded).toBe(full);
        }
      }),
      { numRuns: 3000 },
    );
  });

  test('counts a swap of neighbours as one edit, and stops early on strings far apart', () => {
    expect(editDistance('kuma', 'kmua')).toBe(1);
    expect(editDistance('captains-log', 'captians-log')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('a'.repeat(2000), 'b'.repeat(2000), 3)).toBe(4);
  });

  test('gives the candidate the whole table would, the first in order among equals', () => {
    fc.assert(
      fc.property(word, fc.array(word, { maxLength: 8 }), (value, candidates) => {
        expect(closest(value, candidates)).toBe(closestInFull(value, candidates));
      }),
      { numRuns: 2000 },
    );
  });
});
