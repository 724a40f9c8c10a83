import { describeDefault, describeEffectiveFault, EnvironmentRouting, ServiceRouting } from '../../meshes/effective-routing';
import { escapeUnsafeText } from '../../model/unsafe-text';
import { approveCommand } from '../routing/manual-approvals';
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

/** Who sends a header-scoped route's header to the service, and why the other callers do not. */
export interface HeaderReach {
  readonly from: readonly string[];
  readonly not: readonly { readonly caller: string; readonly why: string }[];
}

/**
 * Which callers can trigger a service's header-scoped route. The mesh matches the header on the
 * caller's outbound request and never copies an inbound header onto an outbound call (Envoy
 * routes each request on its own headers), so a caller sends it only when it is where requests
 * come in (the ingress gateway, which forwards the client's request, or a service nothing may
 * call, such as a client pod a person runs requests from) or when its application propagates the
 * header (`propagates` in the catalogue) and something that sends the header calls it. Undefined
 * without a header route or without traffic permissions (then the callers are not known).
 */
export function headerReach(routing: EnvironmentRouting, callee: ServiceRouting): HeaderReach | undefined {
  if (callee.header === null || callee.callers === null) {
    return undefined;
  }
  const header = callee.header.name;
  const { byName } = callGraph(routing);
  const sends = headerSenders(routing, header);
  const from: string[] = [];
  const not: { caller: string; why: string }[] = [];
  for (const caller of callee.callers) {
    if (sends.has(caller)) {
      from.push(caller);
    } else if (byName.get(caller)?.propagates?.includes(header)) {
      not.push({ caller, why: `${caller} propagates ${header}, but nothing that calls it sends it` });
    } else {
      not.push({ caller, why: `${caller} does not propagate ${header}` });
    }
  }
  return { from, not };
}

/** Each environment's services by name, and who each caller calls, built once per environment (ROUTING.md asks for every header route and every call). */
interface CallGraph {
  /** By name; of two services of one name, the last. */
  readonly byName: ReadonlyMap<string, ServiceRouting>;
  /** The services (of `byName`) whose callers include each name. */
  readonly calledBy: ReadonlyMap<string, readonly ServiceRouting[]>;
  /** The names that send each header, computed once per header. */
  readonly senders: Map<string, ReadonlySet<string>>;
}

const callGraphs = new WeakMap<readonly ServiceRouting[], CallGraph>();

function callGraph(routing: EnvironmentRouting): CallGraph {
  let graph = callGraphs.get(routing.services);
  if (graph === undefined) {
    const byName = new Map(routing.services.map((s) => [s.name, s]));
    const calledBy = new Map<string, ServiceRouting[]>();
    for (const s of byName.values()) {
      for (const caller of new Set(s.callers ?? [])) {
        const called = calledBy.get(caller);
        if (called === undefined) {
          calledBy.set(caller, [s]);
        } else {
          called.push(s);
        }
      }
    }
    graph = { byName, calledBy, senders: new Map() };
    callGraphs.set(routing.services, graph);
  }
  return graph;
}

/**
 * The names that send `header`: every caller or service where requests come in (one that is not
 * a service of the environment, such as the ingress gateway, or a service nothing may call), and
 * every service that propagates the header and is called by one that sends it. A worklist from
 * where requests come in along the calls: each name is added once.
 */
function headerSenders(routing: EnvironmentRouting, header: string): ReadonlySet<string> {
  const graph = callGraph(routing);
  const known = graph.senders.get(header);
  if (known !== undefined) {
    return known;
  }
  const sends = new Set<string>();
  const queue: string[] = [];
  for (const name of new Set([...routing.services.map((s) => s.name), ...routing.services.flatMap((s) => s.callers ?? [])])) {
    const s = graph.byName.get(name);
    if (s === undefined || (s.callers !== null && s.callers.length === 0)) {
      sends.add(name);
      queue.push(name);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    for (const s of graph.calledBy.get(queue[i]) ?? []) {
      if (!sends.has(s.name) && s.propagates?.includes(header) === true) {
        sends.add(s.name);
        queue.push(s.name);
      }
    }
  }
  graph.senders.set(header, sends);
  return sends;
}

/** Where header-carrying requests go, and from which callers they can come. */
export function headerReachText(routing: EnvironmentRouting, s: ServiceRouting): string {
  const reach = headerReach(routing, s);
  if (reach === undefined || s.header === null) {
    return headerText(s);
  }
  const not = reach.not.map((n) => n.why).join('; ');
  if (reach.from.length === 0) {
    return `${headerText(s)}, but no caller can send it${not === '' ? '' : ` (${not})`}`;
  }
  return `${headerText(s)} from ${reach.from.join(', ')}${not === '' ? '' : ` (not from ${reach.not.map((n) => n.caller).join(', ')}: ${not})`}`;
}

function faultsText(s: ServiceRouting): string {
  return s.faults.length === 0 ? '-' : s.faults.map(describeEffectiveFault).join(', ');
}

function resilienceText(s: ServiceRouting): string {
  const parts = [s.circuitBreaker ? 'circuit breaker' : '', s.timeouts ? 'timeouts' : '', s.retries ? 'retries' : ''].filter((p) => p !== '');
  return parts.length === 0 ? '-' : parts.join(', ');
}

/**
 * A table cell of a routing table: every piece escaped for Markdown (`escapeMarkdown`), with the
 * arrows meshflip writes itself (` -> `) kept as they are, so that the table reads as before.
 */
export function cell(text: string): string {
  return text.split(' -> ').map(escapeMarkdown).join(' -> ');
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
      // The header part only on the calls that can carry the header.
      const headerToMock = callee.header?.to === 'mock' && (headerReach(routing, callee)?.from.includes(caller) ?? true);
      const label =
        callee.default === 'mock'
          ? 'mock'
          : callee.weights.mock > 0 || headerToMock
            ? `${describeDefault(callee)}${headerToMock ? `; ${callee.header.name} -> mock` : ''}`
            : '';
      edges.push(label === '' ? `  ${id(caller)} --> ${id(callee.name)}` : `  ${id(caller)} -.->|${mermaidLabel(label)}| ${id(callee.name)}`);
    }
  }
  for (const s of services) {
    nodes.add(s.name);
  }
  const mocked = new Set(routing.services.filter(isMocked).map((s) => s.name));
  for (const node of [...nodes].sort()) {
    const label = !names.has(node) ? `${node}` : mocked.has(node) ? `${node} (mocked)` : node;
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

/**
 * Where default traffic goes, unless the traffic permissions allow no caller at all: then no
 * request reaches the service through the mesh, whatever the routes say.
 */
export function trafficText(s: Pick<ServiceRouting, 'default' | 'weights' | 'callers'>): string {
  return s.callers !== null && s.callers.length === 0
    ? `none: the permissions deny every caller (routes: ${describeDefault(s)})`
    : describeDefault(s);
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
    lines.push(
      `| ${[
        s.name +
          (s.hasMock ? '' : ' (no mock)') +
          (s.mockRecording ? ' (recording: the mock proxies to the real service)' : '') +
          (s.mockLatency ? ` (mock adds ${s.mockLatency})` : ''),
        s.namespace,
        trafficText(s),
        headerReachText(routing, s),
        faultsText(s),
        resilienceText(s),
        s.expires ?? '-',
        s.reason ?? '-',
      ]
        .map(cell)
        .join(' | ')} |`,
    );
  }
  if (routing.controlPlanes !== undefined && routing.controlPlanes.length > 0) {
    lines.push(
      '',
      '## Control planes during the migration',
      '',
      "Two control planes run side by side while the mesh moves to the new one. Each namespace's pods get their sidecars from the control plane below " +
        '(the routing above holds for both: each reads the same routing objects). A pod keeps the sidecar it was created with until it restarts; ' +
        'meshflip changes the pod templates of a namespace that moves, so its Deployments roll.',
      '',
      '| Namespace | Served by | Because |',
      '|---|---|---|',
      ...routing.controlPlanes.map((c) => `| ${[c.namespace, c.servedBy, c.because].map(cell).join(' | ')} |`),
    );
  }
  const calls = routing.services.some((s) => s.callers !== null && s.callers.length > 0);
  if (calls) {
    lines.push(
      '',
      '## Call graph',
      '',
      'Edges are the calls the traffic permissions allow; dashed edges reach a mock.',
      '',
      '```mermaid',
      mermaidGraph(routing),
      '```',
    );
  }
  if (routing.secrets !== undefined && routing.secrets.length > 0) {
    lines.push(
      '',
      '## Secrets that must exist in the cluster before sync',
      '',
      'dist/ holds no Secret values: create these (by hand, or with a secrets operator) before Argo CD syncs the Application; ' +
        'a pod that reads a missing Secret never starts (CreateContainerConfigError), and a control plane whose Helm values name one does not come up.',
      '',
      '| Secret | Namespace | Argo CD Application | Read by |',
      '|---|---|---|---|',
      ...routing.secrets.map((r) => `| ${[r.name, r.namespace, r.application, r.readBy.join(', ')].map(cell).join(' | ')} |`),
    );
  }
  if (routing.approvals !== undefined && routing.approvals.length > 0) {
    lines.push(
      '',
      '## Waiting for approval',
      '',
      'These operators approve every InstallPlan by hand (`installPlanApproval: Manual`): the first install and each upgrade wait until a person approves it, ' +
        'and nothing is installed or upgraded until then. Argo CD cannot approve it and does not show it as an error ' +
        '(a first install waiting for approval is Progressing; from Argo CD 3.5 an upgrade waiting for approval is Healthy). ' +
        'Approve it in the OpenShift console (Operators, Installed Operators, the operator, its InstallPlan, Approve) or with the command in the table.',
      '',
      '| Operator | Subscription | Namespace | Argo CD Application | First install | Approve with |',
      '|---|---|---|---|---|---|',
      ...routing.approvals.map(
        (a) =>
          `| ${[a.operator, a.subscription, a.namespace, a.application, a.startingCSV ?? 'channel head'].map(cell).join(' | ')} | ${markdownCode(approveCommand(a)).replace(/\|/g, '\\|')} |`,
      ),
    );
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
        mockLatency: s.mockLatency ?? null,
        mockRecording: s.mockRecording ?? false,
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
      approvals: (r.approvals ?? []).map((a) => ({ ...a, state: 'waiting for approval', approve: approveCommand(a) })),
      controlPlanes: r.controlPlanes ?? [],
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
    lines.push(`    default traffic: ${trafficText(s)}`);
    if (s.mockRecording) {
      lines.push(
        `    recording:       the mock proxies to the real service and records its answers; fetch them with meshflip mock-record ${routing.name} ${s.name}`,
      );
    }
    if (s.mockLatency) {
      lines.push(`    mock latency:    adds ${s.mockLatency} to every response`);
    }
    lines.push(`    header traffic:  ${headerReachText(routing, s)}`);
    const controlPlane = routing.controlPlanes?.find((c) => c.namespace === s.namespace);
    if (controlPlane !== undefined) {
      lines.push(`    control plane:   ${controlPlane.servedBy} (${controlPlane.because})`);
    }
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
  if (only === undefined) {
    for (const c of routing.controlPlanes ?? []) {
      lines.push(`  namespace ${c.namespace}: served by ${c.servedBy} (${c.because})`);
    }
    for (const a of routing.approvals ?? []) {
      lines.push(
        `  operator ${a.operator}: waiting for approval (installPlanApproval: Manual, Subscription ${a.namespace}/${a.subscription}, Application ${a.application})`,
      );
      lines.push(
        `    approve:         ${approveCommand(a)}, or in the console (Operators, Installed Operators, ${a.operator}, its InstallPlan, Approve)`,
      );
    }
  }
  return lines;
}
