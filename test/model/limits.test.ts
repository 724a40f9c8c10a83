import { MAX_PROBLEMS_PER_FILE, SourceFile } from '../../src/model/source-file';
import { formatProblem } from '../../src/model/spec-error';

/**
 * Input checks run in time linear in their input: large inputs get the right error, with a
 * generous timeout as the guard against a hang. How long they take is measured in `npm run bench`.
 */

const HANG_GUARD_MS = 60_000;

/** A catalogue of `n` services. */
function catalogue(n: number): string {
  const out: string[] = ['services:'];
  for (let i = 0; i < n; i++) {
    out.push(`  svc-${i}:`, '    image: registry.example.com/svc:1.0.0');
  }
  return `${out.join('\n')}\n`;
}

describe('duplicate keys', () => {
  test('finds the one repeated key of 40,000 services at the repeated key', () => {
    // GIVEN
    const text = `${catalogue(40_000)}  svc-7:\n    image: registry.example.com/svc:2.0.0\n`;
    // WHEN the entry limit is lifted, to time the duplicate check alone
    const file = SourceFile.parse('environments/catalog/big.yaml', text, { maxEntries: 100_000 });
    // THEN
    expect(file.problems.map(formatProblem)).toEqual([
      'environments/catalog/big.yaml:80002:3: services.svc-7: duplicate key: each key may appear only once in a map, got "svc-7"; merge the two entries or remove one',
    ]);
  }, HANG_GUARD_MS);

  test(`shows the first ${MAX_PROBLEMS_PER_FILE} problems of a file where every key repeats, and says there are more`, () => {
    // GIVEN 20,000 repeats of one key
    const text = `services:\n${'  a: 1\n'.repeat(20_000)}`;
    // WHEN
    const problems = SourceFile.parse('environments/catalog/big.yaml', text, { maxEntries: 100_000 }).problems.map(formatProblem);
    // THEN
    expect(problems).toHaveLength(MAX_PROBLEMS_PER_FILE + 1);
    expect(problems[0]).toBe('environments/catalog/big.yaml:3:3: services.a: duplicate key: each key may appear only once in a map, got "a"; merge the two entries or remove one');
    expect(problems[MAX_PROBLEMS_PER_FILE]).toBe(
      `environments/catalog/big.yaml:1:1: (document): has more problems: only the first ${MAX_PROBLEMS_PER_FILE} of its syntax, key and alias problems are shown; fix these and run again`,
    );
  }, HANG_GUARD_MS);
});
