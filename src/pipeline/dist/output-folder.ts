import * as fs from 'fs';
import * as path from 'path';
import { distSetting } from '../../model/load';
import { outputPathProblem } from '../../model/output-path';
import { SpecError } from '../../model/spec-error';

/**
 * The output folder cannot be used as it is, or writing it failed: a symbolic link where a folder
 * should be, a file meshflip did not write, a full disk, a read-only folder. The message names the
 * file; the hint says what to do. The CLI prints both and exits with 1.
 */
export class OutputError extends Error {
  constructor(
    message: string,
    public readonly hint: string,
  ) {
    super(message);
    this.name = 'OutputError';
  }

  /** True when `e` is an OutputError (also across module copies). */
  public static is(e: unknown): e is OutputError {
    return e instanceof OutputError || (e instanceof Error && e.name === 'OutputError' && typeof (e as OutputError).hint === 'string');
  }
}

/** Where a command writes dist/. */
export interface OutputFolder {
  /** Absolute. */
  readonly dir: string;
  /** Relative to the repository root, with forward slashes: for messages. */
  readonly rel: string;
}

/** Where the output folder was named, when not by repository.path. */
export interface OutputFolderOverride {
  /** The path as given (relative to the repository root, or absolute). */
  readonly value: string;
  /** What named it, as the user wrote it: `--out`, `CDK8S_OUTDIR`. */
  readonly source: string;
  /** The path as the user wrote it, when `value` is it resolved (a flag given in a subfolder). @default value */
  readonly shown?: string;
}

/**
 * The one place that decides where a command may write: `override` when given (a flag or an
 * environment variable), else repository.path of environments/meshflip.yaml. The folder must be
 * below the repository root, not a source or metadata folder nor inside one
 * (`outputPathProblem`), and every folder on the way to it that exists, itself included, must be
 * a real folder, not a symbolic link or a file. Every command that writes dist/ calls this before
 * it touches anything.
 *
 * A problem with repository.path is a `SpecError` at its line; one with a flag or variable an
 * `OutputError` naming it.
 */
export function resolveOutputFolder(root: string, override?: OutputFolderOverride): OutputFolder {
  if (override !== undefined) {
    const dir = path.resolve(root, override.value);
    const rel = path.relative(root, dir);
    const outside = rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel);
    const problem = outputPathProblem(outside ? '..' : rel.split(path.sep).join('/'));
    const fail = (message: string, hint: string) =>
      new OutputError(`${override.source} ${JSON.stringify(override.shown ?? override.value)}: the output folder ${message}`, hint);
    if (problem !== undefined) {
      throw fail(problem.message, problem.hint);
    }
    const onDisk = onDiskProblem(root, rel.split(path.sep));
    if (onDisk !== undefined) {
      throw fail(onDisk.message, onDisk.hint);
    }
    return { dir, rel: rel.split(path.sep).join('/') };
  }
  const setting = distSetting(root);
  const fail = (message: string, hint: string) =>
    setting.problem === undefined
      ? new OutputError(`${setting.path}: the output folder ${message}`, hint)
      : new SpecError([setting.problem(message, hint)]);
  const problem = outputPathProblem(setting.path);
  if (problem !== undefined) {
    throw fail(problem.message, problem.hint);
  }
  const onDisk = onDiskProblem(root, setting.path.split('/'));
  if (onDisk !== undefined) {
    throw fail(onDisk.message, onDisk.hint);
  }
  return { dir: path.join(root, ...setting.path.split('/')), rel: setting.path };
}

/** A folder on the way to the output folder (itself included) that is a link or not a folder. */
function onDiskProblem(root: string, segments: readonly string[]): { message: string; hint: string } | undefined {
  for (let i = 1; i <= segments.length; i++) {
    const rel = segments.slice(0, i).join('/');
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(path.join(root, ...segments.slice(0, i)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        // Missing folders are created by the write.
        return undefined;
      }
      throw e;
    }
    if (stat.isSymbolicLink()) {
      return {
        message: `must be a real folder, but ${rel} is a symbolic link (to ${fs.readlinkSync(path.join(root, ...segments.slice(0, i)))}); meshflip never writes or deletes through a link`,
        hint: `replace ${rel} by a real folder: synth renders every file again`,
      };
    }
    if (!stat.isDirectory()) {
      return { message: `must be a folder, but ${rel} is a file`, hint: `move ${rel} away, or choose another output folder` };
    }
  }
  return undefined;
}
