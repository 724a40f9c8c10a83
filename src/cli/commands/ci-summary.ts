import * as fs from 'fs';
import * as path from 'path';
import * as core from '@actions/core';
import { parseArgs } from 'util';
import { distFolder } from '../../model/load';
import { sortProblems, SpecError } from '../../model/spec-error';
import { changeSinceBase } from '../../pipeline/change-summary';
import { GitError } from '../../pipeline/git';
import { escapeMarkdown, markdownCode } from '../../pipeline/markdown';
import { EnvironmentChange, summaryMarkdown } from '../../pipeline/routing-diff';
import { validateRepository } from '../../pipeline/validate';
import { isMocked } from '../../pipeline/routing-report';
import { readDistRouting } from '../../pipeline/routing-reader';
import { Output } from '../output';
import { problemAnnotation } from '../workflow-command';
import { CommandSpec } from './command';
import { resolveNow } from './validate';

const NULL_SHA = /^0+$/;

/** The revision a run compares with, from what GitHub Actions provides. */
export function baseRefFromGitHub(env: NodeJS.ProcessEnv): string | undefined {
  const eventPath = env.GITHUB_EVENT_PATH;
  if (eventPath !== undefined && eventPath !== '' && fs.existsSync(eventPath)) {
    const event = JSON.parse(fs.readFileSync(eventPath, 'utf8')) as { pull_request?: { base?: { sha?: string } }; before?: string };
    const sha = event.pull_request?.base?.sha ?? event.before;
    if (sha !== undefined && !NULL_SHA.test(sha)) {
      return sha;
    }
  }
  const baseRef = env.GITHUB_BASE_REF;
  return baseRef === undefined || baseRef === '' ? undefined : `origin/${baseRef}`;
}

export const ciSummaryCommand: CommandSpec = {
  name: 'ci-summary',
  summary: 'In GitHub Actions: validate, annotate, and summarize the routing change',
  usage: 'meshflip ci-summary [--base <git ref>] [--now <date-time>]',
  help: [
    'Runs every check of meshflip validate and reports failures as annotations at the file',
    'and line that caused them; writes the routing summary of the change (base revision vs. the',
    'working tree) to the job summary; sets the outputs changed-environments (comma-separated),',
    'changed-environments-json and routes-to-mock (true when any environment sends traffic to a',
    'mock after the change) and routing-change-known (false when the change could not be computed).',
    'Exits 1 when a check fails or a protected environment is violated.',
    '',
    'The base is --base, else the pull request\'s base commit or the pushed-over commit from',
    '$GITHUB_EVENT_PATH, else origin/$GITHUB_BASE_REF.',
  ],
  async run(argv: string[], output: Output): Promise<number> {
    const { values } = parseArgs({ args: argv, options: { base: { type: 'string' }, now: { type: 'string' } }, strict: true });
    const root = process.cwd();
    const base = values.base ?? baseRefFromGitHub(process.env);
    const report = validateRepository({ root, now: resolveNow(values.now) });
    const problems = sortProblems(report.problems);
    for (const p of problems) {
      output.out(problemAnnotation(p));
    }
    const errors = problems.filter((p) => p.severity !== 'warning');

    let changes: EnvironmentChange[] = [];
    let changeNote: string | undefined;
    if (report.project === undefined) {
      changeNote = 'The routing change could not be computed: the environment files have errors (see the annotations).';
    } else if (base === undefined) {
      changeNote = 'No base revision to compare with (set --base, or run on a pull request or push).';
    } else {
      try {
        // validate synthesized the working tree whenever it loaded the project.
        changes = changeSinceBase(root, base, { project: report.project, fresh: report.fresh! });
      } catch (e) {
        if (e instanceof GitError || SpecError.is(e)) {
          changeNote = `The routing change could not be computed: ${e.message.split('\n')[0]}`;
        } else {
          throw e;
        }
      }
    }
    const violations = changes.flatMap((c) => c.violations);
    // After the change: the fresh synthesis when there is one, else what dist/ says.
    const after = report.fresh?.routing ?? readDistRouting(path.join(root, distFolder(root)));
    const anyMock = after.some((r) => r.services.some(isMocked));

    // Without a computed change, "no routing changes" would be a claim nobody checked.
    const lines = changeNote === undefined ? [summaryMarkdown(changes)] : ['## meshflip: routing changes unknown\n', `> ${escapeMarkdown(changeNote)}\n`];
    lines.push(errors.length === 0
      ? `\n**Checks passed** (${report.objects} objects in dist/${problems.length > 0 ? `, ${problems.length} warning${problems.length === 1 ? '' : 's'}` : ''}).\n`
      : `\n**${errors.length} check${errors.length === 1 ? '' : 's'} failed**; see the annotations:\n\n${errors.slice(0, 50).map((p) => `- ${markdownCode(`${p.file}:${p.line}`)} ${escapeMarkdown(`${p.field}: ${p.message}`)}`).join('\n')}\n${errors.length > 50 ? `- …and ${errors.length - 50} more\n` : ''}`);
    const markdown = lines.join('\n');
    if (process.env.GITHUB_STEP_SUMMARY !== undefined && process.env.GITHUB_STEP_SUMMARY !== '') {
      await core.summary.addRaw(markdown).write();
    } else {
      output.out(markdown);
    }
    const names = changes.map((c) => c.name);
    core.setOutput('changed-environments', names.join(','));
    core.setOutput('changed-environments-json', JSON.stringify(names));
    core.setOutput('routes-to-mock', anyMock ? 'true' : 'false');
    // Lets later jobs tell "no environment changed" from "the change could not be computed".
    core.setOutput('routing-change-known', changeNote === undefined ? 'true' : 'false');
    return errors.length > 0 || violations.length > 0 ? 1 : 0;
  },
};
