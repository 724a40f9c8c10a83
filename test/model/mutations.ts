import fc from 'fast-check';
import { Document, isMap, isScalar, isSeq, Node, parseDocument, Scalar } from 'yaml';

/**
 * Mutations of input files for property-based tests: structure-aware changes found by parsing
 * the current text (values of another type, huge numbers, long strings, missing, unknown and
 * misspelled keys, anchors and aliases), text-level changes (cuts, unbalanced brackets and quotes,
 * tabs, indentation, repeated lines) and byte-level ones (junk bytes, invalid UTF-8, other
 * encodings, empty and replaced files).
 */

/** One change to a file. Positions (`pick`, `at`, `line`) are taken modulo what the file has. */
export type Mutation =
  // Structure-aware: found by parsing the current text.
  | { readonly kind: 'replace-value'; readonly pick: number; readonly text: string }
  | { readonly kind: 'replace-string'; readonly pick: number; readonly text: string }
  | { readonly kind: 'copy-value'; readonly pick: number; readonly from: number }
  | { readonly kind: 'remove-entry'; readonly pick: number }
  | { readonly kind: 'add-key'; readonly pick: number; readonly key: string; readonly value: unknown }
  | { readonly kind: 'rename-key'; readonly pick: number; readonly key: string }
  | { readonly kind: 'rename-everywhere'; readonly pick: number; readonly key: string }
  | { readonly kind: 'misspell-key'; readonly pick: number; readonly how: 'drop' | 'double' | 'swap' | 'upper' | 'plural'; readonly at: number }
  | { readonly kind: 'alias'; readonly pick: number; readonly to: number }
  // Text-level.
  | { readonly kind: 'cut'; readonly at: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly text: string }
  | { readonly kind: 'indent'; readonly line: number; readonly delta: number }
  | { readonly kind: 'tab'; readonly line: number; readonly how: 'indent' | 'replace' | 'inline' }
  | { readonly kind: 'duplicate-line'; readonly line: number }
  | { readonly kind: 'swap-lines'; readonly line: number }
  | { readonly kind: 'line-endings'; readonly eol: '\r\n' | '\r' }
  // Byte-level and whole-file.
  | { readonly kind: 'bytes'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'encode'; readonly as: 'utf16le' | 'utf16le-bom' | 'utf8-bom' | 'latin1' }
  | { readonly kind: 'replace-file'; readonly content: string | Uint8Array };

/** Names that every JavaScript object has as properties: a lookup by a user-given name must not find them. */
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

/** Words the model gives meaning to, and names used in the example files. */
const WORDS = [
  'mock',
  'real',
  'mokc',
  'latest',
  'default',
  'inject',
  'services',
  'name',
  'hub',
  'ocp-lab',
  'crew',
  'inventory',
  'captains-log',
  'ship-info',
  'real-services',
  'mock-services',
  'kong-mesh',
  'istio',
  'legacy',
  'zone',
  'a',
  'x-mock',
  'X-Mock',
];

/** Values of another type than expected, written as YAML. */
const TYPE_CHANGES = [
  '42',
  '-1',
  '0',
  '3.14',
  'true',
  'false',
  'null',
  '~',
  '""',
  '"text"',
  '[]',
  '{}',
  '[a, b]',
  '{a: 1}',
  '"42"',
  'yes',
  'no',
  'on',
  '.nan',
  '.inf',
  '-.inf',
  '0x1F',
  '0o17',
  '1e3',
  '2024-02-30',
  '!!str 1',
  '!!int "x"',
  '!!binary aGVsbG8=',
  '!!map {}',
  '!!set {a}',
  '!custom value',
  '|\n  block text',
  '>-\n  folded',
  '[mock]',
  '{to: mock}',
  '{to: mock, weight: 50}',
  '{secretKeyRef: {name: a, key: b}}',
];

const NUMBERS = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '9007199254740993',
    '99999999999999999999999999',
    '-0',
    '-2147483649',
    '2147483648',
    '65536',
    '-65535',
    '0.0000001',
    '1_000',
    '4294967296',
    '1.5',
    '100.0',
    '-100',
  ),
  fc.integer().map(String),
  fc.bigInt({ min: -(2n ** 256n), max: 2n ** 256n }).map(String),
  fc.double().map((d) => (Number.isFinite(d) ? String(d) : '.inf')),
);

const LONG_STRINGS = fc.oneof(
  fc
    .tuple(fc.constantFrom('x', 'ab-', 'é', '😀', ' ', '\\\\', 'a.'), fc.integer({ min: 40, max: 20_000 }))
    .map(([unit, n]) => JSON.stringify(unit.repeat(Math.ceil(n / unit.length)))),
  fc.integer({ min: 40, max: 5_000 }).map((n) => 'a'.repeat(n)),
  fc.string({ unit: 'binary', minLength: 40, maxLength: 3_000 }).map((s) => JSON.stringify(s)),
);

/** Strings with control characters, escapes and odd Unicode. */
const JUNK_STRINGS = fc.constantFrom(
  '"a\\0b"',
  '"\\x00"',
  '"\\u0000"',
  '"line\\nbreak"',
  '"tab\\there"',
  '"\\r"',
  '"\\u2028"',
  '"\\ud800"',
  '"\\e[31mred"',
  "'it''s'",
  '"\\uFEFF"',
  '" "',
  '"\\t"',
);

/** File references: outside the repository, a folder, through a file, too long for the file system, with a NUL. */
const PATHS = fc.constantFrom(
  '"../../../../etc/passwd"',
  '"/etc/passwd"',
  '"../mocks"',
  '"."',
  '"../meshflip.yaml/x"',
  '"a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s/t"',
  `"${'n'.repeat(300)}.json"`,
  '"~/x.json"',
  '"C:\\\\mocks\\\\x.json"',
  '"file:///etc/passwd"',
  '"../mocks/x\\0.json"',
  '"../mocks/\\n.json"',
);

/** Values nested `depth` levels deep, in flow style. */
const DEEP = fc
  .tuple(fc.integer({ min: 2, max: 1_500 }), fc.constantFrom('seq', 'map'))
  .map(([depth, style]) => (style === 'seq' ? `${'['.repeat(depth)}]${']'.repeat(depth - 1)}` : `${'{a: '.repeat(depth)}1${'}'.repeat(depth)}`));

/** Anchors and aliases that cannot resolve, refer to themselves, or expand exponentially. */
const ALIASES = fc.oneof(
  fc.constantFrom('*nope', '&a [*a]', '&a {b: *a}', '[&a x, *a, *a]', '{<<: {a: 1}}', '&a', '*', '& x', '!!merge <<'),
  fc.integer({ min: 2, max: 12 }).map(aliasBomb),
);

function aliasBomb(levels: number): string {
  const parts = ['&l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let i = 1; i < levels; i++) {
    parts.push(`&l${i} [${Array.from({ length: 9 }, () => `*l${i - 1}`).join(', ')}]`);
  }
  return `[${parts.join(', ')}]`;
}

const VALUE_TEXT = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TYPE_CHANGES) },
  { weight: 3, arbitrary: NUMBERS },
  { weight: 2, arbitrary: LONG_STRINGS },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: JUNK_STRINGS },
  { weight: 1, arbitrary: PATHS },
  { weight: 1, arbitrary: DEEP },
  { weight: 1, arbitrary: ALIASES },
);

/** Text for a value that names something: a service, a file, a cluster. */
const STRINGS = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 2, arbitrary: JUNK_STRINGS },
  { weight: 2, arbitrary: PATHS },
  { weight: 1, arbitrary: LONG_STRINGS },
);

const KEYS = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '<<', '? x', '- a', 'a: b', '#', '"', 'é', '1', 'true', 'null') },
  { weight: 1, arbitrary: fc.integer({ min: 64, max: 2_000 }).map((n) => 'k'.repeat(n)) },
);

const JS_VALUES = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 30 }),
  fc.constantFrom(...WORDS),
  fc.jsonValue({ maxDepth: 3 }),
);

const INVALID_UTF8 = [
  [0xc3],
  [0xff, 0xfe],
  [0xed, 0xa0, 0x80],
  [0xc0, 0xaf],
  [0xf4, 0x90, 0x80, 0x80],
  [0x00],
  [0x00, 0x00, 0x00],
  [0xef, 0xbb, 0xbf],
];

const TOKENS = [
  '[',
  ']',
  '{',
  '}',
  '"',
  "'",
  ':',
  ': ',
  '- ',
  '&',
  '*',
  '!',
  '|',
  '>',
  '%',
  '@',
  '`',
  '#',
  '? ',
  ',',
  '\t',
  '\n',
  '\r',
  '\r\n',
  '---\n',
  '...\n',
  '\\',
  '\u00a0',
  '\ufeff',
  '\u2028',
  '\u0000',
  '\u0085',
  '{{',
  ']]',
  '"\'',
  '&a ',
  '*a',
];

const nat = fc.nat({ max: 1_000_000 });

export const structural: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('replace-value' as const), pick: nat, text: VALUE_TEXT }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('replace-string' as const), pick: nat, text: STRINGS }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('copy-value' as const), pick: nat, from: nat }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove-entry' as const), pick: nat }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('add-key' as const), pick: nat, key: KEYS, value: JS_VALUES }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('rename-key' as const), pick: nat, key: KEYS }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('rename-everywhere' as const), pick: nat, key: fc.oneof(fc.constantFrom(...PROTOTYPE_NAMES), KEYS) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('misspell-key' as const),
      pick: nat,
      how: fc.constantFrom('drop', 'double', 'swap', 'upper', 'plural'),
      at: nat,
    }),
  },
);

export const textual: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('cut' as const), at: nat }),
  fc.record({ kind: fc.constant('delete' as const), at: nat, length: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: nat, text: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('indent' as const), line: nat, delta: fc.integer({ min: -4, max: 4 }) }),
  fc.record({ kind: fc.constant('tab' as const), line: nat, how: fc.constantFrom('indent', 'replace', 'inline') }),
  fc.record({ kind: fc.constant('duplicate-line' as const), line: nat }),
  fc.record({ kind: fc.constant('swap-lines' as const), line: nat }),
  fc.record({ kind: fc.constant('line-endings' as const), eol: fc.constantFrom('\r\n' as const, '\r' as const) }),
);

export const binary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('bytes' as const),
    at: nat,
    bytes: fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.constantFrom(...INVALID_UTF8).map((b) => Uint8Array.from(b)),
    ),
  }),
  fc.record({
    kind: fc.constant('encode' as const),
    as: fc.constantFrom('utf16le' as const, 'utf16le-bom' as const, 'utf8-bom' as const, 'latin1' as const),
  }),
  fc.record({
    kind: fc.constant('replace-file' as const),
    content: fc.oneof(
      fc.constantFrom(
        '',
        '\n',
        '   \n',
        '# only a comment\n',
        '---\n',
        '...\n',
        '~\n',
        'null\n',
        '[]\n',
        '{}\n',
        '- a\n- b\n',
        '"a string"\n',
        '42\n',
        '\u0000',
        '\ufeff',
        '---\na: 1\n---\nb: 2\n',
        '%YAML 1.1\n---\na: yes\n',
      ),
      fc.uint8Array({ maxLength: 2_048 }),
      fc.string({ unit: 'binary', maxLength: 500 }),
    ),
  }),
);

export const nesting: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace-value' as const), pick: nat, text: fc.oneof(DEEP, ALIASES) }),
  fc.record({ kind: fc.constant('alias' as const), pick: nat, to: nat }),
  fc.record({
    kind: fc.constant('replace-file' as const),
    content: fc.oneof(
      fc.integer({ min: 1, max: 300 }).map((depth) => Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}a:`).join('\n') + ' 1\n'),
      fc.integer({ min: 1, max: 300 }).map((depth) => Array.from({ length: depth }, (_, i) => `${'  '.repeat(i)}- `).join('\n') + 'x\n'),
      fc.integer({ min: 2, max: 12 }).map((levels) => `name: ${aliasBomb(levels)}\n`),
    ),
  }),
);

/** A test case: one or two input files, each changed by a few mutations. */
export interface Case {
  readonly files: readonly { readonly file: string; readonly mutations: readonly Mutation[] }[];
}

export function cases(files: readonly string[], mutation: fc.Arbitrary<Mutation>, maxMutations = 3): fc.Arbitrary<Case> {
  const fileMutations = fc.record({ file: fc.constantFrom(...files), mutations: fc.array(mutation, { minLength: 1, maxLength: maxMutations }) });
  return fc.array(fileMutations, { minLength: 1, maxLength: 2 }).map((files) => ({ files }));
}

/** A place in a YAML text: a map entry (with its key) or a list item. */
interface Slot {
  readonly path: readonly (string | number)[];
  readonly start: number;
  readonly end: number;
  readonly key?: Scalar;
  readonly value?: unknown;
}

function slotsOf(doc: Document.Parsed): Slot[] {
  const out: Slot[] = [];
  const walk = (node: unknown, at: readonly (string | number)[], depth: number): void => {
    if (depth > 40) {
      return;
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const value = pair.value as Node | null;
        if (isScalar(key) && key.range) {
          const next = [...at, String(key.value)];
          out.push({ path: next, start: value?.range?.[0] ?? key.range[1], end: value?.range?.[1] ?? key.range[1], key, value });
          walk(value, next, depth + 1);
        }
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const range = (item as Node | null)?.range;
        if (range) {
          out.push({ path: [...at, index], start: range[0], end: range[1], value: item });
          walk(item, [...at, index], depth + 1);
        }
      });
    }
  };
  walk(doc.contents, [], 0);
  return out;
}

/** Replaces `[start, end)` of `text` with a YAML value, keeping the text around it well formed. */
function splice(text: string, start: number, end: number, value: string): string {
  const old = text.slice(start, end);
  const lead = start === end || /[:\-?]$/.test(text.slice(0, start)) ? ' ' : '';
  const trail = old.endsWith('\n') ? '\n' : '';
  return text.slice(0, start) + lead + value + trail + text.slice(end);
}

function misspell(key: string, how: 'drop' | 'double' | 'swap' | 'upper' | 'plural', at: number): string {
  if (key.length === 0) {
    return 'x';
  }
  const i = at % key.length;
  switch (how) {
    case 'drop':
      return key.length === 1 ? `${key}${key}` : key.slice(0, i) + key.slice(i + 1);
    case 'double':
      return key.slice(0, i) + key[i] + key.slice(i);
    case 'swap':
      return i + 1 < key.length ? key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2) : `${key}s`;
    case 'upper':
      return key.slice(0, i) + key[i].toUpperCase() + key.slice(i + 1);
    case 'plural':
      return key.endsWith('s') ? key.slice(0, -1) : `${key}s`;
  }
}

/** Applies one mutation to the bytes of a file. Mutations that find nothing to change leave it as it is. */
export function mutate(bytes: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'bytes': {
      const at = m.at % (bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(m.bytes), bytes.subarray(at)]);
    }
    case 'encode': {
      const text = bytes.toString('utf8');
      switch (m.as) {
        case 'utf16le':
          return Buffer.from(text, 'utf16le');
        case 'utf16le-bom':
          return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
        case 'utf8-bom':
          return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]);
        case 'latin1':
          return Buffer.from(text.replace(/ /g, '\u00a0'), 'latin1');
      }
      break;
    }
    case 'replace-file':
      return typeof m.content === 'string' ? Buffer.from(m.content, 'utf8') : Buffer.from(m.content);
    default:
      return Buffer.from(mutateText(bytes.toString('utf8'), m), 'utf8');
  }
}

function mutateText(text: string, m: Exclude<Mutation, { kind: 'bytes' | 'encode' | 'replace-file' }>): string {
  const lines = text.split('\n');
  const line = (n: number): number => n % lines.length;
  switch (m.kind) {
    case 'cut':
      return text.slice(0, m.at % (text.length + 1));
    case 'delete': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'indent': {
      const i = line(m.line);
      lines[i] = m.delta >= 0 ? ' '.repeat(m.delta) + lines[i] : lines[i].replace(new RegExp(`^ {0,${-m.delta}}`), '');
      return lines.join('\n');
    }
    case 'tab': {
      const i = line(m.line);
      lines[i] = m.how === 'indent' ? `\t${lines[i]}` : m.how === 'replace' ? lines[i].replace(/^ +/, '\t') : lines[i].replace(/: /, ':\t');
      return lines.join('\n');
    }
    case 'duplicate-line': {
      const i = line(m.line);
      lines.splice(i, 0, lines[i]);
      return lines.join('\n');
    }
    case 'swap-lines': {
      const i = line(m.line);
      const j = (i + 1) % lines.length;
      [lines[i], lines[j]] = [lines[j], lines[i]];
      return lines.join('\n');
    }
    case 'line-endings':
      return text.replace(/\n/g, m.eol);
    default:
      return mutateStructure(text, m);
  }
}

function mutateStructure(text: string, m: Extract<Mutation, { pick: number }>): string {
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  const slots = slotsOf(doc);
  // Each kind picks among the places it applies to, so that no pick is wasted.
  const keyed = slots.filter((s) => s.key?.range != null);
  // Strings are picked by field name first, so that a field that occurs once (an imposter path) is as
  // likely to change as one that occurs fifty times (a description).
  const strings = new Map<string, Slot[]>();
  for (const s of slots.filter((s) => isScalar(s.value) && typeof s.value.value === 'string')) {
    const field = String([...s.path].reverse().find((segment) => typeof segment === 'string') ?? '');
    strings.set(field, [...(strings.get(field) ?? []), s]);
  }
  const maps: (readonly (string | number)[])[] = [...(isMap(doc.contents) ? [[]] : []), ...slots.filter((s) => isMap(s.value)).map((s) => s.path)];
  const pick = <T>(items: readonly T[]): T | undefined => (items.length === 0 ? undefined : items[m.pick % items.length]);
  const slot = pick(slots);
  if (slot === undefined) {
    return text;
  }
  switch (m.kind) {
    case 'replace-value':
      return splice(text, slot.start, slot.end, m.text);
    case 'replace-string': {
      const fields = [...strings.values()];
      const occurrences = fields[m.pick % Math.max(1, fields.length)] ?? [];
      const target = occurrences[Math.floor(m.pick / Math.max(1, fields.length)) % Math.max(1, occurrences.length)];
      return target === undefined ? text : splice(text, target.start, target.end, m.text);
    }
    case 'rename-everywhere': {
      // Rename a key and every other mention of it, as someone renaming a service would.
      const name = pick(keyed)?.key?.value;
      if (typeof name !== 'string' || name === '') {
        return text;
      }
      const word = new RegExp(`(?<![\\w.-])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'g');
      const replacement = /^[a-z][a-z0-9-]*$/.test(m.key) ? m.key : JSON.stringify(m.key);
      return text.replace(word, () => replacement);
    }
    case 'copy-value': {
      const from = slots[m.from % slots.length];
      const value = text.slice(from.start, from.end).replace(/\n$/, '');
      // A block collection keeps its meaning only at its own indentation: copy scalars and flow values.
      return value.includes('\n') ? text : splice(text, slot.start, slot.end, value === '' ? '~' : value);
    }
    case 'alias': {
      // Anchor one value and refer to it from another place: after the anchor it resolves, before it does not.
      const target = slots[m.to % slots.length];
      if (target.start < slot.end && slot.start < target.end) {
        return text;
      }
      const anchored = (t: string) => `${t.slice(0, slot.start)}&fuzz ${t.slice(slot.start)}`;
      const aliased = (t: string) => splice(t, target.start, target.end, '*fuzz');
      // Change the later place first, so that the earlier offsets still hold.
      return slot.start > target.start ? aliased(anchored(text)) : anchored(aliased(text));
    }
    case 'misspell-key':
    case 'rename-key': {
      const key = pick(keyed)?.key;
      if (key?.range == null) {
        return text;
      }
      const [start, end] = key.range;
      const name = m.kind === 'rename-key' ? m.key : misspell(String(key.value), m.how, m.at);
      return text.slice(0, start) + JSON.stringify(name) + text.slice(end);
    }
    case 'remove-entry':
    case 'add-key': {
      if (doc.errors.length > 0) {
        return text;
      }
      try {
        if (m.kind === 'remove-entry') {
          doc.deleteIn(slot.path);
        } else {
          const at = pick(maps)!;
          const target = at.length === 0 ? doc.contents : doc.getIn(at, true);
          if (!isMap(target)) {
            return text;
          }
          target.add(doc.createPair(m.key, m.value));
        }
        return doc.toString({ lineWidth: 0 });
      } catch {
        // The document cannot take this change (a key inside a scalar, say): keep the text.
        return text;
      }
    }
  }
}
