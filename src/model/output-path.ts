/**
 * Top-level folders of the repository that hold its sources, its input or metadata. The output
 * folder is never one of them or inside one; being below the repository root, it never contains
 * one either.
 */
export const SOURCE_FOLDERS: ReadonlyMap<string, string> = new Map([
  ['.git', "git's own data"],
  ['.github', 'the GitHub workflows'],
  ['.ci', 'the CI scripts'],
  ['environments', 'the input'],
  ['src', 'the source code'],
  ['test', 'the tests'],
  ['node_modules', 'the installed packages'],
]);

/** Folder names that are never part of the output folder's path, at any depth. */
const NEVER_ON_PATH = ['.git', 'node_modules'];

/** Prefix of the folders meshflip writes beside dist/ while it works (see write-dist.ts). */
export const WORK_FOLDER_PREFIX = '.meshflip-tmp-';

/** Why a path cannot be the output folder, with a hint. */
export interface OutputPathProblem {
  readonly message: string;
  readonly hint: string;
}

const HINT = 'give the rendered manifests a folder of their own, such as dist or deploy/manifests';

/**
 * Checks, from the text alone, a path meant as the output folder (dist/), relative to the
 * repository root with forward slashes: it must be a folder below the root, not the root, and
 * not a source or metadata folder or inside one. Returns undefined when it is fine. Whether the
 * folders on the way exist and are real folders (not links) is for the caller to check on disk.
 */
export function outputPathProblem(repoPath: string): OutputPathProblem | undefined {
  if (repoPath.startsWith('/') || /^[A-Za-z]:/.test(repoPath)) {
    return { message: 'must be a path relative to the repository root', hint: HINT };
  }
  const segments = repoPath.split('/');
  if (repoPath === '' || segments.every((s) => s === '.' || s === '')) {
    return { message: 'must be a folder below the repository root, not the root itself', hint: HINT };
  }
  if (segments[0] === '..') {
    return { message: 'must be a folder inside the repository, not outside it', hint: HINT };
  }
  if (segments.some((s) => s === '' || s === '.' || s === '..')) {
    return {
      message: 'must not have empty, . or .. segments',
      hint: `write it plainly, such as ${segments.filter((s) => s !== '' && s !== '.' && s !== '..').join('/') || 'dist'}`,
    };
  }
  // Compared without case: on macOS and Windows, SRC is src.
  const first = segments[0].toLowerCase();
  const what = SOURCE_FOLDERS.get(first);
  if (what !== undefined) {
    return {
      message: `must not be ${segments.length === 1 ? '' : 'inside '}${first}/, which holds ${what}: synth makes its output folder hold exactly what it renders`,
      hint: HINT,
    };
  }
  const never = segments.find((s) => NEVER_ON_PATH.includes(s.toLowerCase()));
  if (never !== undefined) {
    return { message: `must not be inside a ${never} folder`, hint: HINT };
  }
  if (segments.some((s) => s.startsWith(WORK_FOLDER_PREFIX))) {
    return { message: `must not be inside a ${WORK_FOLDER_PREFIX}* folder: meshflip uses those while it writes, and deletes them`, hint: HINT };
  }
  return undefined;
}
