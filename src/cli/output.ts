import { formatProblem, Problem } from '../model/spec-error';
import { summarizeMissingSchemas } from '../pipeline/validate';
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

/** The process's stdout/stderr, each coloured by its own terminal state (see `wantsColor`). */
export function processOutput(mode?: ColorMode, env: NodeJS.ProcessEnv = process.env): Output {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: wantsColor(mode, process.stdout.isTTY === true, env),
    errColor: wantsColor(mode, process.stderr.isTTY === true, env),
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

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
  const shown = summarizeMissingSchemas(problems);
  for (const problem of shown) {
    const label = problem.severity === 'warning' ? paintErr(output, 'yellow', 'warning') : paintErr(output, 'red', 'error');
    output.err(`${label}: ${formatProblem({ ...problem, severity: undefined })}`);
  }
  return shown;
}
