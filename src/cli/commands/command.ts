import { Output } from '../output';

/**
 * One option of a command. The parser and `--help` are both made from these, so the help cannot
 * list an option the parser refuses, nor leave out one it takes.
 */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** A one-letter alias (`-V`). */
  readonly short?: string;
  /** How the value is shown in the help (`<dir>`); string options only. */
  readonly arg?: string;
  /** A path: a relative value is taken from the folder meshflip runs in, not the repository root. */
  readonly path?: boolean;
  /** The help text; `\n` starts a new line in the description column. */
  readonly help: string;
}

/** Options by their long name (without `--`). */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The parsed value of each option: `true` for a boolean given, the text for a string. */
export type OptionValues<T extends OptionTable> = {
  readonly [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string;
};

/** What a command runs with. */
export interface CommandInput<T extends OptionTable> {
  readonly values: OptionValues<T>;
  /** Path options as the user wrote them (in `values` they are resolved): what messages quote. */
  readonly given: Readonly<Partial<Record<keyof T, string>>>;
  readonly positionals: readonly string[];
  /** The repository root: the closest folder at or above `cwd` that holds environments/meshflip.yaml. */
  readonly root: string;
  /** The folder meshflip was started in (path options are already resolved against it). */
  readonly cwd: string;
}

/** One subcommand of the meshflip CLI. */
export interface CommandSpec<T extends OptionTable = OptionTable> {
  /** Its name; its one line for the command list is in `COMMANDS` (main.ts), which loads the command only when it is used. */
  readonly name: string;
  /** The arguments after the name in the usage line (`<env> <service|--all>`); none when absent. */
  readonly args?: string;
  /** What the command does, before the options in `--help`. */
  readonly description: readonly string[];
  readonly options: T;
  /** Lines after the options in `--help`. */
  readonly notes?: readonly string[];
  /** Runs the command; returns the exit code. Throws SpecError or UsageError for user errors. */
  run(input: CommandInput<T>, output: Output): number | Promise<number>;
}

/** Keeps the option types of a command's table for its `run`, then lets it sit in a list with the others. */
export function defineCommand<T extends OptionTable>(spec: CommandSpec<T>): CommandSpec {
  return spec;
}
