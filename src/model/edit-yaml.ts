import { Document, isMap, isScalar, isSeq, Node, Pair, parseDocument, Parser, Scalar, stringify, YAMLMap } from 'yaml';
import type { Located, LocatedEntry } from './source-file';

/**
 * Sets (or, with `value` undefined, deletes) the value at a path of map keys in a YAML file by
 * splicing only the lines concerned: comments, key order, quoting and flow/block styles of
 * everything else stay byte for byte as they were, so the diff of a flip is the changed line.
 * Comment lines inside what an edit deletes or rewrites stay too (deleting the last route also
 * deletes the emptied `services:` and `routing:` keys, not the comments written between them);
 * a comment at the end of a deleted line goes with that line.
 *
 * The edit is checked by parsing the result and comparing its data with the same edit applied
 * through the `yaml` document API.
 */
export function setYamlValue(text: string, path: readonly string[], value: unknown, keyOrder: KeyOrder = () => []): string {
  const section = topLevelSection(text, path[0]);
  if (section !== undefined) {
    try {
      // The line breaks the edit adds follow the whole file's, not only the pair's.
      const edited = editDocument(text.slice(section.start, section.end), path, value, keyOrder, writtenWithCrlf(text));
      return text.slice(0, section.start) + edited + text.slice(section.end);
    } catch {
      // Not a document of its own after all (an alias of an anchor elsewhere, a line that only
      // looked like a key): the whole file is edited.
    }
  }
  return setYamlValueInWholeFile(text, path, value, keyOrder);
}

/** What `setYamlValueAt` reads of a parse of the text it edits (a `SourceFile`). */
export interface LocatedText {
  readonly text: string;
  locatedAt(path: readonly (string | number)[]): { readonly node?: Located; readonly entry?: LocatedEntry } | undefined;
}

/** A key written as is: a plain word that YAML reads as that string (not a boolean, a null or a number). */
const PLAIN_KEY = /^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$/;
const KEYWORD = /^(?:y|n|yes|no|on|off|true|false|null)$/;

/**
 * `setYamlValue` for the edits a flip makes most, spliced at the offsets a parse of exactly this
 * text found (`source`), without parsing it again:
 *
 * - a value set where the value there is a scalar or a flow collection on its own (replaced in
 *   place) or a plain block map (`plainBlockMap`: rewritten from the colon to its last line);
 * - a key added at the end of the block map with entries that holds it;
 * - with `value` undefined, a pair deleted with its lines (`deletedAt`).
 *
 * Undefined for every other edit (other deletions, other block values, a new key in an empty or
 * flow map, a key that is not a plain word), which `setYamlValue` makes. The result is what
 * `setYamlValue` gives when the map's keys have no preferred order; it is not parsed here, so the
 * caller checks what it parses to.
 */
export function setYamlValueAt(text: string, source: LocatedText, path: readonly string[], value: unknown): string | undefined {
  const key = path[path.length - 1];
  if (key === undefined || source.text !== text) {
    return undefined;
  }
  if (value === undefined) {
    return deletedAt(text, source, path);
  }
  if (!PLAIN_KEY.test(key) || KEYWORD.test(key)) {
    return undefined;
  }
  const rendered = inlineYaml(value);
  const eol = writtenWithCrlf(text) ? '\r\n' : '\n';
  const existing = source.locatedAt(path);
  if (existing !== undefined) {
    const node = existing.node;
    if (!spliceable(text, existing.entry?.keyStart, node) || text[node.start] === '*') {
      return undefined;
    }
    if (isBlockCollection(text, node)) {
      // A block map (`to:` and `header:` below the key): rewritten from the colon to its last line, as setYamlValue does.
      const keyStart = existing.entry?.keyStart;
      if (keyStart === undefined || text[keyStart + key.length] !== ':') {
        return undefined;
      }
      const lines = plainBlockMap(text, keyStart, node);
      if (lines === undefined) {
        return undefined;
      }
      return `${text.slice(0, keyStart + key.length + 1)} ${rendered}${eol}${text.slice(lines.end)}`;
    }
    return text.slice(0, node.start) + rendered + text.slice(node.end);
  }
  const parent = source.locatedAt(path.slice(0, -1))?.node;
  const first = parent?.map?.[0];
  const last = parent?.map?.[parent.map.length - 1];
  if (parent?.start === undefined || first?.keyStart === undefined || last?.value?.start === undefined || last.value.end === undefined) {
    return undefined;
  }
  if ('{['.includes(text[parent.start]) || '|>'.includes(text[last.value.start])) {
    return undefined;
  }
  const insertAt = lineEnd(text, last.value.end - 1);
  const prefix = insertAt > 0 && text[insertAt - 1] !== '\n' ? eol : '';
  return `${text.slice(0, insertAt)}${prefix}${' '.repeat(column(text, first.keyStart))}${key}: ${rendered}${eol}${text.slice(insertAt)}`;
}

/**
 * `setYamlValueAt` for a deletion (a flip back to real): in a block map that keeps other pairs, a
 * pair written on one line (`    orders: mock  # for the perf run`) loses that line, comment and
 * all, and a pair whose value is a plain block map (`plainBlockMap`) loses its lines, as
 * `setYamlValue` deletes them. Undefined for every other deletion (another value over several
 * lines, an empty value, a pair of a flow map, the last pair of its map, whose emptied parents go
 * too; an anchored or tagged value; a pair that is not there), which `setYamlValue` makes.
 */
function deletedAt(text: string, source: LocatedText, path: readonly string[]): string | undefined {
  const existing = source.locatedAt(path);
  const parent = source.locatedAt(path.slice(0, -1))?.node;
  const keyStart = existing?.entry?.keyStart;
  const node = existing?.node;
  if (keyStart === undefined || !spliceable(text, keyStart, node)) {
    return undefined;
  }
  if (parent?.start === undefined || parent.map === undefined || parent.map.length < 2 || '{['.includes(text[parent.start])) {
    return undefined;
  }
  // A block map below the key: its lines go, as the key's.
  if (isBlockCollection(text, node)) {
    const block = plainBlockMap(text, keyStart, node);
    return block === undefined ? undefined : text.slice(0, block.start) + text.slice(block.end);
  }
  // Else the value on the key's line (a pair of a block map reached by keys alone starts its line).
  if (text.slice(keyStart, node.end).includes('\n')) {
    return undefined;
  }
  return text.slice(0, lineStart(text, keyStart)) + text.slice(lineEnd(text, node.end - 1));
}

/**
 * Whether a value's text can be spliced whole: it has a range and is not empty, it is not a block
 * scalar (`|`, `>`: its range takes the line breaks below it), and no anchor or tag comes before it
 * (`&m mock`, `!!str mock`: part of what it means).
 */
function spliceable(text: string, keyStart: number | undefined, node: Located | undefined): node is Located & { start: number; end: number } {
  return (
    node?.start !== undefined &&
    node.end !== undefined &&
    node.start !== node.end &&
    !'|>'.includes(text[node.start]) &&
    !/[&!]/.test(text.slice(keyStart ?? node.start, node.start))
  );
}

/** Whether a value is a block map or list (its entries on the lines below its key), not a flow one. */
function isBlockCollection(text: string, node: Located & { start: number }): boolean {
  return (node.map !== undefined || node.list !== undefined) && !'{['.includes(text[node.start]);
}

/**
 * The lines of a pair whose value is a block map (from its key's line to its value's last line),
 * when nothing in them is more than keys and plain values: no comment (setYamlValue keeps comment
 * lines, which a splice of whole lines would drop), no block scalar, anchor, alias or tag.
 * Undefined otherwise.
 */
function plainBlockMap(text: string, keyStart: number, node: Located): { start: number; end: number } | undefined {
  if (node.map === undefined || node.end === undefined) {
    return undefined;
  }
  const start = lineStart(text, keyStart);
  const end = lineEnd(text, node.end - 1);
  return /[#|>&*!]/.test(text.slice(start, end)) ? undefined : { start, end };
}

/** `setYamlValue` over the whole file as one document, as it edits a file without the top-level key (a test compares both). */
export function setYamlValueInWholeFile(text: string, path: readonly string[], value: unknown, keyOrder: KeyOrder = () => []): string {
  return editDocument(text, path, value, keyOrder, writtenWithCrlf(text));
}

/** Whether every line break of a file is CRLF: the lines an edit adds then get CRLF too. */
function writtenWithCrlf(text: string): boolean {
  return text.includes('\r\n') && !/(?<!\r)\n/.test(text);
}

/**
 * Where the top-level pair `key` of a block map file is, as whole lines: from its key line
 * (`key:` at the start of a line) to the next line that starts a top-level key or marks a
 * document, or the end of the file. Undefined when there is no such line. A pair is a YAML document
 * of its own, so an edit inside it is an edit of that much text: a file's largest parts (its
 * services, for a flip) are neither parsed nor checked again. What is not a pair of its own (a
 * line that only looks like one, inside a multi-line flow collection or quoted string) does not
 * parse as one, and the whole file is edited instead.
 */
export function topLevelSection(text: string, key: string | undefined): { start: number; end: number } | undefined {
  if (key === undefined || !/^[A-Za-z][A-Za-z0-9_-]*$/.test(key)) {
    return undefined;
  }
  const opening = new RegExp(`^${key}[ \t]*:(?=[ \t\r\n]|$)`, 'm');
  const found = opening.exec(text);
  if (found === null || opening.exec(text.slice(found.index + found[0].length)) !== null) {
    return undefined;
  }
  const start = found.index;
  // The next line that starts with anything but a space, a tab, a comment or a sequence entry.
  const next = /\n(?![ \t#\r\n-]|$)|\n(?=---|\.\.\.)/g;
  next.lastIndex = start;
  const end = next.exec(text);
  return { start, end: end === null ? text.length : end.index + 1 };
}

/** `setYamlValue` over one YAML document (a whole file, or one top-level pair of it). */
function editDocument(text: string, path: readonly string[], value: unknown, keyOrder: KeyOrder, crlf: boolean): string {
  const doc = parseDocument(text, { keepSourceTokens: true });
  if (doc.errors.length > 0) {
    throw new Error(`${path.join('.')}: not a YAML document: ${doc.errors[0].message}`);
  }
  // The same edit through the document API, on a copy of the document (splice only reads it).
  const expected = doc.clone();
  const spliced = splice(text, doc, path, value, keyOrder);
  const result = crlf ? spliced.replace(/(?<!\r)\n/g, '\r\n') : spliced;
  if (value === undefined) {
    deleteWithEmptyParents(expected, path);
  } else {
    expected.setIn(path, value);
  }
  const actual = parseDocument(result);
  if (actual.errors.length > 0 || canonical(actual.toJS()) !== canonical(expected.toJS())) {
    throw new Error(`editing ${path.join('.')} produced unexpected YAML:\n${result}`);
  }
  return result;
}

/** JSON with sorted keys: equal data gives equal text whatever the key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

function deleteWithEmptyParents(doc: Document, path: readonly string[]): void {
  // Deleting what is not there is no edit; yaml's deleteIn throws when a parent map is missing.
  if (!doc.hasIn(path)) {
    return;
  }
  doc.deleteIn(path);
  for (let i = path.length - 1; i > 0; i--) {
    const parent: unknown = doc.getIn(path.slice(0, i), true);
    if (isMap(parent) && parent.items.length === 0) {
      doc.deleteIn(path.slice(0, i));
    } else {
      break;
    }
  }
}

/**
 * The preferred order of the keys of the map at `parent` (a path). A new key goes before the
 * first existing key that comes after it in this order, else at the end.
 */
export type KeyOrder = (parent: readonly string[]) => readonly string[];

/** A value rendered inline: a plain scalar or a one-line flow map. */
function inlineYaml(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0, flowCollectionPadding: true }).trimEnd();
}

function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function lineEnd(text: string, offset: number): number {
  const end = text.indexOf('\n', offset);
  return end === -1 ? text.length : end + 1;
}

/** The end of a pair's text: the end of its value's last line, or of its key line when the value is empty. */
function pairEnd(text: string, pair: Pair): number {
  const valueEnd = (pair.value as Node | null)?.range?.[1];
  const keyEnd = (pair.key as Node).range![1];
  return lineEnd(text, Math.max(keyEnd, valueEnd ?? keyEnd) - 1);
}

function findPair(map: YAMLMap, key: string): Pair | undefined {
  return map.items.find((p): p is Pair => isScalar(p.key) && String(p.key.value) === key);
}

function splice(text: string, doc: Document.Parsed, path: readonly string[], value: unknown, keyOrder: KeyOrder): string {
  let node: unknown = doc.contents;
  const pairs: Pair[] = [];
  let depth = 0;
  for (; depth < path.length; depth++) {
    if (!isMap(node)) {
      break;
    }
    const pair = findPair(node, path[depth]);
    if (pair === undefined) {
      break;
    }
    pairs.push(pair);
    node = pair.value;
  }

  if (value === undefined) {
    if (depth < path.length) {
      return text;
    }
    // Delete the pair, then any parent map it leaves empty.
    let remove = pairs.length - 1;
    while (remove > 0) {
      const parent = pairs[remove - 1].value;
      if (isMap(parent) && parent.items.length === 1) {
        remove--;
      } else {
        break;
      }
    }
    const pair = pairs[remove];
    const parentMap = remove === 0 ? doc.contents : pairs[remove - 1].value;
    if (isMap(parentMap) && parentMap.flow) {
      return replaceNode(
        text,
        parentMap,
        inlineYaml(parseDocument(text).getIn(path.slice(0, remove)) === undefined ? {} : withoutKey(parentMap, path[remove])),
      );
    }
    const start = lineStart(text, (pair.key as Node).range![0]);
    const end = pairEnd(text, pair);
    return text.slice(0, start) + commentLines(text, start, end) + text.slice(end);
  }

  if (depth === path.length) {
    // The key exists: replace its value in place.
    const pair = pairs[pairs.length - 1];
    const rendered = inlineYaml(value);
    const current = pair.value as Node | null;
    // A block scalar (`>` or `|`) runs over the lines below its key and its range takes their line
    // breaks with it: it is rewritten like a block collection.
    const blockScalar = isScalar(current) && (current.type === Scalar.BLOCK_FOLDED || current.type === Scalar.BLOCK_LITERAL);
    if (
      current?.range != null &&
      !blockScalar &&
      (isScalar(current) || (isMap(current) && current.flow) || (isSeq(current) && current.flow)) &&
      !(isScalar(current) && current.range[0] === current.range[1])
    ) {
      return replaceNode(text, current, rendered);
    }
    // An empty value, a block scalar or a block collection: rewrite from the colon to the end of the pair.
    const keyEnd = (pair.key as Node).range![1];
    const colon = text.indexOf(':', keyEnd);
    const end = pairEnd(text, pair);
    return `${text.slice(0, colon + 1)} ${rendered}\n${commentLines(text, lineEnd(text, colon), end)}${text.slice(end)}`;
  }

  // Insert the missing keys under the deepest existing map.
  const parent = depth === 0 ? doc.contents : pairs[depth - 1].value;
  const rest = path.slice(depth);
  if (isMap(parent) && parent.flow) {
    const merged = parseDocument(text).getIn(path.slice(0, depth));
    const next = parseDocument(inlineYaml(merged ?? {}));
    next.setIn(rest, value);
    return replaceNode(text, parent, inlineYaml(next.toJS()));
  }
  const indent = childIndent(text, parent, depth === 0 ? 0 : column(text, (pairs[depth - 1].key as Node).range![0]) + 2);
  const lines = rest.map((key, i) => `${' '.repeat(indent + i * 2)}${key}:${i === rest.length - 1 ? ` ${inlineYaml(value)}` : ''}`);
  const order = keyOrder(path.slice(0, depth));
  const rank = (key: string) => (order.indexOf(key) === -1 ? Infinity : order.indexOf(key));
  const before = isMap(parent)
    ? parent.items.find((p) => isScalar(p.key) && rank(String(p.key.value)) > rank(rest[0]) && rank(rest[0]) !== Infinity)
    : undefined;
  const insertAt =
    before !== undefined
      ? lineStart(text, (before.key as Node).range![0])
      : isMap(parent) && parent.items.length > 0
        ? pairEnd(text, parent.items[parent.items.length - 1])
        : depth === 0
          ? text.length
          : pairEnd(text, pairs[depth - 1]);
  const prefix = insertAt > 0 && text[insertAt - 1] !== '\n' ? '\n' : '';
  return `${text.slice(0, insertAt)}${prefix}${lines.join('\n')}\n${text.slice(insertAt)}`;
}

/** The whole-line comments (as found by the YAML parser, so never a line of a block scalar) that start in [start, end), as text. */
function commentLines(text: string, start: number, end: number): string {
  const kept: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) {
      value.forEach(walk);
    } else if (value !== null && typeof value === 'object') {
      const token = value as { type?: unknown; offset?: unknown };
      if (token.type === 'comment' && typeof token.offset === 'number') {
        const from = lineStart(text, token.offset);
        if (token.offset >= start && token.offset < end && from >= start && text.slice(from, token.offset).trim() === '') {
          kept.push(text.slice(from, lineEnd(text, token.offset)));
        }
        return;
      }
      Object.values(value).forEach(walk);
    }
  };
  for (const token of new Parser().parse(text)) {
    walk(token);
  }
  return kept.join('');
}

function withoutKey(map: YAMLMap, key: string): Record<string, unknown> {
  const data = map.toJSON() as Record<string, unknown>;
  delete data[key];
  return data;
}

function replaceNode(text: string, node: Node, rendered: string): string {
  return text.slice(0, node.range![0]) + rendered + text.slice(node.range![1]);
}

function column(text: string, offset: number): number {
  return offset - lineStart(text, offset);
}

/** The indentation of the entries of a block map (or the given default for an empty one). */
function childIndent(text: string, map: unknown, fallback: number): number {
  if (isMap(map) && map.items.length > 0) {
    return column(text, (map.items[0].key as Node).range![0]);
  }
  return fallback;
}
