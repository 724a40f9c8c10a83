/**
 * Characters that have no place in an input file or in what meshflip prints, found and escaped in
 * one place.
 *
 * An input file may hold printable Unicode text, tabs and line breaks (LF, or CRLF). Refused are:
 * - the C0 controls other than tab, line feed and a carriage return that starts a CRLF pair
 *   (NUL, backspace, escape, ...), DEL and the C1 controls (U+0080-U+009F): they garble terminals,
 *   overwrite what was printed before and hide text in review;
 * - the bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), the marks
 *   U+200E, U+200F and U+061C, and the deprecated format characters U+206A-U+206F: they make text
 *   display in another order than it is read ("Trojan Source", CVE-2021-42574);
 * - invisible characters that can hide or split text: zero-width space, non-joiner and joiner
 *   (U+200B-U+200D; emoji sequences and Persian text that need a joiner must do without it),
 *   soft hyphen (U+00AD), Mongolian vowel separator (U+180E), word joiner and invisible operators
 *   (U+2060-U+2064), interlinear annotation marks (U+FFF9-U+FFFB), the tag characters
 *   (U+E0001, U+E0020-U+E007F) and U+FEFF anywhere but at the very start of a file, where it is a
 *   byte order mark that many Windows editors write and that hides nothing;
 * - the line and paragraph separators U+2028 and U+2029, which some editors show as line breaks
 *   and YAML does not;
 * - lone UTF-16 surrogates (only possible through an escape or text handed in by a command).
 *
 * A lone carriage return is refused as well: a file with old Mac line breaks (CR only) would
 * otherwise read as one long line, or as nothing but a comment.
 */

/** The unsafe characters other than the C0 controls that are line structure (TAB, LF, CR). */
const UNSAFE_SOURCE =
  '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u00ad\\u061c\\u180e\\u200b-\\u200f\\u2028-\\u202e' +
  '\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb]|\\udb40[\\udc01\\udc20-\\udc7f]' +
  '|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';

/**
 * Everything refused in input: the unsafe characters, and a carriage return that does not start a
 * CRLF pair. Only ever used through `matchAll`, which works on a copy: a global regular expression
 * keeps its `lastIndex` between calls, and `matchAll` starts its copy from there.
 */
const UNSAFE_IN_INPUT = new RegExp(`${UNSAFE_SOURCE}|\\r(?!\\n)`, 'g');

/** The same, for a yes-or-no question (without the global flag, so it keeps no state). */
const ANY_UNSAFE_IN_INPUT = new RegExp(`${UNSAFE_SOURCE}|\\r(?!\\n)`);

/** Everything escaped in output: the unsafe characters and every line break and tab. */
const UNSAFE_IN_OUTPUT = new RegExp(`${UNSAFE_SOURCE}|[\\t\\n\\r]`, 'g');

/** The same, with line feeds and tabs kept (for text that is several lines by design). */
const UNSAFE_IN_OUTPUT_LINES = new RegExp(`${UNSAFE_SOURCE}|\\r`, 'g');

/** Names of the characters people are most likely to meet, for messages. */
const NAMES: Readonly<Record<number, string>> = {
  0x00: 'NUL',
  0x07: 'bell',
  0x08: 'backspace',
  0x0b: 'vertical tab',
  0x0c: 'form feed',
  0x0d: 'carriage return',
  0x1b: 'escape',
  0x7f: 'delete',
  0x85: 'next line',
  0x9b: 'control sequence introducer',
  0xad: 'soft hyphen',
  0x061c: 'Arabic letter mark',
  0x180e: 'Mongolian vowel separator',
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2060: 'word joiner',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0xfeff: 'zero-width no-break space (byte order mark)',
};

/** One unsafe character found in a text. */
export interface UnsafeCharacter {
  /** Offset in UTF-16 code units. */
  readonly offset: number;
  /** The character (one or two code units). */
  readonly char: string;
}

/**
 * The unsafe characters of `text`, in order, at most `limit` of them (a file of a million NULs
 * needs one message, not a million). A U+FEFF at offset 0 is a byte order mark and allowed.
 */
export function findUnsafeCharacters(text: string, limit: number): { found: UnsafeCharacter[]; total: number } {
  const found: UnsafeCharacter[] = [];
  let total = 0;
  for (const match of text.matchAll(UNSAFE_IN_INPUT)) {
    if (match.index === 0 && match[0] === '\ufeff') {
      continue;
    }
    total++;
    if (found.length < limit) {
      found.push({ offset: match.index, char: match[0] });
    }
  }
  return { found, total };
}

/** Whether `text` holds any unsafe character (a leading byte order mark included). */
export function hasUnsafeCharacters(text: string): boolean {
  return ANY_UNSAFE_IN_INPUT.test(text);
}

/** A character as an escape: `\u202e`, `\u{e0041}` beyond the Basic Multilingual Plane. */
export function escapeCharacter(char: string): string {
  const code = char.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** A character for a message: its escape and, when it has one here, its name: `\u202e (right-to-left override)`. */
export function describeCharacter(char: string): string {
  const code = char.codePointAt(0)!;
  const name =
    NAMES[code] ??
    (code >= 0xd800 && code <= 0xdfff
      ? 'lone surrogate'
      : code >= 0xe0000
        ? 'tag character'
        : code < 0x20 || (code >= 0x7f && code <= 0x9f)
          ? 'control character'
          : (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x206f)
            ? 'bidirectional control'
            : 'invisible character');
  return `${escapeCharacter(char)} (${name})`;
}

/** What kind of trouble a character makes, as a hint. */
export function unsafeCharacterHint(char: string): string {
  const code = char.codePointAt(0)!;
  if (char === '\r') {
    return 'save the file with LF (or CRLF) line breaks';
  }
  if (code === 0xfeff) {
    return 'remove it: a byte order mark belongs only at the very start of a file';
  }
  if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x206f) || code === 0x200e || code === 0x200f || code === 0x061c) {
    return 'remove it: bidirectional controls make text display in a different order than it is read';
  }
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
    return 'remove it: control characters garble terminals and hide text in review';
  }
  if (code >= 0xd800 && code <= 0xdfff) {
    return 'remove it: half a surrogate pair is not a character';
  }
  return 'remove it: invisible characters hide text in review';
}

/**
 * Text from the input made safe for one line of a terminal, a log or a message: every unsafe
 * character, line break and tab becomes its escape (`\u001b`, `\u000a`, `\u202e`), so the text
 * cannot move the cursor, change colours, start a new line (a GitHub workflow command starts at the
 * beginning of a line) or reorder what follows it.
 *
 * With `keepLines`, line feeds and tabs stay (for text that is several lines by design, such as a
 * stack trace or pretty-printed JSON, whose line breaks inside strings are already escaped).
 */
export function escapeUnsafeText(text: string, options: { readonly keepLines?: boolean } = {}): string {
  return text.replace(options.keepLines === true ? UNSAFE_IN_OUTPUT_LINES : UNSAFE_IN_OUTPUT, escapeCharacter);
}

/** The position and the bytes of one stretch of bytes that is not UTF-8. */
export interface InvalidUtf8 {
  /** Offset in bytes. */
  readonly byteOffset: number;
  /** Offset in the decoded text (UTF-16 code units), where the decoder put U+FFFD instead. */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

const FATAL = new TextDecoder('utf-8', { fatal: true });
const LENIENT = new TextDecoder('utf-8');

/**
 * Decodes UTF-8 bytes. A leading byte order mark is dropped. When the bytes are not all UTF-8,
 * `invalid` lists where (at most `limit` stretches) and `text` has U+FFFD in their place.
 *
 * Validity is decided by a fatal `TextDecoder` (the WHATWG Encoding Standard decoder, as Node
 * implements it); the stretches are then found by walking the bytes with the same algorithm,
 * which replaces each maximal invalid subpart with one U+FFFD, so that their offsets match `text`.
 */
export function decodeUtf8(bytes: Uint8Array, limit: number): { text: string; invalid: InvalidUtf8[]; totalInvalid: number } {
  try {
    return { text: FATAL.decode(bytes), invalid: [], totalInvalid: 0 };
  } catch {
    // Not UTF-8: find out where below.
  }
  const text = LENIENT.decode(bytes);
  const invalid: InvalidUtf8[] = [];
  let totalInvalid = 0;
  let offset = 0;
  let i = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length) {
    const [length, units] = utf8Sequence(bytes, i);
    if (units === 0) {
      totalInvalid++;
      if (invalid.length < limit) {
        invalid.push({ byteOffset: i, offset, bytes: bytes.slice(i, i + length) });
      }
      offset++;
    } else {
      offset += units;
    }
    i += length;
  }
  return { text, invalid, totalInvalid };
}

/**
 * The sequence starting at `bytes[i]`, per the WHATWG UTF-8 decoder: its length in bytes and the
 * UTF-16 code units it decodes to, or 0 units for a maximal invalid subpart (which the decoder
 * replaces with one U+FFFD).
 */
function utf8Sequence(bytes: Uint8Array, i: number): [number, number] {
  const lead = bytes[i];
  if (lead < 0x80) {
    return [1, 1];
  }
  let needed: number;
  let lower = 0x80;
  let upper = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    needed = 1;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    needed = 2;
    lower = lead === 0xe0 ? 0xa0 : 0x80;
    upper = lead === 0xed ? 0x9f : 0xbf;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    needed = 3;
    lower = lead === 0xf0 ? 0x90 : 0x80;
    upper = lead === 0xf4 ? 0x8f : 0xbf;
  } else {
    return [1, 0];
  }
  for (let seen = 1; seen <= needed; seen++) {
    const next = bytes[i + seen];
    if (next === undefined || next < lower || next > upper) {
      // The byte that does not continue the sequence is not part of it: it starts the next one.
      return [seen, 0];
    }
    lower = 0x80;
    upper = 0xbf;
  }
  return [needed + 1, needed === 3 ? 2 : 1];
}
