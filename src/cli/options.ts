import * as path from 'path';
import { parseArgs, ParseArgsConfig } from 'util';
import { CommandSpec, OptionSpec, OptionTable } from './commands/command';
import { UsageError } from './errors';

/** Options every command takes. */
export const GLOBAL_OPTIONS = {
  color: {
    type: 'string',
    arg: 'auto|always|never',
    help: 'Colour on stdout and stderr: auto (each stream on a terminal, default),\nalways or never; FORCE_COLOR and NO_COLOR apply when not given',
  },
  'no-color': { type: 'boolean', help: 'The same as --color never' },
  debug: { type: 'boolean', help: 'Print the stack trace of an internal error (or set MESHFLIP_DEBUG=1)' },
  help: { type: 'boolean', short: 'h', help: 'Print this help' },
} as const satisfies OptionTable;

/** The `util.parseArgs` configuration of a command: its own options and the global ones. */
export function parserConfig(command: CommandSpec): ParseArgsConfig & { options: NonNullable<ParseArgsConfig['options']> } {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries({ ...command.options, ...GLOBAL_OPTIONS } as OptionTable)) {
    options[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
  }
  return { options, strict: true, allowPositionals: command.args !== undefined };
}

/** Parsed arguments of a command, path options resolved against `cwd`. */
export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  /** Path options as the user wrote them, for messages. */
  readonly given: Record<string, string>;
  readonly positionals: string[];
}

/** Parses a command's arguments with its option table; throws UsageError for anything it does not take. */
export function parseCommandArgs(command: CommandSpec, argv: readonly string[], cwd: string): ParsedArgs {
  let parsed: { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ ...parserConfig(command), args: [...argv] });
  } catch (e) {
    // Checked by code, not class: the TypeError may come from another realm (a test's VM context).
    const { code, message } = e as { code?: unknown; message?: string };
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      const unexpected = /^Unexpected argument '(.*)'/.exec(message ?? '');
      throw new UsageError(
        unexpected === null ? (message ?? code) : `meshflip ${command.name} takes no arguments, got "${unexpected[1]}"`,
        `run meshflip ${command.name} --help to see the options`,
      );
    }
    throw e;
  }
  const values: Record<string, string | boolean | undefined> = {};
  const given: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    const spec = command.options[name];
    values[name] = spec?.path === true && typeof value === 'string' ? path.resolve(cwd, value) : (value as string | boolean);
    if (spec?.path === true && typeof value === 'string') {
      given[name] = value;
    }
  }
  return { values, given, positionals: parsed.positionals };
}

/** `--name <arg>` or `-x, --name`. */
function flagText(name: string, spec: OptionSpec): string {
  const long = `--${name}${spec.type === 'string' ? ` ${spec.arg ?? '<value>'}` : ''}`;
  return spec.short === undefined ? `    ${long}` : `-${spec.short}, ${long}`;
}

/** An options section: flags in one column, descriptions in the next. */
function optionLines(table: OptionTable): string[] {
  const entries = Object.entries(table).map(([name, spec]) => [flagText(name, spec), spec.help.split('\n')] as const);
  const width = Math.max(...entries.map(([flag]) => flag.length)) + 2;
  return entries.flatMap(([flag, help]) => help.map((line, i) => `  ${(i === 0 ? flag : '').padEnd(width)}${line}`));
}

/** The usage line of a command. */
export function usageLine(command: CommandSpec): string {
  return `meshflip ${command.name}${command.args === undefined ? '' : ` ${command.args}`} [options]`;
}

/** The `--help` of a command, made from its option table. */
export function commandHelp(command: CommandSpec): string[] {
  const own = Object.keys(command.options).length > 0 ? ['', 'Options:', ...optionLines(command.options)] : [];
  return [
    `Usage: ${usageLine(command)}`,
    '',
    ...command.description,
    ...own,
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    ...(command.notes === undefined ? [] : ['', ...command.notes]),
  ];
}

/** How colour is chosen: by the flag, else FORCE_COLOR, else NO_COLOR, else whether the stream is a terminal. */
export type ColorMode = 'auto' | 'always' | 'never';

/** The colour mode from `--color` / `--no-color`. */
export function colorFlag(values: Record<string, unknown>): ColorMode | undefined {
  if (values['no-color'] === true) {
    if (values.color !== undefined && values.color !== 'never') {
      throw new UsageError(`--no-color contradicts --color ${JSON.stringify(values.color)}`, 'pass one of them');
    }
    return 'never';
  }
  const color = values.color;
  if (color === undefined) {
    return undefined;
  }
  if (color !== 'auto' && color !== 'always' && color !== 'never') {
    throw new UsageError(
      `--color must be auto, always or never, got ${JSON.stringify(color)}`,
      '--color never for plain text, --color always to keep colour through a pipe',
    );
  }
  return color;
}

/**
 * Whether one stream gets colour. `--color always|never` decides; with auto (or no flag), a
 * non-empty FORCE_COLOR forces it (FORCE_COLOR=0 or false turns it off, as in Node.js), then a
 * non-empty NO_COLOR turns it off (no-color.org), else it is on when the stream is a terminal
 * and TERM is not dumb.
 */
export function wantsColor(mode: ColorMode | undefined, isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  if (mode === 'always' || mode === 'never') {
    return mode === 'always';
  }
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '') {
    return force !== '0' && force !== 'false';
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') {
    return false;
  }
  return isTTY && env.TERM !== 'dumb';
}
