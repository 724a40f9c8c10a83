import SwaggerParser from '@apidevtools/swagger-parser';
import { sample } from 'openapi-sampler';
import { SourceFile } from '../model/source-file';
import { compareStrings, Problem, SpecError } from '../model/spec-error';

/**
 * A Mountebank imposter built from an OpenAPI 3.x or Swagger 2.0 document: one stub per operation
 * and response.
 *
 * - The document is parsed and validated by `@apidevtools/swagger-parser` (against the OpenAPI and
 *   Swagger JSON Schemas); its `$ref`s must point inside it (nothing is fetched, no other file is read).
 * - A response body is the document's example for it when there is one (OpenAPI 3 `example`, then
 *   the first of `examples`; Swagger 2 `examples`), else a sample `openapi-sampler` makes from its
 *   schema (which itself prefers the schema's `example` and `default`).
 * - Each stub matches the method and the path template (`/pets/{id}` as `^/v1/pets/[^/]+$`, with
 *   the server's base path). An operation's first 2xx response (else its first) answers every
 *   request; its other responses answer requests that ask for them with the header
 *   `x-mock-status: <code>` (`default` for the `default` response, sent as 500).
 * - Stubs are ordered so that Mountebank, which answers with the first stub that matches, prefers
 *   a literal path segment to a template one (`/pets/mine` before `/pets/{id}`).
 *
 * @see https://www.mbtest.org/docs/api/stubs
 */

/** The request header that selects a response other than an operation's first success. */
export const MOCK_STATUS_HEADER = 'x-mock-status';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One generated stub: what it answers, for a summary. */
export interface GeneratedOperation {
  readonly method: string;
  readonly path: string;
  readonly status: string;
  /** Where the body comes from. */
  readonly body: 'example' | 'sample' | 'none';
}

export interface ContractImposter {
  readonly imposter: Record<string, unknown>;
  readonly operations: readonly GeneratedOperation[];
}

type Json = Record<string, unknown>;

/** Builds the imposter of `document` (its repository-relative or given path, and text) listening on `port`. */
export async function imposterFromContract(documentPath: string, text: string, port: number, name?: string): Promise<ContractImposter> {
  const file = SourceFile.parse(documentPath, text, { json: documentPath.endsWith('.json') });
  if (file.problems.length > 0) {
    throw new SpecError(file.problems);
  }
  const raw = file.data;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || (!('openapi' in raw) && !('swagger' in raw))) {
    throw new SpecError([
      file.problem([], 'must be an OpenAPI 3.x or Swagger 2.0 document', {
        noGot: true,
        hint: 'the document starts with openapi: 3.x.y or swagger: "2.0"',
      }),
    ]);
  }
  const external = externalRef(raw);
  if (external !== undefined) {
    throw new SpecError([
      file.problem(external.path, 'must point inside the document: meshflip reads no other file and fetches nothing', {
        hint: 'bundle the contract into one file first (for example with swagger-cli bundle or redocly bundle)',
      }),
    ]);
  }
  // swagger-parser dereferences in place: it gets a copy, the raw document stays for the sampler.
  const api = structuredClone(raw) as Json;
  try {
    await SwaggerParser.validate(api as never, { resolve: { external: false }, dereference: { circular: 'ignore' } });
  } catch (e) {
    throw new SpecError([validationProblem(file, e)]);
  }
  const spec = raw as Json;
  const swagger2 = 'swagger' in spec;
  const basePath = swagger2 ? trimSlash(typeof spec.basePath === 'string' ? spec.basePath : '') : serverPath(spec);
  const stubs: { key: string[]; stub: Json }[] = [];
  const operations: (GeneratedOperation & { key: string[] })[] = [];
  const paths = (spec.paths ?? {}) as Record<string, Json>;
  for (const [template, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const operation = resolveRef(spec, item[method]) as Json | undefined;
      if (operation === undefined) {
        continue;
      }
      const responses = Object.entries((operation.responses ?? {}) as Record<string, unknown>);
      const primary = responses.find(([code]) => /^2\d\d$/.test(code))?.[0] ?? responses[0]?.[0];
      // Paths are case-sensitive (RFC 3986); Mountebank's predicates are not unless told.
      const predicate = [{ equals: { method: method.toUpperCase() } }, { matches: { path: pathPattern(basePath + template) }, caseSensitive: true }];
      for (const [code, value] of responses) {
        const response = resolveRef(spec, value) as Json;
        const { is, body } = swagger2 ? swagger2Response(spec, operation, code, response) : openApi3Response(spec, code, response);
        const own = code !== primary;
        const predicates = own ? [...predicate, { equals: { headers: { [MOCK_STATUS_HEADER]: code } } }] : predicate;
        // Order: path specificity, then method, then a response asked for by header before the operation's default.
        const key = [...sortKey(template), method, own ? `0${code}` : '1'];
        stubs.push({ key, stub: { predicates, responses: [{ is }] } });
        operations.push({ key, method: method.toUpperCase(), path: basePath + template, status: code, body });
      }
    }
  }
  const byKey = (a: { key: string[] }, b: { key: string[] }) => compareKeys(a.key, b.key);
  stubs.sort(byKey);
  operations.sort(byKey);
  const info = (spec.info ?? {}) as Json;
  return {
    imposter: {
      port,
      protocol: 'http',
      name: name ?? (typeof info.title === 'string' ? info.title : undefined),
      defaultResponse: {
        statusCode: 404,
        headers: { 'Content-Type': 'application/json' },
        body: { error: 'no operation of the contract matches this request' },
      },
      stubs: stubs.map((s) => s.stub),
    },
    operations: operations.map(({ key: _key, ...rest }) => rest),
  };
}

function statusOf(code: string): number {
  return code === 'default' ? 500 : Number(code.replace(/X/gi, '0'));
}

function openApi3Response(spec: Json, code: string, response: Json): { is: Json; body: GeneratedOperation['body'] } {
  const is: Json = { statusCode: statusOf(code) };
  const headers = sampleHeaders(spec, response.headers as Json | undefined, (header) => {
    const h = resolveRef(spec, header) as Json;
    return h.example ?? firstExample(spec, h.examples) ?? (h.schema === undefined ? undefined : sample(h.schema as never, { quiet: true }, spec));
  });
  const content = (response.content ?? {}) as Record<string, Json>;
  const mediaType = pickMediaType(Object.keys(content));
  if (mediaType === undefined) {
    return { is: withHeaders(is, headers), body: 'none' };
  }
  const media = content[mediaType];
  const example = media.example ?? firstExample(spec, media.examples);
  const body =
    example !== undefined
      ? example
      : media.schema !== undefined
        ? sample(media.schema as never, { skipWriteOnly: true, quiet: true }, spec)
        : undefined;
  return {
    is: withHeaders({ ...is, ...(body === undefined ? {} : { body }) }, { ...headers, 'Content-Type': mediaType }),
    body: example !== undefined ? 'example' : body === undefined ? 'none' : 'sample',
  };
}

function swagger2Response(spec: Json, operation: Json, code: string, response: Json): { is: Json; body: GeneratedOperation['body'] } {
  const is: Json = { statusCode: statusOf(code) };
  const headers = sampleHeaders(spec, response.headers as Json | undefined, (header) => {
    const h = header as Json;
    return h.example ?? h.default ?? sample(h, { quiet: true }, spec);
  });
  const produces = (operation.produces ?? spec.produces ?? ['application/json']) as string[];
  const examples = (response.examples ?? {}) as Json;
  const mediaType = pickMediaType([...Object.keys(examples), ...produces]);
  if (response.schema === undefined && Object.keys(examples).length === 0) {
    return { is: withHeaders(is, headers), body: 'none' };
  }
  const example = mediaType === undefined ? undefined : examples[mediaType];
  const body = example !== undefined ? example : sample(response.schema as never, { skipWriteOnly: true, quiet: true }, spec);
  return {
    is: withHeaders({ ...is, body }, { ...headers, ...(mediaType === undefined ? {} : { 'Content-Type': mediaType }) }),
    body: example !== undefined ? 'example' : 'sample',
  };
}

function sampleHeaders(spec: Json, headers: Json | undefined, value: (header: unknown) => unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, header] of Object.entries(headers ?? {})) {
    // Content-Type comes from the media type.
    if (name.toLowerCase() === 'content-type') {
      continue;
    }
    const v = value(resolveRef(spec, header));
    if (v !== undefined) {
      out[name] = typeof v === 'string' ? v : JSON.stringify(v);
    }
  }
  return out;
}

function withHeaders(is: Json, headers: Record<string, string>): Json {
  return Object.keys(headers).length === 0 ? is : { ...is, headers };
}

function firstExample(spec: Json, examples: unknown): unknown {
  const first = Object.keys(examples ?? {}).sort(compareStrings)[0];
  return first === undefined ? undefined : (resolveRef(spec, (examples as Json)[first]) as Json).value;
}

/** JSON first (what most clients send Accept for), then any `+json`, then the first listed. */
function pickMediaType(types: readonly string[]): string | undefined {
  return types.find((t) => t === 'application/json') ?? types.find((t) => /^application\/[^;]*\+json/.test(t)) ?? types[0];
}

/** Follows a local `$ref` (`#/components/...`); anything else is returned as it is. */
function resolveRef(spec: Json, value: unknown): unknown {
  let current = value;
  for (let hops = 0; hops < 20 && current !== null && typeof current === 'object' && typeof (current as Json).$ref === 'string'; hops++) {
    const ref = (current as Json).$ref as string;
    current = ref
      .slice(2)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, segment) => (node as Json | undefined)?.[segment], spec);
  }
  return current;
}

/** The path of the first server URL (`https://api.example.com/v1` gives `/v1`); none for a templated or absent one. */
function serverPath(spec: Json): string {
  const servers = Array.isArray(spec.servers) ? (spec.servers as Json[]) : [];
  const url = typeof servers[0]?.url === 'string' ? servers[0].url : '';
  if (url.includes('{')) {
    return '';
  }
  const pathPart = /^[a-z][a-z0-9+.-]*:\/\/[^/]*(\/.*)?$/i.exec(url)?.[1] ?? (url.startsWith('/') ? url : '');
  return trimSlash(pathPart);
}

function trimSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/** A Mountebank `matches` regular expression for a path template: parameters match one segment. */
export function pathPattern(template: string): string {
  const parts = template.split(/(\{[^}/]+\})/);
  return `^${parts.map((p) => (/^\{[^}/]+\}$/.test(p) ? '[^/]+' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`;
}

/** Literal segments sort before template ones at the first place they differ. */
function sortKey(template: string): string[] {
  return template.split('/').map((segment) => (segment.includes('{') ? `1${segment}` : `0${segment}`));
}

function compareKeys(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareStrings(a[i], b[i]);
    if (c !== 0) {
      return c;
    }
  }
  return a.length - b.length;
}

function validationProblem(file: SourceFile, e: unknown): Problem {
  const error = e as { message?: string; details?: { instancePath?: string; message?: string; keyword?: string }[] };
  // Combinators (not, oneOf, anyOf) only say that a branch failed; a detail of another keyword says what is wrong.
  const first = error.details?.find((d) => !['not', 'oneOf', 'anyOf', 'allOf', 'if'].includes(d.keyword ?? '')) ?? error.details?.[0];
  const segments = (first?.instancePath ?? '')
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  // A list index is a number in a field path, a map key stays a string.
  const pointer: (string | number)[] = [];
  for (const segment of segments) {
    pointer.push(Array.isArray(file.valueAt(pointer)) ? Number(segment) : segment);
  }
  // The deepest part of the pointer that is written in the file.
  let at = pointer;
  while (at.length > 0 && !file.has(at)) {
    at = at.slice(0, -1);
  }
  const message = first?.message ?? (error.message ?? String(e)).split('\n')[0];
  return file.problem(at, `is not valid OpenAPI: ${message}`, {
    noGot: true,
    hint: 'fix the document: swagger-parser validates it against the OpenAPI 3.x and Swagger 2.0 schemas',
  });
}

/** The first `$ref` that points outside the document: nothing else is read or fetched. */
export function externalRef(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; ref: string } | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = externalRef(value[i], [...path, i]);
      if (found !== undefined) {
        return found;
      }
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && !child.startsWith('#')) {
        return { path: [...path, key], ref: child };
      }
      const found = key === 'example' || key === 'examples' ? undefined : externalRef(child, [...path, key]);
      if (found !== undefined) {
        return found;
      }
    }
  }
  return undefined;
}
