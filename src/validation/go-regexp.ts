/**
 * POSIX bracket classes of Go's RE2 syntax, as the ASCII ranges they stand for.
 *
 * @see https://github.com/google/re2/wiki/Syntax
 */
const POSIX_CLASSES: Readonly<Record<string, string>> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

/** Characters that keep their backslash in a JavaScript pattern outside a character class. */
const SYNTAX_OUTSIDE = new Set('^$\\.*+?()[]{}|/'.split(''));

/** Characters that keep their backslash inside a character class. */
const SYNTAX_INSIDE = new Set('^\\[]-'.split(''));

/** Escapes that mean the same in Go and JavaScript. */
const SHARED_ESCAPES = new Set('dDsSwWbBtnrfv'.split(''));

/**
 * Translates a Go (RE2) regular expression, as used by `pattern` in Kubernetes schemas, into a JavaScript `RegExp`.
 *
 * Both engines search for a match anywhere in the string unless the pattern is anchored, and `$` means the end of
 * the text in both (without the multiline flag). What is translated: `\A` and `\z`, `\Q...\E`, `(?P<name>...)`,
 * POSIX classes such as `[[:alpha:]]`, `\x{...}`, Unicode classes `\pL` / `\p{Greek}`, and leading flags `(?i)`,
 * `(?s)`, `(?m)`.
 *
 * @returns the expression, or `undefined` when the pattern cannot be expressed the same way in JavaScript
 *   (flags in the middle of the pattern, the non-greedy flag `U`, negated POSIX classes, invalid syntax)
 */
export function compileGoRegExp(pattern: string): RegExp | undefined {
  let source = pattern;
  let flags = '';
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (leading !== null) {
    for (const flag of leading[1]) {
      if (flag !== 'i' && flag !== 's' && flag !== 'm') {
        return undefined;
      }
      flags += flags.includes(flag) ? '' : flag;
    }
    source = source.slice(leading[0].length);
  }
  const translated = translate(source);
  if (translated === undefined) {
    return undefined;
  }
  try {
    return new RegExp(translated.source, flags + (translated.unicode ? 'u' : ''));
  } catch {
    return undefined;
  }
}

interface Translation {
  readonly source: string;
  readonly unicode: boolean;
}

function translate(pattern: string): Translation | undefined {
  let out = '';
  let inClass = false;
  let unicode = false;
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) {
        return undefined;
      }
      if (next === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? pattern.length : end);
        out += [...literal].map((ch) => escapeLiteral(ch, inClass)).join('');
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      if (next === 'A' && !inClass) {
        out += '^';
      } else if (next === 'z' && !inClass) {
        out += '$';
      } else if (next === 'p' || next === 'P') {
        const braced = pattern[i + 2] === '{';
        const end = braced ? pattern.indexOf('}', i + 3) : i + 3;
        if (end < 0 || end > pattern.length) {
          return undefined;
        }
        const name = braced ? pattern.slice(i + 3, end) : pattern.slice(i + 2, end);
        if (name === '' || name.startsWith('^')) {
          return undefined;
        }
        out += `\\${next}{${name}}`;
        unicode = true;
        i = braced ? end + 1 : end;
        continue;
      } else if (next === 'x') {
        if (pattern[i + 2] === '{') {
          const end = pattern.indexOf('}', i + 3);
          if (end < 0) {
            return undefined;
          }
          out += `\\u{${pattern.slice(i + 3, end)}}`;
          unicode = true;
          i = end + 1;
          continue;
        }
        out += `\\x${pattern.slice(i + 2, i + 4)}`;
        i += 4;
        continue;
      } else if (SHARED_ESCAPES.has(next)) {
        out += `\\${next}`;
      } else if (/[0-9]/.test(next)) {
        // Octal escapes are rare in schemas and mean back-references in JavaScript.
        return undefined;
      } else if (/[A-Za-z]/.test(next)) {
        // \C, \pN without a name and other letters have no JavaScript equivalent.
        return undefined;
      } else {
        out += escapeLiteral(next, inClass);
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && pattern[i + 1] === ':') {
        const end = pattern.indexOf(':]', i + 2);
        const name = end < 0 ? undefined : pattern.slice(i + 2, end);
        if (name === undefined || name.startsWith('^') || POSIX_CLASSES[name] === undefined) {
          return undefined;
        }
        out += POSIX_CLASSES[name];
        i = end + 2;
        continue;
      }
      if (c === '[') {
        out += '\\[';
      } else {
        out += c;
        if (c === ']') {
          inClass = false;
        }
      }
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i += 1;
      // A ']' right after '[' or '[^' is a literal in Go.
      if (pattern[i] === '^') {
        out += '^';
        i += 1;
      }
      if (pattern[i] === ']') {
        out += '\\]';
        i += 1;
      }
      continue;
    }
    if (c === '(' && pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?' && pattern[i + 2] !== ':' && pattern[i + 2] !== '<') {
      // Flags in the middle of a pattern, such as (?i) or (?i:...): JavaScript (Node 20) has no equivalent.
      return undefined;
    }
    out += c;
    i += 1;
  }
  return inClass ? undefined : { source: out, unicode };
}

/** Writes one literal character so that it means itself, with or without the `u` flag. */
function escapeLiteral(ch: string, inClass: boolean): string {
  if (/[A-Za-z0-9_]/.test(ch) || ch.charCodeAt(0) > 0x7e) {
    return ch;
  }
  if (inClass ? SYNTAX_INSIDE.has(ch) : SYNTAX_OUTSIDE.has(ch)) {
    return `\\${ch}`;
  }
  if (ch.charCodeAt(0) < 0x20) {
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  }
  return ch;
}
