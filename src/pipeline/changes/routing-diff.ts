import { describeDefault, describeEffectiveFault, EnvironmentRouting, ServiceRouting } from '../../meshes/effective-routing';
import { compareStrings } from '../../model/spec-error';
import { escapeUnsafeText } from '../../model/unsafe-text';
import { escapeMarkdown } from '../synth/markdown';
import { ApplicationChange, leftRunningLines, objectChangeLines } from './object-diff';
import { cell, headerText, isMocked, mermaidGraph } from '../synth/routing-report';

/** How one service's routing changed. */
export interface ServiceChange {
  readonly service: string;
  /** Before and after in words: `real` → `mock`. */
  readonly before: string;
  readonly after: string;
  /** Every other change, one line each: faults added or removed, breakers, expiry. */
  readonly details: readonly string[];
  /** Whether the service now sends traffic to a mock. */
  readonly toMock: boolean;
  /** `before` and `after` in Markdown, with what came from the input escaped. */
  readonly markdown: { readonly before: string; readonly after: string };
}

/** How one environment's routing changed. */
export interface EnvironmentChange {
  readonly name: string;
  readonly mesh: string;
  readonly protected: boolean;
  readonly status: 'added' | 'removed' | 'changed';
  readonly services: readonly ServiceChange[];
  /** Protected-environment violations in the head revision. */
  readonly violations: readonly string[];
  /** Whether the change removes `protected: true` or adds it (an environment present in both revisions). */
  readonly protection?: 'removed' | 'added';
  readonly head?: EnvironmentRouting;
  /** Every rendered object added, removed or changed, per Argo CD Application (routing fields aside). */
  readonly objects?: readonly ApplicationChange[];
}

/**
 * Adds the object changes to the routing changes: an environment whose routing did not change but
 * whose objects did (a circuit-breaker limit, an image, a chart version) is listed too.
 */
export function withObjectChanges(
  changes: readonly EnvironmentChange[],
  objects: ReadonlyMap<string, readonly ApplicationChange[]>,
  base: readonly EnvironmentRouting[],
  head: readonly EnvironmentRouting[],
): EnvironmentChange[] {
  const out = changes.map((c) => (objects.has(c.name) ? { ...c, objects: objects.get(c.name) } : c));
  for (const [name, apps] of objects) {
    if (out.some((c) => c.name === name)) {
      continue;
    }
    const h = head.find((r) => r.name === name);
    const b = base.find((r) => r.name === name);
    const routing = h ?? b;
    if (routing !== undefined) {
      out.push({ name, mesh: routing.mesh, protected: routing.protected, status: 'changed', services: [], violations: [], head: h, objects: apps });
    }
  }
  return out.sort((x, y) => compareStrings(x.name, y.name));
}

/** Whether a change alters where traffic goes (or protection), not only other objects. */
function routingChanged(change: EnvironmentChange): boolean {
  return change.services.length > 0 || change.violations.length > 0 || change.protection !== undefined || change.status !== 'changed';
}

/** At most this many objects listed as added or removed per Application; the rest are counted. */
const MAX_LISTED = 30;

function capped(items: readonly string[]): string[] {
  return items.length > MAX_LISTED ? [...items.slice(0, MAX_LISTED), `…and ${items.length - MAX_LISTED} more`] : [...items];
}

/** The object changes of an environment as Markdown: one list per Application. */
function objectMarkdown(apps: readonly ApplicationChange[]): string[] {
  const out: string[] = [];
  for (const app of apps) {
    out.push('', `**${cell(app.application)}**`, '');
    out.push(...capped(app.added).map((o) => `- added: \`${o}\``), ...capped(app.removed).map((o) => `- removed: \`${o}\``));
    for (const c of app.changed) {
      out.push(`- changed: \`${c.object}\``, ...c.lines.map((l) => `  - ${cell(l)}`));
    }
    out.push(...leftRunningLines(app).map((l) => `- :warning: ${escapeMarkdown(l)}`));
  }
  return out;
}

/** A service's routing in words; `escape` is applied to the parts that come from the input. */
function routingWords(s: ServiceRouting | undefined, escape: (text: string) => string = (text) => text): string {
  if (s === undefined) {
    return '(not deployed)';
  }
  return s.header === null ? escape(describeDefault(s)) : `${escape(describeDefault(s))}; ${headerText(s, escape)}`;
}

function detailChanges(before: ServiceRouting | undefined, after: ServiceRouting | undefined): string[] {
  const lines: string[] = [];
  const faultsBefore = new Set((before?.faults ?? []).map(describeEffectiveFault));
  const faultsAfter = new Set((after?.faults ?? []).map(describeEffectiveFault));
  for (const f of faultsAfter) {
    if (!faultsBefore.has(f)) {
      lines.push(`fault added: ${f}`);
    }
  }
  for (const f of faultsBefore) {
    if (!faultsAfter.has(f)) {
      lines.push(`fault removed: ${f}`);
    }
  }
  for (const [key, label] of [
    ['circuitBreaker', 'circuit breaker'],
    ['timeouts', 'timeouts'],
    ['retries', 'retries'],
  ] as const) {
    const was = before?.[key] ?? false;
    const is = after?.[key] ?? false;
    if (was !== is) {
      lines.push(`${label} ${is ? 'added' : 'removed'}`);
    }
  }
  if ((before?.hasMock ?? false) !== (after?.hasMock ?? false) && before !== undefined && after !== undefined) {
    lines.push(after.hasMock ? 'mock deployed' : 'mock removed');
  }
  if ((before?.mockRecording ?? false) !== (after?.mockRecording ?? false)) {
    lines.push(after?.mockRecording ? 'recording the real service through the mock' : 'recording stopped');
  }
  if ((before?.mockLatency ?? null) !== (after?.mockLatency ?? null)) {
    lines.push(
      after?.mockLatency
        ? `mock adds ${after.mockLatency}${before?.mockLatency ? ` (was ${before.mockLatency})` : ''}`
        : `mock latency removed (was ${before?.mockLatency})`,
    );
  }
  if ((before?.expires ?? null) !== (after?.expires ?? null)) {
    lines.push(
      after?.expires ? `expires ${after.expires}${before?.expires ? ` (was ${before.expires})` : ''}` : `expiry removed (was ${before?.expires})`,
    );
  }
  // Why traffic goes where it now goes: what a reviewer of a flip asks first.
  if ((before?.reason ?? null) !== (after?.reason ?? null)) {
    lines.push(after?.reason ? `reason: ${after.reason}` : `reason removed (was: ${before?.reason})`);
  }
  if ((before?.callers ?? []).join(',') !== (after?.callers ?? []).join(',') && before !== undefined && after !== undefined) {
    lines.push(`allowed callers: ${(after.callers ?? []).join(', ') || 'none'} (was ${(before.callers ?? []).join(', ') || 'none'})`);
  }
  return lines;
}

/** Protected environments never route to a mock and carry no fault. */
export function protectedViolations(routing: EnvironmentRouting): string[] {
  if (!routing.protected) {
    return [];
  }
  const out: string[] = [];
  for (const s of routing.services) {
    if (isMocked(s)) {
      out.push(`${s.name} routes to a mock in protected environment ${routing.name}`);
    }
    if (s.faults.length > 0) {
      out.push(`${s.name} carries faults in protected environment ${routing.name}`);
    }
  }
  return out;
}

/** Items by name, the first of each name (as `find` gives it): a fleet's environments have a thousand services. */
function byName<T extends { readonly name: string }>(items: readonly T[]): Map<string, T> {
  const out = new Map<string, T>();
  for (const item of items) {
    if (!out.has(item.name)) {
      out.set(item.name, item);
    }
  }
  return out;
}

/** Compares the effective routing of two revisions, environment by environment. */
export function diffRouting(base: readonly EnvironmentRouting[], head: readonly EnvironmentRouting[]): EnvironmentChange[] {
  const names = [...new Set([...base.map((r) => r.name), ...head.map((r) => r.name)])].sort(compareStrings);
  const out: EnvironmentChange[] = [];
  for (const name of names) {
    const b = base.find((r) => r.name === name);
    const h = head.find((r) => r.name === name);
    const servicesBefore = byName(b?.services ?? []);
    const servicesAfter = byName(h?.services ?? []);
    const services = [...new Set([...servicesBefore.keys(), ...servicesAfter.keys()])].sort(compareStrings);
    const changes: ServiceChange[] = [];
    for (const service of services) {
      const before = servicesBefore.get(service);
      const after = servicesAfter.get(service);
      const was = routingWords(before);
      const is = routingWords(after);
      const details = detailChanges(before, after);
      if (was !== is || details.length > 0) {
        const markdown = { before: routingWords(before, escapeMarkdown), after: routingWords(after, escapeMarkdown) };
        changes.push({ service, before: was, after: is, details, toMock: after !== undefined && isMocked(after), markdown });
      }
    }
    const violations = h === undefined ? [] : protectedViolations(h);
    const protection = b === undefined || h === undefined || b.protected === h.protected ? undefined : h.protected ? 'added' : 'removed';
    if (changes.length > 0 || violations.length > 0 || protection !== undefined || b === undefined || h === undefined) {
      out.push({
        name,
        mesh: (h ?? b)!.mesh,
        protected: (h ?? b)!.protected,
        status: b === undefined ? 'added' : h === undefined ? 'removed' : 'changed',
        services: changes,
        violations,
        ...(protection === undefined ? {} : { protection }),
        head: h,
      });
    }
  }
  return out;
}

/**
 * The line that calls out a change of protection: an environment losing `protected: true` may
 * from then on run mocks, faults and mock routes, which a reviewer must see at a glance.
 */
export function protectionLine(change: EnvironmentChange): string | undefined {
  switch (change.protection) {
    case 'removed':
      return `environment ${change.name} is no longer protected`;
    case 'added':
      return `environment ${change.name} is now protected`;
    default:
      return undefined;
  }
}

/** Options for rendering a summary. */
export interface SummaryOptions {
  /** At most this many service rows in all (the rest are counted). @default 200 */
  readonly maxRows?: number;
  /** Draw a call graph of each changed environment with at most this many services. @default 40 */
  readonly maxGraphServices?: number;
  /** Stop adding environments beyond this many characters. @default 40000 */
  readonly maxLength?: number;
}

/** The pull-request summary as Markdown: what the change does to traffic, per environment. */
export function summaryMarkdown(changes: readonly EnvironmentChange[], options: SummaryOptions = {}): string {
  const maxRows = options.maxRows ?? 200;
  const maxGraph = options.maxGraphServices ?? 40;
  const maxLength = options.maxLength ?? 40_000;
  if (changes.length === 0) {
    return '## meshflip: no routing changes\n\nThis change does not alter where any service sends its traffic.\n';
  }
  const toMock = changes.flatMap((c) => c.services.filter((s) => s.toMock).map((s) => `${c.name}/${s.service}`));
  const violations = changes.flatMap((c) => c.violations);
  const protection = changes.map((c) => [c.protection, protectionLine(c)] as const).filter(([, line]) => line !== undefined);
  const routingCount = changes.filter(routingChanged).length;
  const parts: string[] = [
    routingCount > 0
      ? `## meshflip: routing changes in ${routingCount} environment${routingCount === 1 ? '' : 's'}${routingCount < changes.length ? `, other changes in ${changes.length - routingCount}` : ''}`
      : `## meshflip: no routing changes; other changes in ${changes.length} environment${changes.length === 1 ? '' : 's'}`,
    '',
    // Losing protection comes first: it is what a reviewer must not miss.
    ...protection.map(([kind, line]) => `**${kind === 'removed' ? ':warning: ' : ''}${line}**`),
    violations.length > 0
      ? `**Blocked: ${violations.length} protected-environment violation${violations.length === 1 ? '' : 's'}.**`
      : 'No protected-environment violations.',
    toMock.length > 0
      ? `After this change ${toMock.length} changed service${toMock.length === 1 ? '' : 's'} send${toMock.length === 1 ? 's' : ''} traffic to a mock.`
      : 'After this change no changed service sends traffic to a mock.',
  ];
  let rowsLeft = maxRows;
  let omittedEnvironments = 0;
  for (const change of changes) {
    const heading = `${escapeMarkdown(change.name)} (${escapeMarkdown(change.mesh)}${change.protected ? ', protected' : ''})`;
    const section: string[] = ['', `### ${heading}${change.status === 'changed' ? '' : ` — ${change.status}`}`, ''];
    const line = protectionLine(change);
    if (line !== undefined) {
      section.push(`- ${change.protection === 'removed' ? ':warning: ' : ''}**${escapeMarkdown(line)}**`);
    }
    for (const v of change.violations) {
      section.push(`- :no_entry: ${escapeMarkdown(v)}`);
    }
    if (change.services.length > 0) {
      if (section[section.length - 1] !== '') {
        // A table right after a list item would be read as part of the item.
        section.push('');
      }
      section.push('| Service | Before | After | Also |', '|---|---|---|---|');
      const shown = change.services.slice(0, Math.max(0, rowsLeft));
      for (const s of shown) {
        section.push(
          `| ${escapeMarkdown(s.service)} | ${s.markdown.before} | ${s.markdown.after} | ${escapeMarkdown(s.details.join('; ') || '-')} |`,
        );
      }
      rowsLeft -= shown.length;
      const hidden = change.services.slice(shown.length);
      if (hidden.length > 0) {
        const mocked = hidden.filter((s) => s.toMock).length;
        section.push(
          '',
          `…and ${hidden.length} more service${hidden.length === 1 ? '' : 's'} changed (${mocked} now reach a mock, ${hidden.length - mocked} do not); run \`npx meshflip diff\` for all of them.`,
        );
      }
    }
    if (change.head !== undefined && change.services.length > 0 && change.head.services.length <= maxGraph) {
      const changed = new Set(change.services.map((s) => s.service));
      section.push('', '```mermaid', mermaidGraph(change.head, changed), '```');
    }
    if (change.objects !== undefined && change.objects.length > 0) {
      section.push('', '#### Rendered objects, per Argo CD Application', ...objectMarkdown(change.objects));
    }
    const text = section.join('\n');
    if (parts.join('\n').length + text.length > maxLength) {
      omittedEnvironments++;
      continue;
    }
    parts.push(text);
  }
  if (omittedEnvironments > 0) {
    parts.push('', `…and ${omittedEnvironments} more environment${omittedEnvironments === 1 ? '' : 's'} left out to keep this summary short.`);
  }
  return `${parts.join('\n')}\n`;
}

/** The same summary as plain text lines, for a terminal, each one line with what came from the input escaped. */
export function summaryText(changes: readonly EnvironmentChange[]): string[] {
  return summaryLines(changes).map((line) => escapeUnsafeText(line));
}

function summaryLines(changes: readonly EnvironmentChange[]): string[] {
  if (changes.length === 0) {
    return ['no routing changes'];
  }
  const lines: string[] = [];
  for (const change of changes) {
    lines.push(`${change.name} (${change.mesh}${change.protected ? ', protected' : ''})${change.status === 'changed' ? '' : `: ${change.status}`}`);
    const protection = protectionLine(change);
    if (protection !== undefined) {
      lines.push(`  ! ${protection}`);
    }
    for (const v of change.violations) {
      lines.push(`  ! ${v}`);
    }
    for (const s of change.services) {
      lines.push(`  ${s.service}: ${s.before} -> ${s.after}`);
      for (const d of s.details) {
        lines.push(`    ${d}`);
      }
    }
    if (change.objects !== undefined && change.objects.length > 0) {
      lines.push('  rendered objects:', ...objectChangeLines(change.objects, '    '));
    }
  }
  return lines;
}
