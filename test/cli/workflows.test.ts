import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { git, REPO, removeTempDirs, tempDir, writeFiles } from '../util';
import { commitAll, lines, readGitHubOutputs } from './cli-util';

// The GitHub Actions workflows: valid against the workflow schema, and wired to the commands the
// way the rest of this suite shows the commands behave (ci-summary sets changed-environments,
// changed-environments-json and routes-to-mock; revert-expired sets reverted and writes --body).

const WORKFLOWS = path.join(REPO, '.github', 'workflows');
const FILES = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();

function workflow(file: string): any {
  return parse(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'));
}

/** Every step of every job of a workflow. */
function allSteps(wf: any): any[] {
  return Object.values(wf.jobs).flatMap((job: any) => job.steps ?? []);
}

/** The terms of a top-level `&&` chain of a GitHub expression, or undefined when it is anything else. */
function conjuncts(expression: string): string[] | undefined {
  const inner = expression.trim().replace(/^\$\{\{\s*/, '').replace(/\s*\}\}$/, '');
  if (inner.includes('||') || inner.includes('(') || inner.startsWith('!')) {
    return undefined;
  }
  return inner.split('&&').map((t) => t.trim());
}

afterAll(removeTempDirs);

test('the repository has the pull-request workflow and the expired-flips workflow', () => {
  expect(FILES).toEqual(['expired-flips.yml', 'meshflip.yml']);
});

test.each(FILES)('%s passes the workflow schema check', (file) => {
  // WHEN
  const result = validateWorkflow(fs.readFileSync(path.join(WORKFLOWS, file), 'utf8'));
  // THEN
  expect(result.errors).toEqual([]);
});

test.each(FILES)('%s sets up Node 20 with the npm cache wherever it installs', (file) => {
  // GIVEN
  const steps = allSteps(workflow(file));
  const setups = steps.filter((s) => String(s.uses ?? '').startsWith('actions/setup-node@'));
  // THEN one setup per job that runs npm ci, each on Node 20 (package.json wants >=20.19) with the npm cache
  expect(setups.length).toBe(steps.filter((s) => s.run === 'npm ci').length);
  expect(setups.length).toBeGreaterThan(0);
  for (const setup of setups) {
    expect(setup.with).toEqual({ 'node-version': 20, 'cache': 'npm' });
  }
});

describe('meshflip.yml, the pull-request workflow', () => {
  const wf = workflow('meshflip.yml');
  const check = wf.jobs.check;

  test('runs on every pull request and on pushes to main', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push']);
    expect(wf.on.pull_request).toBeNull();
    expect(wf.on.push).toEqual({ branches: ['main'] });
  });

  test('installs, tests, synthesizes, checks dist/ is fresh, then validates and summarizes, in that order', () => {
    // GIVEN
    const commands = check.steps.map((s: any) => s.run ?? s.uses);
    const index = (predicate: (command: string) => boolean) => commands.findIndex((c: string) => predicate(String(c)));
    // THEN
    const order = [
      index((c) => c.startsWith('actions/checkout@')),
      index((c) => c === 'npm ci'),
      index((c) => c === 'npm test'),
      index((c) => c === 'npm run synth'),
      index((c) => c.includes('git status --porcelain -- dist')),
      index((c) => c === 'npx meshflip ci-summary'),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('checks out the whole history, since ci-summary reads dist/ at the base commit', () => {
    const checkout = check.steps.find((s: any) => String(s.uses).startsWith('actions/checkout@'));
    expect(checkout.with['fetch-depth']).toBe(0);
  });

  test('still summarizes when an earlier step failed, and passes on the outputs of ci-summary', () => {
    // GIVEN
    const summary = check.steps.find((s: any) => s.run === 'npx meshflip ci-summary');
    // THEN a stale dist/ fails the freshness step, yet reviewers still get annotations and the summary
    expect(summary.if).toBe('${{ !cancelled() }}');
    expect(summary.id).toBe('summary');
    expect(check.outputs).toMatchObject({
      'changed-environments': '${{ steps.summary.outputs.changed-environments }}',
      'changed-environments-json': '${{ steps.summary.outputs.changed-environments-json }}',
      'routes-to-mock': '${{ steps.summary.outputs.routes-to-mock }}',
    });
  });

  test('only commits dist/ back when the repository variable MESHFLIP_COMMIT_DIST is "true"', () => {
    // GIVEN
    const commitDist = wf.jobs['commit-dist'];
    const fresh = check.steps.find((s: any) => s.id === 'fresh');
    // THEN both switches are a chain of conditions that all must hold, one of them the variable
    expect(conjuncts(commitDist.if)).toContain("vars.MESHFLIP_COMMIT_DIST == 'true'");
    expect(conjuncts(fresh.env.COMMIT_DIST)).toContain("vars.MESHFLIP_COMMIT_DIST == 'true'");
    // ... and only the committing job may write to the repository
    expect(wf.permissions).toEqual({ contents: 'read' });
    expect(commitDist.permissions).toEqual({ contents: 'write' });
    expect(commitDist.needs).toBe('check');
  });

  describe('the freshness check', () => {
    const script = check.steps.find((s: any) => s.id === 'fresh').run as string;

    /** Runs the step's script the way a runner does, in a git repository whose dist/ is clean or not. */
    function runStep(stale: boolean, commitDist: boolean): { status: number | null; stdout: string; outputs: Record<string, string> } {
      const dir = tempDir('meshflip-fresh-');
      git(dir, 'init', '-q');
      writeFiles(dir, { 'dist/kong-perf/ROUTING.md': '# Routing of kong-perf\n', 'environments/kong-perf.yaml': 'name: kong-perf\n' });
      commitAll(dir, 'base');
      if (stale) {
        writeFiles(dir, { 'dist/kong-perf/ROUTING.md': '# Routing of kong-perf, edited\n' });
      }
      const output = path.join(tempDir(), 'output');
      fs.writeFileSync(output, '');
      const file = path.join(tempDir(), 'step.sh');
      fs.writeFileSync(file, script);
      const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
        cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME, GITHUB_OUTPUT: output, COMMIT_DIST: String(commitDist) },
      });
      return { status: result.status, stdout: result.stdout, outputs: readGitHubOutputs(output) };
    }

    test('passes when dist/ is what synthesis wrote', () => {
      const { status, outputs } = runStep(false, false);
      expect(status).toBe(0);
      expect(outputs).toEqual({ stale: 'false' });
    });

    test('fails when synthesis changed dist/, with an error annotation saying how to fix it', () => {
      const { status, stdout, outputs } = runStep(true, false);
      expect(status).toBe(1);
      expect(outputs).toEqual({ stale: 'true' });
      expect(lines(stdout)).toContain(' M dist/kong-perf/ROUTING.md');
      expect(lines(stdout)).toContain('::error title=dist/ is stale::dist/ differs from a fresh synthesis of environments/. Fix: npm run synth && git add dist && git commit');
    });

    test('only warns when the commit-dist job will commit the fresh dist/', () => {
      const { status, stdout, outputs } = runStep(true, true);
      expect(status).toBe(0);
      expect(outputs).toEqual({ stale: 'true' });
      expect(lines(stdout)).toContain('::warning title=dist/ is stale::The commit-dist job commits the fresh dist/ to this branch.');
    });
  });
});

describe('expired-flips.yml, the scheduled revert', () => {
  const wf = workflow('expired-flips.yml');
  const steps = wf.jobs.revert.steps;

  test('runs every hour and on demand', () => {
    expect(Object.keys(wf.on).sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect(wf.on.schedule).toEqual([{ cron: '17 * * * *' }]);
  });

  test('opens the pull request only when revert-expired reverted something, with the body it wrote', () => {
    // GIVEN
    const revert = steps.find((s: any) => String(s.run).startsWith('npx meshflip revert-expired'));
    const open = steps.find((s: any) => String(s.run).includes('gh pr create'));
    // THEN
    expect(revert.id).toBe('revert');
    expect(revert.run).toBe('npx meshflip revert-expired --body "$RUNNER_TEMP/pr-body.md"');
    expect(open.if).toBe("steps.revert.outputs.reverted == 'true'");
    expect(open.run).toContain('--body-file "$RUNNER_TEMP/pr-body.md"');
    expect(open.run).toContain('git add environments dist');
  });
});
