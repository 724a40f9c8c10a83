import { EnvironmentRouting, ServiceRouting } from '../../src/meshes/effective-routing';
import { diffRouting, summaryMarkdown, summaryText } from '../../src/pipeline/changes/routing-diff';
import { mermaidGraph, routingMarkdown, routingText } from '../../src/pipeline/synth/routing-report';
import { serviceRouting } from './routing-fixtures';

// What reaches ROUTING.md, the job summary and a terminal from the routing: a reason and a header
// value are free text, and explain and diff read back whatever dist/ holds, hand edits included.

function environment(services: ServiceRouting[]): EnvironmentRouting {
  return { name: 'lab', protected: false, mesh: 'kong-mesh', services };
}

/** A service routed by a hostile header to the mock, with a hostile reason. */
const HOSTILE = serviceRouting({
  header: { name: 'x-mock', value: 'on | forged |\n| row |', to: 'mock' },
  reason: '<img src=x onerror=alert(1)> [approved](https://evil.example) \u202eevil\u001b[2J `x`',
  callers: ['web"] --> evil["x'],
});

test('writes a hostile reason and header value into one row of ROUTING.md, escaped', () => {
  // WHEN
  const markdown = routingMarkdown(environment([HOSTILE]), 'environments/lab.yaml');
  // THEN
  const rows = markdown.split('\n').filter((line) => line.startsWith('| orders'));
  expect(rows).toEqual([
    '| orders | shop | real | x-mock: on \\| forged \\| \\| row \\| -> mock from web"\\] --&gt; evil\\["x | - | - | - | ' +
      '&lt;img src=x onerror=alert(1)&gt; \\[approved\\](https://evil.example) \\u202eevil\\u001b\\[2J \\`x\\` |',
  ]);
  // eslint-disable-next-line no-control-regex -- the escape character is what must not be there
  expect(markdown).not.toMatch(/[\u001b\u202e]|<img/);
});

test('keeps a caller name read back from dist/ inside its Mermaid label', () => {
  // WHEN
  const graph = mermaidGraph(environment([HOSTILE]));
  // THEN
  expect(graph.split('\n')).toContain('  web_______evil__x["web#34;#93; --> evil#91;#34;x"]');
});

test('prints a hostile reason and header value on one terminal line each, escaped', () => {
  // WHEN
  const lines = routingText(environment([HOSTILE]));
  // THEN
  expect(lines).toEqual([
    'lab (kong-mesh)',
    '  orders',
    '    default traffic: real',
    '    header traffic:  x-mock: on | forged |\\u000a| row | -> mock from web"] --> evil["x',
    '    callers:         web"] --> evil["x',
    '    reason:          <img src=x onerror=alert(1)> [approved](https://evil.example) \\u202eevil\\u001b[2J `x`',
  ]);
});

test('escapes a hostile header value in the pull-request summary and in the terminal summary', () => {
  // GIVEN
  const changes = diffRouting([environment([serviceRouting()])], [environment([HOSTILE])]);
  // WHEN
  const markdown = summaryMarkdown(changes, { maxGraphServices: 0 });
  const text = summaryText(changes);
  // THEN
  expect(markdown.split('\n').filter((line) => line.startsWith('| orders'))).toEqual([
    '| orders | real | real; x-mock: on \\| forged \\| \\| row \\| -> mock | reason: &lt;img src=x onerror=alert(1)&gt; \\[approved\\](https://evil.example) ' +
      '\\u202eevil\\u001b\\[2J \\`x\\`; allowed callers: web"\\] --&gt; evil\\["x (was none) |',
  ]);
  expect(text).toEqual([
    'lab (kong-mesh)',
    '  orders: real -> real; x-mock: on | forged |\\u000a| row | -> mock',
    '    reason: <img src=x onerror=alert(1)> [approved](https://evil.example) \\u202eevil\\u001b[2J `x`',
    '    allowed callers: web"] --> evil["x (was none)',
  ]);
});

test('says how much latency a mock adds, in ROUTING.md and in explain, and nothing for a mock that adds none', () => {
  // GIVEN
  const slow = serviceRouting({ default: 'mock', weights: { real: 0, mock: 100 }, mockLatency: '20ms-40ms' });
  const fast = serviceRouting({ name: 'payments', mockLatency: null });
  // WHEN
  const markdown = routingMarkdown(environment([slow, fast]), 'environments/lab.yaml');
  const text = routingText(environment([slow, fast]));
  // THEN
  expect(markdown.split('\n').filter((line) => line.startsWith('| orders') || line.startsWith('| payments'))).toEqual([
    '| orders (mock adds 20ms-40ms) | shop | mock | - | - | - | - | - |',
    '| payments | shop | real | - | - | - | - | - |',
  ]);
  expect(text).toEqual([
    'lab (kong-mesh)',
    '  orders',
    '    default traffic: mock',
    '    mock latency:    adds 20ms-40ms to every response',
    '    header traffic:  -',
    '  payments',
    '    default traffic: real',
    '    header traffic:  -',
  ]);
});

test("the pull-request summary says when a service starts being recorded and when its mock's latency changes", () => {
  // GIVEN orders flipped from mock to record, payments' mock from 20ms to 20ms-40ms
  const before = environment([
    serviceRouting({ default: 'mock', weights: { real: 0, mock: 100 } }),
    serviceRouting({ name: 'payments', mockLatency: '20ms' }),
  ]);
  const after = environment([
    serviceRouting({ default: 'mock', weights: { real: 0, mock: 100 }, mockRecording: true }),
    serviceRouting({ name: 'payments', mockLatency: '20ms-40ms' }),
  ]);
  // WHEN
  const text = summaryText(diffRouting([before], [after]));
  // THEN
  expect(text).toEqual([
    'lab (kong-mesh)',
    '  orders: mock -> mock',
    '    recording the real service through the mock',
    '  payments: real -> real',
    '    mock adds 20ms-40ms (was 20ms)',
  ]);
  // and back
  expect(summaryText(diffRouting([after], [before]))).toEqual([
    'lab (kong-mesh)',
    '  orders: mock -> mock',
    '    recording stopped',
    '  payments: real -> real',
    '    mock adds 20ms (was 20ms-40ms)',
  ]);
});

test('says in explain that a service is being recorded, and how to fetch the recording', () => {
  const text = routingText(environment([serviceRouting({ default: 'mock', weights: { real: 0, mock: 100 }, mockRecording: true })]));
  expect(text).toEqual([
    'lab (kong-mesh)',
    '  orders',
    '    default traffic: mock',
    '    recording:       the mock proxies to the real service and records its answers; fetch them with meshflip mock-record lab orders',
    '    header traffic:  -',
  ]);
});
