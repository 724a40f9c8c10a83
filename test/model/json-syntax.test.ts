import { findJsonSyntaxError } from '../../src/model/json-syntax';
import { removeTempDirs } from '../util';
import { at, fixtureRepo, problemsOf } from './fixtures';

/**
 * Imposter files are JSON documents of Mountebank's API (bbyars/mountebank src/cli/api.js PUTs them
 * as application/json), the same file a user can POST to mb or load with `mb --configfile`: meshflip
 * holds them to JSON rather than to YAML, its superset, and reports the first syntax error once, at
 * its line and column, in JSON's terms.
 */

const IMPOSTER = 'environments/mocks/orders.imposter.json';

afterAll(() => removeTempDirs());

describe('a syntax error in an imposter file is reported once, as JSON', () => {
  test('a missing comma between two entries', () => {
    // GIVEN
    const json = '{\n  "port": 8080\n  "protocol": "http"\n}\n';
    const root = fixtureRepo({ [IMPOSTER]: json });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${IMPOSTER}:${at(json, '"protocol"')}: port: is not valid JSON: expected "," or "}" after the value, got "\\""; ` +
        'separate the entries of an object with ","; close it with "}"',
    ]);
  });

  test('a trailing comma, which YAML would accept', () => {
    // GIVEN
    const json = '{\n  "port": 8080,\n  "protocol": "http",\n  "stubs": [\n    { "responses": [{ "is": { "statusCode": 200 } }] },\n  ]\n}\n';
    const root = fixtureRepo({ [IMPOSTER]: json });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${IMPOSTER}:${at(json, ']', '},')}: stubs: is not valid JSON: a comma must be followed by another item, got "]"; ` +
        'remove the comma before "]": JSON allows no trailing comma',
    ]);
  });

  test('an escape JSON does not have, deep in a stub', () => {
    // GIVEN
    const json = '{ "port": 8080, "protocol": "http", "stubs": [{ "responses": [{ "is": { "body": "a\\q" } }] }] }\n';
    const root = fixtureRepo({ [IMPOSTER]: json });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${IMPOSTER}:${at(json, '\\q')}: stubs[0].responses[0].is.body: is not valid JSON: \\q is not an escape, got "\\\\"; ` +
        'the escapes of JSON are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX; write a backslash as \\\\',
    ]);
  });

  test('a comment, which YAML would read as part of the document', () => {
    // GIVEN
    const json = '{\n  "port": 8080, // the orders port\n  "protocol": "http"\n}\n';
    const root = fixtureRepo({ [IMPOSTER]: json });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${IMPOSTER}:${at(json, '//')}: (document): is not valid JSON: JSON has no comments, got "/"; remove the comment`]);
  });

  test('a file that ends inside an object', () => {
    // GIVEN
    const json = '{"port": 8080, "protocol": "http"';
    const root = fixtureRepo({ [IMPOSTER]: json });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${IMPOSTER}:1:${json.length + 1}: protocol: is not valid JSON: expected "," or "}" after the value, got the end of the file; ` +
        'separate the entries of an object with ","; close it with "}"',
    ]);
  });
});

describe('findJsonSyntaxError accepts exactly what JSON.parse accepts', () => {
  const samples = [
    '{}',
    '[]',
    '0',
    '-0',
    '1.5e-3',
    '"a"',
    'true',
    'null',
    ' {"a": [1, 2, {"b": null}]} ',
    '"\\u00e9\\n"',
    '{"a":1,"a":2}',
    '',
    ' ',
    '{',
    '{,}',
    '[1,]',
    '{"a":1,}',
    '01',
    '1.',
    '.5',
    '+1',
    '0x1',
    '1e',
    "'a'",
    '{a: 1}',
    '"\\x41"',
    '"\\u12"',
    '"a\nb"',
    '"a\tb"',
    'tru',
    'nul',
    'true false',
    '{} {}',
    '/* c */ {}',
    '{"a" 1}',
    '[1 2]',
    '"unterminated',
    'NaN',
    'Infinity',
    '-',
    '[-]',
    '\u00a0{}',
    '{"a":1}\n',
    '["\u{1F600}"]',
    '1E+2',
    '-01',
  ];
  test.each(samples)('%j', (text) => {
    // GIVEN
    let parses = true;
    try {
      JSON.parse(text);
    } catch {
      parses = false;
    }
    // WHEN
    const error = findJsonSyntaxError(text);
    // THEN
    expect(error === undefined).toBe(parses);
  });
});
