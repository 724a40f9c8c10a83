import * as fs from 'fs';
import * as path from 'path';
import { distFolder } from '../../model/load';
import { isAllowedSecretNote } from '../../model/secret-scan';
import { sortProblems, SpecError } from '../../model/spec-error';
import { changeSinceBase } from '../../pipeline/changes/change-summary';
import { git, GitError } from '../../pipeline/changes/git';
import { escapeMarkdown, markdownCode } from '../../pipeline/synth/markdown';
import { EnvironmentChange, summaryMarkdown } from '../../pipeline/changes/routing-diff';
import { validateRepository } from '../../pipeline/validate/validate';
import { isMocked } from '../../pipeline/synth/routing-report';
import { readDistRouting } from '../../pipeline/routing/routing-reader';
import { commentBody, jobSummary, runUrl } from '../../pipeline/changes/markdown-limits';
import { ensureWritableFile, writeTextFile } from '../../pipeline/dist/write-files';
import { distChecks, schemaFolder } from '../schema-option';
import { UsageError } from '../errors';
import { Output } from '../output';
import { problemAnnotation } from '../workflow-command';
import { defineCommand } from './command';
import { resolveNow } from './validate';

const NULL_SHA = /^0+$/;

/** @actions/core, loaded only where GitHub Actions' files are written (0.04 s of start-up otherwise). */
function actionsCore(): typeof import('@actions/core') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; the type is the module's own
  return require('@actions/core') as typeof import('@actions/core');
}

/** The GitHub event fields the base is taken from. */
interface GitHubEvent {
  readonly pull_request?: { readonly base?: { readonly sha?: string } };
  readonly merge_group?: { readonly base_sha?: string };
  readonly before?: string;
}

/** The parents of a commit, or undefined when git does not know it. */
function parentsOf(root: string, commit: string): string[] | undefined {
  try {
    return git(root, ['rev-list', '--parents', '-n', '1', commit]).trim().split(' ').slice(1);
  } catch (e) {
    if (e instanceof GitError) {
      return undefined;
    }
    throw e;
  }
}

/**
 * The revision a run compares with, from what GitHub Actions provides: the commit the change was
 * built on. For a pull request that is the first parent of the merge commit GitHub checks out
 * ($GITHUB_SHA): the base branch's tip when the merge was made. `pull_request.base.sha` is not:
 * it can be older, and comparing with it would show what others merged since (github/docs#431).
 * Without a merge commit, the merge base of the pull request's base and HEAD. For a merge group,
 * its base_sha; for a push, the pushed-over commit; else origin/$GITHUB_BASE_REF.
 */
export function baseRefFromGitHub(env: NodeJS.ProcessEnv, root: string): string | undefined {
  const eventPath = env.GITHUB_EVENT_PATH;
  const event: GitHubEvent = eventPath !== undefined && eventPath !== '' && fs.existsSync(eventPath) ? readEvent(eventPath) : {};
  const known = (sha: string | undefined): sha is string => sha !== undefined && sha !== '' && !NULL_SHA.test(sha);
  if (event.pull_request !== undefined) {
    const head = known(env.GITHUB_SHA) ? env.GITHUB_SHA : 'HEAD';
    const parents = parentsOf(root, head);
    if (parents !== undefined && parents.length === 2) {
      return parents[0];
    }
    const base = event.pull_request.base?.sha;
    if (known(base)) {
      try {
        return git(root, ['merge-base', base, head]).trim();
      } catch (e) {
        if (!(e instanceof GitError)) {
          throw e;
        }
        return base;
      }
    }
  }
  if (known(event.merge_group?.base_sha)) {
    return event.merge_group.base_sha;
  }
  if (known(event.before)) {
    return event.before;
  }
  const baseRef = env.GITHUB_BASE_REF;
  return baseRef === undefined || baseRef === '' ? undefined : `origin/${baseRef}`;
}

/** The GitHub event file; one that is not a JSON object is a usage error, not a crash. */
function readEvent(file: string): GitHubEvent {
  let event: unknown;
  try {
    event = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(
      `GITHUB_EVENT_PATH=${file}: not a JSON file (${e instanceof Error ? e.message : String(e)})`,
      'point GITHUB_EVENT_PATH at the event GitHub Actions wrote, or unset it and pass --base <ref>',
    );
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new UsageError(
      `GITHUB_EVENT_PATH=${file}: not a JSON object`,
      'point GITHUB_EVENT_PATH at the event GitHub Actions wrote, or unset it and pass --base <ref>',
    );
  }
  return event;
}

/**
 * The file a GitHub Actions variable names, created when it does not exist yet (the runner
 * creates it; a local run may not have). Undefined when the variable is not set.
 */
function actionsFile(variable: 'GITHUB_STEP_SUMMARY' | 'GITHUB_OUTPUT'): string | undefined {
  const file = process.env[variable];
  if (file === undefined || file === '') {
    return undefined;
  }
  try {
    ensureWritableFile(file);
  } catch (e) {
    throw new UsageError(
      `${variable}=${file}: cannot write to it (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      `name a file in a folder that exists, or unset ${variable}`,
    );
  }
  return file;
}

export const ciSummaryCommand = defineCommand({
  name: 'ci-summary',
  description: [
    'Runs every check of meshflip validate and reports failures as annotations at the file',
    'and line that caused them; writes the routing summary of the change (base revision vs. the',
    'working tree) to the job summary, opening with every environment that loses or gains',
    'protected: true; sets the outputs changed-environments (comma-separated),',
    'changed-environments-json and routes-to-mock (true when any environment sends traffic to a',
    'mock after the change) and routing-change-known (false when the change could not be computed).',
    'Exits 1 when a check fails or a protected environment is violated.',
    '',
    'The base is --base, else the commit the change was built on, from $GITHUB_EVENT_PATH: for a',
    'pull request the first parent of its merge commit ($GITHUB_SHA), for a merge group its',
    'base_sha, for a push the pushed-over commit; else origin/$GITHUB_BASE_REF.',
  ],
  options: {
    base: { type: 'string', arg: '<ref>', help: 'The revision to compare with (default: from the GitHub event, above)' },
    crds: {
      type: 'string',
      arg: '<dir>',
      path: true,
      help: 'Also validate every object against these schemas (default:\n$MESHFLIP_CRDS, else environments/crds when it holds anything)',
    },
    strict: { type: 'boolean', help: 'An object whose kind has no schema is an error, not a warning' },
    comment: {
      type: 'string',
      arg: '<file>',
      path: true,
      help: "Also write the summary as the body of the pull-request comment, cut\nto GitHub's 65,536-character limit with a link to the run (the job\nsummary is cut below GitHub's 1 MiB limit)",
    },
    now: { type: 'string', arg: '<date-time>', help: 'Pretend it is this time when checking expiries' },
  },
  async run({ values, root }, output: Output): Promise<number> {
    // Checked first, so that a bad variable fails the run at once.
    const summaryFile = actionsFile('GITHUB_STEP_SUMMARY');
    const outputFile = actionsFile('GITHUB_OUTPUT');
    const base = values.base ?? baseRefFromGitHub(process.env, root);
    const crds = schemaFolder(root, values.crds, values.strict ?? false);
    const report = await validateRepository({
      root,
      routing: true,
      now: resolveNow(values.now),
      ...distChecks(root, crds, values.strict ?? false),
    });
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
        changes = await changeSinceBase(
          root,
          base,
          {
            distPath: report.project.settings.distPath,
            environments: report.project.environments.map((e) => e.name),
            files: report.fresh!.files,
            keptFiles: report.keptFiles ?? [],
            routing: report.fresh!.routing,
          },
          report.keptRouting,
        );
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
    const lines =
      changeNote === undefined ? [summaryMarkdown(changes)] : ['## meshflip: routing changes unknown\n', `> ${escapeMarkdown(changeNote)}\n`];
    lines.push(
      errors.length === 0
        ? `\n**Checks passed** (${report.objects} objects in dist/${problems.length > 0 ? `, ${problems.length} warning${problems.length === 1 ? '' : 's'}` : ''}).\n`
        : `\n**${errors.length} check${errors.length === 1 ? '' : 's'} failed**; see the annotations:\n\n${errors
            .slice(0, 50)
            .map((p) => `- ${markdownCode(`${p.file}:${p.line}`)} ${escapeMarkdown(`${p.field}: ${p.message}`)}`)
            .join('\n')}\n${errors.length > 50 ? `- …and ${errors.length - 50} more\n` : ''}`,
    );
    // Every exception to the credential checks in force, so that reviewers see what is let through and why.
    const allowed = problems.filter(isAllowedSecretNote);
    if (allowed.length > 0) {
      lines.push(
        `\n### Credentials allowed by allowedSecrets (${allowed.length})\n\n${allowed.map((p) => `- ${markdownCode(`${p.file}:${p.line}`)} ${escapeMarkdown(`${p.field}: ${p.message}`)}`).join('\n')}\n`,
      );
    }
    const markdown = lines.join('\n');
    if (summaryFile !== undefined) {
      await actionsCore().summary.addRaw(jobSummary(markdown)).write();
    } else {
      output.out(markdown);
    }
    if (values.comment !== undefined) {
      writeTextFile(path.resolve(root, values.comment), commentBody(markdown, runUrl(process.env)));
    }
    // Outputs only exist in GitHub Actions: without $GITHUB_OUTPUT, @actions/core would print
    // the deprecated ::set-output command instead.
    if (outputFile !== undefined) {
      const core = actionsCore();
      const names = changes.map((c) => c.name);
      core.setOutput('changed-environments', names.join(','));
      core.setOutput('changed-environments-json', JSON.stringify(names));
      core.setOutput('routes-to-mock', anyMock ? 'true' : 'false');
      // Lets later jobs tell "no environment changed" from "the change could not be computed".
      core.setOutput('routing-change-known', changeNote === undefined ? 'true' : 'false');
    }
    return errors.length > 0 || violations.length > 0 ? 1 : 0;
  },
});
