import { Output } from '../output';

/** One subcommand of the meshflip CLI. */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  readonly usage: string;
  /** The rest of `--help`. */
  readonly help: readonly string[];
  /** Runs the command; returns the exit code. Throws SpecError or UsageError for user errors. */
  run(argv: string[], output: Output): number | Promise<number>;
}
