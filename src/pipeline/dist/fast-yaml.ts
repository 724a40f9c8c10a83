import { Document, isScalar, LineCounter, parseAllDocuments } from 'yaml';

/** The documents of a YAML stream, as `doc.toJS()` gives them, and the line (1-based) each starts on. */
export interface YamlDocuments {
  readonly documents: unknown[];
  /** Where each document's content starts, as `LineCounter.linePos(doc.contents.range[0])` says. */
  readonly lines: number[];
}

/** How many texts were read by `readYamlFast` and how many were left to the `yaml` package (for the benchmark). */
export const fastYamlStats = { fast: 0, fallback: 0 };

/**
 * Strings already read, for `readYamlFast` to share: one copy of each value across files (keys are
 * shared by the engine already), and none of them a slice that keeps its whole file's text alive.
 * Reading the dist/ of 1,000 services x 10 environments, the objects then hold 134 MiB instead of 324.
 */
export type StringPool = Map<string, string>;

/**
 * The documents of a YAML stream: read by `readYamlFast` when the text is in its subset, else by
 * the `yaml` package (`parseAllDocuments` with its default options, errors ignored as before).
 */
export function readYamlDocuments(text: string, strings?: StringPool): YamlDocuments {
  const fast = readYamlFast(text, strings);
  if (fast !== undefined) {
    fastYamlStats.fast++;
    return fast;
  }
  fastYamlStats.fallback++;
  return readYamlSlow(text);
}

/** The documents of a YAML stream as the `yaml` package reads them (the reference `readYamlFast` must match). */
export function readYamlSlow(text: string): YamlDocuments {
  const lineCounter = new LineCounter();
  const documents: unknown[] = [];
  const lines: number[] = [];
  for (const doc of parseAllDocuments(text, { lineCounter })) {
    documents.push(doc.toJS());
    lines.push(lineCounter.linePos(doc.contents?.range?.[0] ?? doc.range[0]).line);
  }
  return { documents, lines };
}

/**
 * Reads the YAML that the dist/ emitter (`emitDocuments`) and the `yaml` package write, more than
 * ten times faster than the `yaml` package and without its node tree; undefined for any text
 * outside that subset, which the caller then gives to the `yaml` package. What it accepts, it reads
 * exactly as `parseAllDocuments(text).map((d) => d.toJS())` with the default options (YAML 1.2
 * core schema) does, with the same start lines, and `yaml` reports no error for it (property tests
 * compare both on emitted, stringified and randomly edited texts).
 *
 * The subset: printable characters (non-ASCII included) and newlines, the last line ending in one;
 * `#` comment lines before the first document only; documents separated by a `---` line, each a
 * block map, a block sequence, `{}` or `[]` at column 0; nested collections indented by exactly two
 * more spaces than their key (or dash), a map or sequence in a sequence item starting on the dash's
 * line (`- key: value`, `- - value`); keys plain or quoted, unique, and read as strings; values on
 * the key's line: a single-line plain scalar (resolved as the core schema resolves it: `~`,
 * `null`, `true`, `0x1F`, `0o17`, `1e3`, `.inf`...), a single-line single- or double-quoted string
 * (the escapes `yaml` reads included), `{}`, `[]`, or a literal block scalar (`|`, `|-`, `|+`)
 * whose first line is indented by exactly two more spaces than its key (or dash).
 *
 * Everything else is left to the `yaml` package: tabs, CR, a BOM, control characters, U+2028 and
 * U+2029, lone surrogates, blank lines outside block scalars, comments after the first document or
 * after a value, anchors, aliases, tags, directives, flow collections other than `{}` and `[]`,
 * multi-line plain or quoted scalars, folded block scalars, indentation indicators, `? ` keys,
 * `...`, any other indentation, a leading `---`, empty documents, duplicate keys, keys that are not
 * strings (`1:`, `null:`) and the keys `__proto__` and `<<`.
 */
export function readYamlFast(text: string, strings?: StringPool): YamlDocuments | undefined {
  if (text.length > 0 && (text.charCodeAt(text.length - 1) !== NL || (NOT_ASCII.test(text) && OUTSIDE_SUBSET.test(text)))) {
    return undefined;
  }
  try {
    return new Reader(text, strings).read();
  } catch (e) {
    if (e === REFUSED) {
      return undefined;
    }
    throw e;
  }
}

const NL = 10;
const SPACE = 32;
const QUOTE = 34;
const HASH = 35;
const DASH = 45;
const COLON = 58;
const APOSTROPHE = 39;
/** Anything but printable ASCII and newlines. */
const NOT_ASCII = /[^\n\x20-\x7e]/;
/**
 * Anything but printable characters and newlines: tabs, CR, control characters (C0 and C1), a BOM,
 * the Unicode line and paragraph separators, U+FFFE and U+FFFF, and surrogates not in a pair.
 */
const OUTSIDE_SUBSET =
  /[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\ud800-\udfff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Thrown inside the reader when the text is outside its subset (one instance: no stack to capture each time). */
const REFUSED = new Error('outside the subset of readYamlFast');

function refuse(): never {
  throw REFUSED;
}

/** The scalar tags of the core schema that can match a plain scalar, in the order `yaml` tries them. */
const CORE = (() => {
  const doc = new Document();
  const schema = doc.schema as unknown as {
    tags: { default?: boolean | 'key'; tag: string; test?: RegExp; resolve: (s: string, onError: (m: string) => void, o: unknown) => unknown }[];
  };
  return {
    tags: schema.tags.filter((t) => (t.default === true || t.default === 'key') && t.test instanceof RegExp),
    options: doc.options,
  };
})();

/**
 * Characters a plain scalar the core schema reads as anything but a string can start with
 * (`~`, null, true/false, numbers, `.inf`, `.nan`); the empty string is null too. A test checks
 * this against the schema's own patterns.
 */
export const NON_STRING_FIRST = '~nNtTfF0123456789+-.';

/** A plain scalar as the core schema resolves it: string, null, boolean or number. */
function resolvePlain(value: string, atKey: boolean): unknown {
  if (!NON_STRING_FIRST.includes(value[0])) {
    return value;
  }
  for (const tag of CORE.tags) {
    if ((tag.default === true || atKey) && tag.test!.test(value)) {
      let failed = false;
      const res = tag.resolve(value, () => (failed = true), CORE.options);
      if (failed) {
        refuse();
      }
      return isScalar(res) ? res.value : res;
    }
  }
  return value;
}

/** Characters that cannot start a plain scalar of the subset (YAML indicators, and the quotes it reads itself). */
const INDICATOR = new Set('-?:,[]{}#&*!|>\'"%@` ');

/** Whether `s` is a single-line plain scalar of the subset: no indicator first, no `: ` or ` #`, no trailing space or colon. */
function isPlain(s: string): boolean {
  if (s.length === 0) {
    return false;
  }
  const first = s[0];
  if (INDICATOR.has(first) && !(first === '-' && s.length > 1 && s[1] !== ' ')) {
    return false;
  }
  const last = s.charCodeAt(s.length - 1);
  return last !== SPACE && last !== 58 && !s.includes(': ') && !s.includes(' #') && !s.startsWith('---') && !s.startsWith('...');
}

/** A double- or single-quoted scalar starting at `line[start]`: its value and the index after its closing quote. */
function quoted(line: string, start: number): { value: string; end: number } | undefined {
  const quote = line.charCodeAt(start);
  if (quote === APOSTROPHE) {
    let value = '';
    let from = start + 1;
    for (;;) {
      const close = line.indexOf("'", from);
      if (close < 0) {
        return undefined;
      }
      value += line.slice(from, close);
      if (line.charCodeAt(close + 1) !== APOSTROPHE) {
        return { value, end: close + 1 };
      }
      value += "'";
      from = close + 2;
    }
  }
  let value = '';
  let from = start + 1;
  for (;;) {
    const close = line.indexOf('"', from);
    const escape = line.indexOf('\\', from);
    if (close < 0) {
      return undefined;
    }
    if (escape < 0 || escape > close) {
      return { value: value + line.slice(from, close), end: close + 1 };
    }
    value += line.slice(from, escape);
    const code = line[escape + 1];
    const simple = ESCAPES[code];
    if (simple !== undefined) {
      value += simple;
      from = escape + 2;
    } else {
      const length = code === 'x' ? 2 : code === 'u' ? 4 : code === 'U' ? 8 : 0;
      const hex = line.slice(escape + 2, escape + 2 + length);
      const point = length > 0 && hex.length === length && /^[0-9a-fA-F]+$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (!(point <= 0x10ffff)) {
        return undefined;
      }
      value += String.fromCodePoint(point);
      from = escape + 2 + length;
    }
  }
}

/** The one-character escapes of double-quoted scalars, as `yaml` reads them. */
const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
};

/** The key a line of a map starts with (plain or quoted, read as a string) and the index of its colon; undefined for anything else. */
function keyOf(rest: string): { key: string; colon: number } | undefined {
  let key: string;
  let colon: number;
  const first = rest.charCodeAt(0);
  if (first === QUOTE || first === APOSTROPHE) {
    const q = quoted(rest, 0);
    if (q === undefined) {
      return undefined;
    }
    key = q.value;
    colon = q.end;
    if (rest.charCodeAt(colon) !== COLON) {
      return undefined;
    }
  } else {
    colon = rest.indexOf(': ');
    if (colon < 0) {
      if (rest.charCodeAt(rest.length - 1) !== COLON) {
        return undefined;
      }
      colon = rest.length - 1;
    }
    key = rest.slice(0, colon);
    if (!isPlain(key) || resolvePlain(key, true) !== key) {
      return undefined;
    }
  }
  // The colon ends the line or is followed by one space; yaml allows implicit keys of up to 1024 characters.
  if ((colon + 1 < rest.length && rest.charCodeAt(colon + 1) !== SPACE) || colon > 1000) {
    return undefined;
  }
  return { key, colon };
}

class Reader {
  private readonly lines: string[];
  /** Lines of content (the text's final newline ends the last one). */
  private readonly count: number;
  private i = 0;

  constructor(
    text: string,
    private readonly strings?: StringPool,
  ) {
    this.lines = text.split('\n');
    this.count = this.lines.length - 1;
  }

  /** `value`, or the equal string read before, from the pool. */
  private shared(value: string): string {
    const pool = this.strings;
    if (pool === undefined) {
      return value;
    }
    let out = pool.get(value);
    if (out === undefined) {
      // V8 keeps a substring of 13 characters or more as a slice of its whole parent (here: the
      // file); a concatenation flattened by slice() copies it instead.
      out = value.length >= 13 ? ` ${value}`.slice(1) : value;
      pool.set(out, out);
    }
    return out;
  }

  read(): YamlDocuments {
    const { lines, count } = this;
    const documents: unknown[] = [];
    const starts: number[] = [];
    while (this.i < count && lines[this.i].charCodeAt(0) === HASH) {
      this.i++;
    }
    if (this.i === count) {
      return { documents, lines: starts };
    }
    for (;;) {
      const line = lines[this.i];
      if (line.length === 0 || line.charCodeAt(0) === SPACE || line === '---') {
        refuse();
      }
      starts.push(this.i + 1);
      if (line === '{}' || line === '[]') {
        documents.push(line === '{}' ? {} : []);
        this.i++;
      } else {
        documents.push(this.block(0));
      }
      if (this.i === count) {
        return { documents, lines: starts };
      }
      if (lines[this.i] !== '---') {
        refuse();
      }
      this.i++;
      if (this.i === count) {
        refuse();
      }
    }
  }

  /** The block map or sequence whose first line (at `this.i`) is indented by exactly `indent`. */
  private block(indent: number): unknown {
    const line = this.lines[this.i];
    return isItem(line, indent) ? this.sequence(indent) : this.map(indent);
  }

  /**
   * Line `this.i` when it continues the block whose lines are indented by exactly `indent`;
   * undefined where the block ends (the end of the text, a line indented less, or `---` after a
   * document's top level). A line indented more is refused. The first line of an inline block
   * (`first`, on an outer dash's line) continues it whatever its indentation.
   */
  private nextLine(indent: number, first: boolean): string | undefined {
    if (this.i >= this.count) {
      return undefined;
    }
    const line = this.lines[this.i];
    if (first) {
      return line;
    }
    const at = indentOf(line);
    if (at < indent || (indent === 0 && line === '---')) {
      return undefined;
    }
    if (at > indent) {
      refuse();
    }
    return line;
  }

  /**
   * A block sequence at `indent`: `- ` items on lines indented by exactly `indent`. With `inline`,
   * its first item sits on the line of an outer item's dash (`- - value`).
   */
  private sequence(indent: number, inline = false): unknown[] {
    const out: unknown[] = [];
    for (let first = inline, line = this.nextLine(indent, first); line !== undefined; first = false, line = this.nextLine(indent, first)) {
      if (!first && !isItem(line, indent)) {
        refuse();
      }
      if (isItem(line, indent + 2)) {
        out.push(this.sequence(indent + 2, true));
      } else if (keyOf(line.slice(indent + 2)) !== undefined) {
        out.push(this.map(indent + 2, true));
      } else {
        out.push(this.value(line.slice(indent + 2), indent + 2));
      }
    }
    return out;
  }

  /**
   * A block map whose keys are indented by exactly `indent`. With `inline`, its first key sits on
   * the line of a sequence item's dash (`- key: value`).
   */
  private map(indent: number, inline = false): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const { lines, count } = this;
    for (let first = inline, line = this.nextLine(indent, first); line !== undefined; first = false, line = this.nextLine(indent, first)) {
      const rest = line.slice(indent);
      const entry = keyOf(rest) ?? refuse();
      const key = entry.key;
      if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(out, key)) {
        refuse();
      }
      if (entry.colon + 1 === rest.length) {
        // `key:` and the value on the next lines, indented by two more.
        this.i++;
        if (this.i === count || indentOf(lines[this.i]) !== indent + 2) {
          refuse();
        }
        out[key] = this.block(indent + 2);
      } else {
        out[key] = this.value(rest.slice(entry.colon + 2), indent + 2);
      }
    }
    return out;
  }

  /** The value written after `key: ` or `- ` on line `this.i` (a block scalar's lines indented by `blockIndent`); moves past it. */
  private value(text: string, blockIndent: number): unknown {
    this.i++;
    const first = text.charCodeAt(0);
    if (first === QUOTE || first === APOSTROPHE) {
      const q = quoted(text, 0);
      if (q === undefined || q.end !== text.length) {
        refuse();
      }
      return this.shared(q.value);
    }
    if (text === '{}') {
      return {};
    }
    if (text === '[]') {
      return [];
    }
    if (text === '|' || text === '|-' || text === '|+') {
      return this.shared(this.literal(text, blockIndent));
    }
    if (!isPlain(text)) {
      refuse();
    }
    const value = resolvePlain(text, false);
    return typeof value === 'string' ? this.shared(value) : value;
  }

  /** A literal block scalar's content, from line `this.i` on, indented by exactly `indent`. */
  private literal(header: string, indent: number): string {
    const { lines, count } = this;
    const body: string[] = [];
    let content = 0;
    let trailing = 0;
    while (this.i < count) {
      const line = lines[this.i];
      if (line.length === 0) {
        body.push('');
        trailing++;
      } else {
        const at = indentOf(line);
        if (at === line.length) {
          refuse();
        }
        if (at < indent) {
          break;
        }
        if (content === 0 && at !== indent) {
          refuse();
        }
        body.push(line.slice(indent));
        content++;
        trailing = 0;
      }
      this.i++;
    }
    if (content === 0) {
      refuse();
    }
    const text = body.slice(0, body.length - trailing).join('\n');
    return header === '|-' ? text : header === '|' ? `${text}\n` : `${text}\n${'\n'.repeat(trailing)}`;
  }
}

/** Whether `line` has a sequence item's `- ` at column `indent`. */
function isItem(line: string, indent: number): boolean {
  return line.charCodeAt(indent) === DASH && line.charCodeAt(indent + 1) === SPACE;
}

/** Leading spaces of a line. */
function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === SPACE) {
    n++;
  }
  return n;
}
