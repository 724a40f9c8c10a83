import * as path from 'path';
import { parseArgs } from 'util';
import { validateRepository } from '../../pipeline/validate';
import { formatProblem, sortProblems } from '../../model/spec-error';
import { UsageError } from '../errors';
import { Output, paint } from '../output';
import { CommandSpec } from './command';

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

export const validateCommand: CommandSpec = {
  name: 'validate',
  summary: 'Run every check over environments/ and dist/ without writing anything',
  usage: 'meshflip validate [--dist <dir>] [--now <date-time>]',
  help: [
    'Checks the environment files, expiries (a warning a day before, an error once passed),',
    'that dist/ is exactly what synthesis produces, and dist/ as it is: mesh rules, protected',
    'environments, secrets, images and the Argo CD setup.',
    '',
    'Options:',
    '  --dist <dir>       dist/ folder to check (default: dist)',
    '  --now <date-time>  Pretend it is this time when checking expiries',
  ],
  run(argv: string[], output: Output): number {
    const { values } = parseArgs({ args: argv, options: { dist: { type: 'string' }, now: { type: 'string' } }, strict: true });
    const root = process.cwd();
    const report = validateRepository({ root, distDir: path.resolve(root, values.dist ?? 'dist'), now: resolveNow(values.now) });
    const problems = sortProblems(report.problems);
    for (const p of problems) {
      const label = p.severity === 'warning' ? paint(output, 'yellow', 'warning') : paint(output, 'red', 'error');
      output.err(`${label}: ${formatProblem({ ...p, severity: undefined })}`);
    }
    const errors = problems.filter((p) => p.severity !== 'warning').length;
    const warnings = problems.length - errors;
    const summary = `${report.project?.environments.length ?? 0} environments, ${report.objects} objects in dist/: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`;
    output.out(errors === 0 ? `${paint(output, 'green', 'valid')}: ${summary}` : `${paint(output, 'red', 'invalid')}: ${summary}`);
    return errors === 0 ? 0 : 1;
  },
};
