import * as v8 from 'v8';
import { Composer, CST, Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, Node, Parser, Scalar, YAMLError, YAMLParseError } from 'yaml';
import { commonEnds } from './common-ends';
import { topLevelSection } from './edit-yaml';
import { findJsonSyntaxError } from './json-syntax';
import { MAX_ENTRIES, MAX_STRING_LENGTH } from './limits';
import { describeValue, Problem } from './spec-error';
import {
  decodeUtf8,
  describeCharacter,
  escapeUnsafeText,
  findUnsafeCharacters,
  hasUnsafeCharacters,
  InvalidUtf8,
  unsafeCharacterHint,
} from './unsafe-text';

/** Limits on the size of what a file holds. */
export interface SizeLimits {
  /** @default MAX_ENTRIES */
  readonly maxEntries?: number;
  /** @default MAX_STRING_LENGTH */
  readonly maxStringLength?: number;
}

/** How to read a file. */
export interface ParseOptions extends SizeLimits {
  /**
   * The file must be JSON (an imposter, which Mountebank reads with `JSON.parse`): a syntax error is
   * reported once, in JSON's terms, rather than as what the YAML parser makes of it.
   * @default false
   */
  readonly json?: boolean;
}

/** A path to a value inside a parsed file: map keys and list indexes. */
export type FieldPath = readonly (string | number)[];

/** Renders a field path the way a user reads it: `services.crew.ports[0].port`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
    } else if (/^[A-Za-z0-9_-]+$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else {
      out += `[${JSON.stringify(segment)}]`;
    }
  }
  return out === '' ? '(document)' : out;
}

/** Parses a path written by `formatPath` back into its segments. */
export function parsePath(text: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /([A-Za-z0-9_-]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (const match of text.matchAll(re)) {
    if (match[1] !== undefined) {
      out.push(match[1]);
    } else if (match[2] !== undefined) {
      out.push(Number(match[2]));
    } else {
      out.push(JSON.parse(match[3]) as string);
    }
  }
  return out;
}

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Options for `SourceFile.problem()`. */
export interface ProblemOptions {
  /** The value the user gave. @default - the value found at the path */
  readonly got?: unknown;
  /** Render `got` as given instead of describing it. */
  readonly gotText?: string;
  /** Omit the "got" part of the message. */
  readonly noGot?: boolean;
  readonly hint?: string;
  /** Point at the key of the field rather than at its value. @default false */
  readonly atKey?: boolean;
  readonly severity?: 'error' | 'warning';
}

/** A file shows at most this many syntax, key and alias problems, so that a broken 10 MB file is reported at once. */
export const MAX_PROBLEMS_PER_FILE = 100;

/**
 * What an input file holds: its bytes as read from disk (checked to be UTF-8), or text (an edit
 * checked before it is written).
 */
export type InputText = string | Uint8Array;

/** At most this many problems about the characters or bytes of one file: the first ones tell what is wrong. */
const MAX_TEXT_PROBLEMS = 10;

/** Maps of at most this many entries are searched rather than indexed. */
const SMALL_MAP = 16;

/** Aliases expand to at most this many nodes, so a hostile file cannot blow up memory. */
const MAX_ALIAS_COUNT = 1000;

/**
 * Maps and lists nest at most this deep. Composing a document recurses once per level, and the yaml
 * parser turns running out of stack into an error at whatever depth that happens, so deeper input
 * is refused before it is composed.
 */
const MAX_NESTING = 100;

/**
 * One input file, parsed with source positions kept, so that any later check can say
 * which line a value came from.
 */
export class SourceFile {
  /**
   * Parses YAML (or JSON, which is YAML) text. Bytes that are not UTF-8, control and invisible
   * characters (see unsafe-text.ts), syntax problems, duplicate keys and keys that are not plain
   * strings end up in `problems`; `data` is then `undefined`.
   *
   * @param path the path shown in messages, relative to the repository root, with forward slashes
   * @param input the file's bytes (a leading UTF-8 byte order mark is dropped), or its text
   */
  public static parse(path: string, input: InputText, limits: ParseOptions = {}): SourceFile {
    return new SourceFile(path, input, limits);
  }

  public readonly path: string;
  public readonly text: string;
  public readonly problems: Problem[] = [];
  /** The plain data, or undefined when the file could not be parsed. */
  public readonly data: unknown;
  /**
   * Where each node of the document is: all that is kept of it once parsed and checked. A restored
   * file holds it as V8 serialized it until it is first looked into: most commands never ask where
   * a value is, and a large catalogue's tree is most of its kept parse.
   */
  private located: Located | Uint8Array | undefined;
  /** The entries of the large maps of `tree` by key, made when first looked into. */
  private readonly indexes = new WeakMap<readonly LocatedEntry[], Map<string, LocatedEntry>>();
  /** The document, while the constructor checks it. */
  private parsed: Document.Parsed | undefined;
  /** The offset at which each line starts. */
  private readonly lineStarts: number[] = [0];
  /** What `data` was found to be by each schema that accepted it, by the schema's name (`schemaValue`), as V8 serialized it then. */
  private readonly schemaValues: Map<string, Uint8Array>;

  /**
   * A file as an earlier parse of the same bytes found it (`kept()`), without parsing it again:
   * the caller vouches that `input` is what that parse read, with the default limits (`ParseCache`
   * keys an entry by the path, the bytes and the code, and parses with the default limits only).
   */
  public static restore(path: string, input: InputText, kept: KeptParse): SourceFile {
    return new SourceFile(path, input, {}, kept);
  }

  /**
   * The file `input` holds, when it is `before` (a file of the same path parsed without a problem,
   * with the default limits) edited within one top-level pair of its map: only that pair is parsed
   * (a top-level pair of a block map is a YAML document of its own), and the rest is what `before`
   * found, its positions moved by what the edit added. What it gives is what `parse` gives;
   * undefined whenever that is not certain, and the caller parses the whole file.
   *
   * A flip edits one line of an environment file of thousands, and its text is new, so no kept
   * parse has it: parsing it whole was the most of the flip's work the `yaml` package did, run once
   * in a process, so before the engine had compiled it. Within the pair, only the lines of the
   * entries of a map the edit changed are parsed, when that is certain (`editedEntries`): a route
   * of `routing.services` rather than the routes of every service.
   *
   * Certain means: neither text has a directive, a document marker, an anchor or an alias (a pair
   * of its own cannot then be read differently because of another), and the root is a block map;
   * the pair's lines (`topLevelSection`) are exactly those of the entry `before` found, from its
   * key to the next entry's key or the end of the file; the new pair parses alone without a
   * problem, as a map of that one key, and starts and ends where the old one did (the texts
   * around it are the same).
   */
  public static edited(before: SourceFile, path: string, input: InputText): SourceFile | undefined {
    if (
      before.path !== path ||
      before.problems.length > 0 ||
      !isPlainRecord(before.data) ||
      Object.hasOwn(before.data, '__proto__') ||
      before.tree?.map === undefined
    ) {
      return undefined;
    }
    const decoded = typeof input === 'string' || utf16ByteOrderMark(input) !== undefined ? undefined : decodeUtf8(input, MAX_TEXT_PROBLEMS);
    if (typeof input !== 'string' && (decoded === undefined || decoded.totalInvalid > 0)) {
      return undefined;
    }
    const [was, now] = [before.text, typeof input === 'string' ? input : decoded!.text];
    if (was === now || [was, now].some((text) => /[&*]|^(?:%|---|\.\.\.)/m.test(text))) {
      return undefined;
    }
    // The stretch the texts differ in: what comes before and after it is the same.
    const { head, tail } = commonEnds(was, now);
    const delta = now.length - was.length;
    const root = before.tree;
    // The first top-level pair whose lines hold the whole stretch.
    let index = -1;
    let oldSection: { start: number; end: number } | undefined;
    for (let i = 0; i < root.map!.length && oldSection === undefined; i++) {
      const section = topLevelSection(was, root.map![i].key);
      if (section !== undefined && section.start <= head && was.length - tail <= section.end) {
        [index, oldSection] = [i, section];
      }
    }
    const key = index === -1 ? undefined : root.map![index].key;
    const newSection = key === undefined ? undefined : topLevelSection(now, key);
    if (oldSection === undefined || newSection?.start !== oldSection.start || newSection.end !== oldSection.end + delta) {
      return undefined;
    }
    // The pair's lines are exactly those of the entry the parse found: it starts at the entry's key,
    // and ends where the next entry's key starts, or with the file.
    const last = index === root.map!.length - 1;
    if (
      '{['.includes(was[root.start ?? 0]) ||
      root.map![index].keyStart !== oldSection.start ||
      (last ? oldSection.end !== was.length : root.map![index + 1].keyStart !== oldSection.end) ||
      // Where the whole map ends: in the last pair, where that pair ends; else past the edit.
      (!last && (root.end === undefined || root.end < oldSection.end))
    ) {
      return undefined;
    }
    // Most edits change one entry of a map inside the pair (a flip: one service's route): only
    // those lines are parsed, when that is certain (`editedEntries`); else the whole pair.
    const parseLines = (text: string): ParsedWhole => {
      const parsed = SourceFile.parse(path, text);
      return { text: parsed.text, problems: parsed.problems, data: parsed.data, tree: parsed.tree };
    };
    const entries = editedEntries(parseLines, was, now, { head, tail }, root, index, before.data, oldSection.end);
    if (entries !== undefined) {
      const file = new SourceFile(path, input, {}, { problems: [], data: entries.data, tree: undefined });
      file.located = entries.tree;
      return file;
    }
    const newPair = SourceFile.parse(path, now.slice(newSection.start, newSection.end));
    const pairData = newPair.data;
    const pairEntry = newPair.tree?.map?.length === 1 ? newPair.tree.map[0] : undefined;
    if (newPair.problems.length > 0 || !isPlainRecord(pairData) || pairEntry === undefined || pairEntry.key !== key || pairEntry.keyStart !== 0) {
      return undefined;
    }
    const data: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(before.data)) {
      data[name] = name === key ? pairData[name] : structuredClone(value);
    }
    const map = root.map!.map((entry, i) =>
      i < index
        ? entry
        : i === index
          ? { key: entry.key, keyStart: entry.keyStart, value: shiftLocated(pairEntry.value, oldSection.start) }
          : { key: entry.key, keyStart: shift(entry.keyStart, delta), value: shiftLocated(entry.value, delta) },
    );
    const end = last ? shift(newPair.tree!.end, oldSection.start) : shift(root.end, delta);
    const tree: Located = { ...root, ...(end === undefined ? {} : { end }), map };
    const file = new SourceFile(path, input, {}, { problems: [], data, tree: undefined });
    file.located = tree;
    return file;
  }

  private constructor(path: string, input: InputText, limits: ParseOptions, kept?: KeptParse) {
    this.path = path;
    const utf16 = typeof input === 'string' ? undefined : utf16ByteOrderMark(input);
    const decoded = typeof input === 'string' || utf16 !== undefined ? undefined : decodeUtf8(input, MAX_TEXT_PROBLEMS);
    const text = typeof input === 'string' ? input : (decoded?.text ?? '');
    this.text = text;
    // Lines are counted here rather than with the yaml LineCounter, which only learns the line breaks
    // its lexer reports: it misses those inside a token it rejects (a plain scalar running over two
    // lines after a stray "]"), which put every later position of that stretch on the wrong line.
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      this.lineStarts.push(i + 1);
    }
    this.schemaValues = new Map(kept?.schemaValues ?? []);
    if (kept !== undefined) {
      this.problems.push(...kept.problems);
      this.data = kept.data;
      this.located = kept.tree;
      return;
    }
    // Parse once into tokens, check how deep they nest, then compose the document from them.
    const tokens = [...new Parser().parse(text)];
    const tooDeep = tooDeeplyNested(tokens);
    this.parsed = composeDocument(tooDeep === undefined ? tokens : [], text.length);
    this.located = locateNode(this.parsed.contents);
    if (tooDeep !== undefined) {
      this.problems.push({
        file: path,
        ...this.position(tooDeep),
        field: '(document)',
        message: `must not nest maps and lists more than ${MAX_NESTING} levels deep`,
      });
    }
    const textProblems =
      utf16 !== undefined
        ? [
            {
              file: path,
              line: 1,
              col: 1,
              field: '(file)',
              message: 'must be UTF-8 text',
              got: `UTF-16 (it starts with the byte order mark ${utf16})`,
              hint: 'save it as UTF-8',
            },
          ]
        : this.textProblems(decoded?.invalid ?? [], decoded?.totalInvalid ?? 0);
    const jsonError = limits.json === true && textProblems.length === 0 && this.problems.length === 0 ? findJsonSyntaxError(text) : undefined;
    if (textProblems.length > 0) {
      // What the parser makes of such text says more about the characters than about the YAML.
      this.problems.splice(0, this.problems.length, ...textProblems);
    } else if (jsonError !== undefined) {
      const error = jsonError;
      this.problems.push({
        file: path,
        ...this.position(error.offset),
        field: formatPath(error.path),
        message: error.message,
        got: error.got,
        hint: error.hint,
      });
    } else {
      for (const error of this.doc.errors) {
        if (this.full()) {
          break;
        }
        this.problems.push(this.yamlProblem(error));
      }
    }
    if (this.problems.length === 0) {
      this.checkEscapedCharacters();
    }
    if (this.problems.length === 0) {
      this.checkSizes(limits.maxEntries ?? MAX_ENTRIES, limits.maxStringLength ?? MAX_STRING_LENGTH);
    }
    if (this.problems.length === 0) {
      this.checkDuplicateKeys();
    }
    if (this.problems.length === 0) {
      this.checkKeys();
      this.checkAliases();
    }
    let data: unknown;
    if (this.problems.length === 0) {
      try {
        data = this.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch (e) {
        // yaml throws a ReferenceError for alias expansion beyond the limit and for unresolved aliases.
        this.problems.push({ file: path, line: 1, col: 1, field: '(document)', message: `cannot be read: ${(e as Error).message}` });
      }
    }
    this.data = this.problems.length === 0 ? data : undefined;
    this.parsed = undefined;
    if (this.problems.length >= MAX_PROBLEMS_PER_FILE) {
      this.problems.push({
        file: path,
        line: 1,
        col: 1,
        field: '(document)',
        message: `has more problems: only the first ${MAX_PROBLEMS_PER_FILE} of its syntax, key and alias problems are shown`,
        hint: 'fix these and run again',
      });
    }
  }

  /** What a later run needs to `restore` this file without parsing it: plain data, as the structured clone algorithm copies it. */
  public kept(): KeptParse {
    const tree = this.located === undefined || this.located instanceof Uint8Array ? this.located : v8.serialize(this.located);
    return { problems: this.problems, data: this.data, tree, schemaValues: [...this.schemaValues] };
  }

  /** The located tree, read back from its serialization when first needed. */
  private get tree(): Located | undefined {
    if (this.located instanceof Uint8Array) {
      this.located = v8.deserialize(this.located) as Located;
    }
    return this.located;
  }

  /**
   * What the schema named `schema` made of `data` when it accepted it (`keepSchemaValue`), in this
   * run or in the run that kept this file: a fresh copy at each call, or undefined when no such
   * schema accepted it. Checking 1,000 services against a schema takes longer than reading its
   * verdict back.
   */
  public schemaValue(schema: string): unknown {
    const bytes = this.schemaValues.get(schema);
    return bytes === undefined ? undefined : v8.deserialize(bytes);
  }

  /**
   * Records what the schema named `schema` made of `data` once it accepted it, copied as it is now
   * (whatever later changes the value). The name stands for the schema: the caller gives each
   * schema a name of its own, and a kept file is found only by the code that kept it (`ParseCache`).
   */
  public keepSchemaValue(schema: string, value: unknown): void {
    this.schemaValues.set(schema, v8.serialize(value));
  }

  /** The document being checked (only while the constructor runs). */
  private get doc(): Document.Parsed {
    return this.parsed!;
  }

  /** Whether this file has reported as many problems as are shown (each takes a walk to locate). */
  private full(): boolean {
    return this.problems.length >= MAX_PROBLEMS_PER_FILE;
  }

  /**
   * Bytes that are not UTF-8, then old Mac line breaks, then control and invisible characters as
   * written in the file.
   */
  private textProblems(invalid: readonly InvalidUtf8[], totalInvalid: number): Problem[] {
    const problems: Problem[] = [];
    const more = (total: number, shown: number) => (total > shown ? `; the file has ${total - shown} more after this one` : '');
    invalid.forEach((stretch, index) => {
      const bytes = [...stretch.bytes].map((b) => `0x${b.toString(16).padStart(2, '0')}`).join(' ');
      problems.push({
        ...this.at(stretch.offset),
        message: 'must be UTF-8 text',
        got: `the byte${stretch.bytes.length === 1 ? '' : 's'} ${bytes} (at byte offset ${stretch.byteOffset})`,
        hint: `save the file as UTF-8 (it may be in Latin-1 or another encoding)${index === invalid.length - 1 ? more(totalInvalid, invalid.length) : ''}`,
      });
    });
    if (problems.length > 0) {
      return problems;
    }
    if (this.text.includes('\r') && !this.text.includes('\n')) {
      return [
        {
          file: this.path,
          line: 1,
          col: 1,
          field: '(file)',
          message:
            'must use LF or CRLF line breaks: it breaks its lines with a carriage return alone (old Mac OS line breaks), so YAML reads it as one line',
          got: `${this.text.split('\r').length} lines separated by \\u000d`,
          hint: 'save the file with LF line breaks',
        },
      ];
    }
    const { found, total } = findUnsafeCharacters(this.text, MAX_TEXT_PROBLEMS);
    found.forEach(({ offset, char }, index) => {
      problems.push({
        ...this.at(offset),
        message: unsafeCharacterMessage(char),
        got: describeCharacter(char),
        hint: `${unsafeCharacterHint(char)}${index === found.length - 1 ? more(total, found.length) : ''}`,
      });
    });
    return problems;
  }

  /**
   * Control and invisible characters written as escapes in double-quoted strings (`"\e[31m"`,
   * `"\u202e"`; JSON strings are double-quoted YAML): they reach names, annotations and messages
   * just as if they were written out.
   */
  private checkEscapedCharacters(): void {
    let reported = 0;
    walkNodes(this.doc.contents, (scalar) => {
      if (!isScalar(scalar) || scalar.type !== Scalar.QUOTE_DOUBLE || typeof scalar.value !== 'string') {
        return false;
      }
      const { found } = findUnsafeCharacters(scalar.value, 1);
      // A leading byte order mark is allowed in a file, not at the start of a string.
      const char = found[0]?.char ?? (scalar.value.startsWith('\ufeff') ? '\ufeff' : undefined);
      if (char !== undefined) {
        reported++;
        this.problems.push({
          ...this.at(scalar.range?.[0] ?? 0),
          message: unsafeCharacterMessage(char),
          got: `${describeCharacter(char)}, written as an escape`,
          hint: unsafeCharacterHint(char),
        });
      }
      return reported >= MAX_TEXT_PROBLEMS;
    });
  }

  /**
   * The file, position and field of an offset, for a problem about a character there. A key that
   * holds such a character is no name to show: the field is then the map that holds it.
   */
  private at(offset: number): Pick<Problem, 'file' | 'line' | 'col' | 'field'> {
    const path = this.pathAt(offset);
    const clean = path.findIndex((segment) => typeof segment === 'string' && hasUnsafeCharacters(segment));
    return { file: this.path, ...this.position(offset), field: formatPath(clean === -1 ? path : path.slice(0, clean)) };
  }

  /** The position of the value (or key) at `path`, or of its closest existing parent. */
  public locate(path: FieldPath, atKey = false): Position {
    const found = this.find(path);
    // A value's own position, else its key's (an empty value has none), else the closest parent's.
    const offset =
      atKey && found.entry !== undefined
        ? (found.entry.keyStart ?? found.fallback)
        : found.node !== undefined
          ? (found.node.start ?? found.fallback)
          : (found.entry?.keyStart ?? found.fallback);
    return this.position(offset);
  }

  /** Builds a problem located at `path`, with the value found there as `got` unless told otherwise. */
  public problem(path: FieldPath, message: string, options: ProblemOptions = {}): Problem {
    const { line, col } = this.locate(path, options.atKey ?? false);
    const got = options.noGot ? undefined : (options.gotText ?? this.describeAt(path, 'got' in options ? options.got : this.valueAt(path)));
    return {
      file: this.path,
      line,
      col,
      field: formatPath(path),
      message,
      ...(got === undefined ? {} : { got }),
      ...(options.hint === undefined ? {} : { hint: options.hint }),
      ...(options.severity === undefined ? {} : { severity: options.severity }),
    };
  }

  /**
   * Where the node at `path` is in `text` (its `Located` tree: offsets, and the entries of a map),
   * with its entry in the map that holds it; undefined when the file has no such path. What an
   * edit of the text that does not parse it again splices by (`setYamlValueAt`).
   */
  public locatedAt(path: FieldPath): { readonly node?: Located; readonly entry?: LocatedEntry } | undefined {
    const found = this.find(path);
    return found.complete ? { node: found.node, entry: found.entry } : undefined;
  }

  /** Whether a key exists at `path` in the file as written. */
  public has(path: FieldPath): boolean {
    return this.find(path).complete;
  }

  /** The plain value at `path`, or undefined. */
  public valueAt(path: FieldPath): unknown {
    let value: unknown = this.data;
    for (const segment of path) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, segment)) {
        return undefined;
      }
      value = (value as Record<string | number, unknown>)[segment];
    }
    return value;
  }

  /** A value found at `path`, for a message: 1e400 and .inf parse as infinity, so those are shown as written. */
  private describeAt(path: FieldPath, value: unknown): string {
    return (typeof value === 'number' && !Number.isFinite(value) ? this.sourceTextAt(path) : undefined) ?? describeValue(value);
  }

  /** The value at `path` as written in the file (for values that lose their meaning when parsed). */
  public sourceTextAt(path: FieldPath): string | undefined {
    const found = this.find(path);
    const node = found.complete ? found.node : undefined;
    return node?.start === undefined || node.end === undefined ? undefined : this.text.slice(node.start, node.end).trim();
  }

  /** Whether the file holds no YAML content at all (nothing, or only comments). */
  public get isEmpty(): boolean {
    return this.problems.length === 0 && this.located === undefined;
  }

  /** The 1-based line at which the value at `path` starts. */
  public lineOf(path: FieldPath): number {
    return this.locate(path).line;
  }

  private position(offset: number): Position {
    const at = Math.max(0, Math.min(offset, this.text.length));
    // The last line that starts at or before the offset.
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= at) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return { line: low + 1, col: at - this.lineStarts[low] + 1 };
  }

  /** The first entry of a map with this key; large maps are indexed once (loading looks up every service). */
  private entryOf(map: readonly LocatedEntry[], key: string): LocatedEntry | undefined {
    if (map.length <= SMALL_MAP) {
      return map.find((e) => e.key === key);
    }
    let index = this.indexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const entry of map) {
        if (!index.has(entry.key)) {
          index.set(entry.key, entry);
        }
      }
      this.indexes.set(map, index);
    }
    return index.get(key);
  }

  private find(path: FieldPath): { node?: Located; entry?: LocatedEntry; fallback: number; complete: boolean } {
    let node = this.tree;
    let entry: LocatedEntry | undefined;
    let fallback = node?.start ?? 0;
    for (const segment of path) {
      if (node?.map !== undefined) {
        const next = this.entryOf(node.map, String(segment));
        if (next === undefined) {
          return { node, entry, fallback, complete: false };
        }
        entry = next;
        fallback = next.keyStart ?? fallback;
        node = next.value;
      } else if (node?.list !== undefined && typeof segment === 'number' && segment < node.list.length) {
        node = node.list[segment];
        entry = undefined;
        fallback = node?.start ?? fallback;
      } else {
        return { node, entry, fallback, complete: false };
      }
    }
    return { node, entry, fallback, complete: true };
  }

  private yamlProblem(error: YAMLError): Problem {
    const offset = error.pos[0];
    const { line, col } = this.position(offset);
    const field = formatPath(this.pathAt(offset));
    if (error.code === 'TAB_AS_INDENT' || /tab/i.test(error.message)) {
      return { file: this.path, line, col, field, message: 'is not valid YAML: tabs cannot indent YAML', got: 'a tab', hint: 'indent with spaces' };
    }
    // The parser quotes the offending text as it is.
    const firstLine = escapeUnsafeText(error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, ''));
    const { message, hint } = inPlainWords(firstLine);
    const text = this.lineText(line);
    const got = text !== '' ? describeValue(text) : offset >= this.text.trimEnd().length ? 'the end of the file' : 'an empty line';
    return { file: this.path, line, col, field, message: `is not valid YAML: ${message}`, got, hint };
  }

  /**
   * Every alias must name an anchor set before it (yaml itself only finds out when converting), on
   * a value that does not hold the alias: `&a [*a]` would be a list that contains itself, which
   * no check can walk to its end. The anchors are collected in document order in the same walk
   * (the latest of a name wins, as in YAML), which keeps it linear.
   */
  private checkAliases(): void {
    const anchors = new Map<string, readonly number[] | null | undefined>();
    walkNodes(this.doc.contents, (node) => {
      if (this.full()) {
        return true;
      }
      if (isAlias(node)) {
        const at = node.range?.[0] ?? 0;
        const anchored = anchors.get(node.source);
        const problem = { file: this.path, ...this.position(at), field: formatPath(this.pathAt(at)), got: JSON.stringify(`*${node.source}`) };
        if (!anchors.has(node.source)) {
          this.problems.push({
            ...problem,
            message: `is an alias that names no anchor: &${node.source} must be set on an earlier value`,
            hint: 'set the anchor before the alias, or write the value out',
          });
        } else if (anchored != null && anchored[0] <= at && at < anchored[2]) {
          this.problems.push({
            ...problem,
            message: `is an alias inside the value that &${node.source} names: that value would contain itself`,
            hint: 'write the value out, or set the anchor on a value that does not hold the alias',
          });
        }
      } else if (isNode(node) && node.anchor !== undefined) {
        anchors.set(node.anchor, node.range);
      }
      return false;
    });
  }

  private lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    return start === undefined ? '' : this.text.slice(start, this.lineStarts[line] ?? this.text.length).trim();
  }

  /** Maps and lists of at most `maxEntries` entries, strings of at most `maxStringLength` characters: one walk. */
  private checkSizes(maxEntries: number, maxStringLength: number): void {
    const stack: [unknown, FieldPath][] = [[this.doc.contents, []]];
    while (stack.length > 0 && !this.full()) {
      const [node, path] = stack.pop()!;
      if (isMap(node) || isSeq(node)) {
        if (node.items.length > maxEntries) {
          this.problems.push({
            file: this.path,
            ...this.position(node.range?.[0] ?? 0),
            field: formatPath(path),
            message: `has ${node.items.length} entries, over the limit of ${maxEntries} for one ${isMap(node) ? 'map' : 'list'}`,
            hint: 'split it over several files (catalogues or environments)',
          });
          continue;
        }
        node.items.forEach((item, index) => {
          if (isPair(item)) {
            const key = isScalar(item.key) ? String(item.key.value) : '?';
            stack.push([item.value, [...path, key]], [item.key, [...path, key]]);
          } else {
            stack.push([item, [...path, index]]);
          }
        });
      } else if (isScalar(node) && typeof node.value === 'string' && node.value.length > maxStringLength) {
        this.problems.push({
          file: this.path,
          ...this.position(node.range?.[0] ?? 0),
          field: formatPath(path),
          message: `is a text of ${node.value.length} characters, over the limit of ${maxStringLength}`,
          got: describeValue(node.value),
          hint: 'shorten it; large data belongs in a ConfigMap or image, not in a field',
        });
      }
    }
  }

  /**
   * Every key that repeats an earlier key of its map, at the repeated key. One walk with a set per
   * map keeps it linear: the yaml parser's own check (`uniqueKeys`, compose/util-map-includes.js
   * `mapIncludes`) compares each key with every earlier one, which took 55 s for 40,000 services.
   */
  private checkDuplicateKeys(): void {
    const stack: [unknown, FieldPath][] = [[this.doc.contents, []]];
    while (stack.length > 0 && !this.full()) {
      const [node, path] = stack.pop()!;
      if (isMap(node)) {
        const seen = new Set<unknown>();
        for (const item of node.items) {
          const key = isScalar(item.key) ? item.key.value : undefined;
          if (key !== undefined && seen.has(key) && !this.full()) {
            const at = (item.key as Scalar).range?.[0] ?? 0;
            // A scalar key: a string, number, boolean or null.
            const name = typeof key === 'string' ? key : JSON.stringify(key);
            this.problems.push({
              file: this.path,
              ...this.position(at),
              field: formatPath([...path, name]),
              message: 'duplicate key: each key may appear only once in a map',
              got: JSON.stringify(name),
              hint: 'merge the two entries or remove one',
            });
          }
          seen.add(key);
          stack.push([item.value, [...path, String(key)]]);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => stack.push([item, [...path, index]]));
      }
    }
  }

  /** The field path of the innermost map entry or list item around `offset` (best effort, for messages). */
  private pathAt(offset: number): FieldPath {
    const best: (string | number)[] = [];
    const walk = (node: unknown, path: (string | number)[]): void => {
      if (isMap(node)) {
        for (const item of node.items) {
          const start = (item.key as Node | null)?.range?.[0];
          const end = (item.value as Node | null)?.range?.[2] ?? (item.key as Node | null)?.range?.[2];
          if (start !== undefined && end !== undefined && start <= offset && offset <= end && isScalar(item.key)) {
            const next = [...path, String(item.key.value)];
            best.splice(0, best.length, ...next);
            walk(item.value, next);
          }
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) => {
          const range = (item as Node | null)?.range;
          if (range != null && range[0] <= offset && offset <= range[2]) {
            const next = [...path, index];
            best.splice(0, best.length, ...next);
            walk(item, next);
          }
        });
      }
    };
    walk(this.doc.contents, []);
    return best;
  }

  /** Map keys must be plain strings: `1:`, `? [a]` or `null:` keys are almost always mistakes. */
  private checkKeys(): void {
    walkNodes(this.doc.contents, (pair) => {
      if (this.full()) {
        return true;
      }
      if (isPair(pair)) {
        const key = pair.key;
        if (!isScalar(key) || typeof key.value !== 'string' || key.value === '') {
          const offset = (key as Node | null)?.range?.[0] ?? 0;
          const { line, col } = this.position(offset);
          this.problems.push({
            file: this.path,
            line,
            col,
            field: formatPath(this.pathAt(offset)),
            message: 'keys must be non-empty plain strings',
            got: isScalar(key) ? describeValue(key.value) : 'a complex key',
            hint: 'quote the key if it is meant to be text',
          });
        } else if (key.value === '__proto__') {
          // JavaScript objects give this key a meaning of its own: the value would be dropped silently.
          const { line, col } = this.position(key.range?.[0] ?? 0);
          this.problems.push({
            file: this.path,
            line,
            col,
            field: formatPath(this.pathAt(key.range?.[0] ?? 0)),
            message: 'cannot be used as a key',
            got: '"__proto__"',
            hint: 'no name, label, annotation or variable meshflip renders may be called __proto__',
          });
        }
      }
      return false;
    });
  }
}

/**
 * Calls `visit` on `node` and every node below it, in the order of the text: a map or list before
 * its items, a pair before its key and then its value (an empty one is null), as yaml's `visit`
 * goes, until `visit` returns true. yaml's `visit` also builds the path to each node, a frozen array
 * per map, list and pair on the way, which no check here reads: its three walks took a tenth of a
 * parse. Nesting is limited (MAX_NESTING) before any check walks a document.
 */
function walkNodes(node: unknown, visit: (node: unknown) => boolean): boolean {
  if (visit(node)) {
    return true;
  }
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items) {
      if (walkNodes(item, visit)) {
        return true;
      }
    }
  } else if (isPair(node)) {
    return walkNodes(node.key, visit) || walkNodes(node.value, visit);
  }
  return false;
}

/**
 * Where a node of a parsed file is, as `SourceFile` looks paths up: what is left of the YAML
 * document once it is parsed and checked. Plain data (`KeptParse`).
 */
export interface Located {
  /** Where the node's text starts and its value ends (yaml's `range[0]` and `range[1]`); undefined for what has no range. */
  readonly start?: number;
  readonly end?: number;
  /** A map: its entries with a scalar key, in order (other keys cannot be named by a path). */
  readonly map?: readonly LocatedEntry[];
  /** A list: its items. */
  readonly list?: readonly (Located | undefined)[];
}

/** A map entry: its key as a path segment names it (`String(key)`), where the key starts, and its value (undefined when empty: `key:`). */
export interface LocatedEntry {
  readonly key: string;
  readonly keyStart?: number;
  readonly value?: Located;
}

/** What `SourceFile.restore` needs of an earlier parse of the same bytes. */
export interface KeptParse {
  readonly problems: readonly Problem[];
  readonly data: unknown;
  /** Where each node is (`Located`), as V8 serialized it: read back only when a position is asked for. */
  readonly tree: Uint8Array | undefined;
  /** `SourceFile.keepSchemaValue`'s records, by schema name. @default - none */
  readonly schemaValues?: readonly (readonly [string, Uint8Array])[];
}

/** The `Located` tree of a node of the document (undefined for none: an empty document, a missing item). */
function locateNode(node: unknown): Located | undefined {
  if (node === null || node === undefined) {
    return undefined;
  }
  const range = (node as Node).range ?? undefined;
  const at = range === undefined ? {} : { start: range[0], end: range[1] };
  if (isMap(node)) {
    const map: LocatedEntry[] = [];
    for (const item of node.items) {
      if (isScalar(item.key)) {
        const value = item.value as Node | null;
        // An empty value (`key:`) has no node of its own: paths into it fall back to the key.
        const empty = value === null || (isScalar(value) && value.range != null && value.range[0] === value.range[1]);
        map.push({ key: String(item.key.value), keyStart: item.key.range?.[0], value: empty ? undefined : locateNode(value) });
      }
    }
    return { ...at, map };
  }
  if (isSeq(node)) {
    return { ...at, list: node.items.map(locateNode) };
  }
  return at;
}

/** The byte order mark of a UTF-16 file (`FF FE` or `FE FF`), if the bytes start with one. */
function utf16ByteOrderMark(bytes: Uint8Array): string | undefined {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
    return `${bytes[0].toString(16).toUpperCase()} ${bytes[1].toString(16).toUpperCase()}`;
  }
  return undefined;
}

/** What is wrong with an unsafe character, in the words of a problem. */
function unsafeCharacterMessage(char: string): string {
  if (char === '\r') {
    return 'must not contain a carriage return that is not followed by a line feed';
  }
  return 'must not contain control characters, bidirectional controls or invisible characters';
}

/** Composes the first document of `tokens` the way `parseDocument()` does: a second document is an error. */
function composeDocument(tokens: readonly CST.Token[], length: number): Document.Parsed {
  // Duplicate keys are found by checkDuplicateKeys, in linear time.
  const options = {
    uniqueKeys: false,
    prettyErrors: false,
    version: '1.2',
    schema: 'core',
    resolveKnownTags: false,
    keepSourceTokens: false,
  } as const;
  let doc: Document.Parsed | undefined;
  for (const next of new Composer(options).compose(tokens, true, length)) {
    if (doc !== undefined) {
      doc.errors.push(
        new YAMLParseError(
          [next.range[0], next.range[1]],
          'MULTIPLE_DOCS',
          'Source contains multiple documents; please use YAML.parseAllDocuments()',
        ),
      );
      break;
    }
    doc = next;
  }
  // compose() always yields a document when told to (forceDoc).
  return doc!;
}

/** The offset of the first map or list nested deeper than `MAX_NESTING`, found on the parser's tokens without recursion. */
function tooDeeplyNested(tokens: readonly CST.Token[]): number | undefined {
  let found: number | undefined;
  const stack: [CST.Token, number][] = tokens.map((token) => [token, 0]);
  while (stack.length > 0) {
    const [token, depth] = stack.pop()!;
    if (token.type === 'document' && token.value !== undefined) {
      stack.push([token.value, depth]);
    } else if (token.type === 'block-map' || token.type === 'block-seq' || token.type === 'flow-collection') {
      if (depth === MAX_NESTING) {
        found = Math.min(found ?? token.offset, token.offset);
        continue;
      }
      for (const item of token.items) {
        for (const child of [item.key, item.value]) {
          if (child != null) {
            stack.push([child, depth + 1]);
          }
        }
      }
    }
  }
  return found;
}

function lowerFirst(text: string): string {
  return text.length === 0 ? text : text[0].toLowerCase() + text.slice(1);
}

/** The parser's names for the tokens it reports as unexpected, in the words of the file. */
const TOKEN_WORDS: Readonly<Record<string, string>> = {
  'flow-seq-start': '"["',
  'flow-seq-end': '"]"',
  'flow-map-start': '"{"',
  'flow-map-end': '"}"',
  'map-value-ind': '":"',
  'seq-item-ind': '"-"',
  'explicit-key-ind': '"?"',
  comma: '","',
  'doc-start': '"---"',
  'doc-end': '"..."',
  scalar: 'text',
  anchor: 'an anchor',
  alias: 'an alias',
  tag: 'a tag',
};

const DEFAULT_HINT = 'check the indentation and quoting on this line';

/**
 * The yaml parser's message for a syntax error, in the words of someone editing the file rather
 * than those of the YAML specification (flow sequence, compact mapping, implicit key), with a
 * hint that fits it. Messages without a better wording are kept as the parser wrote them.
 */
function inPlainWords(parserMessage: string): { message: string; hint: string } {
  const unexpected = /^Unexpected ([a-z-]+) token in YAML stream: (.*)$/s.exec(parserMessage);
  if (unexpected !== null && Object.hasOwn(TOKEN_WORDS, unexpected[1])) {
    const words = TOKEN_WORDS[unexpected[1]];
    const shown = words.startsWith('"') ? words : `${words} ${unexpected[2]}`;
    return { message: `unexpected ${shown} here`, hint: 'check the indentation of this line and the one before it' };
  }
  const unclosed = /^Flow (sequence|mapping)(?: in block collection must be sufficiently indented and| must) end with a ([\]}])$/.exec(parserMessage);
  if (unclosed !== null) {
    const [open, kind] = unclosed[1] === 'sequence' ? ['[', 'list'] : ['{', 'map'];
    return {
      message: `a ${open} ${kind} is not closed with ${unclosed[2]}`,
      hint: `close it with ${unclosed[2]} on the line it starts, or indent the lines it continues on`,
    };
  }
  if (parserMessage === 'Nested mappings are not allowed in compact mappings') {
    return {
      message: 'a value cannot be "key: value" on the same line as its own key',
      hint: 'quote the value if ": " belongs to it, or write the nested map on the lines below, indented',
    };
  }
  if (
    parserMessage.startsWith('Implicit keys need to be on a single line') ||
    parserMessage === 'Implicit map keys need to be followed by map values'
  ) {
    return {
      message: 'a key must be on one line and followed by ":"',
      hint: 'check the indentation of this line and the one before it, and quote values that hold ": "',
    };
  }
  if (/^All (mapping|sequence) items must start at the same column$/.test(parserMessage)) {
    return {
      message: `the ${parserMessage.includes('mapping') ? 'keys of a map' : 'items of a list'} must all start at the same column`,
      hint: 'align this line with the others of its map or list',
    };
  }
  if (parserMessage.startsWith('Missing closing ')) {
    return { message: 'a quoted value is not closed', hint: 'end it with the same quote it starts with' };
  }
  return { message: lowerFirst(parserMessage), hint: DEFAULT_HINT };
}

/** A parse's text, problems, data and positions, as `editedEntries` reads them. */
interface ParsedWhole {
  readonly text: string;
  readonly problems: readonly Problem[];
  readonly data: unknown;
  readonly tree: Located | undefined;
}

/** One block map on the way from a top-level pair down to the entries an edit changed (`editedEntries`). */
interface EditLevel {
  /** The key whose value the map is, the line it is on, and where that line starts. */
  readonly key: string;
  readonly keyStart: number;
  readonly keyLineStart: number;
  readonly keyLineEnd: number;
  readonly node: Located & { readonly map: readonly LocatedEntry[] };
  readonly data: Record<string, unknown>;
  /** Where the lines of each entry start (at the start of its key's line), and where those of the last end. */
  readonly starts: readonly number[];
  readonly end: number;
  /** The entries whose lines hold the edit: from `a` to before `b`. */
  readonly a: number;
  readonly b: number;
  /** Whether the edit reaches the end of entry `a`'s lines. */
  readonly reachesEnd: boolean;
}

/**
 * The file after an edit within the top-level pair `index` of `root` (`SourceFile.edited` has
 * checked that pair, and that neither text has an anchor, an alias, a directive or a document
 * marker), when the edit lies within the lines of some entries of a block map inside that pair
 * (`routing.services.<name>`, the entries next to it for one added or removed): only those lines
 * are parsed, below the lines of the keys above them, as a document of their own:
 *
 * ```yaml
 * routing:
 *   services:
 *     captains-log: mock
 * ```
 *
 * Each entry of a block map is read from its own lines and the indentation of the map alone, so
 * the lines of the other entries and anything between cannot change what they hold. Undefined
 * whenever that is not certain, and the caller parses the whole pair: a map written in flow style,
 * anything but blank and comment lines between a key and the map below it, an entry's key
 * anywhere but at the map's indentation on a line of its own, an edit that reaches a key above the
 * entries, the lines parsing to another shape (one key for each map above, entries at the map's
 * indentation) or with a problem, a key that another entry of the map has too, or no entry left.
 */
function editedEntries(
  parse: (text: string) => ParsedWhole,
  was: string,
  now: string,
  { head, tail }: { head: number; tail: number },
  root: Located,
  index: number,
  data: Record<string, unknown>,
  sectionEnd: number,
): { data: Record<string, unknown>; tree: Located } | undefined {
  const changeEnd = was.length - tail;
  const levels: EditLevel[] = [];
  let entry: LocatedEntry = root.map![index];
  let value: unknown = data[entry.key];
  let end = sectionEnd;
  for (;;) {
    const node = entry.value;
    if (!isMapOf(node, value) || was[node.start] === '{' || entry.keyStart === undefined) {
      break;
    }
    const map = node.map;
    // What the map holds, as isMapOf found it.
    const record = value as Record<string, unknown>;
    const keyLineStart = was.lastIndexOf('\n', entry.keyStart - 1) + 1;
    const keyLineEnd = was.indexOf('\n', entry.keyStart) + 1;
    // The map starts on a line below its key, after nothing but blank and comment lines.
    if (keyLineEnd === 0 || node.start < keyLineEnd || !/^(?:[ \t]*(?:#[^\n]*)?\n)*[ ]*$/.test(was.slice(keyLineEnd, node.start))) {
      break;
    }
    // Every key at the map's indentation, first on its line.
    const column = node.start - (was.lastIndexOf('\n', node.start - 1) + 1);
    const starts = map.map((e) => (e.keyStart === undefined ? -1 : e.keyStart - column));
    if (starts.some((start, i) => start < 0 || (start > 0 && was[start - 1] !== '\n') || !/^ *$/.test(was.slice(start, map[i].keyStart)))) {
      break;
    }
    if (head < starts[0]) {
      break;
    }
    const last = (offset: number) => starts.findLastIndex((start) => start <= offset);
    const a = last(head);
    const b = last(Math.max(head, changeEnd - 1)) + 1;
    const entryEnd = a + 1 < starts.length ? starts[a + 1] : end;
    levels.push({
      key: entry.key,
      keyStart: entry.keyStart,
      keyLineStart,
      keyLineEnd,
      node,
      data: record,
      starts,
      end,
      a,
      b,
      reachesEnd: changeEnd >= entryEnd,
    });
    // One entry's lines hold the edit: within the map below it, if there is one.
    if (b - a !== 1) {
      break;
    }
    end = entryEnd;
    entry = map[a];
    value = record[entry.key];
  }
  // From the deepest map that holds the edit up: text added at the end of an entry's lines may be
  // an entry of the map above, which the lines parsed then say (that map has another key).
  for (let depth = levels.length; depth > 0; depth--) {
    const found = entriesEdited(parse, was, now, levels.slice(0, depth), root, index, data);
    if (found !== undefined || depth === 1 || !levels[depth - 2].reachesEnd) {
      return found;
    }
  }
  return undefined;
}

/**
 * `editedEntries` at the map of the last of `levels`: the entries `a` to `b` of that map parsed
 * below the keys of the maps above it, as edited; undefined when that is not certain.
 */
function entriesEdited(
  parse: (text: string) => ParsedWhole,
  was: string,
  now: string,
  levels: readonly EditLevel[],
  root: Located,
  index: number,
  data: Record<string, unknown>,
): { data: Record<string, unknown>; tree: Located } | undefined {
  const delta = now.length - was.length;
  const inner = levels.at(-1)!;
  const regionStart = inner.starts[inner.a];
  const regionEnd = inner.b < inner.starts.length ? inner.starts[inner.b] : inner.end;
  // The lines of the entries as edited end where the old ones did, at the start of a line.
  if (regionEnd + delta < regionStart || (regionEnd + delta < now.length && now[regionEnd + delta - 1] !== '\n')) {
    return undefined;
  }
  const prefix = levels.map((level) => was.slice(level.keyLineStart, level.keyLineEnd)).join('');
  const region = now.slice(regionStart, regionEnd + delta);
  const parsed = region === '' ? undefined : parse(prefix + region);
  // Where an offset of that document is in the new text.
  const moved = regionStart - prefix.length;
  // The document's nodes from the root down to the edited map: one key of each map above it, where the prefix has it.
  const nodes: Located[] = [];
  let values: unknown = parsed?.data;
  if (parsed !== undefined) {
    if (parsed.problems.length > 0) {
      return undefined;
    }
    let node = parsed.tree;
    let lineAt = 0;
    for (const level of levels) {
      const only = node?.map?.length === 1 ? node.map[0] : undefined;
      if (
        node === undefined ||
        only?.key !== level.key ||
        only.keyStart !== lineAt + level.keyStart - level.keyLineStart ||
        !isPlainRecord(values) ||
        Object.keys(values).length !== 1
      ) {
        return undefined;
      }
      nodes.push(node);
      lineAt += level.keyLineEnd - level.keyLineStart;
      node = only.value;
      values = values[level.key];
    }
    const column = inner.node.start! - (was.lastIndexOf('\n', inner.node.start! - 1) + 1);
    if (
      !isMapOf(node, values) ||
      node.map.some(
        (e) => e.keyStart === undefined || e.keyStart < prefix.length || e.keyStart - (parsed.text.lastIndexOf('\n', e.keyStart - 1) + 1) !== column,
      )
    ) {
      return undefined;
    }
    nodes.push(node);
  } else if (inner.a === 0 || inner.b === inner.starts.length) {
    // Every entry up to the first or from the last removed: where the map starts or ends moves.
    return undefined;
  }
  const added = nodes.at(-1)?.map ?? [];
  const addedValues = (values ?? {}) as Record<string, unknown>;
  const others = [...inner.node.map.slice(0, inner.a), ...inner.node.map.slice(inner.b)];
  const keys = new Set(others.map((o) => o.key));
  if (others.length + added.length === 0 || others.length + added.length > MAX_ENTRIES || added.some((e) => keys.has(e.key))) {
    return undefined;
  }
  // From the edited map up: data and positions. An end within the lines parsed is where that parse
  // puts it; one past them moves with the edit; what is before them stays.
  const endOf = (old: number | undefined, depth: number) =>
    old !== undefined && old <= regionEnd ? shift(nodes[depth].end, moved) : shift(old, delta);
  let newData: Record<string, unknown> = {};
  for (const e of inner.node.map.slice(0, inner.a)) {
    newData[e.key] = structuredClone(inner.data[e.key]);
  }
  for (const e of added) {
    newData[e.key] = addedValues[e.key];
  }
  for (const e of inner.node.map.slice(inner.b)) {
    newData[e.key] = structuredClone(inner.data[e.key]);
  }
  let newNode: Located = {
    start: inner.a > 0 ? inner.node.start : nodes.at(-1)!.start! + moved,
    end: endOf(inner.node.end, levels.length),
    map: [
      ...inner.node.map.slice(0, inner.a),
      ...added.map((e) => ({ key: e.key, keyStart: shift(e.keyStart, moved), value: shiftLocated(e.value, moved) })),
      ...inner.node.map.slice(inner.b).map((e) => ({ key: e.key, keyStart: shift(e.keyStart, delta), value: shiftLocated(e.value, delta) })),
    ],
  };
  if (newNode.end === undefined) {
    return undefined;
  }
  for (let depth = levels.length - 1; depth >= 0; depth--) {
    // The map above this one (the top-level map for the first), and the entry of it this one is the value of.
    const above =
      depth === 0
        ? { node: root, map: root.map!, data, at: index }
        : { ...levels[depth - 1], map: levels[depth - 1].node.map, at: levels[depth - 1].a };
    const key = levels[depth].key;
    const aboveData: Record<string, unknown> = {};
    for (const name of Object.keys(above.data)) {
      aboveData[name] = name === key ? newData : structuredClone(above.data[name]);
    }
    const end = endOf(above.node.end, depth);
    if (end === undefined && above.node.end !== undefined) {
      return undefined;
    }
    newNode = {
      ...above.node,
      ...(end === undefined ? {} : { end }),
      map: above.map.map((e, i) =>
        i < above.at
          ? e
          : i === above.at
            ? { key: e.key, keyStart: e.keyStart, value: newNode }
            : { key: e.key, keyStart: shift(e.keyStart, delta), value: shiftLocated(e.value, delta) },
      ),
    };
    newData = aboveData;
  }
  return { data: newData, tree: newNode };
}

/** Whether `node` is a map with entries and a range, and `value` what it holds: a plain record of exactly its keys. */
function isMapOf(node: Located | undefined, value: unknown): node is Located & { start: number; end: number; map: readonly LocatedEntry[] } {
  return (
    node?.start !== undefined &&
    node.end !== undefined &&
    node.map !== undefined &&
    node.map.length > 0 &&
    isPlainRecord(value) &&
    !Object.hasOwn(value, '__proto__') &&
    Object.keys(value).length === node.map.length &&
    node.map.every((e) => Object.hasOwn(value, e.key))
  );
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

/** An offset moved by `by`; none stays none. */
function shift(offset: number | undefined, by: number): number | undefined {
  return offset === undefined ? undefined : offset + by;
}

/** A located node with every offset in it moved by `by` (a copy). */
function shiftLocated(node: Located | undefined, by: number): Located | undefined {
  if (node === undefined) {
    return undefined;
  }
  // The shape `locateNode` gives: a range's both ends or neither, and every entry with its three fields.
  return {
    ...(node.start === undefined ? {} : { start: node.start + by, end: shift(node.end, by) }),
    ...(node.map === undefined
      ? {}
      : { map: node.map.map((e) => ({ key: e.key, keyStart: shift(e.keyStart, by), value: shiftLocated(e.value, by) })) }),
    ...(node.list === undefined ? {} : { list: node.list.map((item) => shiftLocated(item, by)) }),
  };
}
