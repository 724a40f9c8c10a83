/**
 * Durations are written like Go durations (`500ms`, `1.5s`, `3m`, `1h30m`): both meshes read them with Go's
 * time.ParseDuration, through github.com/golang/protobuf/jsonpb's google.protobuf.Duration decoding (Kuma:
 * pkg/util/proto/proto.go FromJSON; Istio: pkg/util/protomarshal/protomarshal.go and the generated *_json.gen.go
 * unmarshalers). Istio then refuses what is under 1ms or finer than a millisecond (pkg/config/validation/agent/
 * validation.go ValidateDuration: "only durations to ms precision are supported"), and Envoy converts timeouts to
 * whole milliseconds, where 0 means no timeout at all. So meshflip takes whole milliseconds from 1ms up to what Go's
 * time.Duration holds, computed exactly from the digits as written: no floating point.
 */

/** Nanoseconds per unit, as Go's time package defines them. */
const UNIT_NANOS: Readonly<Record<string, bigint>> = { ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };

const NANOS_PER_MILLI = 1_000_000n;

/** Go's time.Duration is an int64 of nanoseconds; time.ParseDuration refuses longer durations. */
const MAX_GO_DURATION_NANOS = 9_223_372_036_854_775_807n;

/** The grammar meshflip takes: one or more `<digits>[.<digits>]<unit>`, units ms, s, m and h. */
export const DURATION = /^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/;

const COMPONENT = /([0-9]+)(?:\.([0-9]+))?(ms|s|m|h)/g;

/** A duration read exactly, or why it cannot be used. */
export type DurationReading =
  { readonly ok: true; readonly millis: bigint } | { readonly ok: false; readonly message: string; readonly hint: string };

/**
 * Reads a duration written in the `DURATION` grammar as a whole number of milliseconds, exactly: each component's
 * digits are an integer numerator over a power of ten, scaled by the unit in BigInt nanoseconds.
 */
export function readDuration(text: string): DurationReading {
  if (!DURATION.test(text)) {
    return {
      ok: false,
      message: 'must be a duration such as 500ms, 1s, 5m or 1h',
      hint: 'write digits followed by a unit: ms, s, m or h (1h30m, 1.5s)',
    };
  }
  const { nanos, exact } = exactNanos(text);
  if (nanos > MAX_GO_DURATION_NANOS) {
    return {
      ok: false,
      message: `must be at most ${goDurationString(MAX_GO_DURATION_NANOS / NANOS_PER_MILLI)}, the longest duration Go's time.Duration holds`,
      hint: 'use a shorter duration',
    };
  }
  if (!exact) {
    return {
      ok: false,
      message: 'must be a whole number of milliseconds: Istio refuses finer durations and Envoy reads timeouts in whole milliseconds',
      hint: wholeMillisHint(nanos),
    };
  }
  if (nanos === 0n) {
    return {
      ok: false,
      message: 'must be at least 1ms: Istio refuses shorter durations, and a zero timeout means no timeout in Envoy',
      hint: 'leave the field out to keep the mesh default',
    };
  }
  return { ok: true, millis: nanos / NANOS_PER_MILLI };
}

/**
 * The nanoseconds a duration in the `DURATION` grammar stands for, rounded down, and whether that is an exact whole
 * number of milliseconds. Stops adding once past what Go's time.Duration holds, so a long input stays cheap.
 */
export function exactNanos(text: string): { readonly nanos: bigint; readonly exact: boolean } {
  let nanos = 0n;
  let exact = true;
  for (const [, whole, fraction = '', unit] of text.matchAll(COMPONENT)) {
    const scale = 10n ** BigInt(fraction.length);
    const scaled = BigInt(whole + fraction) * UNIT_NANOS[unit];
    exact &&= scaled % scale === 0n;
    nanos += scaled / scale;
    if (nanos > MAX_GO_DURATION_NANOS) {
      return { nanos, exact: false };
    }
  }
  return { nanos, exact: exact && nanos % NANOS_PER_MILLI === 0n };
}

/** The hint for a duration finer than a millisecond: the whole milliseconds on either side of it. */
export function wholeMillisHint(nanos: bigint): string {
  const below = nanos / NANOS_PER_MILLI;
  return `write ${below === 0n ? '1ms' : `${formatDuration(below)} or ${formatDuration(below + 1n)}`}`;
}

/** A number of milliseconds in its shortest exact form: `180000` is `3m`, `1500` is `1500ms`, `5400000` is `90m`. */
export function formatDuration(millis: bigint): string {
  for (const [unit, size] of [
    ['h', 3_600_000n],
    ['m', 60_000n],
    ['s', 1000n],
  ] as const) {
    if (millis !== 0n && millis % size === 0n) {
      return `${millis / size}${unit}`;
    }
  }
  return `${millis}ms`;
}

/** A number of milliseconds as seconds with up to three decimals: `180000` is `180s`, `500` is `0.5s`, `1999` is `1.999s`. */
export function formatSeconds(millis: bigint): string {
  const whole = millis / 1000n;
  const fraction = (millis % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return fraction === '' ? `${whole}s` : `${whole}.${fraction}s`;
}

/** A number of milliseconds as Go's Duration.String writes it: `2562047h47m16.854s`, `1m30s`, `1.5s`. */
function goDurationString(millis: bigint): string {
  const hours = millis / 3_600_000n;
  const minutes = (millis % 3_600_000n) / 60_000n;
  const seconds = formatSeconds(millis % 60_000n);
  return `${hours > 0n ? `${hours}h` : ''}${hours > 0n || minutes > 0n ? `${minutes}m` : ''}${seconds}`;
}
