import { createHash } from 'crypto';
import { compareStrings } from '../../model/spec-error';

/** The file in each environment's folder of dist/ that records what it was rendered from. */
export const INPUTS_FILE = 'INPUTS.sha256';

/**
 * The SHA-256 over an environment's files as rendered (all but INPUTS.sha256): the SHA-256 of each
 * file's exact bytes and its path, in path order. Equal digests mean byte-identical files. A file
 * may be given as text (its UTF-8 bytes) or as the bytes read from disk, which need not be UTF-8.
 */
export function outputsDigest(files: readonly { readonly path: string; readonly content: string | Uint8Array }[]): string {
  return outputsDigestOf(files.map((f) => [f.path, isInputsFile(f.path) ? '' : contentDigest(f)]));
}

/** `outputsDigest` of files by the SHA-256 of each one's content: `[path, digest]`, in any order. */
export function outputsDigestOf(digests: Iterable<readonly [path: string, digest: string]>): string {
  const hash = createHash('sha256');
  for (const [file, digest] of [...digests].sort(([a], [b]) => compareStrings(a, b))) {
    if (!isInputsFile(file)) {
      hash.update(`${digest}  ${file}\n`);
    }
  }
  return hash.digest('hex');
}

/** The SHA-256 of each file object's content, computed once: synthesis digests its files for INPUTS.sha256 and for the check results it keeps. */
const contentDigests = new WeakMap<object, string>();

/**
 * The SHA-256 (hex) of a file's content, as text (its UTF-8 bytes) or bytes. A file's content does
 * not change: it is computed once per file object, or taken from `digest` when the file has one
 * (`RenderedFile.digest`: computed where it was rendered, or read).
 */
export function contentDigest(file: { readonly content: string | Uint8Array; readonly digest?: string }): string {
  if (file.digest !== undefined) {
    return file.digest;
  }
  let digest = contentDigests.get(file);
  if (digest === undefined) {
    const hash = typeof file.content === 'string' ? createHash('sha256').update(file.content, 'utf8') : createHash('sha256').update(file.content);
    digest = hash.digest('hex');
    contentDigests.set(file, digest);
  }
  return digest;
}

/** Whether a path of dist/ is an environment's INPUTS.sha256. */
export function isInputsFile(file: string): boolean {
  const parts = file.split('/');
  return parts.length === 2 && parts[1] === INPUTS_FILE;
}

/** The outputs digest recorded in an INPUTS.sha256 text, or undefined when it has none. */
export function recordedOutputs(inputsText: string | undefined): string | undefined {
  return inputsText === undefined ? undefined : /^([0-9a-f]{64}) {2}\(outputs\)$/m.exec(inputsText)?.[1];
}

/** The inputs digest recorded in an INPUTS.sha256 text, or undefined when it has none. */
export function recordedInputs(inputsText: string | undefined): string | undefined {
  return inputsText === undefined ? undefined : /^([0-9a-f]{64}) {2}\(digest\)$/m.exec(inputsText)?.[1];
}
