import { formatProblem, Problem } from '../model/spec-error';
import { summarizeMissingSchemas } from '../pipeline/validate';

/** Where a command writes, and whether colour is wanted. Tests pass their own. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  readonly color: boolean;
}

/** The process's stdout/stderr; colour only on a TTY and never with NO_COLOR set. */
export function processOutput(): Output {
  const noColor = process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '';
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    color: !noColor && process.stdout.isTTY === true && process.env.TERM !== 'dumb',
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;

/** Wraps `text` in an ANSI colour when the output wants colour. */
export function paint(output: Pick<Output, 'color'>, color: keyof typeof CODES, text: string): string {
  return output.color ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

/**
 * Problems on stderr, sorted, one line each (`error: <file:line:col>: ...` or `warning: ...`, the
 * label coloured), with the warnings about kinds without a schema one per kind. Returns the
 * problems as shown.
 */
export function printProblems(output: Output, problems: readonly Problem[]): Problem[] {
  const shown = summarizeMissingSchemas(problems);
  for (const problem of shown) {
    const label = problem.severity === 'warning' ? paint(output, 'yellow', 'warning') : paint(output, 'red', 'error');
    output.err(`${label}: ${formatProblem({ ...problem, severity: undefined })}`);
  }
  return shown;
}
