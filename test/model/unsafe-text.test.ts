import fc from 'fast-check';
import { decodeUtf8, describeCharacter, escapeUnsafeText, findUnsafeCharacters, hasUnsafeCharacters } from '../../src/model/unsafe-text';

describe('escapeUnsafeText', () => {
  test('escapes an ANSI escape sequence, NUL and backspace', () => {
    // GIVEN text that would turn the terminal red, then erase what was printed before it
    const hostile = 'orders\u001b[31m red\u001b[0m\u0000\b\b\b\u007f\u009b2J';
    // WHEN
    const escaped = escapeUnsafeText(hostile);
    // THEN
    expect(escaped).toBe('orders\\u001b[31m red\\u001b[0m\\u0000\\u0008\\u0008\\u0008\\u007f\\u009b2J');
  });

  test('escapes a line break that would start a GitHub workflow command on a line of its own', () => {
    // GIVEN
    const hostile = 'orders\n::error file=x::forged\r\n::add-mask::x';
    // WHEN
    const escaped = escapeUnsafeText(hostile);
    // THEN it stays one line
    expect(escaped).toBe('orders\\u000a::error file=x::forged\\u000d\\u000a::add-mask::x');
  });

  test('escapes bidirectional overrides and isolates, and invisible characters', () => {
    // GIVEN "Trojan Source" text and characters that cannot be seen
    const hostile = 'a\u202eb\u2066c\u2069d\u200be\u00adf\ufeffg\u2028h\u{e0041}i\ud800j';
    // WHEN
    const escaped = escapeUnsafeText(hostile);
    // THEN
    expect(escaped).toBe('a\\u202eb\\u2066c\\u2069d\\u200be\\u00adf\\ufeffg\\u2028h\\u{e0041}i\\ud800j');
  });

  test('keeps printable text of every script, emoji and surrogate pairs as they are', () => {
    // GIVEN
    const text = 'Zürich 東京 Москва שלום 😀 <b>|`';
    // WHEN / THEN
    expect(escapeUnsafeText(text)).toBe(text);
  });

  test('keeps line feeds and tabs when asked to, but still escapes carriage returns and escapes', () => {
    // GIVEN
    const text = 'line 1\n\tline 2\r\n\u001b[2J';
    // WHEN
    const escaped = escapeUnsafeText(text, { keepLines: true });
    // THEN
    expect(escaped).toBe('line 1\n\tline 2\\u000d\n\\u001b[2J');
  });

  test('leaves nothing unsafe in any string, and changes nothing in a safe one', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const escaped = escapeUnsafeText(text);
        expect(findUnsafeCharacters(escaped, 1).total).toBe(0);
        expect(escaped).not.toMatch(/[\n\r\t]/);
        if (findUnsafeCharacters(text, 1).total === 0 && !/[\n\r\t]/.test(text)) {
          expect(escaped).toBe(text);
        }
      }),
    );
  });
});

describe('findUnsafeCharacters', () => {
  test('allows tabs, LF and CRLF line breaks and a leading byte order mark', () => {
    // GIVEN
    const text = '\ufeffa:\tb\r\nc: d\n';
    // WHEN / THEN
    expect(findUnsafeCharacters(text, 10)).toEqual({ found: [], total: 0 });
  });

  test('finds a lone carriage return, a byte order mark after the start and a C1 control, and counts beyond the limit', () => {
    // GIVEN
    const text = 'a\rb\ufeffc\u0085d\u0000';
    // WHEN
    const result = findUnsafeCharacters(text, 3);
    // THEN
    expect(result).toEqual({
      found: [
        { offset: 1, char: '\r' },
        { offset: 3, char: '\ufeff' },
        { offset: 5, char: '\u0085' },
      ],
      total: 4,
    });
  });

  test('finds the same characters whatever was asked before', () => {
    // GIVEN a question about a text whose unsafe character is far from its start
    expect(hasUnsafeCharacters(`${'a'.repeat(20)}\u0000`)).toBe(true);
    // WHEN another text is searched
    const result = findUnsafeCharacters('\u0002abc', 10);
    // THEN the search starts at its beginning (a global regular expression remembers where it stopped)
    expect(result).toEqual({ found: [{ offset: 0, char: '\u0002' }], total: 1 });
  });

  test('describes a character by its escape and name, never raw', () => {
    expect(['\u202e', '\u0000', '\u001b', '\u0001', '\u200b', '\u2067', '\u{e0001}'].map(describeCharacter)).toEqual([
      '\\u202e (right-to-left override)',
      '\\u0000 (NUL)',
      '\\u001b (escape)',
      '\\u0001 (control character)',
      '\\u200b (zero-width space)',
      '\\u2067 (right-to-left isolate)',
      '\\u{e0001} (tag character)',
    ]);
  });
});

describe('decodeUtf8', () => {
  test('decodes UTF-8 and drops a leading byte order mark', () => {
    // GIVEN
    const bytes = Buffer.from('\ufeffname: Zürich 😀\n', 'utf8');
    // WHEN / THEN
    expect(decodeUtf8(bytes, 10)).toEqual({ text: 'name: Zürich 😀\n', invalid: [], totalInvalid: 0 });
  });

  test('finds each stretch that is not UTF-8 with its byte offset and its offset in the decoded text', () => {
    // GIVEN a truncated "é", an overlong "/", a UTF-8 encoded surrogate and a code point above U+10FFFF, after a 4-byte emoji
    const bytes = Buffer.concat([Buffer.from('😀a'), Buffer.from([0xc3, 0x28, 0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0x41])]);
    // WHEN
    const { text, invalid, totalInvalid } = decodeUtf8(bytes, 10);
    // THEN every stretch is where the decoder put U+FFFD
    expect(invalid.map((s) => [s.byteOffset, s.offset, [...s.bytes]])).toEqual([
      [5, 3, [0xc3]],
      [7, 5, [0xc0]],
      [8, 6, [0xaf]],
      [9, 7, [0xed]],
      [10, 8, [0xa0]],
      [11, 9, [0x80]],
      [12, 10, [0xf4]],
      [13, 11, [0x90]],
      [14, 12, [0x80]],
      [15, 13, [0x80]],
    ]);
    expect(totalInvalid).toBe(10);
    expect(invalid.every((s) => text[s.offset] === '\ufffd')).toBe(true);
  });

  test('agrees with a fatal TextDecoder on what is UTF-8, and puts each stretch where a replacing TextDecoder puts U+FFFD', () => {
    // The WHATWG Encoding Standard's UTF-8 decoder, which Node's TextDecoder implements, replaces
    // each maximal invalid subpart with one U+FFFD: the walk in decodeUtf8 must find the same ones.
    const fragments = fc.oneof(
      fc.uint8Array({ maxLength: 8 }),
      fc.string({ unit: 'binary', maxLength: 8 }).map((s) => Buffer.from(s, 'utf8')),
      fc
        .constantFrom([0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbf, 0xbd])
        .map((b) => Uint8Array.from(b)),
    );
    fc.assert(
      fc.property(fc.array(fragments, { maxLength: 12 }), (parts) => {
        const bytes = Buffer.concat(parts);
        const { text, invalid, totalInvalid } = decodeUtf8(bytes, Infinity);
        let valid = true;
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        } catch {
          valid = false;
        }
        expect(totalInvalid === 0).toBe(valid);
        expect(text).toBe(new TextDecoder('utf-8').decode(bytes));
        // Every U+FFFD the decoder wrote that the bytes do not spell out (EF BF BD) is a stretch found.
        const written = [...text.matchAll(/\ufffd/g)].map((m) => m.index);
        const replaced = invalid.map((s) => s.offset);
        expect(replaced.every((offset) => written.includes(offset))).toBe(true);
        expect(written.length - replaced.length).toBe(countSequence(bytes, [0xef, 0xbf, 0xbd]));
      }),
    );
  });
});

function countSequence(bytes: Uint8Array, sequence: readonly number[]): number {
  let count = 0;
  for (let i = 0; i + sequence.length <= bytes.length; i++) {
    if (sequence.every((b, j) => bytes[i + j] === b)) {
      count++;
    }
  }
  return count;
}
