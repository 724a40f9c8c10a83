import * as fs from 'fs';
import * as path from 'path';
import { loadProject } from '../../src/model/load';
import { SourceFile } from '../../src/model/source-file';
import { formatProblem } from '../../src/model/spec-error';
import { removeTempDirs } from '../util';
import { at, CATALOG, fixtureRepo, imposter, kongEnvironment, problemsOf, SETTINGS } from './fixtures';

/**
 * The characters and bytes an input file may hold (see src/model/unsafe-text.ts), checked for every
 * kind of input file: environments, environments/meshflip.yaml, catalogues and imposter files.
 * Files are written as bytes, so what is checked is what the loader reads from disk.
 */

const LAB = 'environments/lab.yaml';
const SHOP = 'environments/catalog/shop.yaml';
const SETTINGS_FILE = 'environments/meshflip.yaml';
const ORDERS_IMPOSTER = 'environments/mocks/orders.imposter.json';

const REFUSED = 'must not contain control characters, bidirectional controls or invisible characters';
const CONTROL_HINT = 'remove it: control characters garble terminals and hide text in review';
const BIDI_HINT = 'remove it: bidirectional controls make text display in a different order than it is read';
const INVISIBLE_HINT = 'remove it: invisible characters hide text in review';

afterAll(() => removeTempDirs());

/** A fixture repository with some files given as bytes. */
function repoWithBytes(files: Record<string, Buffer>): string {
  const root = fixtureRepo();
  for (const [file, bytes] of Object.entries(files)) {
    fs.writeFileSync(path.join(root, file), bytes);
  }
  return root;
}

describe('control and invisible characters', () => {
  test('fails when a reason holds a right-to-left override, shown escaped', () => {
    // GIVEN a reason that reads differently from what it says
    const env = kongEnvironment('lab', 'routing:', '  services:', '    orders: { to: mock, reason: "reviewed \u202egnissap\u202c by QA" }');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN both controls are reported, neither is printed raw
    expect(problems).toEqual([
      `${LAB}:${at(env, '\u202e')}: routing.services.orders.reason: ${REFUSED}, got \\u202e (right-to-left override); ${BIDI_HINT}`,
      `${LAB}:${at(env, '\u202c')}: routing.services.orders.reason: ${REFUSED}, got \\u202c (pop directional formatting); ${BIDI_HINT}`,
    ]);
    expect(problems.join('\n')).not.toMatch(/[\u202a-\u202e]/);
  });

  test('fails when environments/meshflip.yaml holds a raw escape sequence, backspaces and a bidirectional isolate', () => {
    // GIVEN
    const settings = SETTINGS.replace('  cluster: hub', '  cluster: hub\u001b[2K\b\b').replace('lab-real:', 'lab-real\u2066:');
    const root = fixtureRepo({ [SETTINGS_FILE]: settings });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SETTINGS_FILE}:${at(settings, '\u001b')}: argocd.cluster: ${REFUSED}, got \\u001b (escape); ${CONTROL_HINT}`,
      `${SETTINGS_FILE}:${at(settings, '\b')}: argocd.cluster: ${REFUSED}, got \\u0008 (backspace); ${CONTROL_HINT}`,
      `${SETTINGS_FILE}:${at(settings, '\b\u0008'.slice(1), '\b')}: argocd.cluster: ${REFUSED}, got \\u0008 (backspace); ${CONTROL_HINT}`,
      `${SETTINGS_FILE}:${at(settings, '\u2066')}: clusters: ${REFUSED}, got \\u2066 (left-to-right isolate); ${BIDI_HINT}`,
    ]);
  });

  test('fails when a catalogue key holds a zero-width space, naming the map the key is in', () => {
    // GIVEN two services that look the same
    const catalog = CATALOG.replace('  payments:', '  pay\u200bments:');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${SHOP}:${at(catalog, '\u200b')}: services: ${REFUSED}, got \\u200b (zero-width space); ${INVISIBLE_HINT}`]);
  });

  test('fails when an imposter file holds a raw NUL and a C1 control in a body', () => {
    // GIVEN
    const text = imposter(8080, { is: { statusCode: 200, body: 'okNUL' } }).replace('NUL', '\u0000\u0085');
    const root = repoWithBytes({ [ORDERS_IMPOSTER]: Buffer.from(text, 'utf8') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const field = 'stubs[0].responses[0].is.body';
    expect(problems).toEqual([
      `${ORDERS_IMPOSTER}:${at(text, '\u0000')}: ${field}: ${REFUSED}, got \\u0000 (NUL); ${CONTROL_HINT}`,
      `${ORDERS_IMPOSTER}:${at(text, '\u0085')}: ${field}: ${REFUSED}, got \\u0085 (next line); ${CONTROL_HINT}`,
    ]);
  });

  test('fails when a JSON string escapes a NUL, and when a YAML string escapes an escape character', () => {
    // GIVEN escapes, which put the characters into the data without writing them out
    const text = imposter(8080, { is: { statusCode: 200, body: 'a\u0000b' } });
    const env = kongEnvironment('lab', 'description: "deploys \\e[8mhidden"');
    // WHEN
    const inImposter = problemsOf(fixtureRepo({ [ORDERS_IMPOSTER]: text }));
    const inEnvironment = problemsOf(fixtureRepo({ [LAB]: env }));
    // THEN each is reported at the string that holds it
    expect(inImposter).toEqual([
      `${ORDERS_IMPOSTER}:${at(text, '"a\\u0000b"')}: stubs[0].responses[0].is.body: ${REFUSED}, got \\u0000 (NUL), written as an escape; ${CONTROL_HINT}`,
    ]);
    expect(inEnvironment).toEqual([
      `${LAB}:${at(env, '"deploys')}: description: ${REFUSED}, got \\u001b (escape), written as an escape; ${CONTROL_HINT}`,
    ]);
  });

  test('fails when an imposter path escapes a NUL', () => {
    // GIVEN
    const catalog = CATALOG.replace('- ../mocks/orders.imposter.json', '- "../mocks/orders\\0.json"');
    const root = fixtureRepo({ [SHOP]: catalog });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, '"../mocks/')}: services.orders.mock.imposters[0]: ${REFUSED}, got \\u0000 (NUL), written as an escape; ${CONTROL_HINT}`,
    ]);
  });

  test('fails on tag characters, a word joiner and a soft hyphen, which cannot be seen', () => {
    // GIVEN
    const env = kongEnvironment('lab', 'description: "a\u{e0041}b\u2060c\u00add"');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '\u{e0041}')}: description: ${REFUSED}, got \\u{e0041} (tag character); ${INVISIBLE_HINT}`,
      `${LAB}:${at(env, '\u2060')}: description: ${REFUSED}, got \\u2060 (word joiner); ${INVISIBLE_HINT}`,
      `${LAB}:${at(env, '\u00ad')}: description: ${REFUSED}, got \\u00ad (soft hyphen); ${INVISIBLE_HINT}`,
    ]);
  });

  test('reports the first ten characters of a file full of them, and how many more there are', () => {
    // GIVEN
    const env = kongEnvironment('lab', `description: "${'\u0000'.repeat(25)}"`);
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const [line, col] = at(env, '\u0000').split(':').map(Number);
    expect(problems).toEqual(
      Array.from(
        { length: 10 },
        (_, i) =>
          `${LAB}:${line}:${col + i}: description: ${REFUSED}, got \\u0000 (NUL); ${CONTROL_HINT}` +
          (i === 9 ? '; the file has 15 more after this one' : ''),
      ),
    );
  });
});

describe('byte order marks and line breaks', () => {
  test('loads files that start with a UTF-8 byte order mark and use CRLF line breaks', () => {
    // GIVEN the files as a Windows editor saves them
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const crlf = (text: string) => Buffer.concat([bom, Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8')]);
    const root = repoWithBytes({
      [LAB]: crlf(kongEnvironment('lab')),
      [SHOP]: crlf(CATALOG),
      [SETTINGS_FILE]: crlf(SETTINGS),
      [ORDERS_IMPOSTER]: crlf(imposter(8080)),
    });
    // WHEN
    const project = loadProject(root);
    // THEN
    expect(project.environments.map((e) => [e.name, e.services.map((s) => s.name)])).toEqual([['lab', ['orders', 'payments']]]);
  });

  test('fails when a byte order mark appears after the start of a file', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('services:', '\ufeffservices:');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '\ufeff')}: (document): ${REFUSED}, got \\ufeff (zero-width no-break space (byte order mark)); ` +
        'remove it: a byte order mark belongs only at the very start of a file',
    ]);
  });

  test('fails when a file uses old Mac line breaks (CR only), instead of reading it as empty', () => {
    // GIVEN a file that starts with a comment: read as one line, it would be nothing but that comment
    const env = `# the lab\n${kongEnvironment('lab')}`.replace(/\n/g, '\r');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:1:1: (file): must use LF or CRLF line breaks: it breaks its lines with a carriage return alone (old Mac OS line breaks), so YAML reads it as one line, ` +
        `got ${env.split('\r').length} lines separated by \\u000d; save the file with LF line breaks`,
    ]);
  });

  test('fails at a carriage return that is not followed by a line feed', () => {
    // GIVEN
    const env = kongEnvironment('lab').replace('mesh:\n', 'mesh:\r');
    const root = fixtureRepo({ [LAB]: env });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([
      `${LAB}:${at(env, '\r')}: mesh: must not contain a carriage return that is not followed by a line feed, got \\u000d (carriage return); ` +
        'save the file with LF (or CRLF) line breaks',
    ]);
  });
});

describe('encodings', () => {
  test('fails when an environment file is Latin-1, at the byte that is not UTF-8', () => {
    // GIVEN "Zürich" written in Latin-1
    const env = kongEnvironment('lab', 'description: Zürich');
    const root = repoWithBytes({ [LAB]: Buffer.from(env, 'latin1') });
    // WHEN
    const problems = problemsOf(root);
    // THEN the byte is shown in hex at the line and column it occupies
    const byteOffset = Buffer.from(env.slice(0, env.indexOf('ü')), 'latin1').length;
    expect(problems).toEqual([
      `${LAB}:${at(env, 'ü')}: description: must be UTF-8 text, got the byte 0xfc (at byte offset ${byteOffset}); save the file as UTF-8 (it may be in Latin-1 or another encoding)`,
    ]);
  });

  test('fails on invalid UTF-8 in an imposter file instead of replacing it with U+FFFD', () => {
    // GIVEN a body with a truncated two-byte sequence and a UTF-8 encoded surrogate
    const text = imposter(8080, { is: { statusCode: 200, body: 'aXbY' } });
    const [before, rest] = text.split('X');
    const [middle, after] = rest.split('Y');
    const bytes = Buffer.concat([Buffer.from(before), Buffer.from([0xc3]), Buffer.from(middle), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(after)]);
    const root = repoWithBytes({ [ORDERS_IMPOSTER]: bytes });
    // WHEN
    const problems = problemsOf(root);
    // THEN each invalid byte is reported; the decoder's replacement for each takes one column
    const field = 'stubs[0].responses[0].is.body';
    const [line, col] = at(text, 'X').split(':').map(Number);
    const hint = 'save the file as UTF-8 (it may be in Latin-1 or another encoding)';
    const offset = Buffer.byteLength(before);
    expect(problems).toEqual([
      `${ORDERS_IMPOSTER}:${line}:${col}: ${field}: must be UTF-8 text, got the byte 0xc3 (at byte offset ${offset}); ${hint}`,
      `${ORDERS_IMPOSTER}:${line}:${col + 2}: ${field}: must be UTF-8 text, got the byte 0xed (at byte offset ${offset + 2}); ${hint}`,
      `${ORDERS_IMPOSTER}:${line}:${col + 3}: ${field}: must be UTF-8 text, got the byte 0xa0 (at byte offset ${offset + 3}); ${hint}`,
      `${ORDERS_IMPOSTER}:${line}:${col + 4}: ${field}: must be UTF-8 text, got the byte 0x80 (at byte offset ${offset + 4}); ${hint}`,
    ]);
  });

  test('fails when a catalogue is UTF-16, naming the encoding', () => {
    // GIVEN
    const root = repoWithBytes({ [SHOP]: Buffer.from(`\ufeff${CATALOG}`, 'utf16le') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    expect(problems).toEqual([`${SHOP}:1:1: (file): must be UTF-8 text, got UTF-16 (it starts with the byte order mark FF FE); save it as UTF-8`]);
  });
});

describe('text handed in by a command', () => {
  test('checks an edit that is not yet written the same way as a file', () => {
    // GIVEN text with a raw escape character, as flip would check it before writing
    const file = SourceFile.parse(LAB, 'name: lab\u001b[31m\n');
    // WHEN / THEN
    expect(file.data).toBeUndefined();
    expect(file.problems.map(formatProblem)).toEqual([`${LAB}:1:10: name: ${REFUSED}, got \\u001b (escape); ${CONTROL_HINT}`]);
  });
});

describe('aliases', () => {
  test('fails when an alias stands inside the value its anchor names, instead of building a value that contains itself', () => {
    // GIVEN an environment file whose list holds itself
    const text = 'name: lab\ncatalog: &loop [*loop, shop]\n';
    // WHEN
    const file = SourceFile.parse(LAB, text);
    // THEN
    expect(file.data).toBeUndefined();
    expect(file.problems.map(formatProblem)).toEqual([
      `${LAB}:${at(text, '*loop')}: catalog[0]: is an alias inside the value that &loop names: that value would contain itself, got "*loop"; ` +
        'write the value out, or set the anchor on a value that does not hold the alias',
    ]);
  });
});
