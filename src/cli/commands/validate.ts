import * as fs from 'fs';
import * as path from 'path';
import { distChecks, schemaFolder } from '../schema-option';
import { distFolder } from '../../model/load';
import { summarizeMissingSchemas, validateRepository } from '../../pipeline/validate/validate';
import { environmentFiles } from '../../pipeline/validate/parallel-synth';
import { sortProblems } from '../../model/spec-error';
import { jsonText, problemJson } from '../json-output';
import { UsageError } from '../errors';
import { Output, paint, printProblems } from '../output';
import { defineCommand } from './command';

/** The clock: --now, else $MESHFLIP_NOW (tests), else the system time. */
export function resolveNow(flag: string | undefined): Date {
  const text = flag ?? process.env.MESHFLIP_NOW;
  if (text === undefined || text === '') {
    return new Date();
  }
  const now = new Date(text);
  if (Number.isNaN(now.getTime())) {
    throw new UsageError(`--now must be an ISO date-time, got "${text}"`, 'for example --now 2026-12-01T12:00:00Z');
  }
  return now;
}

export const validateCommand = defineCommand({
  name: 'validate',
  description: [
    'Checks the environment files, expiries (a warning a day before, an error once passed),',
    'that dist/ is exactly what synthesis produces, and dist/ as it is: mesh rules, protected',
    'environments, secrets, images and the Argo CD setup. An environment whose inputs and files',
    'are those dist/<env>/INPUTS.sha256 records is not rendered again: its files are what the',
    'renderer made of these inputs (--full renders every environment).',
  ],
  options: {
    crds: {
      type: 'string',
      arg: '<dir>',
      path: true,
      help: 'Validate every object against the CRDs and Kubernetes schema in this\nfolder (default: $MESHFLIP_CRDS, else environments/crds when it holds\nanything)',
    },
    strict: { type: 'boolean', help: 'An object whose kind has no schema is an error, not a warning' },
    dist: { type: 'string', arg: '<dir>', path: true, help: 'dist/ folder to check (default: repository.path of\nenvironments/meshflip.yaml, dist)' },
    now: { type: 'string', arg: '<date-time>', help: 'Pretend it is this time when checking expiries' },
    full: {
      type: 'boolean',
      help: 'Render every environment, also those whose inputs and files are as\ndist/<env>/INPUTS.sha256 records',
    },
    json: { type: 'boolean', help: 'Print the result as one JSON document on stdout (README: JSON output)' },
  },
  async run({ values, root }, output: Output): Promise<number> {
    const crds = schemaFolder(root, values.crds, values.strict ?? false);
    const distDir = path.resolve(root, values.dist ?? distFolder(root));
    const distStat = fs.statSync(distDir, { throwIfNoEntry: false });
    if (distStat === undefined || !distStat.isDirectory()) {
      const shown = values.dist ?? path.relative(root, distDir).split(path.sep).join('/');
      throw new UsageError(
        `${shown}: ${distStat === undefined ? 'no such folder' : 'not a folder'}, so there is no dist/ to validate`,
        values.dist === undefined
          ? 'run npx meshflip synth to render it'
          : 'pass the folder synth writes to (repository.path of environments/meshflip.yaml)',
      );
    }
    const report = await validateRepository({
      root,
      distDir,
      now: resolveNow(values.now),
      full: values.full === true,
      ...distChecks(root, crds, values.strict ?? false),
    });
    // Counted from the files, so that environments with errors count too.
    const environments = environmentFiles(root).length;
    if (values.json) {
      const problems = sortProblems(summarizeMissingSchemas(report.problems));
      const errors = problems.filter((p) => p.severity !== 'warning').length;
      output.out(
        jsonText({
          valid: errors === 0,
          environments,
          objects: report.objects,
          schemas: crds === undefined ? null : path.relative(root, crds).split(path.sep).join('/') || '.',
          errors,
          warnings: problems.length - errors,
          problems: problems.map(problemJson),
        }),
      );
      return errors === 0 ? 0 : 1;
    }
    if (crds === undefined) {
      output.err('note: no schema folder, so objects were not checked against CRDs (use --crds or fill environments/crds)');
    }
    const problems = printProblems(output, report.problems);
    const errors = problems.filter((p) => p.severity !== 'warning').length;
    const warnings = problems.length - errors;
    const summary = `${environments} environments, ${report.objects} objects in dist/: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
    output.out(errors === 0 ? `${paint(output, 'green', 'valid')}: ${summary}` : `${paint(output, 'red', 'invalid')}: ${summary}`);
    return errors === 0 ? 0 : 1;
  },
});
