import * as YAML from 'yaml';

/**
 * Emits Kubernetes objects as a multi-document YAML stream, byte for byte as cdk8s's
 * `Yaml.stringify` does (the `yaml` package with YAML 1.1 schema, no line wrapping, `---` between
 * documents), and says on which line of the stream each document starts.
 *
 * The `yaml` package builds a node tree for every document and asks its schema about every
 * scalar; for the plain data of manifests that is most of the cost of a synthesis. This emitter
 * writes the same text directly for documents whose every key and value it can render exactly
 * like `yaml` does: block maps and sequences, numbers, booleans, null, single-line strings
 * (plain, or double-quoted where YAML 1.1 would read them as something else) and multi-line
 * string values (literal block scalars, such as a JSON file in a ConfigMap or a script in a
 * probe, with yaml's chomping and indentation indicators). Any document with anything else (a
 * single-line string with non-ASCII characters, control characters, a multi-line key, a
 * multi-line string yaml quotes, an object that appears twice, a nested sequence) is handed to
 * `yaml` itself. A property-based test compares both on random documents.
 */
export function emitDocuments(objects: readonly unknown[]): { text: string; startLines: number[]; direct: boolean } {
  const startLines: number[] = [];
  let line = 1;
  let direct = true;
  const parts = objects.map((obj) => {
    const written = obj === undefined ? undefined : emitDirectly(obj);
    direct &&= written !== undefined;
    const text = written ?? (obj === undefined ? '\n' : delegate(obj));
    startLines.push(line);
    line += countLines(text) + 1;
    return text;
  });
  return { text: parts.join('---\n'), startLines, direct };
}

const YAML_OPTIONS = { keepUndefined: true, lineWidth: 0, version: '1.1' } as const;

/** How many documents were written directly and how many were handed to the `yaml` package (for the benchmark). */
export const emitStats = { direct: 0, delegated: 0 };

/** One document, as `YAML.stringify(obj, cdk8s's options)` would write it. */
export function emitDocument(obj: unknown): string {
  return emitDirectly(obj) ?? delegate(obj);
}

/**
 * One document written by this emitter, or undefined when it needs the `yaml` package. What it
 * writes holds exactly the values `JSON.stringify` gives of the document: the own enumerable string
 * keys of maps (`Object.keys`, as JSON reads them; no `__proto__` key, which JSON.parse makes an
 * own property where a YAML reader may not), finite numbers but -0, strings, booleans, null,
 * and lists without holes. So `JSON.parse(JSON.stringify(obj))` is what a reader of the text gets.
 */
function emitDirectly(obj: unknown): string | undefined {
  if (isPlainMap(obj) && Object.keys(obj).length > 0) {
    const out: string[] = [];
    if (emitMap(obj, '', out, new Set())) {
      emitStats.direct++;
      return out.join('');
    }
  }
  return undefined;
}

function delegate(obj: unknown): string {
  emitStats.delegated++;
  return YAML.stringify(obj, YAML_OPTIONS);
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Appends the lines of a non-empty map; false when something needs the `yaml` package. */
function emitMap(map: Record<string, unknown>, indent: string, out: string[], seen: Set<object>, firstPrefix?: string): boolean {
  if (seen.has(map)) {
    return false;
  }
  seen.add(map);
  let first = true;
  for (const key of Object.keys(map)) {
    if (key === '__proto__') {
      // Left to the `yaml` package, so that what is written directly is what JSON holds (`emitDirectly`).
      return false;
    }
    const value = map[key];
    const k = scalar(key, true);
    // yaml writes a key longer than 1024 characters as an explicit `? key`.
    if (k === undefined || k.length > 1024) {
      return false;
    }
    const lead = first && firstPrefix !== undefined ? firstPrefix : indent;
    first = false;
    if (isPlainMap(value) && Object.keys(value).length > 0) {
      out.push(`${lead}${k}:\n`);
      if (!emitMap(value, `${indent}  `, out, seen)) {
        return false;
      }
    } else if (Array.isArray(value) && value.length > 0) {
      out.push(`${lead}${k}:\n`);
      if (!emitSeq(value, `${indent}  `, out, seen)) {
        return false;
      }
    } else {
      const v = leaf(value, seen, `${indent}  `);
      if (v === undefined) {
        return false;
      }
      out.push(`${lead}${k}: ${v}\n`);
    }
  }
  return true;
}

/** Appends the lines of a non-empty sequence; false when something needs the `yaml` package. */
function emitSeq(seq: readonly unknown[], indent: string, out: string[], seen: Set<object>): boolean {
  if (seen.has(seq)) {
    return false;
  }
  seen.add(seq);
  for (const item of seq) {
    if (isPlainMap(item) && Object.keys(item).length > 0) {
      // The first entry of a map item sits on the dash's line.
      if (!emitMap(item, `${indent}  `, out, seen, `${indent}- `)) {
        return false;
      }
    } else if (Array.isArray(item) && item.length > 0) {
      return false;
    } else {
      const v = leaf(item, seen, `${indent}  `);
      if (v === undefined) {
        return false;
      }
      out.push(`${indent}- ${v}\n`);
    }
  }
  return true;
}

/**
 * A value that starts on its key's or dash's line: a scalar, `{}`, `[]`, or a multi-line string as
 * a block scalar whose lines are indented by `blockIndent`.
 */
function leaf(value: unknown, seen: Set<object>, blockIndent: string): string | undefined {
  if (Array.isArray(value) || isPlainMap(value)) {
    if (seen.has(value)) {
      return undefined;
    }
    seen.add(value);
    return Array.isArray(value) ? '[]' : '{}';
  }
  if (typeof value === 'string' && value.includes('\n')) {
    return blockScalar(value, blockIndent);
  }
  return scalar(value, false);
}

/** Characters yaml writes only in a double-quoted string (its `stringifyString`). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NEEDS_DOUBLE_QUOTES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** A run of line breaks inside the trailing whitespace that more follows: yaml indents the line after it. */
const BLOCK_END_NEWLINES = /(^|(?<!\n))\n+(?!\n|$)/g;

/**
 * A multi-line string value as yaml 2's `blockString` writes it with `lineWidth: 0` below a key or
 * a dash (never at the document's root, so `indent` is never empty): a literal block (`|`), `-`
 * when it ends without a line break, none when it ends with one, `+` when it ends with more (or is
 * only line breaks and spaces), and the indentation indicator `2` when it starts with a space.
 * Undefined where yaml quotes the string instead: control characters, or trailing spaces or tabs
 * on its last line.
 */
function blockScalar(value: string, indent: string): string | undefined {
  if (NEEDS_DOUBLE_QUOTES.test(value) || /\n[\t ]+$/.test(value)) {
    return undefined;
  }
  let endStart = value.length;
  while (endStart > 0 && ' \t\n'.includes(value[endStart - 1])) {
    endStart--;
  }
  let end = value.substring(endStart);
  const endNl = end.indexOf('\n');
  const chomp = endNl === -1 ? '-' : value === end || endNl !== end.length - 1 ? '+' : '';
  let body = value;
  if (end !== '') {
    body = value.slice(0, -end.length);
    if (end.endsWith('\n')) {
      end = end.slice(0, -1);
    }
    end = end.replace(BLOCK_END_NEWLINES, `$&${indent}`);
  }
  let startWithSpace = false;
  let startEnd = 0;
  let startNl = -1;
  for (; startEnd < body.length; startEnd++) {
    if (body[startEnd] === ' ') {
      startWithSpace = true;
    } else if (body[startEnd] === '\n') {
      startNl = startEnd;
    } else {
      break;
    }
  }
  let start = body.substring(0, startNl + 1);
  if (start !== '') {
    body = body.substring(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  return `|${startWithSpace ? '2' : ''}${chomp}\n${indent}${start}${body.replace(/\n+/g, `$&${indent}`)}${end}`;
}

/** A plain string yaml would not read as anything else: no indicator at the start, no `: ` or ` #`, no trailing space or colon. */
const NEEDS_QUOTES = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Anything outside printable ASCII: left to the `yaml` package's escaping rules. */
const NOT_SIMPLE = /[^\x20-\x7e]/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

/** The YAML 1.1 schema's resolvers of everything that is not a string (booleans, numbers, null, timestamps, merge keys). */
const NON_STRING_TAGS: readonly RegExp[] = (() => {
  const schema = new YAML.Document(null, { version: '1.1' }).schema as unknown as {
    tags: { default?: boolean; tag: string; test?: RegExp }[];
    compat?: { default?: boolean; tag: string; test?: RegExp }[] | null;
  };
  return [...schema.tags, ...(schema.compat ?? [])]
    .filter((t) => t.default === true && t.tag !== 'tag:yaml.org,2002:str' && t.test instanceof RegExp)
    .map((t) => t.test!);
})();

const scalarCache = new Map<string, string | undefined>();

/** A scalar as yaml writes it, or undefined to leave the document to the `yaml` package. */
function scalar(value: unknown, implicitKey: boolean): string | undefined {
  switch (typeof value) {
    case 'string': {
      const cacheKey = implicitKey ? `k${value}` : `v${value}`;
      if (scalarCache.has(cacheKey)) {
        return scalarCache.get(cacheKey);
      }
      const result = stringScalar(value);
      if (scalarCache.size < 100_000) {
        scalarCache.set(cacheKey, result);
      }
      return result;
    }
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) && !JSON.stringify(value).includes('e') ? JSON.stringify(value) : undefined;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      return value === null ? 'null' : undefined;
    default:
      return undefined;
  }
}

/**
 * A single-line string of printable ASCII as yaml's `plainString` writes it: plain, or quoted where
 * YAML 1.1 would read it as something else; then in single quotes when it holds a double quote
 * and no single one, else as JSON (which escapes only `"` and `\\` there).
 */
function stringScalar(value: string): string | undefined {
  if (NOT_SIMPLE.test(value) || DOCUMENT_MARKER.test(value)) {
    return undefined;
  }
  if (value === '' || NEEDS_QUOTES.test(value) || NON_STRING_TAGS.some((test) => test.test(value))) {
    return value.includes('"') && !value.includes("'") ? `'${value}'` : JSON.stringify(value);
  }
  return value;
}

function countLines(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      count++;
    }
  }
  return count;
}
