import { describeLatency } from '../model/mock-latency';

/**
 * The latency a rendered mock adds, read back from the imposters document its ConfigMap holds: the
 * shortest and longest `wait` behaviour of any stub response (a response without one waits 0 ms).
 * Undefined when no response waits, or the document cannot be read.
 */
export function renderedLatency(document: string | undefined): { minMs: number; maxMs: number } | undefined {
  let parsed: unknown;
  try {
    parsed = document === undefined ? undefined : JSON.parse(document);
  } catch {
    return undefined;
  }
  const waits: number[] = [];
  const imposters = Array.isArray((parsed as { imposters?: unknown })?.imposters) ? (parsed as { imposters: unknown[] }).imposters : [];
  for (const imposter of imposters) {
    for (const stub of asList((imposter as { stubs?: unknown })?.stubs)) {
      for (const response of asList((stub as { responses?: unknown })?.responses)) {
        if ((response as { fault?: unknown })?.fault !== undefined) {
          continue;
        }
        const wait = asList((response as { behaviors?: unknown })?.behaviors)
          .map((b) => (b as { wait?: unknown })?.wait)
          .reduce<number>((sum, w) => sum + (typeof w === 'number' ? w : 0), 0);
        waits.push(wait);
      }
    }
  }
  if (waits.length === 0 || waits.every((w) => w === 0)) {
    return undefined;
  }
  return { minMs: Math.min(...waits), maxMs: Math.max(...waits) };
}

/** The latency as ROUTING.md and `explain` show it, or null. */
export function latencyText(latency: { minMs: number; maxMs: number } | undefined): string | null {
  return latency === undefined ? null : describeLatency(latency.minMs, latency.maxMs);
}

function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/**
 * Whether a rendered mock records: its imposters answer through a Mountebank proxy (`to: record`
 * renders `proxyOnce` proxies to the real instances), read back from the document its ConfigMap holds.
 */
export function renderedRecording(document: string | undefined): boolean {
  let parsed: unknown;
  try {
    parsed = document === undefined ? undefined : JSON.parse(document);
  } catch {
    return false;
  }
  const imposters = asList((parsed as { imposters?: unknown })?.imposters);
  return (
    imposters.length > 0 &&
    imposters.every((imposter) =>
      asList((imposter as { stubs?: unknown })?.stubs).some((stub) =>
        asList((stub as { responses?: unknown })?.responses).some((r) => (r as { proxy?: unknown })?.proxy !== undefined),
      ),
    )
  );
}
