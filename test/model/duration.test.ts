import fc from 'fast-check';
import { formatDuration, formatSeconds, readDuration } from '../../src/model/duration';
import { canonicalDuration, toSeconds } from '../../src/meshes/durations';

/**
 * The reference: Go's time.ParseDuration (src/time/format.go), which Kuma and Istio reach through
 * github.com/golang/protobuf/jsonpb's google.protobuf.Duration decoding. Ported step by step, with BigInt for Go's
 * uint64 and JavaScript numbers for its float64 (the fraction is scaled in floating point there, then truncated).
 * Returns nanoseconds, or undefined where Go returns an error.
 */
function goParseDuration(text: string): bigint | undefined {
  const UNITS: Record<string, bigint> = {
    ns: 1n,
    us: 1000n,
    µs: 1000n,
    μs: 1000n,
    ms: 1_000_000n,
    s: 1_000_000_000n,
    m: 60_000_000_000n,
    h: 3_600_000_000_000n,
  };
  const LIMIT = 1n << 63n;
  let s = text;
  let d = 0n;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') {
    return 0n;
  }
  if (s === '') {
    return undefined;
  }
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  while (s !== '') {
    if (!(s[0] === '.' || isDigit(s[0]))) {
      return undefined;
    }
    // leadingInt
    let v = 0n;
    let i = 0;
    for (; isDigit(s[i]); i++) {
      if (v > LIMIT / 10n) {
        return undefined;
      }
      v = v * 10n + BigInt(s[i]);
      if (v > LIMIT) {
        return undefined;
      }
    }
    const pre = i > 0;
    s = s.slice(i);
    // leadingFraction
    let f = 0n;
    let scale = 1;
    let post = false;
    if (s[0] === '.') {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      for (; isDigit(s[j]); j++) {
        if (overflow) {
          continue;
        }
        if (f > (LIMIT - 1n) / 10n) {
          overflow = true;
          continue;
        }
        const y = f * 10n + BigInt(s[j]);
        if (y > LIMIT) {
          overflow = true;
          continue;
        }
        f = y;
        scale *= 10;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) {
      return undefined;
    }
    let k = 0;
    while (k < s.length && s[k] !== '.' && !isDigit(s[k])) {
      k++;
    }
    const unit = UNITS[s.slice(0, k)];
    if (k === 0 || unit === undefined) {
      return undefined;
    }
    s = s.slice(k);
    if (v > LIMIT / unit) {
      return undefined;
    }
    v *= unit;
    if (f > 0n) {
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > LIMIT) {
        return undefined;
      }
    }
    d += v;
    if (d > LIMIT) {
      return undefined;
    }
  }
  if (neg) {
    return -d;
  }
  return d > LIMIT - 1n ? undefined : d;
}

const MS = 1_000_000n;
const PRECISION = 'must be a whole number of milliseconds: Istio refuses finer durations and Envoy reads timeouts in whole milliseconds';
const MAX_MILLIS = 9_223_372_036_854n;

/** Decimal digits of `value / 10^decimals`, with extra zeros and a point only where needed. */
function decimal(value: bigint, decimals: number, pad: number): string {
  const digits = value.toString().padStart(decimals + 1, '0');
  const whole = digits.slice(0, digits.length - decimals);
  const fraction = digits.slice(digits.length - decimals) + '0'.repeat(pad);
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** A whole number of milliseconds written in one of the ways a person might: `90m`, `1h30m`, `1.5h`, `5400s`, `5400000ms`. */
const writtenMillis: fc.Arbitrary<[bigint, string]> = fc
  .tuple(
    fc.oneof(fc.bigInt(1n, 10_000n), fc.bigInt(1n, 100_000_000n), fc.bigInt(1n, MAX_MILLIS)),
    fc.constantFrom('ms', 's', 'm', 'h', 'split'),
    fc.nat(3),
  )
  .map(([millis, style, pad]): [bigint, string] => {
    switch (style) {
      case 'ms':
        return [millis, `${millis}ms`];
      case 's':
        return [millis, `${decimal(millis, 3, pad)}s`];
      case 'm':
        // 1ms is 1/60000 of a minute: exact in decimals only when the count allows it.
        return millis % 60n === 0n ? [millis, `${decimal(millis / 60n, 3, pad)}m`] : [millis, `${millis}ms`];
      case 'h':
        return millis % 3600n === 0n ? [millis, `${decimal(millis / 3600n, 3, pad)}h`] : [millis, `${decimal(millis, 3, pad)}s`];
      default: {
        const parts = [
          [3_600_000n, 'h'],
          [60_000n, 'm'],
          [1000n, 's'],
          [1n, 'ms'],
        ] as const;
        let rest = millis;
        let out = '';
        for (const [size, unit] of parts) {
          if (rest >= size) {
            out += `${rest / size}${unit}`;
            rest %= size;
          }
        }
        return [millis, out];
      }
    }
  });

/** Any string of meshflip's duration grammar: 1 to 3 components, long digit runs included. */
const grammarDuration = fc
  .array(fc.tuple(fc.stringMatching(/^[0-9]{1,14}$/), fc.option(fc.stringMatching(/^[0-9]{1,14}$/)), fc.constantFrom('ms', 's', 'm', 'h')), {
    minLength: 1,
    maxLength: 3,
  })
  .map((parts) => parts.map(([whole, fraction, unit]) => `${whole}${fraction === null ? '' : `.${fraction}`}${unit}`).join(''));

describe('readDuration', () => {
  test('reads a whole number of milliseconds however it is written, as Go does', () => {
    fc.assert(
      fc.property(writtenMillis, ([millis, text]) => {
        const reading = readDuration(text);
        expect(reading).toEqual({ ok: true, millis });
        expect(goParseDuration(text)).toEqual(millis * MS);
      }),
      { numRuns: 2000 },
    );
  });

  test('accepts only what Go reads as the same whole number of milliseconds, at least 1ms', () => {
    fc.assert(
      fc.property(grammarDuration, (text) => {
        const reading = readDuration(text);
        const go = goParseDuration(text);
        if (reading.ok) {
          expect(go).toEqual(reading.millis * MS);
        }
        if (go !== undefined && (go < MS || go % MS !== 0n)) {
          expect(reading.ok).toBe(false);
        }
        if (!reading.ok && go !== undefined && go >= MS) {
          // Go reads a whole number of milliseconds only by dropping digits past the nanosecond.
          expect(reading.message).toEqual(PRECISION);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('refuses what is not a whole number of milliseconds, suggesting the two nearest', () => {
    fc.assert(
      fc.property(
        fc.bigInt(1n, 10n ** 15n).filter((n) => n % MS !== 0n),
        (nanos) => {
          // GIVEN a nanosecond count written as exact seconds
          const text = `${decimal(nanos, 9, 0)}s`;
          // WHEN
          const reading = readDuration(text);
          // THEN
          const below = nanos / MS;
          expect(reading).toEqual({
            ok: false,
            message: PRECISION,
            hint: below === 0n ? 'write 1ms' : `write ${formatDuration(below)} or ${formatDuration(below + 1n)}`,
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  test.each([
    ['1.9996s', 'write 1999ms or 2s'],
    ['0.0004s', 'write 1ms'],
    ['1.0000000001s', 'write 1s or 1001ms'],
    ['0.00001m', 'write 1ms'],
  ])('refuses %s, not a whole number of milliseconds', (text, hint) => {
    // THEN
    expect(readDuration(text)).toEqual({
      ok: false,
      message: PRECISION,
      hint,
    });
  });

  test.each([['0s'], ['0ms'], ['0.000h'], ['0h0m0s']])('refuses %s: zero means no timeout in Envoy', (text) => {
    // THEN
    expect(readDuration(text)).toEqual({
      ok: false,
      message: 'must be at least 1ms: Istio refuses shorter durations, and a zero timeout means no timeout in Envoy',
      hint: 'leave the field out to keep the mesh default',
    });
  });

  test('takes the longest duration Go holds in whole milliseconds and refuses a millisecond more', () => {
    // THEN 2^63-1 ns is 2562047h47m16.854775807s
    expect(readDuration('2562047h47m16.854s')).toEqual({ ok: true, millis: MAX_MILLIS });
    expect(goParseDuration('2562047h47m16.854s')).toEqual(MAX_MILLIS * MS);
    expect(goParseDuration('2562047h47m16.855s')).toBeUndefined();
    expect(readDuration('2562047h47m16.855s')).toEqual({
      ok: false,
      message: "must be at most 2562047h47m16.854s, the longest duration Go's time.Duration holds",
      hint: 'use a shorter duration',
    });
    expect(readDuration('99999999999999999999h').ok).toBe(false);
  });
});

describe('toSeconds and canonicalDuration', () => {
  test('toSeconds is exact and Go reads it back as the same duration (Kuma legacy policies take seconds only)', () => {
    fc.assert(
      fc.property(writtenMillis, ([millis, text]) => {
        const seconds = toSeconds(text);
        expect(seconds).toMatch(/^([0-9]+\.?[0-9]*|\.[0-9]+)s$/);
        expect(goParseDuration(seconds)).toEqual(millis * MS);
        expect(seconds).toEqual(formatSeconds(millis));
      }),
      { numRuns: 1000 },
    );
  });

  test('canonicalDuration gives equal durations one spelling, which Go reads as the same duration', () => {
    fc.assert(
      fc.property(writtenMillis, ([millis, text]) => {
        const canonical = canonicalDuration(text);
        expect(canonical).toEqual(canonicalDuration(`${millis}ms`));
        expect(canonical).toEqual(canonicalDuration(toSeconds(text)));
        expect(goParseDuration(canonical)).toEqual(millis * MS);
      }),
      { numRuns: 1000 },
    );
  });

  test.each([
    ['1.999s', '1.999s', '1999ms'],
    ['1h30m', '5400s', '90m'],
    ['500ms', '0.5s', '500ms'],
    ['0.5m', '30s', '30s'],
    ['1.5h', '5400s', '90m'],
  ])('%s is %s for Kuma and %s canonically', (text, seconds, canonical) => {
    // THEN
    expect(toSeconds(text)).toEqual(seconds);
    expect(canonicalDuration(text)).toEqual(canonical);
  });

  test('toSeconds refuses a duration the loader would have refused, as a bug', () => {
    // THEN
    expect(() => toSeconds('0.0004s')).toThrow('internal error: duration "0.0004s" was not validated: must be a whole number of milliseconds');
  });
});
