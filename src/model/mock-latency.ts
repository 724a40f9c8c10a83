import { exactNanos, wholeMillisHint } from './duration';
import { FieldPath, SourceFile } from './source-file';
import { ImposterSpec, LatencySpec, Origin, ServiceSpec, TimeoutSpec } from './spec';
import { Problem } from './spec-error';

/**
 * The latency a mock adds on purpose (`mock.latency`), rendered as Mountebank `wait` behaviours.
 *
 * Mountebank 2.9 takes `wait` as a whole number of milliseconds, or as a JavaScript function
 * (`src/models/behaviors.js` `wait`), which counts as injection (`src/models/dryRunValidator.js`
 * `hasStubInjection`: a string `wait` is refused unless mb runs with `--allowInjection`). The mock
 * runs without injection, so a range is spread over fixed waits instead: every stub's responses are
 * repeated once per step, each copy with its own `wait`, and Mountebank's round robin over a stub's
 * responses (`src/models/responseResolver.js`) walks through the steps. The order of a stub's
 * responses is kept, so a sequence of responses plays as before, each pass with the next delay.
 *
 * @see https://www.mbtest.org/docs/api/behaviors
 */

/** How many fixed delays a range is spread over (fewer when the range has fewer whole milliseconds). */
export const LATENCY_STEPS = 11;

/** The longest latency a mock may add. */
export const MAX_LATENCY_MS = 60_000;

/**
 * Kuma's default MeshTimeout gives every outbound HTTP request 15 s (kumahq/kuma `pkg/defaults/mesh/meshtimeout.go`,
 * `DefaultRequestTimeout` in `pkg/plugins/policies/core/defaults/consts.go`). Istio sets no route timeout by default.
 */
export const KUMA_DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/**
 * A duration as written in environment files (`500ms`, `1s`, `1m30s`), in milliseconds, read exactly
 * (`exactNanos`); NaN when it is not a whole number of milliseconds, Infinity past what a number holds exactly.
 */
export function durationMillis(duration: string): number {
  const { nanos, exact } = exactNanos(duration);
  const millis = nanos / 1_000_000n;
  if (millis > BigInt(Number.MAX_SAFE_INTEGER)) {
    return Infinity;
  }
  return exact ? Number(millis) : NaN;
}

/** `50ms`, or `20ms-80ms` for a range: how ROUTING.md and `explain` show a latency. */
export function describeLatency(minMs: number, maxMs: number): string {
  return minMs === maxMs ? `${minMs}ms` : `${minMs}ms-${maxMs}ms`;
}

/** The fixed delays a latency is rendered as, in milliseconds, shortest first. */
export function latencySteps(latency: LatencySpec): number[] {
  const { minMs, maxMs } = latency;
  const count = Math.min(LATENCY_STEPS, maxMs - minMs + 1);
  if (count <= 1) {
    return [minMs];
  }
  return Array.from({ length: count }, (_, i) => minMs + Math.round((i * (maxMs - minMs)) / (count - 1)));
}

/**
 * Reads `mock.latency` (a duration, or `{min, max}`), or reports why it cannot be used.
 */
export function resolveLatency(input: string | { min: string; max: string } | undefined, at: Origin, problems: Problem[]): LatencySpec | undefined {
  if (input === undefined) {
    return undefined;
  }
  const path: FieldPath = [...at.path, 'latency'];
  const bounds =
    typeof input === 'string'
      ? ([[input, path]] as const)
      : ([
          [input.min, [...path, 'min']],
          [input.max, [...path, 'max']],
        ] as const);
  let ok = true;
  const values = bounds.map(([text, where]) => {
    const ms = durationMillis(text);
    if (Number.isNaN(ms)) {
      problems.push(
        at.file.problem(where, "must be a whole number of milliseconds: Mountebank's wait behaviour takes an integer", {
          hint: wholeMillisHint(exactNanos(text).nanos),
        }),
      );
      ok = false;
    } else if (ms > MAX_LATENCY_MS) {
      problems.push(
        at.file.problem(where, `must be at most ${MAX_LATENCY_MS / 1000}s: a mock that slow measures the caller's timeouts, not its own speed`, {
          hint: 'use a fault delay on the real service to test timeouts',
        }),
      );
      ok = false;
    }
    return ms;
  });
  const [minMs, maxMs] = values.length === 1 ? [values[0], values[0]] : values;
  if (ok && minMs > maxMs) {
    problems.push(at.file.problem([...path, 'max'], `must be at least min (${(input as { min: string }).min})`, { hint: 'swap min and max' }));
    ok = false;
  }
  return ok ? { minMs, maxMs, origin: { file: at.file, path } } : undefined;
}

/**
 * A `wait` the imposter file already declares would add to `mock.latency` (Mountebank runs every
 * behaviour in order); old-style `_behaviors` objects cannot be combined with a behaviours list.
 * Both are refused, located in the imposter file.
 */
export function latencyConflicts(file: SourceFile, imposters: readonly ImposterSpec[], paths: readonly FieldPath[], service: string): Problem[] {
  const problems: Problem[] = [];
  imposters.forEach((imposter, i) => {
    const stubs = Array.isArray(imposter.document.stubs) ? (imposter.document.stubs as Record<string, unknown>[]) : [];
    stubs.forEach((stub, s) => {
      const responses = Array.isArray(stub.responses) ? (stub.responses as Record<string, unknown>[]) : [];
      responses.forEach((response, r) => {
        const at = [...paths[i], 'stubs', s, 'responses', r];
        if (response._behaviors !== undefined) {
          problems.push(
            file.problem([...at, '_behaviors'], `cannot be combined with mock.latency of ${service}: this is Mountebank's old behaviours form`, {
              atKey: true,
              noGot: true,
              hint: 'write the behaviours as a list under "behaviors"',
            }),
          );
        }
        const behaviors = Array.isArray(response.behaviors) ? (response.behaviors as Record<string, unknown>[]) : [];
        behaviors.forEach((behavior, b) => {
          if (behavior !== null && typeof behavior === 'object' && 'wait' in behavior) {
            problems.push(
              file.problem([...at, 'behaviors', b, 'wait'], `would add to mock.latency of ${service}: Mountebank runs every wait of a response`, {
                hint: 'remove this wait and declare the latency in mock.latency only',
              }),
            );
          }
        });
      });
    });
  });
  return problems;
}

/**
 * The latency must stay below the request timeout callers of the service have: past it, every
 * request to the mock times out (Envoy's route timeout) and the measurement shows only timeouts.
 */
export function latencyTimeoutProblems(services: readonly ServiceSpec[], timeouts: readonly TimeoutSpec[], kuma: boolean): Problem[] {
  const problems: Problem[] = [];
  for (const service of services) {
    const latency = service.mock?.latency;
    if (latency === undefined) {
      continue;
    }
    const timeout = timeouts.find((t) => t.service === service.name && t.request !== undefined);
    const limitMs = timeout !== undefined ? durationMillis(timeout.request!) : kuma ? KUMA_DEFAULT_REQUEST_TIMEOUT_MS : undefined;
    if (limitMs !== undefined && latency.maxMs >= limitMs) {
      const why =
        timeout !== undefined ? `timeouts.${service.name}.request (${timeout.request})` : "the 15s request timeout of Kuma's default MeshTimeout";
      problems.push(
        latency.origin.file.problem(latency.origin.path, `must stay below ${why}: every request to the mock that waits that long times out`, {
          gotText: describeLatency(latency.minMs, latency.maxMs),
          hint:
            timeout !== undefined
              ? 'lower the latency, or raise the timeout'
              : `lower the latency, or declare timeouts.${service.name}.request above it`,
        }),
      );
    }
  }
  return problems;
}

/** A stub response with `wait` added after its own behaviours. Fault responses skip behaviours in Mountebank, so they stay as they are. */
function withWait(response: Record<string, unknown>, ms: number): Record<string, unknown> {
  if (response.fault !== undefined) {
    return response;
  }
  const behaviors: unknown[] = Array.isArray(response.behaviors) ? response.behaviors : [];
  return { ...response, behaviors: [...behaviors, { wait: ms }] };
}

/**
 * The imposter document as Mountebank gets it when the mock adds `latency`: every stub's responses
 * once per step, and a last stub without predicates that answers what `defaultResponse` would,
 * delayed as well (Mountebank fills an empty `is` from the imposter's `defaultResponse`), so that
 * unmatched requests are as slow as matched ones.
 */
export function withLatency(document: Record<string, unknown>, latency: LatencySpec | undefined): Record<string, unknown> {
  if (latency === undefined) {
    return document;
  }
  const steps = latencySteps(latency);
  const stubs = (Array.isArray(document.stubs) ? (document.stubs as Record<string, unknown>[]) : []).map((stub) => {
    const responses = Array.isArray(stub.responses) ? (stub.responses as Record<string, unknown>[]) : [];
    return { ...stub, responses: steps.flatMap((ms) => responses.map((response) => withWait(response, ms))) };
  });
  const fallback = { responses: steps.map((ms) => withWait({ is: {} }, ms)) };
  return { ...document, stubs: [...stubs, fallback] };
}
