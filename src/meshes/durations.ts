import { formatDuration, formatSeconds, readDuration } from '../model/duration';

/**
 * Durations are written like Go durations (`500ms`, `1s`, `3m`, `1h30m`) and validated as whole milliseconds when the
 * environment is loaded (`model/duration.ts`). Kuma's legacy policies only accept seconds
 * (`^([0-9]+\.?[0-9]*|\.[0-9]+)s$`), so they get converted, exactly.
 */

/** The duration as seconds, the only form Kuma's legacy policies accept: `3m` is `180s`, `500ms` is `0.5s`. */
export function toSeconds(duration: string): string {
  const reading = readDuration(duration);
  if (!reading.ok) {
    // The loader refuses such a duration with a Problem; reaching here is a bug.
    throw new Error(`internal error: duration ${JSON.stringify(duration)} was not validated: ${reading.message}`);
  }
  return formatSeconds(reading.millis);
}

/**
 * A duration in its shortest exact form (`180s` and `3m` are both `3m`), so equal durations compare equal. A value
 * read back that is not a whole number of milliseconds is returned as written.
 */
export function canonicalDuration(duration: string): string {
  const reading = readDuration(duration);
  return reading.ok ? formatDuration(reading.millis) : duration;
}
