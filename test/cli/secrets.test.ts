import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { copyRepo, removeTempDirs, snapshotTree } from '../util';
import { edit, lineOf, lines, meshflipAsync, read } from './cli-util';

// Credentials through the real command: synth (and so flip) refuses them before writing, and
// every exception of allowedSecrets in force is shown by synth, validate and ci-summary.

const CATALOG = 'environments/catalog/coolstore.yaml';
const SETTINGS = 'environments/meshflip.yaml';
const TOKEN = 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef';
const FINGERPRINT = `sha256:${createHash('sha256').update(TOKEN).digest('hex').slice(0, 16)}`;
const ENV_LINE = '      JAVA_OPTS_APPEND: -Dspring.profiles.active=openshift';

afterAll(() => removeTempDirs());

/** A copy of the example environments (and dist/) whose catalog service carries the token in its env. */
function repoWithToken(): string {
  const dir = copyRepo(['environments', 'dist']);
  edit(dir, CATALOG, ENV_LINE, `${ENV_LINE}\n      GITHUB_TOKEN: ${TOKEN}`);
  return dir;
}

function allow(dir: string, entry: string): void {
  fs.appendFileSync(path.join(dir, SETTINGS), `allowedSecrets:\n  - ${entry}\n`);
}

describe('meshflip synth', () => {
  test('fails on a credential in the input and leaves dist/ exactly as it was', async () => {
    // GIVEN
    const dir = repoWithToken();
    const before = snapshotTree(path.join(dir, 'dist'));
    // WHEN
    const run = await meshflipAsync(dir, ['synth']);
    // THEN
    const line = lineOf(read(dir, CATALOG), `      GITHUB_TOKEN: ${TOKEN}`);
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toEqual([
      `error: ${CATALOG}:${line}:21: services.catalog.env.GITHUB_TOKEN: holds what looks like a GitHub token, and credentials must not be committed to git, ` +
        `got "ghp_…" (40 characters, fingerprint ${FINGERPRINT}); keep it in a Secret created in the cluster and reference it: ` +
        'GITHUB_TOKEN: {secretKeyRef: {name: <secret>, key: <key>}}; if it is no credential, add ' +
        `{file: ${CATALOG}, field: services.catalog.env.GITHUB_TOKEN, reason: ...} to allowedSecrets in environments/meshflip.yaml`,
      '1 problem found; nothing was written.',
    ]);
    expect(run.stderr + run.stdout).not.toContain(TOKEN);
    expect(snapshotTree(path.join(dir, 'dist'))).toEqual(before);
  });

  test('writes an allowed value and prints the exception in force as a warning', async () => {
    // GIVEN
    const dir = repoWithToken();
    allow(dir, `{ fingerprint: "${FINGERPRINT}", reason: revoked; replayed by the contract tests }`);
    // WHEN
    const run = await meshflipAsync(dir, ['synth']);
    // THEN
    const line = lineOf(read(dir, CATALOG), `      GITHUB_TOKEN: ${TOKEN}`);
    const entry = lineOf(read(dir, SETTINGS), `  - { fingerprint: "${FINGERPRINT}", reason: revoked; replayed by the contract tests }`);
    expect(run.stderr).toBe(
      `warning: ${CATALOG}:${line}:21: services.catalog.env.GITHUB_TOKEN: holds what looks like a GitHub token, allowed by allowedSecrets[0] ` +
        `(${SETTINGS}:${entry}): revoked; replayed by the contract tests, got "ghp_…" (40 characters, fingerprint ${FINGERPRINT})\n`,
    );
    expect(run.status).toBe(0);
    expect(read(dir, 'dist/coolstore/workloads/catalog.k8s.yaml')).toContain(TOKEN);
  });

  test('fails on an exception that matches nothing', async () => {
    // GIVEN
    const dir = copyRepo(['environments']);
    allow(dir, `{ file: ${CATALOG}, field: services.catalog.env.GITHUB_TOKEN, reason: left over }`);
    // WHEN
    const run = await meshflipAsync(dir, ['synth']);
    // THEN
    const entry = lineOf(read(dir, SETTINGS), `  - { file: ${CATALOG}, field: services.catalog.env.GITHUB_TOKEN, reason: left over }`);
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toEqual([
      `error: ${SETTINGS}:${entry}:5: allowedSecrets[0]: matches no credential in the input, so it allows nothing, ` +
        `got file ${CATALOG}, field services.catalog.env.GITHUB_TOKEN; remove it (or correct file and field to those meshflip prints), ` +
        'so that the list shows only the exceptions in force',
      '1 problem found; nothing was written.',
    ]);
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
  });
});

describe('meshflip validate and ci-summary', () => {
  test('validate fails on a credential written into dist/ by hand', async () => {
    // GIVEN
    const dir = copyRepo(['environments', 'dist']);
    edit(
      dir,
      'dist/coolstore/workloads/catalog.k8s.yaml',
      '              value: -Dspring.profiles.active=openshift',
      `              value: ${TOKEN}`,
    );
    // WHEN
    const run = await meshflipAsync(dir, ['validate']);
    // THEN
    const file = read(dir, 'dist/coolstore/workloads/catalog.k8s.yaml');
    const deployment = lineOf(file, 'kind: Deployment') - 1;
    expect(run.status).toBe(1);
    expect(lines(run.stderr).filter((l) => l.includes('looks like'))).toEqual([
      `error: dist/coolstore/workloads/catalog.k8s.yaml:${deployment}:1: Deployment coolstore-catalog/catalog: spec.template.spec.containers[0].env[4].value ` +
        'holds what looks like a GitHub token, got "ghp_…" (40 characters): dist/ is committed to git; keep credentials in Secrets created in the cluster ' +
        'and reference them (secretKeyRef)',
    ]);
  });

  test('ci-summary lists every exception in force for reviewers', async () => {
    // GIVEN
    const dir = repoWithToken();
    allow(dir, `{ file: ${CATALOG}, field: services.catalog.env.GITHUB_TOKEN, reason: revoked; replayed by the contract tests }`);
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    // WHEN
    const run = await meshflipAsync(dir, ['ci-summary', '--now', '2026-03-01T10:00:00Z'], { GITHUB_STEP_SUMMARY: '', GITHUB_OUTPUT: '' });
    // THEN
    const line = lineOf(read(dir, CATALOG), `      GITHUB_TOKEN: ${TOKEN}`);
    const entry = lineOf(
      read(dir, SETTINGS),
      `  - { file: ${CATALOG}, field: services.catalog.env.GITHUB_TOKEN, reason: revoked; replayed by the contract tests }`,
    );
    expect(run.stdout).toContain(
      [
        '### Credentials allowed by allowedSecrets (1)',
        '',
        // Escaped for Markdown: the field and the reason come from the input.
        `- \`${CATALOG}:${line}\` services.catalog.env.GITHUB\\_TOKEN: holds what looks like a GitHub token, allowed by allowedSecrets\\[0\\] (${SETTINGS}:${entry}): ` +
          'revoked; replayed by the contract tests',
      ].join('\n'),
    );
    expect(run.status).toBe(0);
  });
});
