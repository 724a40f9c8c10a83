import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { setYamlValue, setYamlValueAt, setYamlValueInWholeFile, topLevelSection } from '../../src/model/edit-yaml';
import { applyFlip, applyFlipAt, FlipRequest } from '../../src/model/flip';
import { loadProject } from '../../src/model/load';
import { SourceFile } from '../../src/model/source-file';
import { writeFleet } from '../bench/fleet';
import { REPO, removeTempDirs, tempDir } from '../util';

afterAll(removeTempDirs);

// setYamlValue splices lines; these cases are about the line breaks of the lines it writes.

const ENV = ['name: lab  # the lab', 'services:', '  orders: {}', 'faults: {}', ''];

test('keeps CRLF line breaks on the lines an edit adds, in a file written with CRLF', () => {
  // GIVEN
  const text = ENV.join('\r\n');
  // WHEN
  const edited = setYamlValue(text, ['routing', 'services', 'orders'], { to: 'mock', weight: 30 });
  // THEN every line ends in CRLF, and the old lines are unchanged
  expect(edited.split('\r\n')).toEqual([...ENV.slice(0, -1), 'routing:', '  services:', '    orders: { to: mock, weight: 30 }', '']);
  expect(edited).not.toMatch(/(?<!\r)\n/);
});

test('keeps LF line breaks in a file written with LF', () => {
  // GIVEN
  const text = ENV.join('\n');
  // WHEN
  const edited = setYamlValue(text, ['routing', 'services', 'orders'], 'mock');
  // THEN
  expect(edited).toBe(`${text}routing:\n  services:\n    orders: mock\n`);
});

test('deletes lines of a CRLF file without leaving a stray line break', () => {
  // GIVEN
  const text = [...ENV.slice(0, -1), 'routing:', '  services:', '    orders: mock', ''].join('\r\n');
  // WHEN
  const edited = setYamlValue(text, ['routing', 'services', 'orders'], undefined);
  // THEN the emptied routing map goes too
  expect(edited).toBe(ENV.join('\r\n'));
});

test('leaves the line breaks of a file that mixes both as the edit writes them', () => {
  // GIVEN
  const text = 'name: lab\r\nservices:\n  orders: {}\n';
  // WHEN
  const edited = setYamlValue(text, ['routing', 'default'], 'mock');
  // THEN the old lines keep their breaks, and nothing is converted
  expect(edited).toBe(`${text}routing:\n  default: mock\n`);
});

describe('replacing a routing value whatever style it is written in (src/model/flip.ts edits it)', () => {
  const HEAD = 'name: lab\nrouting:\n  services:\n';
  const TAIL = '    payments: real  # stays\nfaults: {}\n';
  test.each([
    ['a folded block scalar', '    orders: >\n      mock\n'],
    ['a folded block scalar that strips its line break', '    orders: >-\n      mock\n'],
    ['a literal block scalar', '    orders: |\n      mock\n'],
    ['a literal block scalar with a comment on its indicator line', '    orders: |-  # flipped for the perf test\n      mock\n'],
  ])('replaces %s with the new value on the key line, and keeps the lines after it', (_name, value) => {
    // WHEN
    const edited = setYamlValue(HEAD + value + TAIL, ['routing', 'services', 'orders'], { to: 'mock', weight: 30 });
    // THEN
    expect(edited).toBe(`${HEAD}    orders: { to: mock, weight: 30 }\n${TAIL}`);
  });

  test.each([
    ['a double-quoted scalar', '    orders: "mock"\n'],
    ['a single-quoted scalar', "    orders: 'mock'\n"],
    ['a flow map', '    orders: { to: mock }\n'],
  ])('replaces %s in place', (_name, value) => {
    // WHEN
    const edited = setYamlValue(HEAD + value + TAIL, ['routing', 'services', 'orders'], { to: 'mock', weight: 30 });
    // THEN
    expect(edited).toBe(`${HEAD}    orders: { to: mock, weight: 30 }\n${TAIL}`);
  });

  test('replaces a value inside a flow-style services map', () => {
    // GIVEN
    const text = 'name: lab\nrouting:\n  services: { orders: mock, payments: real }\n';
    // WHEN
    const edited = setYamlValue(text, ['routing', 'services', 'orders'], { to: 'mock', weight: 30 });
    // THEN
    expect(edited).toBe('name: lab\nrouting:\n  services: { orders: { to: mock, weight: 30 }, payments: real }\n');
  });
});

// Comment lines inside the routing block stay whatever an edit deletes (the README: "comments and
// formatting stay"). A flip back to real deletes the route's line, and with the last route the
// emptied services: and routing: keys; flipping to the mock again writes them back.

/** An environment whose routing block has comments above, between and after its entries. */
const COMMENTED = [
  'name: lab',
  'services:',
  '  orders: {}',
  '  payments: {}',
  '# the routing overlay',
  'routing:',
  '  # flipped for the load test',
  '  services:',
  '    # orders: the mock answers in 5 ms',
  '    orders: mock',
  '    # between the routes',
  '    payments: mock  # goes with its line',
  '    # after the last route',
  '  # end of the routing block',
  '# before faults',
  'faults: {}',
  '',
];

const COMMENT_LINES = COMMENTED.filter((line) => line.trimStart().startsWith('#'));

/** The file's text with CRLF or LF line breaks. */
function withBreaks(lines: readonly string[], eol: '\n' | '\r\n'): string {
  return lines.join(eol);
}

describe.each([
  ['LF', '\n'],
  ['CRLF', '\r\n'],
] as const)('comments in a file with %s line breaks', (_name, eol) => {
  test('keeps every comment line when a route that is not the last goes back to real', () => {
    // GIVEN
    const text = withBreaks(COMMENTED, eol);
    // WHEN
    const edited = setYamlValue(text, ['routing', 'services', 'orders'], undefined);
    // THEN only the route's line is gone
    expect(edited).toBe(
      withBreaks(
        COMMENTED.filter((line) => line !== '    orders: mock'),
        eol,
      ),
    );
  });

  test('keeps every comment line when the last route goes back to real, though routing: and services: go', () => {
    // GIVEN one route left
    const text = withBreaks(
      COMMENTED.filter((line) => line !== '    payments: mock  # goes with its line'),
      eol,
    );
    // WHEN
    const edited = setYamlValue(text, ['routing', 'services', 'orders'], undefined);
    // THEN
    expect(edited).toBe(
      withBreaks(
        COMMENTED.filter((line) => !['routing:', '  services:', '    orders: mock', '    payments: mock  # goes with its line'].includes(line)),
        eol,
      ),
    );
    expect(edited.split(eol).filter((line) => line.trimStart().startsWith('#'))).toEqual(COMMENT_LINES);
  });

  test('keeps every comment line when both routes go back to real one after the other, then one is flipped to the mock again', () => {
    // GIVEN
    const text = withBreaks(COMMENTED, eol);
    // WHEN
    const real = setYamlValue(setYamlValue(text, ['routing', 'services', 'payments'], undefined), ['routing', 'services', 'orders'], undefined);
    const mockAgain = setYamlValue(real, ['routing', 'services', 'orders'], 'mock', () => ['name', 'services', 'routing', 'faults']);
    // THEN the comments stay, in their order, and the route is written back before faults:
    expect(real.split(eol).filter((line) => line.trimStart().startsWith('#'))).toEqual(
      COMMENT_LINES.filter((line) => !line.includes('goes with its line')),
    );
    expect(mockAgain).toBe(real.replace(`faults: {}${eol}`, ['routing:', '  services:', '    orders: mock', `faults: {}${eol}`].join(eol)));
    expect(eol === '\n' || !/(?<!\r)\n/.test(mockAgain)).toBe(true);
  });

  test('keeps the comment lines inside a route written as a block map when it is rewritten as real', () => {
    // GIVEN the environment's default is the mock, so going back to real writes the exception
    const lines = [
      'routing:',
      '  default: mock',
      '  services:',
      '    orders:',
      '      # tested by the QA team',
      '      to: mock',
      '      # until the release',
      '      expires: 2030-01-01',
      'faults: {}',
      '',
    ];
    const text = withBreaks(lines, eol);
    // WHEN
    const edited = setYamlValue(text, ['routing', 'services', 'orders'], 'real');
    // THEN
    expect(edited).toBe(
      withBreaks(
        [
          'routing:',
          '  default: mock',
          '  services:',
          '    orders: real',
          '      # tested by the QA team',
          '      # until the release',
          'faults: {}',
          '',
        ],
        eol,
      ),
    );
  });

  test('does not mistake a line of a block scalar that starts with # for a comment', () => {
    // GIVEN
    const lines = [
      'routing:',
      '  services:',
      '    orders:',
      '      to: mock',
      '      reason: |',
      '        # not a comment',
      '        ticket 42',
      'faults: {}',
      '',
    ];
    const text = withBreaks(lines, eol);
    // WHEN
    const edited = setYamlValue(text, ['routing', 'services', 'orders'], undefined);
    // THEN
    expect(edited).toBe(withBreaks(['faults: {}', ''], eol));
  });
});

describe('an edit of one top-level pair is an edit of its lines alone (the services of a large file are not parsed)', () => {
  const BODY = [
    '# heading',
    'name: lab',
    'services:',
    '  orders: {}',
    '  payments:',
    '    zones: [a,',
    '      b]',
    '# about routing',
    'routing:',
    '  services:',
    '    orders: mock   # until Friday',
    '    # payments next',
    '    payments: { to: mock, weight: 10 }',
    '# about faults',
    'faults:',
    '  orders:',
    '    delay: { value: 1s, percent: 50 }',
    'calls:',
    '- a',
    '- b',
  ];
  const edits: [string, readonly string[], unknown][] = [
    ['a route added', ['routing', 'services', 'ledger'], 'mock'],
    ['a route replaced', ['routing', 'services', 'orders'], { to: 'mock', header: { name: 'x-mock', value: 'on' } }],
    ['a route deleted', ['routing', 'services', 'payments'], undefined],
    ['the routing deleted', ['routing'], undefined],
    ['a default added', ['routing', 'default'], 'mock'],
    ['a fault deleted, with its emptied map', ['faults', 'orders'], undefined],
  ];
  const files: [string, string][] = [
    ['LF', BODY.join('\n') + '\n'],
    ['CRLF', BODY.join('\r\n') + '\r\n'],
    ['mixed line breaks', BODY.join('\n').replace('routing:\n', 'routing:\r\n') + '\n'],
    ['no final line break', BODY.join('\n')],
    ['routing last', [...BODY.slice(0, 7), ...BODY.slice(13), ...BODY.slice(7, 13)].join('\n')],
    ['a document marker', ['---', ...BODY, '...'].join('\n') + '\n'],
  ];
  test.each(files.flatMap(([file, text]) => edits.map(([edit, path, value]) => [file, edit, text, path, value] as const)))(
    '%s, %s: the same text as an edit of the whole file',
    (_file, _edit, text, path, value) => {
      expect(setYamlValue(text, path, value)).toBe(setYamlValueInWholeFile(text, path, value));
    },
  );

  test.each([
    ['an alias of an anchor in another pair', 'base: &route mock\nrouting:\n  services:\n    orders: *route\n'],
    ['a flow map over several lines', 'routing: { services: { orders: mock },\n  default: real }\n'],
  ])('with %s, the whole file is edited, with the same result', (_case, text) => {
    const path = ['routing', 'services', 'payments'];
    expect(setYamlValue(text, path, 'mock')).toBe(setYamlValueInWholeFile(text, path, 'mock'));
  });

  test('leaves the other pairs unread: a line elsewhere that is not YAML does not stop an edit of routing', () => {
    const text = 'services:\n  orders: [unclosed\nrouting:\n  services:\n    orders: mock\n';
    expect(() => setYamlValueInWholeFile(text, ['routing', 'services', 'payments'], 'mock')).toThrow(
      new Error(`routing.services.payments: not a YAML document: ${parseDocument(text).errors[0].message}`),
    );
    expect(setYamlValue(text, ['routing', 'services', 'payments'], 'mock')).toBe(`${text}    payments: mock\n`);
  });

  test('finds the pair’s lines: from its key to the next top-level key or document marker, with the comment lines before it', () => {
    const text = BODY.join('\n') + '\n';
    const { start, end } = topLevelSection(text, 'routing')!;
    expect(text.slice(start, end)).toBe(BODY.slice(8, 14).join('\n') + '\n');
    expect(text.slice(...Object.values(topLevelSection(text, 'calls')!))).toBe('calls:\n- a\n- b\n');
    expect(topLevelSection(text, 'retries')).toBeUndefined();
    expect(topLevelSection(`${text}routing: {}\n`, 'routing')).toBeUndefined();
    const marked = ['---', ...BODY.slice(13), '...', ''].join('\n');
    expect(marked.slice(...Object.values(topLevelSection(marked, 'calls')!))).toBe('calls:\n- a\n- b\n');
  });
});

describe('setYamlValueAt: the edit a flip makes most, spliced at the offsets of a parse of the same text', () => {
  /** The file as loading parses it, with positions. */
  const parsed = (text: string) => SourceFile.parse('environments/lab.yaml', text);
  const ROUTED = [
    'name: lab',
    'routing:',
    '  # which way',
    '  services:',
    '    orders: mock  # for the perf run',
    '    payments: { to: mock, weight: 10 }',
    '',
  ].join('\n');

  test.each<[string, string, readonly string[], unknown]>([
    ['a new key, after the last one', ROUTED, ['routing', 'services', 'shipping'], 'mock'],
    ['a new key with a map value', ROUTED, ['routing', 'services', 'shipping'], { to: 'mock', header: { name: 'x-mock', value: 'true' } }],
    ['a scalar value, keeping the comment after it', ROUTED, ['routing', 'services', 'orders'], { to: 'mock', weight: 30 }],
    ['a flow map value', ROUTED, ['routing', 'services', 'payments'], 'record'],
    ['a new key of a CRLF file', ROUTED.replace(/\n/g, '\r\n'), ['routing', 'services', 'shipping'], 'mock'],
    [
      'a new key after a value that runs over several lines',
      `${ROUTED}    shipping:\n      to: mock\n      weight: 5\nfaults: {}\n`,
      ['routing', 'services', 'billing'],
      'real',
    ],
    ['a quoted value', ROUTED.replace('orders: mock', "orders: 'mock'"), ['routing', 'services', 'orders'], 'real'],
    ['a deletion of a pair on one line, with the comment after it', ROUTED, ['routing', 'services', 'orders'], undefined],
    [
      'a value written as a block map',
      `${ROUTED}    shipping:\n      to: mock\n      weight: 5\n    billing: real\n`,
      ['routing', 'services', 'shipping'],
      'real',
    ],
    [
      'a value written as a block map, with a map',
      `${ROUTED}    shipping:\n      to: mock\n      header:\n        name: x-mock\n        value: 'true'\n`,
      ['routing', 'services', 'shipping'],
      { to: 'mock', weight: 10 },
    ],
    [
      'a block map value of a CRLF file',
      `${ROUTED}    shipping:\n      to: mock\n`.replace(/\n/g, '\r\n'),
      ['routing', 'services', 'shipping'],
      'real',
    ],
    [
      'a deletion of a block map value',
      `${ROUTED}    shipping:\n      to: mock\n      weight: 5\n\n    billing: real\n`,
      ['routing', 'services', 'shipping'],
      undefined,
    ],
    [
      'a deletion of the last pair, a block map',
      `${ROUTED}    shipping:\n      to: mock\n      weight: 5`,
      ['routing', 'services', 'shipping'],
      undefined,
    ],
    ['a deletion of a flow map value', ROUTED, ['routing', 'services', 'payments'], undefined],
    ['a deletion from a CRLF file', ROUTED.replace(/\n/g, '\r\n'), ['routing', 'services', 'orders'], undefined],
    ['a deletion of the last line, without a line break', ROUTED.trimEnd(), ['routing', 'services', 'payments'], undefined],
    [
      'a deletion between pairs over several lines',
      `${ROUTED}    shipping:\n      to: mock\n    billing: real\n    # last\n`,
      ['routing', 'services', 'billing'],
      undefined,
    ],
  ])('gives what setYamlValue gives: %s', (_, text, path, value) => {
    const spliced = setYamlValueAt(text, parsed(text), path, value);
    expect(spliced).toBe(setYamlValue(text, path, value));
    expect(path.reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], parseDocument(spliced!).toJS())).toEqual(value);
  });

  test.each<[string, string, readonly string[], unknown]>([
    [
      'the deletion of the only pair of a map (the emptied parents go too)',
      'routing:\n  services:\n    orders: mock\n',
      ['routing', 'services', 'orders'],
      undefined,
    ],
    [
      'the deletion of a block map value with a comment line',
      `${ROUTED}    shipping:\n      to: mock\n      # why\n      weight: 5\n`,
      ['routing', 'services', 'shipping'],
      undefined,
    ],
    ['the deletion of a block list value', `${ROUTED}    shipping:\n      - mock\n`, ['routing', 'services', 'shipping'], undefined],
    ['the deletion of an empty value', `${ROUTED}    shipping:\n`, ['routing', 'services', 'shipping'], undefined],
    [
      'the deletion of a value over several lines (the comment lines in it stay)',
      `${ROUTED}    shipping: { to: mock,\n      # why\n      weight: 5 }\n`,
      ['routing', 'services', 'shipping'],
      undefined,
    ],
    [
      'the deletion of a pair of a flow map',
      'routing:\n  services: { orders: mock, payments: real }\n',
      ['routing', 'services', 'orders'],
      undefined,
    ],
    ['the deletion of a pair that is not there', ROUTED, ['routing', 'services', 'shipping'], undefined],
    ['the deletion of an anchored value', ROUTED.replace('orders: mock', 'orders: &m mock'), ['routing', 'services', 'orders'], undefined],
    ['the deletion of a block scalar', `${ROUTED}    shipping: >\n      mock\n`, ['routing', 'services', 'shipping'], undefined],
    [
      'the deletion of a pair that is an item of a list',
      'routing:\n  services:\n  - orders: mock\n    payments: real\n',
      ['routing', 'services', 'orders'],
      undefined,
    ],
    ['a key in a flow map', 'routing:\n  services: { orders: mock }\n', ['routing', 'services', 'payments'], 'mock'],
    ['a key in an empty map', 'routing:\n  services: {}\n', ['routing', 'services', 'payments'], 'mock'],
    ['a key under a map that does not exist', 'name: lab\n', ['routing', 'services', 'payments'], 'mock'],
    ['a block map value with a comment line', `${ROUTED}    shipping:\n      # why\n      to: mock\n`, ['routing', 'services', 'shipping'], 'real'],
    [
      'a block map value with a comment after the key',
      `${ROUTED}    shipping:  # why\n      to: mock\n`,
      ['routing', 'services', 'shipping'],
      'real',
    ],
    [
      'a block map value with a block scalar',
      `${ROUTED}    shipping:\n      to: mock\n      reason: |\n        perf\n`,
      ['routing', 'services', 'shipping'],
      'real',
    ],
    ['a block map value with an anchor', `${ROUTED}    shipping:\n      to: &t mock\n`, ['routing', 'services', 'shipping'], 'real'],
    ['a block list value', `${ROUTED}    shipping:\n      - mock\n`, ['routing', 'services', 'shipping'], 'real'],
    [
      'a block map value whose key has a space before its colon',
      `${ROUTED}    shipping :\n      to: mock\n`,
      ['routing', 'services', 'shipping'],
      'real',
    ],
    ['a value written as a block scalar', `${ROUTED}    shipping: >\n      mock\n`, ['routing', 'services', 'shipping'], 'real'],
    ['a key after a block scalar', `${ROUTED}    shipping: |\n      mock\n`, ['routing', 'services', 'billing'], 'real'],
    ['an anchored value', ROUTED.replace('orders: mock', 'orders: &m mock'), ['routing', 'services', 'orders'], 'real'],
    ['a tagged value', ROUTED.replace('orders: mock', 'orders: !!str mock'), ['routing', 'services', 'orders'], 'real'],
    ['a key YAML reads as a boolean', ROUTED, ['routing', 'services', 'no'], 'mock'],
    ['a key that is not a plain word', ROUTED, ['routing', 'services', 'Orders v2'], 'mock'],
  ])('leaves %s to setYamlValue', (_, text, path, value) => {
    expect(setYamlValueAt(text, parsed(text), path, value)).toBeUndefined();
  });

  test('splices nothing into a text other than the one parsed', () => {
    expect(setYamlValueAt(`${ROUTED}# edited since\n`, parsed(ROUTED), ['routing', 'services', 'shipping'], 'mock')).toBeUndefined();
  });
});

describe('applyFlipAt over the example environments and a fleet', () => {
  test('gives, wherever it splices, the text applyFlip gives and the data that text parses to', () => {
    // GIVEN every environment of the examples and of a two-mesh fleet, every service, five requests
    const fleet = tempDir('meshflip-fleet-');
    writeFleet(fleet, { services: 12, environments: 2 });
    const requests = (service: string): FlipRequest[] => [
      { service, to: 'mock' },
      { service, to: 'record' },
      { service, to: 'real' },
      { service, to: 'mock', weight: 30, expires: '2026-12-01', reason: 'perf: run #2' },
      { service, to: 'mock', header: { name: 'x-mock', value: 'true' } },
    ];
    let spliced = 0;
    for (const root of [REPO, fleet]) {
      for (const env of loadProject(root).environments) {
        const text = fs.readFileSync(path.join(root, env.file), 'utf8');
        for (const request of env.services.flatMap((s) => requests(s.name))) {
          const at = applyFlipAt(text, env, request);
          if (at !== undefined) {
            spliced++;
            // THEN
            expect([env.name, request, at.text]).toEqual([env.name, request, applyFlip(text, env, request)]);
            expect(SourceFile.parse(env.file, at.text).data).toEqual(at.data);
          }
        }
      }
    }
    // (most of them splice: a new key at the end of routing.services, or a value replaced)
    expect(spliced).toBeGreaterThan(100);
  });
});
