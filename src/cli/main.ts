import * as fs from 'fs';
import * as path from 'path';
import { findRepositoryRoot } from '../model/load';
import { SpecError } from '../model/spec-error';
import { escapeUnsafeText } from '../model/unsafe-text';
import { OutputError } from '../pipeline/dist/output-folder';
import { CommandSpec } from './commands/command';
import { ciSummaryCommand } from './commands/ci-summary';
import { crdsCommand } from './commands/crds';
import { diffCommand } from './commands/diff';
import { explainCommand } from './commands/explain';
import { flipCommand } from './commands/flip';
import { konnectCommand } from './commands/konnect';
import { mockContractCommand } from './commands/mock-contract';
import { mockRecordCommand } from './commands/mock-record';
import { revertExpiredCommand } from './commands/revert-expired';
import { schemaCommand } from './commands/schema';
import { synthCommand } from './commands/synth';
import { validateCommand } from './commands/validate';
import { ExitCode, UsageError } from './errors';
import { initCommand } from './commands/init';
import { colorFlag, commandHelp, GLOBAL_OPTIONS, parseCommandArgs } from './options';
import { Output, paintErr, printProblems, processOutput } from './output';

export const COMMANDS: readonly CommandSpec[] = [synthCommand, validateCommand, flipCommand, diffCommand, explainCommand, revertExpiredCommand, schemaCommand, ciSummaryCommand, crdsCommand, konnectCommand, initCommand, mockContractCommand, mockRecordCommand];

/** The version of meshflip, from its package.json. */
export function meshflipVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

function usage(): string[] {
  // One column for the summaries, wide enough for the longest command name.
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'Usage: meshflip <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    `  ${'version'.padEnd(width)}Print the version of meshflip (also --version, -V)`,
    '',
    'Run meshflip <command> --help for the options of a command.',
  ];
}

/** The process the CLI runs in; tests pass their own. */
export interface CliEnvironment {
  /** Where the output goes, given the colour mode of --color (undefined: auto). */
  readonly output: (mode: ReturnType<typeof colorFlag>) => Output;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

function processEnvironment(): CliEnvironment {
  return { output: (mode) => processOutput(mode), cwd: process.cwd(), env: process.env };
}

/**
 * Runs the CLI. User errors (bad environment files, bad flags, failed checks) print a message
 * and a hint and return 1; anything else is a bug: it says so, how to report it, and returns 2
 * (with the stack trace under --debug or MESHFLIP_DEBUG=1).
 */
export async function main(argv: readonly string[], cli: CliEnvironment = processEnvironment()): Promise<number> {
  let output = cli.output(undefined);
  const debug = argv.includes('--debug') || (cli.env.MESHFLIP_DEBUG !== undefined && cli.env.MESHFLIP_DEBUG !== '' && cli.env.MESHFLIP_DEBUG !== '0');
  try {
    // Global options may come before the command: meshflip --color never validate.
    let i = 0;
    while (i < argv.length && argv[i].startsWith('-') && argv[i] !== '-V' && argv[i] !== '--version' && argv[i] !== '-h' && argv[i] !== '--help') {
      i += argv[i] === '--color' ? 2 : 1;
    }
    const name = argv[i];
    const rest = [...argv.slice(0, i), ...argv.slice(i + 1)];
    if (name === '--version' || name === '-V' || name === 'version') {
      if (rest.some((a) => a !== '--debug' && a !== '--no-color' && !a.startsWith('--color'))) {
        throw new UsageError(`meshflip ${name} takes no arguments, got "${rest.join(' ')}"`, 'meshflip --version');
      }
      output.out(`meshflip ${meshflipVersion()}`);
      return ExitCode.OK;
    }
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      output.out(usage().join('\n'));
      return name === undefined ? ExitCode.USER_ERROR : ExitCode.OK;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (command === undefined) {
      throw new UsageError(`unknown command "${name}"`, `commands: ${[...COMMANDS.map((c) => c.name), 'version'].join(', ')}`);
    }
    // --help wins over everything else, even arguments the command would refuse.
    if (rest.includes('--help') || rest.includes('-h')) {
      output.out(commandHelp(command).join('\n'));
      return ExitCode.OK;
    }
    const { values, given, positionals } = parseCommandArgs(command, rest, cli.cwd);
    output = cli.output(colorFlag(values));
    // Like git: the repository is found from any folder inside it.
    const root = findRepositoryRoot(cli.cwd) ?? cli.cwd;
    const own = Object.fromEntries(Object.entries(values).filter(([key]) => !(key in GLOBAL_OPTIONS)));
    return await command.run({ values: own as Record<string, never>, given, positionals, root, cwd: cli.cwd }, output);
  } catch (e) {
    return report(e, output, debug);
  }
}

/** Prints an error the way its kind deserves and returns the exit code. */
export function report(e: unknown, output: Output, debug = false): number {
  if (SpecError.is(e)) {
    printProblems(output, e.problems);
    const errors = e.problems.filter((p) => p.severity !== 'warning').length;
    output.err(`${errors} problem${errors === 1 ? '' : 's'} found; nothing was written.`);
    return ExitCode.USER_ERROR;
  }
  if (OutputError.is(e) || e instanceof UsageError) {
    // Messages quote flags, paths and names as given.
    output.err(`${paintErr(output, 'red', 'error')}: ${escapeUnsafeText(e.message)}`);
    if (e.hint !== undefined) {
      output.err(`hint: ${escapeUnsafeText(e.hint)}`);
    }
    return ExitCode.USER_ERROR;
  }
  const message = e instanceof Error ? e.message : String(e);
  output.err(`${paintErr(output, 'red', 'internal error')}: ${escapeUnsafeText(message.split('\n')[0])}`);
  output.err(`This is a bug in meshflip ${meshflipVersion()}, not in your input. Please report it with the command you ran, `
    + 'this message and the stack trace (see README: Reporting a bug).');
  if (debug) {
    output.err(escapeUnsafeText(e instanceof Error ? e.stack ?? e.message : String(e), { keepLines: true }));
  } else {
    output.err('hint: run again with --debug (or MESHFLIP_DEBUG=1) to print the stack trace');
  }
  return ExitCode.INTERNAL_ERROR;
}
