/**
 * Durations are written like Go durations (`500ms`, `1s`, `3m`, `1h30m`). Kuma's legacy policies
 * only accept seconds (`^([0-9]+\.?[0-9]*|\.[0-9]+)s$`), so they get converted.
 */

const UNIT_MILLIS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The duration in milliseconds. */
export function toMillis(duration: string): number {
  let total = 0;
  for (const match of duration.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) {
    total += Number(match[1]) * UNIT_MILLIS[match[2]];
  }
  return total;
}

/** The duration as seconds, the only form Kuma's legacy policies accept: `3m` is `180s`, `500ms` is `0.5s`. */
export function toSeconds(duration: string): string {
  const millis = toMillis(duration);
  // Integer arithmetic avoids float artefacts such as 0.30000000000000004.
  const whole = Math.floor(millis / 1000);
  const fraction = Math.round(millis % 1000);
  return fraction === 0 ? `${whole}s` : `${whole}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}s`;
}

/** A duration in its shortest exact form (`180s` and `3m` are both `3m`), so equal durations compare equal. */
export function canonicalDuration(duration: string): string {
  const millis = toMillis(duration);
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (millis !== 0 && millis % size === 0) {
      return `${millis / size}${unit}`;
    }
  }
  return `${millis}ms`;
}
