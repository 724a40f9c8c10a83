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
    ['a single-quoted scalar', '    orders: \'mock\'\n'],
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
