import * as fs from 'fs';
import * as path from 'path';
import { str, RenderedObject } from '../../meshes/effective-routing';
import { describeObject, Finding } from '../../meshes/findings';
import { checkExpiries } from '../../model/expiry';
import { MAX_INPUT_FILE_BYTES, readBounded } from '../../model/limits';
import { distFolder, ENVIRONMENTS_DIR, Project } from '../../model/load';
import { loadAndScan, unusedAllowedSecrets } from '../../model/secret-scan';
import { parsePath, SourceFile } from '../../model/source-file';
import { Problem, sortProblems } from '../../model/spec-error';
import { NO_SCHEMA } from '../../validation/schema-store';
import { checkDist } from './dist-checks';
import { readDist } from '../dist/read-dist';
import { checkRenderedSecrets } from './secret-checks';
import { Synthesized, synthesizeWithRouting } from '../synth/synth';
import { recoverInterruptedWrite } from '../dist/write-dist';
import { listFiles } from '../dist/read-dist';

/** Options for `validateRepository`. */
export interface ValidateOptions {
  /** The repository root (holds environments/). */
  readonly root: string;
  /** dist/ to check. @default - `<root>/dist` */
  readonly distDir?: string;
  /** The current time, for expiries. @default - now */
  readonly now?: Date;
  /** Extra checks over the objects of dist/ (schema validation). */
  readonly extraChecks?: readonly ((objects: readonly RenderedObject[]) => Finding[])[];
}

/** Everything `meshflip validate` found. */
export interface ValidationReport {
  readonly problems: readonly Problem[];
  readonly project?: Project;
  /** How many objects of dist/ were checked. */
  readonly objects: number;
  /** The fresh synthesis dist/ was compared with, and the routing read back from it. */
  readonly fresh?: Synthesized;
}

/**
 * Runs every check without writing anything: the environment files (schema and references),
 * credentials in any input file (and the exceptions of allowedSecrets), expiries against the
 * clock, whether dist/ is what a fresh synthesis gives, and every check over dist/ as it is on
 * disk (hand edits included).
 */
export async function validateRepository(options: ValidateOptions): Promise<ValidationReport> {
  const root = options.root;
  const distDir = options.distDir ?? path.join(root, distFolder(root));
  recoverInterruptedWrite(distDir);
  const distRel = path.relative(root, distDir).split(path.sep).join('/') || '.';
  const problems: Problem[] = [];
  // The files and the credentials in them, reported together.
  const loaded = await loadAndScan(root);
  const project = loaded.project;
  problems.push(...loaded.problems);
  let fresh: Synthesized | undefined;
  if (project !== undefined) {
    problems.push(...unusedAllowedSecrets(project.settings.allowedSecrets, loaded.secrets.used));
    problems.push(...checkExpiries(project.environments, options.now ?? new Date()));
    fresh = synthesizeWithRouting(project);
    problems.push(...fresh.problems);
    problems.push(...checkFreshness(fresh.files, distDir, distRel));
  }
  const { files, objects } = readDist(distDir, fresh === undefined ? undefined : new Map(fresh.files.map((f) => [f.path, f])));
  const findings = [
    ...checkDist(objects, files),
    ...await checkRenderedSecrets(objects, new Set(loaded.secrets.allowedFingerprints)),
    ...(options.extraChecks ?? []).flatMap((check) => check(objects)),
  ];
  problems.push(...findingsToProblems(findings, root, distRel));
  return { problems, project, objects: objects.length, fresh };
}

/** Locates findings about dist/ (see `findingToProblem`). */
export function findingsToProblems(findings: readonly Finding[], root: string, distRel: string): Problem[] {
  const sources = new Map<string, SourceFile | undefined>();
  return findings.map((f) => findingToProblem(f, root, distRel, sources));
}

/** Files of dist/ that differ from a fresh synthesis. */
function checkFreshness(fresh: readonly { path: string; content: string }[], distDir: string, distRel: string): Problem[] {
  const problems: Problem[] = [];
  const wanted = new Map(fresh.map((f) => [f.path, f.content]));
  const present = new Set<string>();
  for (const file of listFiles(distDir)) {
    present.add(file);
    const content = wanted.get(file);
    if (content === undefined) {
      problems.push(staleProblem(distRel, file, 'is no longer produced by synthesis'));
    } else if (fs.readFileSync(path.join(distDir, file), 'utf8') !== content) {
      problems.push(staleProblem(distRel, file, 'differs from a fresh synthesis'));
    }
  }
  for (const file of wanted.keys()) {
    if (!present.has(file)) {
      problems.push(staleProblem(distRel, file, 'is missing: synthesis produces it'));
    }
  }
  return problems;
}

function staleProblem(distRel: string, file: string, message: string): Problem {
  return { file: `${distRel}/${file}`, line: 1, col: 1, field: '(file)', message: `${message}: dist/ is out of date`, hint: 'run npm run synth and commit dist/' };
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

/**
 * For display: the warnings about objects whose kind has no schema, one per kind instead of one
 * per object (a schema folder with only some CRDs would otherwise bury everything else). Each
 * kind is shown at its first object, with how many more there are. Sorted, as for display.
 */
export function summarizeMissingSchemas(problems: readonly Problem[]): Problem[] {
  const sorted = sortProblems(problems);
  const counts = new Map<string, number>();
  for (const p of sorted) {
    if (p.severity === 'warning' && p.message.startsWith(NO_SCHEMA)) {
      counts.set(p.message, (counts.get(p.message) ?? 0) + 1);
    }
  }
  const shown = new Set<string>();
  const out: Problem[] = [];
  for (const p of sorted) {
    const count = p.severity === 'warning' ? counts.get(p.message) : undefined;
    if (count === undefined) {
      out.push(p);
    } else if (!shown.has(p.message)) {
      shown.add(p.message);
      out.push(count === 1 ? p : {
        ...p,
        message: `${p.message} (and ${count - 1} more object${count === 2 ? '' : 's'} of this kind)`,
        hint: 'objects of a kind without a schema are not checked: add its CRD to the schema folder',
      });
    }
  }
  return out;
}
