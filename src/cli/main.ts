import * as fs from 'fs';
import * as path from 'path';
import { SpecError } from '../model/spec-error';
import { escapeUnsafeText } from '../model/unsafe-text';
import { CommandSpec } from './commands/command';
import { ExitCode, UsageError } from './errors';
import { colorFlag, commandHelp, GLOBAL_OPTIONS, parseCommandArgs } from './options';
import { Output, paintErr, printProblems, processOutput } from './output';

/** A command of the list. Its module (and what that imports: cdk8s, the validators) loads only when it is used. */
export interface CommandEntry {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  load(): CommandSpec;
}

// `meshflip --help` and `--version` load this file, the option parser and the output, and nothing else.
// The commands load with require(), not import(): it is the same in the compiled build, in tsx and in jest.
/* eslint-disable @typescript-eslint/no-require-imports -- loaded when used; typed as the module itself */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'synth',
    summary: 'Render every environment (or the ones named) into dist/',
    load: () => (require('./commands/synth') as typeof import('./commands/synth')).synthCommand,
  },
  {
    name: 'validate',
    summary: 'Run every check over environments/ and dist/ without writing anything',
    load: () => (require('./commands/validate') as typeof import('./commands/validate')).validateCommand,
  },
  {
    name: 'flip',
    summary: 'Switch a service (or a whole environment) between its mock and the real service',
    load: () => (require('./commands/flip') as typeof import('./commands/flip')).flipCommand,
  },
  {
    name: 'diff',
    summary: 'Show how routing and rendered objects change between a git revision and the working tree',
    load: () => (require('./commands/diff') as typeof import('./commands/diff')).diffCommand,
  },
  {
    name: 'explain',
    summary: 'Show where traffic goes, read back from the rendered dist/',
    load: () => (require('./commands/explain') as typeof import('./commands/explain')).explainCommand,
  },
  {
    name: 'revert-expired',
    summary: 'Revert every flip and fault whose expiry has passed, and re-render dist/',
    load: () => (require('./commands/revert-expired') as typeof import('./commands/revert-expired')).revertExpiredCommand,
  },
  {
    name: 'schema',
    summary: 'Write (or --check) the JSON Schemas of the input files',
    load: () => (require('./commands/schema') as typeof import('./commands/schema')).schemaCommand,
  },
  {
    name: 'ci-summary',
    summary: 'In GitHub Actions: validate, annotate, and summarize the routing change',
    load: () => (require('./commands/ci-summary') as typeof import('./commands/ci-summary')).ciSummaryCommand,
  },
  {
    name: 'crds',
    summary: 'Download the pinned upstream schemas the environments need (checksums verified)',
    load: () => (require('./commands/crds') as typeof import('./commands/crds')).crdsCommand,
  },
  {
    name: 'konnect',
    summary: 'Apply dist/<env>/konnect/ to the Konnect-hosted global control planes with kumactl',
    load: () => (require('./commands/konnect') as typeof import('./commands/konnect')).konnectCommand,
  },
  {
    name: 'init',
    summary: 'Start a new environment file that synthesizes as it is',
    load: () => (require('./commands/init') as typeof import('./commands/init')).initCommand,
  },
  {
    name: 'mock-contract',
    summary: 'Write a Mountebank imposter from an OpenAPI 3.x or Swagger 2.0 document',
    load: () => (require('./commands/mock-contract') as typeof import('./commands/mock-contract')).mockContractCommand,
  },
  {
    name: 'mock-record',
    summary: 'Write what a recording mock recorded as the imposter file the mock replays',
    load: () => (require('./commands/mock-record') as typeof import('./commands/mock-record')).mockRecordCommand,
  },
];
/* eslint-enable @typescript-eslint/no-require-imports */

/** Every command, loaded (for tests and documentation checks: it loads all of meshflip). */
export function loadCommands(): CommandSpec[] {
  return COMMANDS.map((c) => c.load());
}

/** The version of meshflip, from its package.json. */
export function meshflipVersion(): string {
  // The closest package.json of meshflip above this file, from src/cli/ or from the compiled copy (see src/build.cjs).
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    const pkg = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version: string }) : undefined;
    if (pkg?.name === 'meshflip') {
      return pkg.version;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`no package.json of meshflip in or above ${__dirname}`);
    }
  }
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
    const entry = COMMANDS.find((c) => c.name === name);
    if (entry === undefined) {
      throw new UsageError(`unknown command "${name}"`, `commands: ${[...COMMANDS.map((c) => c.name), 'version'].join(', ')}`);
    }
    const command = entry.load();
    // --help wins over everything else, even arguments the command would refuse.
    if (rest.includes('--help') || rest.includes('-h')) {
      output.out(commandHelp(command).join('\n'));
      return ExitCode.OK;
    }
    const { values, given, positionals } = parseCommandArgs(command, rest, cli.cwd);
    output = cli.output(colorFlag(values));
    // Like git: the repository is found from any folder inside it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when a command runs, not for --help
    const { findRepositoryRoot } = require('../model/load') as typeof import('../model/load');
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
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when an error is reported, not for --help
  if (e instanceof UsageError || (require('../pipeline/dist/output-folder') as typeof import('../pipeline/dist/output-folder')).OutputError.is(e)) {
    // Messages quote flags, paths and names as given.
    output.err(`${paintErr(output, 'red', 'error')}: ${escapeUnsafeText(e.message)}`);
    if (e.hint !== undefined) {
      output.err(`hint: ${escapeUnsafeText(e.hint)}`);
    }
    return ExitCode.USER_ERROR;
  }
  const message = e instanceof Error ? e.message : String(e);
  output.err(`${paintErr(output, 'red', 'internal error')}: ${escapeUnsafeText(message.split('\n')[0])}`);
  output.err(
    `This is a bug in meshflip ${meshflipVersion()}, not in your input. Please report it with the command you ran, ` +
      'this message and the stack trace (see README: Reporting a bug).',
  );
  if (debug) {
    output.err(escapeUnsafeText(e instanceof Error ? (e.stack ?? e.message) : String(e), { keepLines: true }));
  } else {
    output.err('hint: run again with --debug (or MESHFLIP_DEBUG=1) to print the stack trace');
  }
  return ExitCode.INTERNAL_ERROR;
}
