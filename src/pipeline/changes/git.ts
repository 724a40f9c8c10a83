import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
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

/** Throws a GitError unless `ref` names a commit of the repository at `cwd`. */
export function verifyCommit(cwd: string, ref: string): void {
  // --quiet makes git say nothing about a ref it does not know, so say it here.
  const commit = spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { cwd, encoding: 'utf8' });
  if (commit.status !== 0) {
    const reason = (commit.stderr ?? '').trim();
    throw new GitError(reason === '' ? `no commit "${ref}" in this repository` : `git rev-parse ${ref} failed: ${reason}`);
  }
}

/**
 * The files of `folder` as committed at `ref`, by path relative to `folder`, with the object id of
 * their content (the git blob id: `blobId` of the same text gives the same id).
 */
export function listCommittedFiles(cwd: string, ref: string, folder: string): Map<string, string> {
  const out = new Map<string, string>();
  const prefix = `${folder.replace(/\/+$/, '')}/`;
  for (const entry of git(cwd, ['--literal-pathspecs', 'ls-tree', '-r', '-z', '--full-tree', ref, '--', prefix]).split('\0')) {
    const match = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
    if (match !== null && match[2].startsWith(prefix)) {
      out.set(match[2].slice(prefix.length), match[1]);
    }
  }
  return out;
}

/** The git blob id of a text: what `git hash-object` prints for a file holding it (SHA-1 repositories). */
export function blobId(content: string): string {
  const bytes = Buffer.from(content, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/**
 * Extracts `folder` (dist/) as committed at `ref` into a new temporary folder; `dir` is empty when
 * `ref` has no such folder. With `only`, just those paths below `folder` (files or folders).
 * Call `remove()` when done.
 */
export function checkoutFolder(cwd: string, ref: string, folder: string, only?: readonly string[]): { dir: string; remove(): void } {
  verifyCommit(cwd, ref);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-base-'));
  const remove = () => fs.rmSync(out, { recursive: true, force: true });
  const listed = git(cwd, ['ls-tree', '-r', '--name-only', ref, '--', folder])
    .split('\n')
    .filter((l) => l !== '');
  if (listed.length === 0 || (only !== undefined && only.length === 0)) {
    return { dir: out, remove };
  }
  const specs = only === undefined ? [folder] : only.map((p) => `${folder}/${p}`);
  const archive = spawnSync('git', ['--literal-pathspecs', 'archive', '--format=tar', ref, '--', ...specs], { cwd, maxBuffer: 1 << 30 });
  if (archive.status !== 0) {
    throw new GitError(`git archive ${ref} failed: ${archive.stderr.toString().trim()}`);
  }
  const tar = spawnSync('tar', ['-x', '-C', out], { input: archive.stdout, maxBuffer: 1 << 30 });
  if (tar.status !== 0) {
    throw new GitError(`extracting ${folder} at ${ref} failed: ${tar.stderr.toString().trim()}`);
  }
  return { dir: path.join(out, folder), remove };
}

/**
 * The text of git blobs, by object id (`git cat-file --batch`: one process for all of them). An
 * id git does not have is an error.
 */
export function readBlobs(cwd: string, ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) {
    return out;
  }
  const result = spawnSync('git', ['cat-file', '--batch'], { cwd, input: `${wanted.join('\n')}\n`, maxBuffer: 1 << 30 });
  if (result.status !== 0) {
    throw new GitError(`git cat-file --batch failed: ${result.stderr.toString().trim()}`);
  }
  const bytes = result.stdout;
  let at = 0;
  for (const id of wanted) {
    const end = bytes.indexOf(0x0a, at);
    const header = bytes.subarray(at, end).toString('utf8');
    const match = /^([0-9a-f]+) blob (\d+)$/.exec(header);
    if (end === -1 || match === null || match[1] !== id) {
      throw new GitError(`git cat-file --batch: no blob ${id} (${header})`);
    }
    const size = Number(match[2]);
    out.set(id, bytes.subarray(end + 1, end + 1 + size).toString('utf8'));
    at = end + 1 + size + 1;
  }
  return out;
}
