import { RE2JS } from 're2js';

/**
 * A Go (RE2) regular expression, as Kubernetes uses them: `pattern` in schemas is checked with Go's
 * `regexp.MatchString` (k8s.io/kube-openapi/pkg/validation/validate/validator.go, `strfmt` pattern checks), and the
 * CEL `find` / `findAll` functions call `FindString` / `FindAllString` (k8s.io/apiserver/pkg/cel/library/regex.go).
 *
 * The engine is re2js, a pure-JavaScript port of RE2/J that keeps Go's syntax and semantics (`\s` is `[\t\n\f\r ]`
 * without `\v`, `.` and negated classes match any code point including those outside the BMP, invalid escapes such
 * as `\x4g` are syntax errors, flags may appear anywhere, `(?U)` is supported).
 */
export interface GoRegExp {
  /** The pattern as written. */
  readonly source: string;

  /** Whether the expression matches anywhere in `text` (Go's `MatchString`). */
  test(text: string): boolean;

  /** The leftmost match, or `''` when there is none (Go's `FindString`). */
  find(text: string): string;

  /**
   * Successive non-overlapping matches (Go's `FindAllString`): an empty match right after the previous match is not
   * reported. A negative `limit` means all of them.
   */
  findAll(text: string, limit?: number): string[];
}

/** Compiled expressions by pattern: schemas repeat the same patterns on many nodes. */
const CACHE = new Map<string, GoRegExp | undefined>();

/**
 * Compiles a Go (RE2) regular expression.
 *
 * @returns the expression, or `undefined` when the pattern is not valid RE2 syntax (Go's `regexp.Compile` fails)
 */
export function compileGoRegExp(pattern: string): GoRegExp | undefined {
  if (CACHE.has(pattern)) {
    return CACHE.get(pattern);
  }
  let compiled: GoRegExp | undefined;
  try {
    compiled = new Re2GoRegExp(pattern, RE2JS.compile(pattern));
  } catch {
    compiled = undefined;
  }
  CACHE.set(pattern, compiled);
  return compiled;
}

class Re2GoRegExp implements GoRegExp {
  constructor(
    public readonly source: string,
    private readonly re2: RE2JS,
  ) {}

  public test(text: string): boolean {
    return this.re2.test(text);
  }

  public find(text: string): string {
    const matcher = this.re2.matcher(text);
    return matcher.find() ? (matcher.group() ?? '') : '';
  }

  public findAll(text: string, limit = -1): string[] {
    const found: string[] = [];
    const matcher = this.re2.matcher(text);
    // Go's regexp.allMatches: an empty match that abuts the previous match is skipped.
    let previousEnd = -1;
    while ((limit < 0 || found.length < limit) && matcher.find()) {
      const start = matcher.start();
      const end = matcher.end();
      if (start === end && start === previousEnd) {
        continue;
      }
      found.push(matcher.group() ?? '');
      previousEnd = end;
    }
    return found;
  }
}
