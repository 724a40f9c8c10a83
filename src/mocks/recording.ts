import { redact } from '../model/credentials';
import { pathOf, scanStrings, stringsOf } from '../model/secret-scan';
import { SourceFile } from '../model/source-file';
import { compareStrings, Problem } from '../model/spec-error';

/**
 * Record, then replay: a Mountebank proxy imposter in front of the real service records what it
 * answers; `meshflip mock-record` fetches the recording from the admin API, scrubs it, normalises
 * it and writes it as an imposter file that the mock replays.
 *
 * Mountebank 2.9: a `proxyOnce` proxy calls the real service the first time a request with new
 * values of the generated predicates arrives and saves the answer as a stub in front of itself
 * (`src/models/responseResolver.js`, `recordProxyResponse`); `GET /imposters?replayable=true&removeProxies=true`
 * returns those stubs without the proxy (`src/controllers/impostersController.js`, `src/models/imposter.js` `toJSON`).
 *
 * @see https://www.mbtest.org/docs/api/proxies
 */

/** The headers always removed from a recording: they carry credentials and sessions. */
export const SCRUBBED_HEADERS: readonly string[] = ['authorization', 'cookie', 'proxy-authorization', 'set-cookie'];

/**
 * Headers that depend on the connection or on the moment, not on the answer: removed, so that
 * re-recording the same answers gives the same file (Mountebank sets Content-Length and
 * Connection itself when it replays).
 */
const UNSTABLE_HEADERS: readonly string[] = ['connection', 'content-length', 'date', 'keep-alive', 'transfer-encoding'];

/** What replaces the value of a JSON field the environment lists. */
export const SCRUBBED = '<scrubbed>';

/** The value every ISO 8601 timestamp of a recording becomes. */
export const STABLE_DATE_TIME = '2000-01-01T00:00:00Z';

/**
 * The request fields a recorded stub matches on: method, path and query. Headers are left out (they
 * carry credentials, trace ids and client versions that differ between a recording and its replay),
 * and so is the body (it often holds timestamps and generated ids).
 */
export const PREDICATE_GENERATORS = [{ matches: { method: true, path: true, query: true }, caseSensitive: true }];

/** The proxy imposter that records the answers of the service at `to` (`http://host:port`) on `port`. */
export function recordingImposter(port: number, to: string, name?: string): Record<string, unknown> {
  return {
    port,
    protocol: 'http',
    ...(name === undefined ? {} : { name }),
    stubs: [{ responses: [{ proxy: { to, mode: 'proxyOnce', predicateGenerators: PREDICATE_GENERATORS } }] }],
  };
}

/** What the environment asks to remove beyond the fixed list (`mocks.scrub`). */
export interface ScrubOptions {
  /** Header names, any case. */
  readonly headers: readonly string[];
  /** JSON field names, at any depth of a request or response body. */
  readonly fields: readonly string[];
}

type Json = Record<string, unknown>;

/**
 * The recording as it is written: secrets scrubbed, unstable values made stable, stubs in a fixed
 * order. Pure: the same recording gives the same result.
 */
export function cleanRecording(imposters: readonly Json[], options: ScrubOptions): Json[] {
  const headers = new Set([...SCRUBBED_HEADERS, ...UNSTABLE_HEADERS, ...options.headers.map((h) => h.toLowerCase())]);
  const fields = new Set(options.fields);
  const scrub = (value: unknown): unknown => scrubFields(value, fields);
  const cleaned = imposters.map((imposter) => {
    const { port, protocol, name, defaultResponse, stubs } = imposter;
    const kept = (Array.isArray(stubs) ? (stubs as Json[]) : []).map((stub) => ({
      ...(stub.predicates === undefined ? {} : { predicates: (stub.predicates as Json[]).map((p) => scrub(withoutHeaders(p, headers))) }),
      responses: (Array.isArray(stub.responses) ? (stub.responses as Json[]) : []).map((response) => cleanResponse(response, headers, scrub)),
    }));
    return { port, protocol, name, defaultResponse, stubs: kept };
  });
  // Generated ids are those the service answered with before the test sent them. An id a request
  // carries before any answer did was chosen by the test: it stays as it is, everywhere, so that
  // replay still matches the requests the test sends. Stubs are in the order they were recorded
  // (a proxyOnce proxy inserts each new stub at its own index: mountebank src/models/responseResolver.js recordProxyResponse).
  const answered = new Set<string>();
  const chosen = new Set<string>();
  const each = (value: unknown, fn: (id: string) => void) =>
    JSON.stringify(value ?? []).replace(UUID, (id) => {
      fn(id.toLowerCase());
      return id;
    });
  for (const imposter of cleaned) {
    for (const stub of imposter.stubs) {
      each(stub.predicates, (id) => {
        if (!answered.has(id)) {
          chosen.add(id);
        }
      });
      each(stub.responses, (id) => answered.add(id));
    }
  }
  const generated = new Set([...answered].filter((id) => !chosen.has(id)));
  const masked = (value: unknown) => JSON.stringify(value ?? []).replace(UUID, (id) => (generated.has(id.toLowerCase()) ? '<id>' : id));
  const ids = new Map<string, string>();
  return cleaned.map(({ stubs, ...imposter }) => {
    // The test's requests decide the order, not the order they happened to be recorded in.
    const sorted = [...stubs].sort((a, b) => compareStrings(masked(a.predicates), masked(b.predicates)));
    // Ids are numbered in the order they appear in the sorted file, so a new recording numbers them alike.
    const stable = sorted.map((stub) => ({
      ...(stub.predicates === undefined ? {} : { predicates: generatedIds(stub.predicates, generated, ids) }),
      responses: stableValues(stub.responses, ids, chosen),
    }));
    return Object.fromEntries(Object.entries({ ...imposter, stubs: stable }).filter(([, v]) => v !== undefined));
  });
}

/** Replaces, in a request predicate, only the ids the service generated; timestamps and the test's own ids stay. */
function generatedIds(value: unknown, generated: ReadonlySet<string>, ids: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(UUID, (id) => (generated.has(id.toLowerCase()) ? stableId(id, ids) : id));
  }
  if (Array.isArray(value)) {
    return value.map((v) => generatedIds(v, generated, ids));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, generatedIds(v, generated, ids)]));
  }
  return value;
}

function stableId(id: string, ids: Map<string, string>): string {
  const key = id.toLowerCase();
  let stable = ids.get(key);
  if (stable === undefined) {
    stable = `00000000-0000-4000-8000-${String(ids.size + 1).padStart(12, '0')}`;
    ids.set(key, stable);
  }
  return stable;
}

function cleanResponse(response: Json, headers: ReadonlySet<string>, cleanValue: (value: unknown) => unknown): Json {
  const is = response.is as Json | undefined;
  if (is === undefined) {
    return response;
  }
  // _proxyResponseTime is how long the real service took this time: not part of the answer.
  const { _proxyResponseTime: _time, headers: isHeaders, body, ...rest } = is;
  const kept = Object.entries((isHeaders ?? {}) as Json)
    .filter(([k]) => !headers.has(k.toLowerCase()))
    .sort(([a], [b]) => compareStrings(a, b));
  return {
    ...response,
    is: {
      ...rest,
      ...(kept.length === 0 ? {} : { headers: Object.fromEntries(kept.map(([k, v]) => [k, cleanValue(v)])) }),
      ...(body === undefined ? {} : { body: cleanBody(body, cleanValue) }),
    },
  };
}

/**
 * A JSON body, recorded as text, is kept as JSON, so that a new recording reads as a diff of fields
 * (Mountebank replays an object body as JSON: `src/models/http/baseHttpServer.js`).
 */
function cleanBody(body: unknown, cleanValue: (value: unknown) => unknown): unknown {
  if (typeof body === 'string' && /^\s*[[{]/.test(body)) {
    try {
      return cleanValue(JSON.parse(body));
    } catch {
      // not JSON after all
    }
  }
  return cleanValue(body);
}

function withoutHeaders(predicate: Json, headers: ReadonlySet<string>): Json {
  return Object.fromEntries(
    Object.entries(predicate).map(([operator, value]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || (value as Json).headers === undefined) {
        return [operator, value];
      }
      const kept = Object.entries((value as Json).headers as Json).filter(([k]) => !headers.has(k.toLowerCase()));
      const { headers: _headers, ...rest } = value as Json;
      return [operator, kept.length === 0 ? rest : { ...rest, headers: Object.fromEntries(kept) }];
    }),
  );
}

function scrubFields(value: unknown, fields: ReadonlySet<string>): unknown {
  if (typeof value === 'string' && /^\s*[[{]/.test(value) && fields.size > 0) {
    try {
      return JSON.stringify(scrubFields(JSON.parse(value), fields));
    } catch {
      return value;
    }
  }
  if (Array.isArray(value)) {
    return value.map((v) => scrubFields(v, fields));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fields.has(k) ? SCRUBBED : scrubFields(v, fields)]));
  }
  return value;
}

const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const ISO_DATE_TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b/g;
const HTTP_DATE = /\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT\b/g;

/**
 * In responses, generated ids (UUIDs; not those in `keep`, which the test chose) become `00000000-0000-4000-8000-<n>`, numbered in order of
 * first appearance and the same everywhere in the file (an id in a list and in a detail stay equal);
 * timestamps become one fixed instant. Strings only: numbers and keys are kept.
 */
function stableValues(value: unknown, ids: Map<string, string>, keep: ReadonlySet<string>): unknown {
  if (typeof value === 'string') {
    return value
      .replace(UUID, (id) => (keep.has(id.toLowerCase()) ? id : stableId(id, ids)))
      .replace(ISO_DATE_TIME, STABLE_DATE_TIME)
      .replace(HTTP_DATE, 'Sat, 01 Jan 2000 00:00:00 GMT');
  }
  if (Array.isArray(value)) {
    return value.map((v) => stableValues(v, ids, keep));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stableValues(v, ids, keep)]));
  }
  return value;
}

/** The imposter file text of a cleaned recording: one imposter as it is, several under `imposters`. */
export function recordingText(imposters: readonly Json[]): string {
  return `${JSON.stringify(imposters.length === 1 ? imposters[0] : { imposters }, null, 2)}\n`;
}

/**
 * Every value of the file about to be written that looks like a credential, located in that file:
 * such a recording is refused, not written. Names count (a `password` field with a value is
 * refused): the data is real, not made up for a mock. JSON bodies kept as text are scanned as JSON.
 */
export async function recordingCredentialProblems(file: string, text: string): Promise<Problem[]> {
  const source = SourceFile.parse(file, text, { json: true });
  const leaves = stringsOf(source.data).flatMap((leaf) => {
    if (!leaf.atKey && /^\s*[[{]/.test(leaf.value)) {
      try {
        return [leaf, ...stringsOf(JSON.parse(leaf.value)).map((inner) => ({ ...inner, at: leaf.at }))];
      } catch {
        return [leaf];
      }
    }
    return [leaf];
  });
  const found = await scanStrings(leaves.map((leaf) => ({ value: leaf.value, name: leaf.name, names: true })));
  const problems: Problem[] = [];
  leaves.forEach((leaf, i) => {
    for (const detection of found[i]) {
      problems.push(
        source.problem(
          pathOf(leaf),
          `holds what looks like ${detection.what} (${redact(detection.secret)}): a recording with a credential is not written`,
          {
            noGot: true,
            hint: `list ${leaf.name === undefined ? 'the header or JSON field that carries it' : `"${leaf.name}"`} under mocks.scrub (headers or fields) of the environment, and record again`,
          },
        ),
      );
    }
  });
  return problems;
}
