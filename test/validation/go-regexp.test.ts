import fc from 'fast-check';
import { RE2JS as BufRE2 } from '@bufbuild/re2';
import { compileGoRegExp } from '../../src/validation/go-regexp';

describe('compileGoRegExp', () => {
  test.each([
    ['^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', 'my-service', 'My_Service'],
    ["^[a-z0-9!#$%&'*+\\-.^_\\x60|~]+$", 'x-b3-traceid', 'x b3'],
    ['\\A[[:alpha:]][[:digit:]]+\\z', 'a12', '1a2'],
    ['^(?P<major>\\d+)\\.(?P<minor>\\d+)$', '1.28', '1.x'],
    ['^\\Q1.2+\\E$', '1.2+', '1x2+'],
    ['(?i)^mesh$', 'MESH', 'meshes'],
    ['^\\pL+$', 'Größe', 'a1'],
    ['^\\x{41}$', 'A', 'B'],
    ['^[]a]+$', ']a', 'b'],
    ['^a(?i)b$', 'aB', 'AB'],
    ['^[[:^alpha:]]+$', '12', 'a1'],
  ])('compiles %s', (pattern, matching, notMatching) => {
    // WHEN
    const regexp = compileGoRegExp(pattern);
    // THEN
    expect(regexp).toBeDefined();
    expect(regexp?.test(matching)).toBe(true);
    expect(regexp?.test(notMatching)).toBe(false);
  });

  test('searches anywhere in the string unless anchored, like Go', () => {
    // THEN
    expect(compileGoRegExp('^.{2,}|[^./]$')?.test('.')).toBe(false);
    expect(compileGoRegExp('^.{2,}|[^./]$')?.test('a')).toBe(true);
    expect(compileGoRegExp('b')?.test('abc')).toBe(true);
  });

  // Where a translation into JavaScript's RegExp used to differ from Go's regexp/syntax (perl classes are ASCII:
  // `\s` is `[\t\n\f\r ]`; `.` and negated classes match one code point; `\x` takes exactly two hex digits or braces).
  test.each([
    ['\\s', '\v', false],
    ['\\s', '\f', true],
    ['^.$', '😀', true],
    ['^[^a]$', '😀', true],
    ['^..$', '😀', false],
    ['^\\d$', '٣', false],
    ['^\\w$', 'é', false],
  ])('%s matching %j is %s, as in RE2', (pattern, text, expected) => {
    // THEN
    expect(compileGoRegExp(pattern)?.test(text)).toBe(expected);
  });

  test.each([['\\x4g'], ['\\C'], ['(unclosed'], ['a**'], ['\\8'], ['(?<name>a)b(?<name>c)'], ['x{1001}']])(
    'refuses %s, which Go does not compile',
    (pattern) => {
      // THEN
      expect(compileGoRegExp(pattern)).toBeUndefined();
    },
  );

  test('(?U) makes repetition non-greedy, as in Go', () => {
    // THEN
    expect(compileGoRegExp('(?U)a+')?.find('aaa')).toEqual('a');
  });

  test('find returns the leftmost match or an empty string, like Go FindString', () => {
    // THEN
    expect(compileGoRegExp('[0-9]+')?.find('v42 and 7')).toEqual('42');
    expect(compileGoRegExp('[0-9]+')?.find('none')).toEqual('');
  });

  test('findAll skips an empty match that abuts the previous match, like Go FindAllString', () => {
    // THEN go doc regexp: `a*` over "baaac" finds "", "aaa" and "" (not a second "" at 3)
    expect(compileGoRegExp('a*')?.findAll('baaac')).toEqual(['', 'aaa', '']);
    expect(compileGoRegExp('[0-9]')?.findAll('4a2b9', 2)).toEqual(['4', '2']);
    expect(compileGoRegExp('[0-9]')?.findAll('4a2b9', 0)).toEqual([]);
  });
});

/**
 * A random pattern from the part of RE2 syntax that JavaScript's `u`-mode RegExp shares once Go's classes are spelled
 * out (regexp/syntax doc: `.` is any character but newline, `\d` is `[0-9]`, `\w` is `[0-9A-Za-z_]`, `\s` is
 * `[\t\n\f\r ]`), as the Go source and the JavaScript source that means the same. Both engines pick the leftmost
 * match and prefer alternatives and repetitions in the same order, so `test` and `find` must agree. Only what cannot
 * match the empty string is repeated: JavaScript refuses an empty iteration beyond the minimum, RE2 does not.
 */
interface Node {
  readonly go: string;
  readonly js: string;
  readonly nullable: boolean;
}

const ATOMS: readonly Node[] = [
  ['a', 'a'],
  ['b', 'b'],
  ['😀', '😀'],
  ['é', 'é'],
  ['\\.', '\\.'],
  ['.', '[^\\n]'],
  ['\\d', '[0-9]'],
  ['\\w', '[0-9A-Za-z_]'],
  ['\\s', '[\\t\\n\\f\\r ]'],
  ['[^a]', '[^a]'],
  ['[a-c😀]', '[a-c😀]'],
  ['\\x{1F600}', '\\u{1F600}'],
  ['\\pL', '\\p{L}'],
].map(([go, js]) => ({ go, js, nullable: false }));

const REPEATS: Readonly<Record<string, boolean>> = { '*': true, '+': false, '?': true, '*?': true, '{1,2}': false };

const node: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...ATOMS),
    fc.tuple(tie('node'), tie('node')).map(([a, b]) => ({ go: a.go + b.go, js: a.js + b.js, nullable: a.nullable && b.nullable })),
    fc
      .tuple(tie('node'), tie('node'))
      .map(([a, b]) => ({ go: `(?:${a.go}|${b.go})`, js: `(?:${a.js}|${b.js})`, nullable: a.nullable || b.nullable })),
    fc
      .tuple(
        tie('node').filter((a) => !a.nullable),
        fc.constantFrom(...Object.keys(REPEATS)),
      )
      .map(([a, op]) => ({ go: `(?:${a.go})${op}`, js: `(?:${a.js})${op}`, nullable: REPEATS[op] })),
  ),
})).node;

const pattern = node.chain((n) => fc.constantFrom<readonly [string, string]>([n.go, n.js], [`^${n.go}`, `^${n.js}`], [`^${n.go}$`, `^${n.js}$`]));

const text = fc
  .array(fc.constantFrom('a', 'b', 'c', '😀', 'é', '.', '0', '_', ' ', '\n', '\v', '\t', '٣', 'Ω'), { maxLength: 8 })
  .map((chars) => chars.join(''));

describe('compileGoRegExp against RE2 syntax spelled out for JavaScript', () => {
  test('test and find agree on random patterns and texts', () => {
    fc.assert(
      fc.property(pattern, text, ([go, js], input) => {
        const regexp = compileGoRegExp(go);
        const reference = new RegExp(js, 'u');
        expect(regexp?.test(input)).toEqual(reference.test(input));
        expect(regexp?.find(input)).toEqual(reference.exec(input)?.[0] ?? '');
      }),
      { numRuns: 500 },
    );
  });
});

/** Syntax the JavaScript reference above cannot spell out: flags, POSIX and Unicode classes, word boundaries, `\Q…\E`. */
const RE2_ONLY: readonly string[] = [
  '(?i)a',
  '(?s).',
  '(?m)^b$',
  '[[:alpha:]]',
  '[[:^digit:]]',
  '\\pL',
  '\\PL',
  '\\p{Greek}',
  '\\b',
  '\\B',
  '\\Qa.b\\E',
  '\\x{1F600}',
  '[^\\s]',
  '\\A',
  '\\z',
];

const re2Pattern = fc
  .array(
    fc.oneof(
      fc.constantFrom(...RE2_ONLY),
      node.map((n) => n.go),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join(''));

const re2Text = fc
  .array(fc.constantFrom('a', 'A', 'b', '😀', 'Ω', 'λ', '.', '0', '_', ' ', '\n', '\v', 'é'), { maxLength: 8 })
  .map((chars) => chars.join(''));

describe('compileGoRegExp against @bufbuild/re2, the RE2 port CEL matches() runs on', () => {
  test('both RE2 ports agree whether random patterns match', () => {
    fc.assert(
      fc.property(re2Pattern, re2Text, (source, input) => {
        let other: BufRE2 | undefined;
        try {
          other = BufRE2.compile(source);
        } catch {
          other = undefined;
        }
        const regexp = compileGoRegExp(source);
        expect(regexp === undefined).toBe(other === undefined);
        expect(regexp?.test(input)).toEqual(other?.test(input));
      }),
      { numRuns: 500 },
    );
  });
});
