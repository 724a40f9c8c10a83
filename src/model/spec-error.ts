import { escapeUnsafeText } from './unsafe-text';

/**
 * One thing wrong with the input, located at a file, line and column.
 *
 * `field` is the path of the offending value in the user's words (YAML keys joined by dots,
 * list indexes in brackets), `message` says what is wrong and what is allowed, `got` is the
 * value that was given, rendered for a human, and `hint` is an optional suggestion.
 */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly field: string;
  readonly message: string;
  readonly got?: string;
  readonly hint?: string;
  readonly severity?: 'error' | 'warning';
}

/**
 * Renders a problem as `file:line:col: field: message, got value; hint`, on one line: control and
 * invisible characters from the input (in a file name, a key, a value) are shown as escapes.
 */
export function formatProblem(problem: Problem): string {
  const severity = problem.severity === 'warning' ? 'warning: ' : '';
  return `${escapeUnsafeText(problem.file)}:${problem.line}:${problem.col}: ${severity}${problemText(problem)}`;
}

/** A problem without its location and severity, on one line: `<field>: <message>, got <value>; <hint>`. */
export function problemText(problem: Problem): string {
  const got = problem.got === undefined ? '' : `, got ${problem.got}`;
  const hint = problem.hint === undefined ? '' : `; ${problem.hint}`;
  return escapeUnsafeText(`${problem.field}: ${problem.message}${got}${hint}`);
}

/** Sorts problems by file, line and column, and drops exact duplicates. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  const unique: Problem[] = [];
  for (const problem of problems) {
    const key = formatProblem(problem);
    if (!seen.has(key)) {
      seen.add(key);
      unique.push(problem);
    }
  }
  return unique.sort(
    (a, b) =>
      compareStrings(a.file, b.file) || a.line - b.line || a.col - b.col || compareStrings(a.field, b.field) || compareStrings(a.message, b.message),
  );
}

/** Locale-independent string comparison: the same order on every machine. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The one error type for bad input. It carries every problem found, sorted by file and line.
 *
 * Anything else thrown is a bug in meshflip and keeps its stack trace.
 */
export class SpecError extends Error {
  public readonly problems: readonly Problem[];

  constructor(problems: readonly Problem[]) {
    const sorted = sortProblems(problems);
    super(sorted.map(formatProblem).join('\n'));
    this.name = 'SpecError';
    this.problems = sorted;
  }

  /** True when `e` is a SpecError (also across module copies). */
  public static is(e: unknown): e is SpecError {
    return e instanceof SpecError || (e instanceof Error && e.name === 'SpecError' && Array.isArray((e as SpecError).problems));
  }
}

/** Renders a value the user gave, short enough for one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (value === null) {
    return 'null';
  }
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  if (Array.isArray(value)) {
    return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  }
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty map' : `a map with keys ${keys.slice(0, 4).join(', ')}${keys.length > 4 ? ', ...' : ''}`;
  }
  return typeof value;
}

/** The closest candidate to `value` by edit distance, when it is close enough to be a likely typo. */
export function closest(value: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  const lower = value.toLowerCase();
  for (const candidate of candidates) {
    // Only a candidate as close as the best so far can take its place.
    const distance = editDistance(lower, candidate.toLowerCase(), bestDistance);
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best === undefined) {
    return undefined;
  }
  const limit = Math.max(1, Math.floor(Math.max(value.length, best.length) / 3));
  return bestDistance <= limit ? best : undefined;
}

/** A "did you mean" hint, or undefined when nothing is close. */
export function didYouMean(value: unknown, candidates: Iterable<string>): string | undefined {
  if (typeof value !== 'string') {
    return undefined;
  }
  const match = closest(value, candidates);
  return match === undefined || match === value ? undefined : `did you mean "${match}"?`;
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps cost 1.
 * Any number over `bound` once the distance is certain to be over it: the lengths differ by more,
 * or a row holds nothing within it (the distance is at least the least of any row: a swap that
 * jumps over a row costs what a substitution through it would). Three rows are kept, not the table.
 */
export function editDistance(a: string, b: string, bound = Infinity): number {
  if (Math.abs(a.length - b.length) > bound) {
    return bound + 1;
  }
  let beforePrevious = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let distance = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        distance = Math.min(distance, beforePrevious[j - 2] + 1);
      }
      current[j] = distance;
      rowMin = Math.min(rowMin, distance);
    }
    if (rowMin > bound) {
      return bound + 1;
    }
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return previous[b.length];
}
