import { Problem, problemText } from '../model/spec-error';
import { escapeUnsafeText } from '../model/unsafe-text';

/**
 * GitHub Actions workflow commands (`::error file=...,line=...::message`), written the way
 * @actions/core writes them: the runner reads any line of a step's output that starts with `::`
 * as a command, so a line break in a value must never reach the log as one.
 *
 * @see https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
 * @see actions/toolkit packages/core/src/command.ts (Command.toString, escapeData, escapeProperty)
 *   and packages/core/src/utils.ts (toCommandValue, toCommandProperties)
 */

/** A value as text: strings as they are, nothing as empty, anything else as JSON (toolkit's `toCommandValue`). */
export function toCommandValue(input: unknown): string {
  if (input === null || input === undefined) {
    return '';
  }
  if (typeof input === 'string' || input instanceof String) {
    return String(input);
  }
  return JSON.stringify(input);
}

/** The message of a command: `%`, CR and LF percent-encoded (toolkit's `escapeData`). */
export function escapeData(input: unknown): string {
  return toCommandValue(input).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property of a command: as a message, and also `:` and `,`, which end a property (toolkit's `escapeProperty`). */
export function escapeProperty(input: unknown): string {
  return escapeData(input).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * One workflow command line, as toolkit's `Command.toString()` writes it: properties without a
 * value are left out (the space before the properties is written whenever any key is given).
 */
export function workflowCommand(command: string, properties: Readonly<Record<string, unknown>>, message: unknown): string {
  const props = Object.entries(properties)
    .filter(([, value]) => Boolean(value))
    .map(([key, value]) => `${key}=${escapeProperty(value)}`);
  return `::${command}${Object.keys(properties).length > 0 ? ` ${props.join(',')}` : ''}::${escapeData(message)}`;
}

/**
 * The annotation for a problem: `::error` or `::warning` at its file, line and column, titled with
 * its field. Control and invisible characters from the input are shown as escapes first (the log
 * and the annotation would otherwise interpret or hide them); the command escaping then keeps
 * every value inside its command.
 */
export function problemAnnotation(problem: Problem): string {
  return workflowCommand(
    problem.severity === 'warning' ? 'warning' : 'error',
    {
      title: `meshflip: ${escapeUnsafeText(problem.field)}`,
      file: escapeUnsafeText(problem.file),
      line: problem.line,
      col: problem.col,
    },
    problemText(problem),
  );
}
