import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import fc from 'fast-check';
import * as YAML from 'yaml';
import { NON_STRING_FIRST, readYamlFast, readYamlSlow, StringPool, YamlDocuments } from '../../src/pipeline/dist/fast-yaml';
import { listFiles } from '../../src/pipeline/dist/read-dist';
import { emitDocuments } from '../../src/pipeline/synth/yaml-emit';
import { renderedDist } from '../rendered-dist';
import { removeTempDirs } from '../util';
import { TRICKY_SCALARS } from './yaml-scalars';

// readYamlFast stands in for the yaml package (parseAllDocuments(text).map((d) => d.toJS()), default
// options, start line from doc.contents.range[0]) when commands read dist/ back: validate must see
// exactly what yaml sees, hand edits included. Whatever it accepts must be read exactly as yaml reads
// it, without errors; anything else must be refused so that the caller asks yaml.

afterAll(removeTempDirs);

/** Values with types, -0, NaN, key order and prototypes spelled out, for an exact comparison. */
function exact(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(exact).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    const entries = Object.keys(value).map((k) => `${JSON.stringify(k)}:${exact((value as Record<string, unknown>)[k])}`);
    return `${proto === Object.prototype ? '' : 'proto?'}{${entries.join(',')}}`;
  }
  if (typeof value === 'number') {
    return Object.is(value, -0) ? 'n:-0' : `n:${value}`;
  }
  return `${typeof value}:${JSON.stringify(value)}`;
}

const exactly = (docs: YamlDocuments) => ({ documents: docs.documents.map(exact), lines: docs.lines });

/** True when readYamlFast accepted `text` (and then read it exactly like yaml, which found no error in it). */
function agreesWithYaml(text: string, strings?: StringPool): boolean {
  const fast = readYamlFast(text, strings);
  if (fast === undefined) {
    return false;
  }
  const lineCounter = new YAML.LineCounter();
  const docs = YAML.parseAllDocuments(text, { lineCounter });
  const errors = docs.flatMap((d) => d.errors.map((e) => e.message));
  const slow = {
    documents: docs.map((d) => d.toJS() as unknown),
    lines: docs.map((d) => lineCounter.linePos(d.contents?.range?.[0] ?? d.range[0]).line),
  };
  // expect only when they differ, for its report: building an expectation for each of thousands of
  // cases was a tenth of this file's time.
  const [fastRead, slowRead] = [exactly(fast), exactly(slow)];
  if (errors.length > 0 || !isDeepStrictEqual(fastRead, slowRead)) {
    expect(errors).toEqual([]);
    expect(fastRead).toEqual(slowRead);
  }
  return true;
}

/** A new object each time (one object twice in a document makes yaml write an anchor and an alias). */
function fresh<T>(make: () => T): fc.Arbitrary<T> {
  return fc.constant(null).map(make);
}

const key = fc.oneof(
  fc.constantFrom(...TRICKY_SCALARS),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }),
  fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec', 'name'),
);
const leafValue = fc.oneof(
  fc.constantFrom(...TRICKY_SCALARS),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fresh(() => ({})),
  fresh(() => []),
);
const tree = fc.letrec<{ value: unknown; map: Record<string, unknown>; list: unknown[] }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafValue, tie('map'), tie('list')),
  map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  list: fc.array(tie('value'), { maxLength: 4 }),
})).map;

/** The shapes of manifests: identifier-like keys, plain strings, numbers, booleans, null, empty collections. */
const manifestKey = fc.stringMatching(/^[a-z][a-zA-Z0-9./-]{0,20}$/).filter((k) => k !== '__proto__');
const manifestLeaf = fc.oneof(
  fc.stringMatching(/^[a-z][a-z0-9./:-]{0,30}$/),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fresh(() => ({})),
  fresh(() => []),
  fc.constantFrom('yes', 'on', '0o17', '1e3', 'true', '8080,9090'),
);
const manifest = fc.letrec<{ value: unknown; map: Record<string, unknown>; list: unknown[] }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, manifestLeaf, tie('map'), tie('list')),
  map: fc.dictionary(manifestKey, tie('value'), { minKeys: 1, maxKeys: 6 }),
  list: fc.array(fc.oneof(manifestLeaf, tie('map')), { minLength: 1, maxLength: 4 }),
})).map;

const HEADER = '# Generated from environments/a.yaml by npm run synth. Do not edit.\n# Applied by Argo CD.\n';

/** Hand edits: characters and lines put in, taken out or changed, indentation, comments. */
const INSERTS = [
  ' ',
  '  ',
  '\t',
  '\n',
  '#',
  ' #',
  '"',
  "'",
  ':',
  ': ',
  '-',
  '- ',
  '|',
  '|-',
  '>',
  '{',
  '}',
  '[',
  ']',
  ',',
  '&a ',
  '*a',
  '!',
  '?',
  '%',
];
const MORE_INSERTS = ['\r', '\uFEFF', 'é', '\\', 'a', '0', '.', '~', '---\n', '...\n', '\n\n', 'x: 1\n', '- y\n', '0x', 'e3', 'null', 'True'];
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.constantFrom(...INSERTS, ...MORE_INSERTS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), text: fc.constantFrom('', ' ', '  ') }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.constantFrom(...INSERTS, ...MORE_INSERTS) }),
  fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), text: fc.constantFrom(' ', '  ', '   ', '    ') }),
  fc.record({ kind: fc.constant('dedent' as const), at: fc.nat(), text: fc.constantFrom('') }),
  fc.record({ kind: fc.constant('comment' as const), at: fc.nat(), text: fc.constantFrom(' # note', '# note', '#') }),
  fc.record({
    kind: fc.constant('line' as const),
    at: fc.nat(),
    text: fc.constantFrom('', ' ', '#', '---', '...', '- a', 'a: b', '  a: b', '    - b'),
  }),
);

function mutate(text: string, m: { kind: string; at: number; text: string }): string {
  const lines = text.split('\n');
  const line = m.at % Math.max(1, lines.length - 1);
  const at = m.at % Math.max(1, text.length);
  switch (m.kind) {
    case 'insert':
      return text.slice(0, at) + m.text + text.slice(at);
    case 'delete':
      return text.slice(0, at) + text.slice(at + 1 + m.text.length);
    case 'replace':
      return text.slice(0, at) + m.text + text.slice(at + 1);
    case 'indent':
      lines[line] = m.text + lines[line];
      return lines.join('\n');
    case 'dedent':
      lines[line] = lines[line].replace(/^ {1,2}/, '');
      return lines.join('\n');
    case 'comment':
      lines[line] = lines[line] + m.text;
      return lines.join('\n');
    default:
      lines.splice(line, 0, m.text);
      return lines.join('\n');
  }
}

describe('reading what the emitter writes', () => {
  it('reads the shapes of manifests itself, exactly as yaml does', () => {
    fc.assert(
      fc.property(fc.array(manifest, { minLength: 1, maxLength: 4 }), (docs) => {
        const { text, startLines } = emitDocuments(docs);
        expect(agreesWithYaml(HEADER + text)).toBe(true);
        expect(readYamlFast(text)!.lines).toEqual(startLines);
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("reads any document as yaml does, or leaves it to yaml, for the emitter's and yaml's own output", () => {
    let accepted = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 4 }), fc.boolean(), (docs, header) => {
        const texts = [
          emitDocuments(docs).text,
          docs.map((d) => YAML.stringify(d)).join('---\n'),
          docs.map((d) => YAML.stringify(d, { version: '1.1', lineWidth: 0 })).join('---\n'),
        ];
        for (const text of texts) {
          runs++;
          accepted += agreesWithYaml(header ? HEADER + text : text) ? 1 : 0;
        }
      }),
      { numRuns: 1000, seed: 42 },
    );
    // Not a test that passes by refusing everything: most random documents are read directly.
    expect(accepted / runs).toBeGreaterThan(0.2);
  });

  it('reads literal block scalars as yaml does', () => {
    const multiLine = fc.oneof(
      fc.constantFrom('a\nb', 'a\nb\n', 'a\nb\n\n', 'a\n\nb', '\na', 'a\n', 'a\n\n\n', '  x\ny', 'x\n  y', 'x \ny', '#x\n---\n...'),
      fc.array(fc.stringMatching(/^[ -~]{0,6}$/), { minLength: 2, maxLength: 5 }).map((lines) => lines.join('\n')),
    );
    const doc = fc.record({ a: multiLine, list: fc.array(fc.oneof(multiLine, fc.record({ k: multiLine, l: multiLine })), { maxLength: 3 }) });
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(doc, { minLength: 1, maxLength: 3 }), (docs) => {
        const text = docs.map((d) => YAML.stringify(d, { version: '1.1', lineWidth: 0 })).join('---\n');
        accepted += agreesWithYaml(text) && text.includes(': |') ? 1 : 0;
      }),
      { numRuns: 1000, seed: 5 },
    );
    expect(accepted).toBeGreaterThan(250);
  });
});

describe('reading hand edits', () => {
  const multiLine = fc.constantFrom('a\nb', 'a\nb\n', 'x\n\ny\n\n');
  const edited = fc.oneof(manifest, tree, fc.record({ data: fc.dictionary(manifestKey, multiLine, { minKeys: 1, maxKeys: 2 }) }));

  it('reads an edited file exactly as yaml does, or leaves it to yaml', () => {
    let accepted = 0;
    let changed = 0;
    const strings: StringPool = new Map();
    fc.assert(
      fc.property(fc.array(edited, { minLength: 1, maxLength: 3 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (docs, mutations) => {
        const original = HEADER + docs.map((d) => YAML.stringify(d, { version: '1.1', lineWidth: 0 })).join('---\n');
        const text = mutations.reduce(mutate, original);
        if (agreesWithYaml(text, strings) && text !== original) {
          accepted++;
          changed += exact(readYamlFast(text)!.documents) !== exact(readYamlFast(original)?.documents) ? 1 : 0;
        }
      }),
      { numRuns: 3000, seed: 3 },
    );
    // Many edits stay in the subset (and change what is read): those are read directly, not refused.
    expect(accepted).toBeGreaterThan(250);
    expect(changed).toBeGreaterThan(150);
  });

  it('reads any text written after a key or a dash, or as a key, as yaml does, or leaves it to yaml', () => {
    const raw = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.string({ unit: 'binary', maxLength: 6 }),
      fc.string({ unit: fc.constantFrom(...' -?:,[]{}#&*!|>\'"%@`\\~.0123456789abeoxnNtTfF+\u00a0\u0085\u2028\ufeff'), maxLength: 8 }),
      fc.constantFrom(...TRICKY_SCALARS),
    );
    let accepted = 0;
    fc.assert(
      fc.property(raw, raw, (a, b) => {
        for (const text of [`k: ${a}\n`, `${a}: v\n`, `- ${a}\n`, `- ${a}: ${b}\n  k: v\n`, `k:\n  - ${a}\n  - ${b}\n`, `${a}: |\n  ${b}\n`]) {
          accepted += agreesWithYaml(text) ? 1 : 0;
        }
      }),
      { numRuns: 3000, seed: 9 },
    );
    expect(accepted).toBeGreaterThan(3000);
  });

  it.each([
    ['a tab', 'a:\n\tb: 1\n'],
    ['CRLF', 'a: 1\r\nb: 2\r\n'],
    ['a BOM', '\uFEFFa: 1\n'],
    ['no final newline', 'a: 1'],
    ['an anchor and an alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a directive', '%YAML 1.2\n---\na: 1\n'],
    ['a leading ---', '---\na: 1\n'],
    ['a document end marker', 'a: 1\n...\n'],
    ['an empty document', 'a: 1\n---\n---\nb: 1\n'],
    ['a trailing ---', 'a: 1\n---\n'],
    ['a flow map', 'a: {b: 1}\n'],
    ['a flow sequence', 'a: [1]\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a multi-line quoted scalar', 'a: "b\n  c"\n'],
    ['a comment after a value', 'a: 1 # one\n'],
    ['a comment between documents', 'a: 1\n---\n# two\nb: 2\n'],
    ['a comment inside a map', 'a: 1\n# b\nc: 2\n'],
    ['a blank line', 'a: 1\n\nb: 2\n'],
    ['a line of spaces', 'a: 1\n  \nb: 2\n'],
    ['a complex key', '? a\n: 1\n'],
    ['indentation by 4', 'a:\n    b: 1\n'],
    ['indentation by 1', 'a:\n b: 1\n'],
    ["a sequence at its key's indentation", 'a:\n- 1\n'],
    ['two spaces after a dash', 'a:\n  -  1\n'],
    ['two spaces after a colon', 'a:  1\n'],
    ['trailing spaces', 'a: 1 \n'],
    ['an empty value', 'a:\nb: 1\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a key that is a number', '1: a\n'],
    ['a key that is null', 'null: a\n'],
    ['a quoted and a plain key alike', '"a": 1\na: 2\n'],
    ['a merge key', '<<: {}\n'],
    ['the key __proto__', '__proto__: 1\n'],
    ['a folded block scalar', 'a: >-\n  b\n'],
    ['an indentation indicator', 'a: |2-\n    b\n'],
    ['a block scalar indented by 4', 'a: |-\n    b\n'],
    ['a block scalar starting more indented', 'a: |-\n    b\n  c\n'],
    ['an empty block scalar', 'a: |-\nb: 1\n'],
    ['a top-level scalar', 'a\n'],
    ['a top-level flow map with content', '{a: 1}\n'],
    ['an unknown escape', 'a: "\\q"\n'],
    ['a short hex escape', 'a: "\\x4"\n'],
    ['an escape beyond Unicode', 'a: "\\UFFFFFFFF"\n'],
    ['an unclosed quote', "a: 'b\n"],
    ['text after a quote', 'a: "b" c\n'],
    ['a quoted key without a space after its colon', '"a":b\n'],
    ['a C1 control character', 'a: \u0085\n'],
    ['a BOM inside', 'a: b\uFEFF\n'],
    ['a line separator', 'a: b\u2028c\n'],
    ['a lone surrogate', 'a: \ud800\n'],
  ])('leaves %s to yaml', (_what, text) => {
    expect(readYamlFast(text)).toBeUndefined();
    // yaml reads something from most of these: refusing matters.
    expect(() => readYamlSlow(text)).not.toThrow();
  });

  it.each([
    ['nothing', ''],
    ['only comments', '# a\n#\n'],
    ['non-ASCII characters', 'a: é\nü: "ß"\nb: 🚀 x\nc: \u00a0nbsp\n'],
    ['single-quoted strings', "a: 'b'\n'c d': 'it''s'\ne: ''\nf: '#x: y'\n"],
    ['escapes', 'a: "b\\n\\"\\\\\\x41\\u00e9\\U0001F680\\t\\/\\ \\_"\n"k\\"ey": 1\n'],
    ['nested sequences', 'a:\n  - - 1\n    - - x: 1\n        y: 2\n  - 3\n'],
    ['top-level empty collections and sequences', '{}\n---\n[]\n---\n- a\n- b: 1\n'],
    ['the keys an object has by its prototype', 'constructor: 1\ntoString: 2\nhasOwnProperty: 3\n'],
  ])('reads %s itself', (_what, text) => {
    expect(agreesWithYaml(text)).toBe(true);
  });

  it('resolves plain scalars as the core schema does', () => {
    const text = [
      'a: 0o17',
      'b: 0x1F',
      'c: .inf',
      'd: -.Inf',
      'e: .nan',
      'f: ~',
      'g: Null',
      'h: 1e3',
      'i: +1',
      'j: -0',
      'k: 1.50',
      'l: 0777',
      'm: True',
      'n: FALSE',
      'o: yes',
      'p: 0b101',
      'q: 1_000',
      'r: 2026-12-01',
      's: "1"',
      't: 0o18',
      '',
    ].join('\n');
    const read = readYamlFast(text)!;
    expect(exactly(read)).toEqual(exactly(readYamlSlow(text)));
    expect(read.documents[0]).toStrictEqual({
      a: 15,
      b: 31,
      c: Infinity,
      d: -Infinity,
      e: NaN,
      f: null,
      g: null,
      h: 1000,
      i: 1,
      j: -0,
      k: 1.5,
      l: 777,
      m: true,
      n: false,
      o: 'yes',
      p: '0b101',
      q: '1_000',
      r: '2026-12-01',
      s: '1',
      t: '0o18',
    });
  });

  it('knows every first character of a plain scalar the core schema does not read as a string', () => {
    const tags = (new YAML.Document().schema as unknown as { tags: { test?: RegExp }[] }).tags.filter((t) => t.test instanceof RegExp);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: fc.constantFrom(...'~nNulLtTrRuUeEfFaAsS0123456789+-.eEoOxXiI_:'), maxLength: 8 }), fc.string()),
        (s) => {
          if (s !== '' && tags.some((t) => t.test!.test(s))) {
            expect(NON_STRING_FIRST).toContain(s[0]);
          }
        },
      ),
      { numRuns: 20000, seed: 1 },
    );
  });
});

describe('the example dist/', () => {
  it('reads every file directly, exactly as yaml does', () => {
    const dist = renderedDist();
    const files = listFiles(dist).filter((f) => /\.ya?ml$/.test(f));
    expect(files.length).toBeGreaterThan(50);
    // One pool for all files, as readDist reads them.
    const strings: StringPool = new Map();
    const refused = files.filter((f) => !agreesWithYaml(fs.readFileSync(path.join(dist, f), 'utf8'), strings));
    expect(strings.size).toBeGreaterThan(100);
    expect(refused).toEqual([]);
  });

  it('reads hand edits of its files exactly as yaml does, or leaves them to yaml', () => {
    const dist = renderedDist();
    const texts = listFiles(dist)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => fs.readFileSync(path.join(dist, f), 'utf8'));
    let accepted = 0;
    fc.assert(
      fc.property(fc.nat(texts.length - 1), fc.array(mutation, { minLength: 1, maxLength: 3 }), (file, mutations) => {
        const text = mutations.reduce(mutate, texts[file]);
        accepted += text !== texts[file] && agreesWithYaml(text) ? 1 : 0;
      }),
      { numRuns: 1000, seed: 13 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
