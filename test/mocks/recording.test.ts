import { ChildProcess } from 'child_process';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { recordingImposter, STABLE_DATE_TIME } from '../../src/mocks/recording';
import { loadProject } from '../../src/model/load';
import { lines, meshflipAsync } from '../cli/cli-util';
import { CATALOG, fixtureRepo, kongEnvironment } from '../model/fixtures';
import { removeTempDirs, snapshotTree } from '../util';
import { admin, Answer, freePort, send, startMountebank } from './mountebank-util';

// Record, then replay, end to end: a real HTTP service on 127.0.0.1, a real Mountebank proxy
// imposter in front of it (the one meshflip renders for recording), `meshflip mock-record` fetching
// from the real admin API, and a real Mountebank replaying the file it wrote.

/** A token of the form GitHub gives personal access tokens: what the secret scan must refuse to write. */
const LEAKED = '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';

/** The real service: every answer carries fresh ids and timestamps, a session cookie and an internal token. */
function startService(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    res.setHeader('Set-Cookie', `session=${randomUUID()}; HttpOnly`);
    res.setHeader('X-Internal-Token', `tok-${randomUUID()}`);
    res.setHeader('X-Request-Id', randomUUID());
    res.setHeader('Content-Type', 'application/json');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/orders') {
      res.end(JSON.stringify({ status: url.searchParams.get('status'), orders: [{ id: randomUUID(), placedAt: new Date().toISOString() }] }));
    } else if (req.method === 'GET' && url.pathname === '/orders/42') {
      res.end(JSON.stringify({ id: '42', customer: { name: 'Ada', ssn: '078-05-1120' }, updated: new Date().toUTCString() }));
    } else if (req.method === 'GET' && /^\/orders\/[0-9a-f-]{36}$/.test(url.pathname)) {
      res.end(JSON.stringify({ id: url.pathname.slice('/orders/'.length), state: 'placed', checkedAt: new Date().toISOString() }));
    } else if (req.method === 'POST' && url.pathname === '/orders') {
      res.statusCode = 201;
      res.end(JSON.stringify({ id: randomUUID() }));
    } else if (url.pathname === '/leak') {
      res.end(JSON.stringify({ note: 'debug', token: LEAKED }));
    } else {
      res.statusCode = 404;
      res.end(JSON.stringify({ error: 'not found' }));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

/** What the performance test sends, with a credential of its own. */
const REQUESTS: [string, string][] = [
  ['GET', '/orders?status=open'],
  ['GET', '/orders/42'],
  ['POST', '/orders'],
  ['GET', '/missing'],
];

describe('record, then replay', () => {
  const processes: ChildProcess[] = [];
  const servers: http.Server[] = [];
  afterAll(() => {
    processes.forEach((p) => p.kill('SIGKILL'));
    servers.forEach((s) => s.close());
    removeTempDirs();
  });

  /** Records `requests` through a fresh proxy imposter on `port` in front of the service; returns the admin port. */
  async function record(port: number, servicePort: number, requests: [string, string][]): Promise<{ adminPort: number; stop: () => void }> {
    const mb = await startMountebank();
    processes.push(mb.process);
    expect(await admin(mb.adminPort, 'POST', '/imposters', recordingImposter(port, `http://127.0.0.1:${servicePort}`, 'orders (recording)'))).toBe(
      201,
    );
    for (const [method, requestPath] of requests) {
      // traffic flows to the real service through the proxy
      const answer = await send(port, method, requestPath, { authorization: 'Bearer test-run-credential' });
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
    return { adminPort: mb.adminPort, stop: () => mb.process.kill('SIGKILL') };
  }

  /** A fixture repository whose orders service listens on `port` (as its mock's imposter does) and whose environment scrubs more. */
  function repo(port: number): string {
    const catalog = CATALOG.replace('        port: 8080\n    calls: [payments]', `        port: ${port}\n    calls: [payments]`);
    const environment = kongEnvironment('lab', 'mocks:', '  scrub:', '    headers: [x-internal-token]', '    fields: [ssn]');
    return fixtureRepo({
      'environments/catalog/shop.yaml': catalog,
      'environments/lab.yaml': environment,
      'environments/mocks/orders.imposter.json': `${JSON.stringify({ port, protocol: 'http', stubs: [{ responses: [{ is: { statusCode: 200 } }] }] })}\n`,
    });
  }

  test('writes a scrubbed, stable recording that replays the same answers without the real service', async () => {
    // GIVEN a recording of the test's requests
    const service = await startService();
    servers.push(service.server);
    const port = await freePort();
    const root = repo(port);
    const first = await record(port, service.port, REQUESTS);
    // WHEN
    const run = await meshflipAsync(root, ['mock-record', 'lab', 'orders', '--from', `http://127.0.0.1:${first.adminPort}`]);
    first.stop();
    // THEN
    expect([run.status, lines(run.stdout), run.stderr]).toEqual([
      0,
      [`wrote environments/mocks/orders.imposter.json: 4 recorded stubs on port ${port}`],
      '',
    ]);
    const file = path.join(root, 'environments/mocks/orders.imposter.json');
    const text = fs.readFileSync(file, 'utf8');
    const written = JSON.parse(text) as { port: number; stubs: { predicates: Record<string, any>[]; responses: { is: Record<string, any> }[] }[] };
    expect(written.port).toBe(port);
    // no credential, session or internal token, and no unstable header
    expect(text).not.toMatch(/authorization|set-cookie|session=|x-internal-token|tok-|"date"|test-run-credential/i);
    // predicates on method, path and query, as the test sends them
    const predicates = (method: string, p: string, query: Record<string, string>) => [
      { caseSensitive: true, deepEquals: { method } },
      { caseSensitive: true, deepEquals: { path: p } },
      { caseSensitive: true, deepEquals: { query } },
    ];
    expect(written.stubs.map((s) => s.predicates)).toEqual([
      predicates('GET', '/missing', {}),
      predicates('GET', '/orders', { status: 'open' }),
      predicates('GET', '/orders/42', {}),
      predicates('POST', '/orders', {}),
    ]);
    // generated ids numbered in order of appearance, timestamps fixed, listed fields scrubbed, bodies kept as JSON
    const bodies = written.stubs.map((s) => s.responses[0].is.body);
    expect(bodies).toEqual([
      { error: 'not found' },
      { status: 'open', orders: [{ id: '00000000-0000-4000-8000-000000000003', placedAt: STABLE_DATE_TIME }] },
      { id: '42', customer: { name: 'Ada', ssn: '<scrubbed>' }, updated: 'Sat, 01 Jan 2000 00:00:00 GMT' },
      { id: '00000000-0000-4000-8000-000000000006' },
    ]);
    expect(written.stubs[3].responses[0].is.headers).toEqual({
      'Content-Type': 'application/json',
      'X-Request-Id': '00000000-0000-4000-8000-000000000005',
    });
    // and the environment loads with it as the mock of orders
    expect(loadProject(root).environments[0].services.find((s) => s.name === 'orders')!.mock!.imposters[0].document).toEqual(written);

    // WHEN the same test is recorded again (new ids, new timestamps, new cookies)
    const again = await record(port, service.port, [...REQUESTS].reverse());
    const rerun = await meshflipAsync(root, ['mock-record', 'lab', 'orders', '--from', `http://127.0.0.1:${again.adminPort}`]);
    again.stop();
    // THEN the file is byte for byte the same: a refreshed recording shows only what really changed
    expect(rerun.status).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);

    // WHEN the real service is gone and a Mountebank replays the file
    service.server.close();
    processes.forEach((p) => p.kill('SIGKILL'));
    const replay = await startMountebank();
    processes.push(replay.process);
    expect(await admin(replay.adminPort, 'POST', '/imposters', written)).toBe(201);
    // THEN each request of the test gets the recorded answer
    for (const [index, [method, requestPath]] of REQUESTS.entries()) {
      const answer = await send(port, method, requestPath, { authorization: 'Bearer another-run' });
      const stub = written.stubs[[1, 2, 3, 0][index]];
      expect({ request: `${method} ${requestPath}`, status: answer.status, body: JSON.parse(answer.body) }).toEqual({
        request: `${method} ${requestPath}`,
        status: stub.responses[0].is.statusCode,
        body: stub.responses[0].is.body,
      });
    }
  }, 120_000);

  test('an id the service generated and the test sends back is replaced in the request too; an id the test chose stays', async () => {
    // GIVEN a test that creates an order, reads it back by the id it got, and reads an order of its own data set
    const OWN = '5f0c6a47-1d7e-4c3b-9d0a-2b7f3c9e8a11';
    const service = await startService();
    servers.push(service.server);
    const port = await freePort();
    const root = repo(port);
    const flow = async (): Promise<{ created: string; read: Answer; own: Answer }> => {
      const created = (JSON.parse((await send(port, 'POST', '/orders')).body) as { id: string }).id;
      return { created, read: await send(port, 'GET', `/orders/${created}`), own: await send(port, 'GET', `/orders/${OWN}`) };
    };
    const mb = await startMountebank();
    processes.push(mb.process);
    expect(await admin(mb.adminPort, 'POST', '/imposters', recordingImposter(port, `http://127.0.0.1:${service.port}`))).toBe(201);
    await flow();
    // WHEN
    const run = await meshflipAsync(root, ['mock-record', 'lab', 'orders', '--from', `http://127.0.0.1:${mb.adminPort}`]);
    mb.process.kill('SIGKILL');
    // THEN the generated id is the same stable id in the answer and in the request that sends it back
    expect(run.status).toBe(0);
    const written = JSON.parse(fs.readFileSync(path.join(root, 'environments/mocks/orders.imposter.json'), 'utf8')) as {
      stubs: { predicates: any[] }[];
    };
    expect(written.stubs.map((s) => `${s.predicates[0].deepEquals.method} ${s.predicates[1].deepEquals.path}`)).toEqual([
      // (the test's own id sorts first; its answer's X-Request-Id is the first generated id)
      `GET /orders/${OWN}`,
      'GET /orders/00000000-0000-4000-8000-000000000002',
      'POST /orders',
    ]);
    // WHEN the test runs against a Mountebank replaying the file
    const replay = await startMountebank();
    processes.push(replay.process);
    expect(await admin(replay.adminPort, 'POST', '/imposters', written)).toBe(201);
    const replayed = await flow();
    // THEN every request of the flow matches a recorded stub
    expect(replayed.created).toBe('00000000-0000-4000-8000-000000000002');
    expect([replayed.read.status, JSON.parse(replayed.read.body)]).toEqual([
      200,
      { id: replayed.created, state: 'placed', checkedAt: STABLE_DATE_TIME },
    ]);
    expect([replayed.own.status, JSON.parse(replayed.own.body)]).toEqual([200, { id: OWN, state: 'placed', checkedAt: STABLE_DATE_TIME }]);
  }, 60_000);

  test('fails when the recording holds a credential it was not told to scrub, writing nothing', async () => {
    // GIVEN a recording of an answer that leaks a token
    const service = await startService();
    servers.push(service.server);
    const port = await freePort();
    const root = repo(port);
    const { adminPort } = await record(port, service.port, [['GET', '/leak']]);
    const before = snapshotTree(root);
    // WHEN
    const run = await meshflipAsync(root, ['mock-record', 'lab', 'orders', '--from', `http://127.0.0.1:${adminPort}`]);
    // THEN
    expect([run.status, lines(run.stderr)]).toEqual([
      1,
      [
        'error: environments/mocks/orders.imposter.json:38:24: stubs[0].responses[0].is.body.token: holds what looks like a GitHub token ("ghp_…" (40 characters)): ' +
          'a recording with a credential is not written; list "token" under mocks.scrub (headers or fields) of the environment, and record again',
        '1 problem found; nothing was written.',
      ],
    ]);
    expect(snapshotTree(root)).toEqual(before);
  }, 60_000);

  test('fails when --from is no http address, or nothing answers there', async () => {
    const root = repo(8080);
    const bad = await meshflipAsync(root, ['mock-record', 'lab', 'orders', '--from', 'localhost:2525']);
    expect([bad.status, lines(bad.stderr)]).toEqual([
      1,
      [
        'error: --from must be the http:// address of a Mountebank admin API, got "localhost:2525"',
        'hint: kubectl port-forward deploy/orders-mock 2525, then --from http://127.0.0.1:2525',
      ],
    ]);
    const closed = await freePort();
    const none = await meshflipAsync(root, ['mock-record', 'lab', 'orders', '--from', `http://127.0.0.1:${closed}`]);
    expect([none.status, lines(none.stderr)]).toEqual([
      1,
      [
        `error: could not reach http://127.0.0.1:${closed}: connect ECONNREFUSED 127.0.0.1:${closed}`,
        'hint: is the port-forward to orders-mock running?',
      ],
    ]);
  }, 60_000);
});
