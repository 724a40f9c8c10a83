import { EnvironmentSpec } from './spec';
import { Problem } from './spec-error';

/** How long before an expiry `meshflip validate` starts warning. */
const EXPIRY_WARNING_HOURS = 24;

/** The instant an expiry stands for: a date alone means the start of that day, UTC. */
export function expiryInstant(expires: string): Date {
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(expires) ? `${expires}T00:00:00Z` : expires);
}

/**
 * Whether an expiry names a real calendar day and time. `2026-13-01` and `2026-02-30` match the
 * format, but JavaScript dates reject the first and silently roll the second over into March.
 */
export function isValidExpiry(expires: string): boolean {
  const day = new Date(`${expires.slice(0, 10)}T00:00:00Z`);
  return !Number.isNaN(expiryInstant(expires).getTime()) && !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === expires.slice(0, 10);
}

/**
 * Flips and faults whose expiry has passed (errors: they block merges until reverted or extended
 * in a reviewed edit) or is less than a day away (warnings). Synthesis never calls this: what it
 * writes does not depend on the clock.
 */
export function checkExpiries(envs: readonly EnvironmentSpec[], now: Date): Problem[] {
  const problems: Problem[] = [];
  for (const env of envs) {
    const dated = [
      ...env.routes.map((r) => ({
        what: `the routing of ${r.service}`,
        expires: r.expires,
        origin: r.origin,
        revert: `npx meshflip flip ${env.name} ${r.service} --to real`,
      })),
      ...env.faults.map((f) => ({ what: `the faults of ${f.service}`, expires: f.expires, origin: f.origin, revert: 'npx meshflip revert-expired' })),
    ];
    for (const { what, expires, origin, revert } of dated) {
      if (expires === undefined || origin === undefined) {
        continue;
      }
      const at = expiryInstant(expires);
      const hours = (at.getTime() - now.getTime()) / 3_600_000;
      const path = [...origin.path, 'expires'];
      if (!isValidExpiry(expires)) {
        problems.push(origin.file.problem(path, 'must be a valid date'));
      } else if (hours <= 0) {
        problems.push(
          origin.file.problem(path, `has passed: ${what} expired ${formatAgo(-hours)} ago`, {
            hint: `revert it (${revert}) or extend the expiry in a reviewed change`,
          }),
        );
      } else if (hours < EXPIRY_WARNING_HOURS) {
        problems.push(
          origin.file.problem(path, `is close: ${what} expires in ${formatAgo(hours)}`, {
            severity: 'warning',
            hint: 'revert or extend it before then',
          }),
        );
      }
    }
  }
  return problems;
}

function formatAgo(hours: number): string {
  if (hours < 1) {
    return `${Math.max(1, Math.round(hours * 60))} min`;
  }
  if (hours < 48) {
    return `${Math.round(hours)} h`;
  }
  return `${Math.round(hours / 24)} days`;
}
