import { MAX_EXPIRY_DAYS, resolveExpiry } from '../../src/model/flip';

const NOW = new Date('2026-03-01T10:00:00Z');

describe('resolveExpiry: a duration from now of 1 minute to 366 days', () => {
  test.each([
    ['1m', '2026-03-01T10:01:00Z'],
    ['366d', '2027-03-02T10:00:00Z'],
    ['52w', '2027-02-28T10:00:00Z'],
    [`${MAX_EXPIRY_DAYS * 24}h`, '2027-03-02T10:00:00Z'],
    [`${MAX_EXPIRY_DAYS * 1440}m`, '2027-03-02T10:00:00Z'],
  ])('takes %s', (text, expected) => {
    expect(resolveExpiry(text, NOW)).toBe(expected);
  });

  test.each(['0m', '367d', '53w', `${MAX_EXPIRY_DAYS * 1440 + 1}m`, '99999999w', `${'9'.repeat(400)}w`])('refuses %s', (text) => {
    expect(resolveExpiry(text, NOW)).toBeUndefined();
  });

  test('takes a date far ahead, written out', () => {
    expect(resolveExpiry('9999-12-31', NOW)).toBe('9999-12-31');
  });
});
