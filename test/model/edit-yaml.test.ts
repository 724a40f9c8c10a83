import { setYamlValue } from '../../src/model/edit-yaml';

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
