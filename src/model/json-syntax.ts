import type { FieldPath } from './source-file';

/** The first place where a text is not JSON (RFC 8259), in words a user can act on. */
export interface JsonSyntaxError {
  /** The offset of the offending character (the text's length at its end). */
  readonly offset: number;
  /** The field being read there: the key whose value or the container whose entry was expected. */
  readonly path: FieldPath;
  readonly message: string;
  /** What was found there, as shown to the user. */
  readonly got: string;
  readonly hint: string;
}

const ESCAPES = '"\\/bfnrt';
const ESCAPES_TEXT = '\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX';
const VALUE_HINT = 'a value is an object, an array, a string in double quotes, a number, true, false or null';

class JsonSyntax extends Error {
  public constructor(public readonly error: JsonSyntaxError) {
    super(error.message);
  }
}

/**
 * Checks that `text` is exactly one JSON document, as `JSON.parse` (which Mountebank uses) would,
 * and says where it is not. `JSON.parse` itself is not used for this: its messages differ between
 * Node versions and name an offset rather than a line and a field.
 *
 * @returns undefined when the text is valid JSON
 */
export function findJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  try {
    new JsonScanner(text).document();
    return undefined;
  } catch (e) {
    if (e instanceof JsonSyntax) {
      return e.error;
    }
    throw e;
  }
}

class JsonScanner {
  private pos = 0;
  private readonly path: (string | number)[] = [];

  public constructor(private readonly text: string) {}

  public document(): void {
    this.whitespace();
    if (this.pos >= this.text.length) {
      this.fail('is empty: an imposter file holds one JSON document', 'a JSON object such as {"port": 8080, "protocol": "http"}');
    }
    this.value();
    this.whitespace();
    if (this.pos < this.text.length) {
      this.fail(
        'is not valid JSON: more text follows the end of the document',
        'a file holds one JSON document: put several imposters in {"imposters": [...]}',
      );
    }
  }

  private value(): void {
    const c = this.text[this.pos];
    if (c === '{') {
      this.object();
    } else if (c === '[') {
      this.array();
    } else if (c === '"') {
      this.string();
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      this.number();
    } else if (/^(true|false|null)\b/.test(this.text.slice(this.pos, this.pos + 6))) {
      this.pos += c === 'f' ? 5 : 4;
    } else if (c === "'") {
      this.fail('is not valid JSON: strings are written in double quotes', 'replace the single quotes by double quotes');
    } else {
      this.fail('is not valid JSON: expected a value', VALUE_HINT);
    }
  }

  private object(): void {
    this.pos++;
    this.whitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return;
    }
    for (;;) {
      if (this.text[this.pos] !== '"') {
        this.fail('is not valid JSON: expected a key in double quotes', 'write keys in double quotes: {"port": 8080}');
      }
      const key = this.string();
      this.whitespace();
      if (this.text[this.pos] !== ':') {
        this.path.push(key);
        this.fail('is not valid JSON: expected ":" after the key', 'separate each key from its value with ":"');
      }
      this.pos++;
      this.whitespace();
      this.path.push(key);
      this.value();
      if (this.closes('}', 'entry', 'value', 'separate the entries of an object with ","; close it with "}"')) {
        return;
      }
    }
  }

  private array(): void {
    this.pos++;
    this.whitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return;
    }
    for (let index = 0; ; index++) {
      this.path.push(index);
      this.value();
      if (this.closes(']', 'item', 'item', 'separate the items of a list with ","; close it with "]"')) {
        return;
      }
    }
  }

  /**
   * What follows a member of an object or list: true after `close`, which ends it; false after a
   * comma, which another member must follow (JSON allows no trailing comma).
   */
  private closes(close: '}' | ']', member: string, after: string, hint: string): boolean {
    this.whitespace();
    const c = this.text[this.pos];
    if (c !== ',' && c !== close) {
      this.fail(`is not valid JSON: expected "," or "${close}" after the ${after}`, hint);
    }
    this.path.pop();
    this.pos++;
    if (c === close) {
      return true;
    }
    this.whitespace();
    if (this.text[this.pos] === close) {
      this.fail(
        `is not valid JSON: a comma must be followed by another ${member}`,
        `remove the comma before "${close}": JSON allows no trailing comma`,
      );
    }
    return false;
  }

  private string(): string {
    const start = this.pos;
    this.pos++;
    for (;;) {
      if (this.pos >= this.text.length) {
        this.pos = start;
        this.fail('is not valid JSON: this string is never closed', 'end the string with a double quote');
      }
      const c = this.text[this.pos];
      if (c === '"') {
        this.pos++;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      }
      if (c === '\\') {
        const next = this.text[this.pos + 1] ?? '';
        if (next === 'u') {
          if (!/^[0-9A-Fa-f]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
            this.fail('is not valid JSON: \\u must be followed by four hexadecimal digits', `the escapes of JSON are ${ESCAPES_TEXT}`);
          }
          this.pos += 6;
        } else if (next !== '' && ESCAPES.includes(next)) {
          this.pos += 2;
        } else {
          this.fail(`is not valid JSON: \\${next} is not an escape`, `the escapes of JSON are ${ESCAPES_TEXT}; write a backslash as \\\\`);
        }
      } else if (c < ' ') {
        this.fail('is not valid JSON: a string cannot hold a line break, tab or other control character', 'write it as an escape: \\n, \\t, \\u0000');
      } else {
        this.pos++;
      }
    }
  }

  private number(): void {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.text.slice(this.pos, this.pos + 400));
    if (match === null) {
      this.fail('is not valid JSON: expected a number', 'write numbers in decimal: 8080, -1, 0.5, 1e3');
    }
    const next = this.text[this.pos + match[0].length] ?? '';
    if (/[0-9.eExX]/.test(next)) {
      this.fail('is not valid JSON: a number must be written in decimal without leading zeros', 'write numbers in decimal: 8080, -1, 0.5, 1e3');
    }
    this.pos += match[0].length;
  }

  private whitespace(): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
        this.pos++;
      } else if (c === '/' && (this.text[this.pos + 1] === '/' || this.text[this.pos + 1] === '*')) {
        this.fail('is not valid JSON: JSON has no comments', 'remove the comment');
      } else {
        return;
      }
    }
  }

  private fail(message: string, hint: string): never {
    const got = this.pos >= this.text.length ? 'the end of the file' : JSON.stringify(String.fromCodePoint(this.text.codePointAt(this.pos) ?? 0));
    throw new JsonSyntax({ offset: this.pos, path: [...this.path], message, got, hint });
  }
}
