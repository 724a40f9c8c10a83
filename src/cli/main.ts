import { SpecError } from '../model/spec-error';
import { escapeUnsafeText } from '../model/unsafe-text';
import { CommandSpec } from './commands/command';
import { ciSummaryCommand } from './commands/ci-summary';
import { diffCommand } from './commands/diff';
import { explainCommand } from './commands/explain';
import { flipCommand } from './commands/flip';
import { revertExpiredCommand } from './commands/revert-expired';
import { schemaCommand } from './commands/schema';
import { synthCommand } from './commands/synth';
import { validateCommand } from './commands/validate';
import { ExitCode, UsageError } from './errors';
import { Output, paint, printProblems, processOutput } from './output';

const COMMANDS: readonly CommandSpec[] = [synthCommand, validateCommand, flipCommand, diffCommand, explainCommand, revertExpiredCommand, schemaCommand, ciSummaryCommand];

function usage(): string[] {
  // One column for the summaries, wide enough for the longest command name.
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: meshflip <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run meshflip <command> --help for the options of a command.',
  ];
}

/**
 * Runs the CLI. User errors (bad environment files, bad flags, failed checks) print a message
 * and a hint and return 1; anything else is a bug: it prints its stack trace and returns 2.
 */
export async function main(argv: readonly string[], output: Output = processOutput()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    output.out(usage().join('\n'));
    return name === undefined ? ExitCode.USER_ERROR : ExitCode.OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (command === undefined) {
      throw new UsageError(`unknown command "${name}"`, `commands: ${COMMANDS.map((c) => c.name).join(', ')}`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      output.out([`Usage: ${command.usage}`, '', ...command.help].join('\n'));
      return ExitCode.OK;
    }
    return await command.run(rest, output);
  } catch (e) {
    return report(e, output);
  }
}

/** Prints an error the way its kind deserves and returns the exit code. */
export function report(e: unknown, output: Output): number {
  if (SpecError.is(e)) {
    printProblems(output, e.problems);
    const errors = e.problems.filter((p) => p.severity !== 'warning').length;
    output.err(`${errors} problem${errors === 1 ? '' : 's'} found; nothing was written.`);
    return ExitCode.USER_ERROR;
  }
  if (e instanceof UsageError || (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true)) {
    // Messages quote flags and names as given on the command line.
    output.err(`${paint(output, 'red', 'error')}: ${escapeUnsafeText(e.message)}`);
    const hint = e instanceof UsageError ? e.hint : 'run with --help to see the options';
    if (hint !== undefined) {
      output.err(`hint: ${escapeUnsafeText(hint)}`);
    }
    return ExitCode.USER_ERROR;
  }
  output.err(`${paint(output, 'red', 'internal error')} (a bug in meshflip; please report it):`);
  output.err(escapeUnsafeText(e instanceof Error ? e.stack ?? e.message : String(e), { keepLines: true }));
  return ExitCode.INTERNAL_ERROR;
}
