import * as fs from 'fs';
import * as path from 'path';
import { copyRepo, REPO, removeTempDirs, snapshotTree } from '../util';
import { edit, runAsync } from './cli-util';

// `npx cdk8s synth` (cdk8s-cli 2.x, node_modules/cdk8s-cli/lib/cli/cmds/synth.js) deletes its
// output folder with fs.rmSync before it runs the app. cdk8s.yaml points that at a scratch folder,
// and the app writes dist/ itself: a failed synthesis leaves dist/ as it was.

afterAll(removeTempDirs);

/** A copy of the repository that cdk8s-cli can run the app in. */
function cdk8sProject(): string {
  const dir = copyRepo(['environments', 'dist']);
  for (const file of ['cdk8s.yaml', 'package.json', 'tsconfig.json']) {
    fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
  }
  fs.symlinkSync(path.join(REPO, 'src'), path.join(dir, 'src'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

const cdk8s = (dir: string) =>
  runAsync(path.join(REPO, 'node_modules', '.bin', 'cdk8s'), ['synth'], dir, {
    ...process.env,
    CDK8S_OUTDIR: undefined,
    MESHFLIP_CRDS: undefined,
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
  });

test('npx cdk8s synth on an invalid environment leaves dist/ exactly as it was', async () => {
  // GIVEN an environment routing to a mock that does not exist
  const dir = cdk8sProject();
  edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: mocked\n');
  const before = snapshotTree(path.join(dir, 'dist'));
  // WHEN
  const run = await cdk8s(dir);
  // THEN it fails and dist/ is untouched
  expect(run.status).not.toBe(0);
  expect(run.stderr).toContain('1 problem found; nothing was written.');
  expect(snapshotTree(path.join(dir, 'dist'))).toEqual(before);
}, 120_000);

test('npx cdk8s synth on the repository writes dist/ itself, byte for byte as committed', async () => {
  // GIVEN one file of dist/ edited by hand
  const dir = cdk8sProject();
  const committed = snapshotTree(path.join(dir, 'dist'));
  fs.appendFileSync(path.join(dir, 'dist/kong-perf/ROUTING.md'), 'hand edit\n');
  // WHEN
  const run = await cdk8s(dir);
  // THEN the hand edit is undone and nothing lands in the scratch folder
  expect(run.status).toBe(0);
  expect(snapshotTree(path.join(dir, 'dist'))).toEqual(committed);
  expect(snapshotTree(path.join(dir, '.cdk8s.out'))).toEqual({});
}, 120_000);
