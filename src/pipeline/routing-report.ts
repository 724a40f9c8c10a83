import { describeDefault, describeEffectiveFault, EnvironmentRouting, ServiceRouting } from '../meshes/effective-routing';
import { escapeUnsafeText } from '../model/unsafe-text';
import { escapeMarkdown, htmlCommentText, markdownCode, mermaidLabel } from './markdown';

/** A service that sends some of its traffic to a mock. */
export function isMocked(s: ServiceRouting): boolean {
  return s.weights.mock > 0 || s.header?.to === 'mock';
}

/**
 * Where header-carrying requests go: `name: value -> mock`, or `-`. `escape` is applied to the
 * parts that come from the input, not to the arrow (Markdown escapes `>`).
 */
export function headerText(s: ServiceRouting, escape: (text: string) => string = (text) => text): string {
  return s.header === null ? '-' : `${escape(s.header.name)}: ${escape(s.header.value)} -> ${escape(s.header.to)}`;
}

function faultsText(s: ServiceRouting): string {
  return s.faults.length === 0 ? '-' : s.faults.map(describeEffectiveFault).join(', ');
}

function resilienceText(s: ServiceRouting): string {
  const parts = [s.circuitBreaker ? 'circuit breaker' : '', s.timeouts ? 'timeouts' : '', s.retries ? 'retries' : ''].filter((p) => p !== '');
  return parts.length === 0 ? '-' : parts.join(', ');
}

/** A Mermaid flowchart of who calls whom; calls that reach a mock are dashed and labelled. */
export function mermaidGraph(routing: EnvironmentRouting, only?: ReadonlySet<string>): string {
  const id = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');
  const lines = ['graph LR'];
  const services = routing.services.filter((s) => only === undefined || only.has(s.name));
  const names = new Set(routing.services.map((s) => s.name));
  const nodes = new Set<string>();
  const edges: string[] = [];
  for (const callee of routing.services) {
    for (const caller of callee.callers ?? []) {
      if (only !== undefined && !only.has(callee.name) && !only.has(caller)) {
        continue;
      }
      nodes.add(caller);
      nodes.add(callee.name);
      const label = callee.default === 'mock' ? 'mock' : isMocked(callee) ? `${describeDefault(callee)}${callee.header ? `; ${callee.header.name} -> mock` : ''}` : '';
      edges.push(label === '' ? `  ${id(caller)} --> ${id(callee.name)}` : `  ${id(caller)} -.->|${mermaidLabel(label)}| ${id(callee.name)}`);
    }
  }
  for (const s of services) {
    nodes.add(s.name);
  }
  for (const node of [...nodes].sort()) {
    const mocked = routing.services.find((s) => s.name === node && isMocked(s));
    const label = !names.has(node) ? `${node}` : mocked !== undefined ? `${node} (mocked)` : node;
    lines.push(`  ${id(node)}["${mermaidLabel(label)}"]`);
  }
  lines.push(...edges.sort());
  const mockedIds = routing.services.filter((s) => isMocked(s) && nodes.has(s.name)).map((s) => id(s.name));
  if (mockedIds.length > 0) {
    lines.push('  classDef mocked stroke-dasharray: 5 5,stroke:#d97706;');
    lines.push(`  class ${mockedIds.join(',')} mocked;`);
  }
  return lines.join('\n');
}

/** The committed routing table of an environment, `dist/<env>/ROUTING.md`. */
export function routingMarkdown(routing: EnvironmentRouting, source: string): string {
  const lines = [
    `<!-- Generated from ${htmlCommentText(source)} by npm run synth. Do not edit. -->`,
    `# Routing of ${escapeMarkdown(routing.name)}`,
    '',
    `Mesh: ${escapeMarkdown(routing.mesh)}. ${routing.protected ? 'Protected: never routes to a mock and carries no fault.' : 'Not protected.'}`,
    `Read back from the rendered mesh objects in this folder; ${markdownCode(`npx meshflip explain ${routing.name}`)} prints the same.`,
    '',
    '| Service | Namespace | Default traffic | Header-scoped | Faults | Resilience | Expires | Reason |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const s of routing.services) {
    lines.push(`| ${[
      escapeMarkdown(s.name + (s.hasMock ? '' : ' (no mock)')),
      escapeMarkdown(s.namespace),
      escapeMarkdown(describeDefault(s)),
      headerText(s, escapeMarkdown),
      escapeMarkdown(faultsText(s)),
      escapeMarkdown(resilienceText(s)),
      escapeMarkdown(s.expires ?? '-'),
      escapeMarkdown(s.reason ?? '-'),
    ].join(' | ')} |`);
  }
  const calls = routing.services.some((s) => s.callers !== null && s.callers.length > 0);
  if (calls) {
    lines.push('', '## Call graph', '', 'Edges are the calls the traffic permissions allow; dashed edges reach a mock.', '', '```mermaid', mermaidGraph(routing), '```');
  }
  return `${lines.join('\n')}\n`;
}

/** The machine-readable form printed by `meshflip explain --json`. */
export function routingJson(routings: readonly EnvironmentRouting[]): unknown {
  return {
    environments: routings.map((r) => ({
      name: r.name,
      protected: r.protected,
      mesh: r.mesh,
      services: r.services.map((s) => ({
        name: s.name,
        namespace: s.namespace,
        hasMock: s.hasMock,
        default: s.default,
        weights: s.weights,
        header: s.header,
        faults: s.faults,
        circuitBreaker: s.circuitBreaker,
        timeouts: s.timeouts,
        retries: s.retries,
        expires: s.expires,
        reason: s.reason,
        source: s.source,
        callers: s.callers,
        inconsistencies: s.inconsistencies,
      })),
    })),
  };
}

/** Plain-text lines for a terminal, each one line: what came from the input is shown with its control characters escaped. */
export function routingText(routing: EnvironmentRouting, only?: string): string[] {
  return routingLines(routing, only).map((line) => escapeUnsafeText(line));
}

function routingLines(routing: EnvironmentRouting, only?: string): string[] {
  const lines = [`${routing.name} (${routing.mesh}${routing.protected ? ', protected' : ''})`];
  for (const s of routing.services.filter((x) => only === undefined || x.name === only)) {
    lines.push(`  ${s.name}${s.hasMock ? '' : ' (no mock)'}`);
    lines.push(`    default traffic: ${describeDefault(s)}`);
    lines.push(`    header traffic:  ${headerText(s)}`);
    if (s.faults.length > 0) {
      lines.push(`    faults:          ${faultsText(s)}`);
    }
    if (resilienceText(s) !== '-') {
      lines.push(`    resilience:      ${resilienceText(s)}`);
    }
    if (s.callers !== null) {
      lines.push(`    callers:         ${s.callers.length === 0 ? 'none allowed' : s.callers.join(', ')}`);
    }
    if (s.expires !== null) {
      lines.push(`    expires:         ${s.expires}`);
    }
    if (s.reason !== null) {
      lines.push(`    reason:          ${s.reason}`);
    }
    for (const issue of s.inconsistencies) {
      lines.push(`    warning:         ${issue}`);
    }
  }
  return lines;
}
