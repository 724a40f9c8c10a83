import * as fs from 'fs';
import * as path from 'path';
import { str } from '../../meshes/effective-routing';
import { describeObject, Finding } from '../../meshes/findings';
import { MAX_INPUT_FILE_BYTES, readBounded } from '../../model/limits';
import { ENVIRONMENTS_DIR } from '../../model/load';
import { parsePath, SourceFile } from '../../model/source-file';
import { Problem } from '../../model/spec-error';

/** Locates findings about dist/ (see `findingToProblem`). */
export function findingsToProblems(findings: readonly Finding[], root: string, distRel: string): Problem[] {
  const sources = new Map<string, SourceFile | undefined>();
  return findings.map((f) => findingToProblem(f, root, distRel, sources));
}

/**
 * The bytes of the input file a `meshflip.io/source` annotation names, to find the line of its field.
 * The annotation is read from dist/, which anyone can edit: only a regular file under
 * environments/ of this repository, of at most the input file limit, is read; anything else
 * (`/dev/zero`, `../../etc/passwd`, a FIFO, a huge file, a link out of the repository) is not.
 */
function readSource(root: string, file: string): Buffer | undefined {
  const normalized = path.posix.normalize(file);
  if (normalized !== file || !file.startsWith(`${ENVIRONMENTS_DIR}/`) || file.includes('\0')) {
    return undefined;
  }
  const full = path.join(root, ...file.split('/'));
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    return undefined;
  }
  const inside = path.relative(fs.realpathSync(root), real);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    return undefined;
  }
  const read = readBounded(real, MAX_INPUT_FILE_BYTES);
  return 'bytes' in read ? read.bytes : undefined;
}

/**
 * Locates a finding about dist/: at the line of the object in dist/, with a hint naming the
 * environment file and line it was generated from (when the object carries that annotation).
 */
function findingToProblem(f: Finding, root: string, distRel: string, sources: Map<string, SourceFile | undefined>): Problem {
  const source = str(f.at.object, 'metadata', 'annotations', 'meshflip.io/source');
  let hint: string | undefined;
  if (source !== undefined) {
    const [file, field] = source.split('#');
    if (!sources.has(file)) {
      const text = readSource(root, file);
      sources.set(file, text === undefined ? undefined : SourceFile.parse(file, text));
    }
    const sourceFile = sources.get(file);
    const where = sourceFile !== undefined && field !== undefined ? `${file}:${sourceFile.lineOf(parsePath(field))}` : file;
    hint = `generated from ${where}${field === undefined ? '' : ` (${field})`}`;
  }
  const what = f.at.object.kind !== undefined || f.at.object.type !== undefined ? describeObject(f.at.object) : '(environment)';
  // The field already names the object: do not say it twice.
  const message = f.message.startsWith(`${what} `) ? f.message.slice(what.length + 1) : f.message;
  return {
    file: `${distRel}/${f.at.file}`.replace(/\/$/, ''),
    line: f.at.line ?? 1,
    col: 1,
    field: what,
    message,
    ...(hint === undefined ? {} : { hint }),
    severity: f.severity,
  };
}
