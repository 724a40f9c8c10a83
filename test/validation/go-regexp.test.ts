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
  ])('translates %s', (pattern, matching, notMatching) => {
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

  test.each([['a(?i)b'], ['(?U)a+'], ['[[:^alpha:]]'], ['\\C'], ['(unclosed']])('fails when %s has no JavaScript equivalent', (pattern) => {
    // THEN
    expect(compileGoRegExp(pattern)).toBeUndefined();
  });
});
