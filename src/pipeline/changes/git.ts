import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Runs git in `cwd`; throws with git's message when it fails. */
export function git(cwd: string, args: readonly string[]): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) {
    throw new GitError(`git ${args.join(' ')} failed: ${(result.stderr || result.stdout || '').trim()}`);
  }
  return result.stdout;
}

/** A git command failed (bad ref, not a repository, ...). */
export class GitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GitError';
  }
}

/**
 * Extracts `folder` (dist/) as committed at `ref` into a new temporary folder; `dir` is empty when
 * `ref` has no such folder. Call `remove()` when done.
 */
export function checkoutFolder(cwd: string, ref: string, folder: string): { dir: string; remove(): void } {
  // --quiet makes git say nothing about a ref it does not know, so say it here.
  const commit = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, encoding: 'utf8' });
  if (commit.status !== 0) {
    const reason = (commit.stderr ?? '').trim();
    throw new GitError(reason === '' ? `no commit "${ref}" in this repository` : `git rev-parse ${ref} failed: ${reason}`);
  }
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-base-'));
  const remove = () => fs.rmSync(out, { recursive: true, force: true });
  const listed = git(cwd, ['ls-tree', '-r', '--name-only', ref, '--', folder]).split('\n').filter((l) => l !== '');
  if (listed.length === 0) {
    return { dir: out, remove };
  }
  const archive = spawnSync('git', ['archive', '--format=tar', ref, '--', folder], { cwd, maxBuffer: 1 << 30 });
  if (archive.status !== 0) {
    throw new GitError(`git archive ${ref} failed: ${archive.stderr.toString().trim()}`);
  }
  const tar = spawnSync('tar', ['-x', '-C', out], { input: archive.stdout, maxBuffer: 1 << 30 });
  if (tar.status !== 0) {
    throw new GitError(`extracting ${folder} at ${ref} failed: ${tar.stderr.toString().trim()}`);
  }
  return { dir: path.join(out, folder), remove };
}
