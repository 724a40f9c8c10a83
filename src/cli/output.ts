import { formatProblem, Problem } from '../model/spec-error';
import { escapeUnsafeText } from '../model/unsafe-text';
import { ColorMode, wantsColor } from './options';

/** Where a command writes, and whether colour is wanted on each stream. Tests pass their own. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Colour on stdout (`out`). */
  readonly color: boolean;
  /** Colour on stderr (`err`), decided apart from stdout's: either may be redirected. */
  readonly errColor: boolean;
}

/** A stream `processOutput` writes to: the process's stdout or stderr, or a test's recording. */
export interface OutputStream {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * The process's stdout/stderr (or `streams` in their place), each coloured by its own terminal
 * state (see `wantsColor`), and each line made safe for a terminal (`terminalText`).
 */
export function processOutput(
  mode?: ColorMode,
  env: NodeJS.ProcessEnv = process.env,
  streams: { readonly stdout: OutputStream; readonly stderr: OutputStream } = process,
): Output {
  const { stdout, stderr } = streams;
  const color = wantsColor(mode, stdout.isTTY === true, env);
  const errColor = wantsColor(mode, stderr.isTTY === true, env);
  const line = (text: string, colored: boolean) => {
    const safe = terminalText(text, colored);
    return safe.endsWith('\n') ? safe : `${safe}\n`;
  };
  return {
    out: (text) => stdout.write(line(text, color)),
    err: (text) => stderr.write(line(text, errColor)),
    color,
    errColor,
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

/** The escape sequences `paint` writes, and nothing else. */
const PAINT_SEQUENCE = new RegExp(`\u001b\\[(?:${[...Object.values(CODES), 0].join('|')})m`, 'g');

/**
 * The last line of defence before a terminal: every control character, bidirectional control and
 * invisible character is shown as an escape (`\u001b`), except line feeds and tabs and, when the
 * output is coloured, the colour sequences `paint` writes. Text from the input is escaped where it
 * is put into a line (so that it cannot start a new one either); this catches what was missed, and
 * leaves a missed sequence at most a colour of meshflip's own palette.
 */
export function terminalText(text: string, color: boolean): string {
  if (!color) {
    return escapeUnsafeText(text, { keepLines: true });
  }
  const parts = text.split(PAINT_SEQUENCE);
  const sequences = text.match(PAINT_SEQUENCE) ?? [];
  return parts.map((part, i) => escapeUnsafeText(part, { keepLines: true }) + (sequences[i] ?? '')).join('');
}

/** Wraps `text` in an ANSI colour when the output wants colour. */
export function paint(output: Pick<Output, 'color'>, color: keyof typeof CODES, text: string): string {
  return output.color ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

/** `paint` for a line written to stderr (`output.err`). */
export function paintErr(output: Pick<Output, 'errColor'>, color: keyof typeof CODES, text: string): string {
  return paint({ color: output.errColor }, color, text);
}

/**
 * Problems on stderr, sorted, one line each (`error: <file:line:col>: ...` or `warning: ...`, the
 * label coloured), with the warnings about kinds without a schema one per kind. Returns the
 * problems as shown.
 */
export function printProblems(output: Output, problems: readonly Problem[]): Problem[] {
  // Loaded here: `meshflip --help` loads this file, and must not load the validators with it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; the type is the module's own
  const { summarizeMissingSchemas } = require('../pipeline/validate/validate') as typeof import('../pipeline/validate/validate');
  const shown = summarizeMissingSchemas(problems);
  for (const problem of shown) {
    const label = problem.severity === 'warning' ? paintErr(output, 'yellow', 'warning') : paintErr(output, 'red', 'error');
    output.err(`${label}: ${formatProblem({ ...problem, severity: undefined })}`);
  }
  return shown;
}
