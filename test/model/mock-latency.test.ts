import { loadProject } from '../../src/model/load';
import { latencySteps, withLatency } from '../../src/model/mock-latency';
import { LatencySpec } from '../../src/model/spec';
import { removeTempDirs } from '../util';
import { at, CATALOG, fixtureRepo, imposter, kongEnvironment, ossmEnvironment, problemsOf } from './fixtures';

afterAll(removeTempDirs);

const IMPOSTER = 'environments/mocks/orders.imposter.json';

/** The fixture catalogue with `lines` added to the orders mock. */
function catalogWithMock(...lines: string[]): string {
  return CATALOG.replace(
    '        - ../mocks/orders.imposter.json\n',
    `        - ../mocks/orders.imposter.json\n${lines.map((l) => `      ${l}\n`).join('')}`,
  );
}

function latency(minMs: number, maxMs: number): LatencySpec {
  return { minMs, maxMs, origin: undefined as never };
}

describe('mock.latency', () => {
  test('a fixed latency adds one wait after the behaviours of every response, and delays unmatched requests too', () => {
    // GIVEN a stub with a sequence of two responses, one with its own behaviour, and a fault
    const copy = { copy: { from: 'path', into: '${p}', using: { method: 'regex', selector: '.*' } } };
    const document = {
      port: 8080,
      protocol: 'http',
      defaultResponse: { statusCode: 404 },
      stubs: [
        { predicates: [{ equals: { path: '/a' } }], responses: [{ is: { body: 'one' }, behaviors: [copy] }, { is: { body: 'two' } }] },
        { responses: [{ fault: 'CONNECTION_RESET_BY_PEER' }] },
      ],
    };
    // WHEN
    const rendered = withLatency(document, latency(50, 50)) as {
      stubs: { predicates?: unknown; responses: Record<string, unknown>[] }[];
      defaultResponse: unknown;
    };
    // THEN the sequence is kept, the wait comes last, Mountebank's fault (which runs no behaviours) is left alone
    expect(rendered.stubs[0]).toEqual({
      predicates: [{ equals: { path: '/a' } }],
      responses: [
        { is: { body: 'one' }, behaviors: [copy, { wait: 50 }] },
        { is: { body: 'two' }, behaviors: [{ wait: 50 }] },
      ],
    });
    expect(rendered.stubs[1]).toEqual(document.stubs[1]);
    // and a last stub without predicates answers what defaultResponse would (an empty is), after the wait
    expect(rendered.stubs[2]).toEqual({ responses: [{ is: {}, behaviors: [{ wait: 50 }] }] });
    expect(rendered.defaultResponse).toEqual({ statusCode: 404 });
    // and nothing changes without latency
    expect(withLatency(document, undefined)).toBe(document);
  });

  test("a range is spread over 11 fixed waits, each pass through a stub's responses with the next one", () => {
    // GIVEN
    const document = { port: 8080, protocol: 'http', stubs: [{ responses: [{ is: { body: 'one' } }, { is: { body: 'two' } }] }] };
    // WHEN
    const rendered = withLatency(document, latency(20, 40)) as { stubs: { responses: { is: { body?: string }; behaviors: { wait: number }[] }[] }[] };
    // THEN
    expect(latencySteps(latency(20, 40))).toEqual([20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40]);
    expect(rendered.stubs[0].responses.map((r) => `${r.is.body}@${r.behaviors[0].wait}`)).toEqual(
      [20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40].flatMap((ms) => [`one@${ms}`, `two@${ms}`]),
    );
    expect(rendered.stubs[1].responses.map((r) => r.behaviors[0].wait)).toEqual([20, 22, 24, 26, 28, 30, 32, 34, 36, 38, 40]);
    // and a range narrower than 11 ms gets one step per millisecond
    expect(latencySteps(latency(5, 8))).toEqual([5, 6, 7, 8]);
  });

  test('is loaded from the catalogue, as a duration or a range', () => {
    const fixed = loadProject(fixtureRepo({ 'environments/catalog/shop.yaml': catalogWithMock('latency: 1.5s') }));
    expect(fixed.environments[0].services.find((s) => s.name === 'orders')!.mock!.latency).toMatchObject({ minMs: 1500, maxMs: 1500 });
    const range = loadProject(fixtureRepo({ 'environments/catalog/shop.yaml': catalogWithMock('latency: { min: 20ms, max: 80ms }') }));
    expect(range.environments[0].services.find((s) => s.name === 'orders')!.mock!.latency).toMatchObject({ minMs: 20, maxMs: 80 });
  });

  test('fails when min is above max', () => {
    const catalog = catalogWithMock('latency: { min: 80ms, max: 20ms }');
    expect(problemsOf(fixtureRepo({ 'environments/catalog/shop.yaml': catalog }))).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '20ms')}: services.orders.mock.latency.max: must be at least min (80ms), got "20ms"; swap min and max`,
    ]);
  });

  test('fails when the latency is not whole milliseconds, or longer than a minute', () => {
    const catalog = catalogWithMock('latency: { min: 0.5ms, max: 2m }');
    expect(problemsOf(fixtureRepo({ 'environments/catalog/shop.yaml': catalog }))).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '0.5ms')}: services.orders.mock.latency.min: must be a whole number of milliseconds: ` +
        'Mountebank\'s wait behaviour takes an integer, got "0.5ms"; write 1ms',
      `environments/catalog/shop.yaml:${at(catalog, '2m')}: services.orders.mock.latency.max: must be at most 60s: a mock that slow measures the caller's timeouts, ` +
        'not its own speed, got "2m"; use a fault delay on the real service to test timeouts',
    ]);
  });

  test('fails when an imposter response already waits, since the waits would add up', () => {
    // GIVEN
    const text = imposter(8080, { is: { statusCode: 200 }, behaviors: [{ wait: 500 }] });
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalogWithMock('latency: 50ms'), [IMPOSTER]: text });
    // THEN
    expect(problemsOf(root)).toEqual([
      `${IMPOSTER}:${at(text, '500')}: stubs[0].responses[0].behaviors[0].wait: would add to mock.latency of orders: Mountebank runs every wait of a response, ` +
        'got 500; remove this wait and declare the latency in mock.latency only',
    ]);
  });

  test("fails when the latency reaches the request timeout callers have: the declared one, or Kuma's default 15s", () => {
    // GIVEN an explicit timeout on Istio, and none on Kuma
    const istio = ossmEnvironment('lab', 'timeouts:', '  orders:', '    request: 2s');
    const catalog = catalogWithMock('latency: { min: 1s, max: 2s }');
    expect(problemsOf(fixtureRepo({ 'environments/catalog/shop.yaml': catalog, 'environments/lab.yaml': istio }))).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '{ min: 1s')}: services.orders.mock.latency: must stay below timeouts.orders.request (2s): ` +
        'every request to the mock that waits that long times out, got 1000ms-2000ms; lower the latency, or raise the timeout',
    ]);
    const slow = catalogWithMock('latency: 15s');
    expect(problemsOf(fixtureRepo({ 'environments/catalog/shop.yaml': slow, 'environments/lab.yaml': kongEnvironment('lab') }))).toEqual([
      `environments/catalog/shop.yaml:${at(slow, '15s')}: services.orders.mock.latency: must stay below the 15s request timeout of Kuma's default MeshTimeout: ` +
        'every request to the mock that waits that long times out, got 15000ms; lower the latency, or declare timeouts.orders.request above it',
    ]);
    // THEN the same latency is fine on Istio, which sets no request timeout by default
    expect(
      loadProject(fixtureRepo({ 'environments/catalog/shop.yaml': slow, 'environments/lab.yaml': ossmEnvironment('lab') })).environments,
    ).toHaveLength(1);
  });
});
