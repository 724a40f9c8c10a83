import SwaggerParser from '@apidevtools/swagger-parser';
import { ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import OpenAPIResponseValidator from 'openapi-response-validator';
import * as YAML from 'yaml';
import { imposterFromContract, MOCK_STATUS_HEADER, pathPattern } from '../../src/mocks/openapi-imposter';
import { readImposters } from '../../src/model/imposters';
import { SourceFile } from '../../src/model/source-file';
import { formatProblem, SpecError } from '../../src/model/spec-error';
import { REPO, removeTempDirs } from '../util';
import { freePort, send, startMountebank } from './mountebank-util';

// The imposters are built with @apidevtools/swagger-parser (parsing, validation) and openapi-sampler
// (bodies where the document has no example); the answers of a real Mountebank are checked against
// the document with openapi-response-validator, not against the generator's own output.

const FIXTURES = path.join(REPO, 'test', 'fixtures', 'openapi');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

type Json = Record<string, any>;

/** Every operation and response of a document, read from the document (not from the generator), with the request that should reach it. */
function expectedCalls(document: Json): { method: string; requestPath: string; code: string; primary: boolean; responses: Json }[] {
  const base = document.swagger !== undefined ? (document.basePath ?? '') : new URL(document.servers[0].url).pathname.replace(/\/$/, '');
  const calls = [];
  for (const [template, item] of Object.entries<Json>(document.paths)) {
    for (const method of METHODS.filter((m) => item[m] !== undefined)) {
      const codes = Object.keys(item[method].responses);
      const primary = codes.find((c) => /^2\d\d$/.test(c)) ?? codes[0];
      const requestPath = `${base}${template.replace(/\{[^}]+\}/g, 'a1b2c3')}`;
      for (const code of codes) {
        calls.push({ method: method.toUpperCase(), requestPath, code, primary: code === primary, responses: item[method].responses });
      }
    }
  }
  return calls;
}

describe('an imposter from a contract', () => {
  const running: ChildProcess[] = [];
  afterAll(() => {
    running.forEach((p) => p.kill('SIGKILL'));
    removeTempDirs();
  });

  test.each(['shop.openapi.yaml', 'shop.swagger.json'])(
    '%s: every operation and response answers as the document says, from a real Mountebank',
    async (name) => {
      // GIVEN the imposter built from the document, loaded into a real Mountebank
      const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
      const mb = await startMountebank();
      running.push(mb.process);
      const port = await freePort();
      const { imposter, operations } = await imposterFromContract(`contracts/${name}`, text, port);
      // meshflip itself reads the file it writes without a problem
      expect(readImposters(SourceFile.parse('environments/mocks/x.imposter.json', JSON.stringify(imposter), { json: true })).problems).toEqual([]);
      expect((await send(mb.adminPort, 'POST', '/imposters', { 'content-type': 'application/json' }, JSON.stringify(imposter))).status).toBe(201);
      // the document, dereferenced by swagger-parser for the response validator
      const raw = (name.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) as Json;
      const document = (await SwaggerParser.dereference(structuredClone(raw) as never)) as Json;
      const calls = expectedCalls(document);
      expect(operations).toHaveLength(calls.length);
      for (const call of calls) {
        // WHEN the test calls the operation, asking for a response other than the first success by header
        const response = await send(port, call.method, call.requestPath, call.primary ? {} : { [MOCK_STATUS_HEADER]: call.code });
        // THEN the status is the response's ('default' is answered with 500)
        const where = `${call.method} ${call.requestPath} ${call.code}`;
        expect({ where, status: response.status }).toEqual({ where, status: call.code === 'default' ? 500 : Number(call.code) });
        // and the body satisfies the response's schema
        const declared = call.responses[call.code] as Json;
        const mediaTypes = declared.content !== undefined ? Object.keys(declared.content) : declared.schema !== undefined ? document.produces : [];
        if (mediaTypes.length === 0) {
          expect({ where, body: response.body }).toEqual({ where, body: '' });
          continue;
        }
        expect({ where, contentType: mediaTypes.includes(response.headers['content-type']) }).toEqual({ where, contentType: true });
        const body = /json/.test(response.headers['content-type']!) ? JSON.parse(response.body) : response.body;
        const validator = new OpenAPIResponseValidator({ responses: { [call.code]: declared } as never });
        expect({ where, errors: validator.validateResponse(call.code, body) }).toEqual({ where, errors: undefined });
        // (the validator does refuse a body that misses what the schema requires)
        const schema = declared.schema ?? declared.content[mediaTypes[0]].schema;
        if ((schema.required ?? schema.items?.required ?? []).length > 0) {
          expect(validator.validateResponse(call.code, schema.type === 'array' ? [{}] : {})).toBeDefined();
        }
      }
      // and a request no operation matches gets the imposter's 404
      expect((await send(port, 'GET', '/nothing')).status).toBe(404);
    },
    60_000,
  );

  test("uses the document's example where it has one, and a literal path segment wins over a template", async () => {
    // GIVEN
    const text = fs.readFileSync(path.join(FIXTURES, 'shop.openapi.yaml'), 'utf8');
    // WHEN
    const { imposter, operations } = await imposterFromContract('contracts/shop.openapi.yaml', text, 8080);
    // THEN
    expect(operations.map((o) => `${o.method} ${o.path} ${o.status} ${o.body}`)).toEqual([
      'GET /v1/orders/latest 200 sample',
      'DELETE /v1/orders/{orderId} default sample',
      'DELETE /v1/orders/{orderId} 204 none',
      'GET /v1/orders/{orderId} 404 sample',
      'GET /v1/orders/{orderId} 200 example',
      'GET /v1/orders 200 sample',
      'POST /v1/orders 400 sample',
      'POST /v1/orders 201 example',
    ]);
    const stubs = imposter.stubs as Json[];
    expect(stubs[4]).toEqual({
      predicates: [{ equals: { method: 'GET' } }, { matches: { path: '^/v1/orders/[^/]+$' }, caseSensitive: true }],
      responses: [
        {
          is: {
            statusCode: 200,
            headers: { 'Content-Type': 'application/json' },
            body: YAML.parse(text).paths['/orders/{orderId}'].get.responses['200'].content['application/json'].example,
          },
        },
      ],
    });
    expect(pathPattern('/a.b/{id}/c+d')).toBe('^/a\\.b/[^/]+/c\\+d$');
  });

  test('fails when the document is not valid OpenAPI, pointing at the field', async () => {
    // GIVEN a response without its required description
    const text = 'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /x:\n    get:\n      responses:\n        "200": { content: {} }\n';
    // THEN
    await expect(imposterFromContract('contracts/bad.yaml', text, 8080).catch((e: SpecError) => e.problems.map(formatProblem))).resolves.toEqual([
      'contracts/bad.yaml:7:16: paths["/x"].get.responses.200: is not valid OpenAPI: must have required property \'description\'; ' +
        'fix the document: swagger-parser validates it against the OpenAPI 3.x and Swagger 2.0 schemas',
    ]);
  });

  test('fails when a $ref points outside the document, fetching and reading nothing', async () => {
    const text =
      'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths:\n  /x:\n    get:\n      responses:\n        "200": { $ref: "https://example.com/r.yaml#/ok" }\n';
    await expect(imposterFromContract('contracts/remote.yaml', text, 8080).catch((e: SpecError) => e.problems.map(formatProblem))).resolves.toEqual([
      'contracts/remote.yaml:7:24: paths["/x"].get.responses.200["$ref"]: must point inside the document: meshflip reads no other file and fetches nothing, ' +
        'got "https://example.com/r.yaml#/ok"; bundle the contract into one file first (for example with swagger-cli bundle or redocly bundle)',
    ]);
  });

  test('fails when the file is no OpenAPI or Swagger document', async () => {
    await expect(
      imposterFromContract('contracts/other.yaml', 'name: lab\n', 8080).catch((e: SpecError) => e.problems.map(formatProblem)),
    ).resolves.toEqual([
      'contracts/other.yaml:1:1: (document): must be an OpenAPI 3.x or Swagger 2.0 document; the document starts with openapi: 3.x.y or swagger: "2.0"',
    ]);
  });
});
