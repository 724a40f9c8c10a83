import * as fs from 'fs';
import * as path from 'path';
import { imposterFromContract } from '../../src/mocks/openapi-imposter';
import { fixtureRepo } from '../model/fixtures';
import { REPO, removeTempDirs, snapshotTree } from '../util';
import { lines, meshflipAsync } from './cli-util';

afterAll(removeTempDirs);

const CONTRACT = fs.readFileSync(path.join(REPO, 'test', 'fixtures', 'openapi', 'shop.swagger.json'), 'utf8');

test('writes the imposter of a contract where --out says, and lists its stubs', async () => {
  // GIVEN a repository with the payments contract, run from a folder inside it
  const root = fixtureRepo({ 'contracts/payments.swagger.json': CONTRACT });
  // WHEN
  const run = await meshflipAsync(path.join(root, 'contracts'), [
    'mock-contract',
    'payments.swagger.json',
    '--port',
    '8080',
    '--out',
    '../environments/mocks/payments.imposter.json',
  ]);
  // THEN
  expect([run.status, run.stderr]).toEqual([0, '']);
  expect(lines(run.stdout)).toEqual([
    'wrote ../environments/mocks/payments.imposter.json: 3 stubs on port 8080',
    '  GET /api/payments/{paymentId} -> 404 (sample from the schema)',
    '  GET /api/payments/{paymentId} -> 200 (sample from the schema)',
    '  POST /api/payments -> 202 (example)',
  ]);
  const { imposter } = await imposterFromContract('payments.swagger.json', CONTRACT, 8080);
  expect(fs.readFileSync(path.join(root, 'environments/mocks/payments.imposter.json'), 'utf8')).toBe(`${JSON.stringify(imposter, null, 2)}\n`);
});

test('fails when the contract is invalid, writing nothing', async () => {
  // GIVEN
  const root = fixtureRepo({
    'contracts/bad.yaml': 'swagger: "2.0"\ninfo: { title: t, version: "1" }\npaths:\n  /x:\n    get:\n      responses: {}\n',
  });
  const before = snapshotTree(root);
  // WHEN
  const run = await meshflipAsync(root, ['mock-contract', 'contracts/bad.yaml', '--port', '8080', '--out', 'environments/mocks/x.imposter.json']);
  // THEN
  expect(run.status).toBe(1);
  expect(lines(run.stderr)).toEqual([
    'error: contracts/bad.yaml:6:18: paths["/x"].get.responses: is not valid OpenAPI: must NOT have fewer than 1 properties; ' +
      'fix the document: swagger-parser validates it against the OpenAPI 3.x and Swagger 2.0 schemas',
    '1 problem found; nothing was written.',
  ]);
  expect(snapshotTree(root)).toEqual(before);
});

test('fails without a port, or with an --out that is not a .json file', async () => {
  const root = fixtureRepo({ 'contracts/payments.swagger.json': CONTRACT });
  const noPort = await meshflipAsync(root, ['mock-contract', 'contracts/payments.swagger.json', '--out', 'x.json']);
  expect([noPort.status, lines(noPort.stderr)]).toEqual([
    1,
    ['error: --port must be a port number 1-65535', 'hint: the target port of the service the mock stands in for'],
  ]);
  const yamlOut = await meshflipAsync(root, ['mock-contract', 'contracts/payments.swagger.json', '--port', '8080', '--out', 'x.yaml']);
  expect([yamlOut.status, lines(yamlOut.stderr)]).toEqual([
    1,
    ['error: --out must name a .json file, got "x.yaml"', 'hint: e.g. --out environments/mocks/orders.imposter.json'],
  ]);
});
