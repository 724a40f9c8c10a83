import { z } from 'zod';
import { FieldPath, SourceFile } from './source-file';
import { Problem } from './spec-error';
import { withLatency } from './mock-latency';
import { ImposterSpec, LatencySpec } from './spec';
import { parseWithSchema } from './zod-problems';

/**
 * Mountebank imposter files: the standard imposter document (`port`, `protocol`, `stubs`) that
 * Mountebank's admin API accepts, or `{ "imposters": [...] }` holding several.
 *
 * Only the fields meshflip relies on are checked; everything else Mountebank supports passes
 * through. Injection (JavaScript run by Mountebank) is refused: the mock runs without
 * `--allowInjection`.
 *
 * @see https://www.mbtest.org/docs/api/contracts
 */

const INJECTION_KEYS = ['inject', 'decorate', 'shellTransform', 'endOfRequestResolver'];

const ResponseSchema = z
  .object({
    is: z
      .object({
        statusCode: z.number().int().min(100).max(599).optional(),
        headers: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
      })
      .loose()
      .optional(),
    proxy: z
      .object({ to: z.string().min(1) })
      .loose()
      .optional(),
    fault: z.enum(['CONNECTION_RESET_BY_PEER', 'RANDOM_DATA_THEN_CLOSE']).optional(),
  })
  .loose()
  .superRefine((response, ctx) => {
    const kinds = ['is', 'proxy', 'fault'].filter((k) => (response as Record<string, unknown>)[k] !== undefined);
    if (kinds.length !== 1 && (response as Record<string, unknown>).inject === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must have exactly one of is, proxy or fault', params: { noGot: kinds.length === 0 } });
    }
  });

const StubSchema = z
  .object({
    predicates: z.array(z.record(z.string(), z.unknown())).optional(),
    responses: z.array(ResponseSchema).min(1),
  })
  .loose();

const ImposterSchema = z
  .object({
    port: z.number().int().min(1).max(65535),
    protocol: z.enum(['http', 'https', 'tcp']),
    name: z.string().optional(),
    stubs: z.array(StubSchema).optional(),
  })
  .loose();

const ImposterFileSchema = z.union([z.object({ imposters: z.array(ImposterSchema).min(1) }).strict(), ImposterSchema]);

/** The imposters of one file, and where each is written in it (the same order). */
export interface ReadImposters {
  readonly imposters: ImposterSpec[];
  /** The path of each imposter in its file: `[]` for a single-imposter file, `['imposters', i]` otherwise. */
  readonly paths: FieldPath[];
  readonly problems: Problem[];
}

/** Reads the imposters of one file; problems are located in that file. */
export function readImposters(file: SourceFile): ReadImposters {
  if (file.problems.length > 0) {
    return { imposters: [], paths: [], problems: file.problems };
  }
  const { value, problems } = parseWithSchema(file, ImposterFileSchema);
  if (value === undefined) {
    return { imposters: [], paths: [], problems };
  }
  const list = 'imposters' in value && Array.isArray(value.imposters) ? value.imposters : [value];
  const prefix = 'imposters' in value && Array.isArray(value.imposters) ? ['imposters'] : [];
  const injection = findInjection(file.data, []);
  if (injection !== undefined) {
    problems.push(
      file.problem(injection, 'injection is not allowed: the mock runs without --allowInjection', {
        atKey: true,
        noGot: true,
        hint: 'use is, proxy or fault responses and predicates',
      }),
    );
  }
  const imposters = (list as Record<string, unknown>[]).map((imposter, index) => ({
    file: file.path,
    port: imposter.port as number,
    protocol: imposter.protocol as string,
    document: imposter,
    index: prefix.length === 0 ? undefined : index,
  }));
  const seen = new Map<number, number>();
  imposters.forEach((imposter, index) => {
    const before = seen.get(imposter.port);
    if (before !== undefined) {
      problems.push(
        file.problem(
          [...prefix, index, 'port'].filter((s): s is string | number => s !== undefined),
          `must be unique: imposter ${before} already listens on it`,
          { got: imposter.port },
        ),
      );
    }
    seen.set(imposter.port, index);
  });
  return {
    imposters: imposters.map(({ index: _index, ...rest }) => rest),
    paths: imposters.map(({ index }) => (index === undefined ? [] : ['imposters', index])),
    problems,
  };
}

function findInjection(value: unknown, path: (string | number)[]): (string | number)[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findInjection(value[i], [...path, i]);
      if (found) {
        return found;
      }
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      // A response body is data, not configuration: injection keys inside it are harmless text.
      if (key === 'body' || key === 'data') {
        continue;
      }
      if (INJECTION_KEYS.includes(key)) {
        return [...path, key];
      }
      const found = findInjection(child, [...path, key]);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}

/**
 * The imposters document a mock's ConfigMap holds and Mountebank loads (`mb --configfile`): every
 * imposter of the mock, sorted by port as the model keeps them, with the mock's latency added. Built here so that its size can be
 * checked against the ConfigMap limit before anything is rendered.
 */
export function impostersConfiguration(imposters: readonly ImposterSpec[], latency?: LatencySpec): string {
  return `${JSON.stringify({ imposters: imposters.map((i) => withLatency(i.document, latency)) }, null, 2)}\n`;
}
