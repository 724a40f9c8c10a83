/** A mistake in how a command was called (unknown flag, missing argument). Exit code 1. */
export class UsageError extends Error {
  constructor(
    message: string,
    public readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes of every command. */
export enum ExitCode {
  OK = 0,
  /** Bad input: environment files, flags, a check that failed. */
  USER_ERROR = 1,
  /** A bug in meshflip. */
  INTERNAL_ERROR = 2,
}
