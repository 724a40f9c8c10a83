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
