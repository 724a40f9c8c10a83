import * as fs from 'fs';
import * as path from 'path';
import { RenderedObject } from '../../meshes/effective-routing';
import { Finding } from '../../meshes/findings';
import { checkExpiries } from '../../model/expiry';
import { distFolder, Project } from '../../model/load';
import { loadAndScan, unusedAllowedSecrets } from '../../model/secret-scan';
import { compareStrings, Problem, sortProblems } from '../../model/spec-error';
import { NO_SCHEMA } from '../../validation/schema-store';
import { checkDist } from './dist-checks';
import { findingsToProblems } from './findings';
import { environmentOf, groupByEnvironment, readDist } from '../dist/read-dist';
import { readEnvironmentRouting } from '../routing/routing-reader';
import { synthesizeChanged } from './incremental-synth';
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
  /**
   * Render every environment and compare every file of dist/ with it. Without it, only the
   * environments whose inputs changed since dist/ was written (INPUTS.sha256) are rendered and
   * compared; the others are taken as dist/ holds them, as CI's full re-synthesis checks them.
   *
   * @default false
   */
  readonly full?: boolean;
}

/** Everything `meshflip validate` found. */
export interface ValidationReport {
  readonly problems: readonly Problem[];
  readonly project?: Project;
  /** How many objects of dist/ were checked. */
  readonly objects: number;
  /**
   * The working tree as rendered (the files rendered; with `full`, all of dist/) and the routing
   * of every environment: read back from the rendering, or from dist/ for an environment reused.
   */
  readonly fresh?: Synthesized;
  /** The environments rendered to check dist/ (with `full`, all of them). */
  readonly rendered?: readonly string[];
  /** The files of dist/ taken as they are, not rendered (those of the environments not rendered). */
  readonly keptFiles?: readonly string[];
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
  let rendered: readonly string[] | undefined;
  let reused = new Set<string>();
  let keptFiles: readonly string[] = [];
  if (project !== undefined) {
    problems.push(...unusedAllowedSecrets(project.settings.allowedSecrets, loaded.secrets.used));
    problems.push(...checkExpiries(project.environments, options.now ?? new Date()));
    if (options.full === true) {
      fresh = synthesizeWithRouting(project);
      rendered = project.environments.map((e) => e.name);
    } else {
      const changed = await synthesizeChanged({
        root,
        distDir,
        distRel,
        check: false,
        loaded: { project, allowedFingerprints: loaded.secrets.allowedFingerprints },
      });
      fresh = { files: [...changed.files], routing: [...changed.routing], problems: [...changed.problems] };
      keptFiles = changed.keptFiles;
      rendered = changed.rendered;
      reused = new Set(changed.reused);
    }
    problems.push(...fresh.problems);
    problems.push(...checkFreshness(fresh.files, distDir, distRel, (file) => !reused.has(environmentOf(file) ?? '')));
  }
  const { files, objects } = readDist(distDir, fresh === undefined ? undefined : new Map(fresh.files.map((f) => [f.path, f])));
  const findings = [
    ...checkDist(objects, files),
    ...(await checkRenderedSecrets(objects, new Set(loaded.secrets.allowedFingerprints))),
    ...(options.extraChecks ?? []).flatMap((check) => check(objects)),
  ];
  problems.push(...findingsToProblems(findings, root, distRel));
  if (fresh !== undefined && reused.size > 0) {
    // The routing of the environments reused, read back from the objects of dist/ just read.
    const byEnv = groupByEnvironment(objects.filter((o) => reused.has(environmentOf(o.file) ?? '')));
    const routing = [...fresh.routing, ...[...byEnv].map(([env, envObjects]) => readEnvironmentRouting(env, envObjects))];
    fresh = { ...fresh, routing: routing.sort((a, b) => compareStrings(a.name, b.name)) };
  }
  return { problems, project, objects: objects.length, fresh, rendered, keptFiles };
}

/** Files of dist/ that differ from a fresh synthesis (of those `compared` selects). */
function checkFreshness(
  fresh: readonly { path: string; content: string }[],
  distDir: string,
  distRel: string,
  compared: (file: string) => boolean,
): Problem[] {
  const problems: Problem[] = [];
  const wanted = new Map(fresh.filter((f) => compared(f.path)).map((f) => [f.path, f.content]));
  const present = new Set<string>();
  for (const file of listFiles(distDir).filter(compared)) {
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
  return {
    file: `${distRel}/${file}`,
    line: 1,
    col: 1,
    field: '(file)',
    message: `${message}: dist/ is out of date`,
    hint: 'run npm run synth and commit dist/',
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
      out.push(
        count === 1
          ? p
          : {
              ...p,
              message: `${p.message} (and ${count - 1} more object${count === 2 ? '' : 's'} of this kind)`,
              hint: 'objects of a kind without a schema are not checked: add its CRD to the schema folder',
            },
      );
    }
  }
  return out;
}
