import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { STAGING_PREFIX, writeDist } from '../../src/pipeline/write-dist';
import { REPO, removeTempDirs, snapshotTree, tempDir, writeFiles } from '../util';

afterAll(removeTempDirs);

/** A dist/ with three files whose mtime is a fixed time in the past. */
function existingDist(): string {
  const root = tempDir();
  const dist = path.join(root, 'dist');
  writeFiles(dist, {
    'env/target/kept.k8s.yaml': 'kept: 1\n',
    'env/target/same.k8s.yaml': 'same: 1\n',
    'env/old/gone.k8s.yaml': 'gone: 1\n',
  });
  const past = new Date('2020-01-01T00:00:00Z');
  for (const file of Object.keys(snapshotTree(dist))) {
    fs.utimesSync(path.join(dist, file), past, past);
  }
  return dist;
}

const WANTED = [
  { path: 'env/target/kept.k8s.yaml', content: 'kept: 2\n' },
  { path: 'env/target/same.k8s.yaml', content: 'same: 1\n' },
  { path: 'env/target/new.k8s.yaml', content: 'new: 1\n' },
];

test('writes only what changed, keeps the mtime of unchanged files and removes what is no longer produced', () => {
  // GIVEN
  const dist = existingDist();
  // WHEN
  const result = writeDist(dist, WANTED);
  // THEN
  expect(result).toEqual({ added: ['env/target/new.k8s.yaml'], changed: ['env/target/kept.k8s.yaml'], removed: ['env/old/gone.k8s.yaml'], unchanged: 1 });
  expect(snapshotTree(dist)).toEqual({ 'env/target/kept.k8s.yaml': 'kept: 2\n', 'env/target/new.k8s.yaml': 'new: 1\n', 'env/target/same.k8s.yaml': 'same: 1\n' });
  expect(fs.statSync(path.join(dist, 'env/target/same.k8s.yaml')).mtime.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  expect(fs.existsSync(path.join(dist, 'env/old'))).toBe(false);
  expect(fs.readdirSync(path.dirname(dist)).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
});

test('a second write of the same files rewrites nothing', () => {
  // GIVEN
  const dist = existingDist();
  writeDist(dist, WANTED);
  const mtimes = Object.keys(snapshotTree(dist)).map((f) => fs.statSync(path.join(dist, f)).mtimeMs);
  // WHEN
  const result = writeDist(dist, WANTED);
  // THEN
  expect(result).toEqual({ added: [], changed: [], removed: [], unchanged: 3 });
  expect(Object.keys(snapshotTree(dist)).map((f) => fs.statSync(path.join(dist, f)).mtimeMs)).toEqual(mtimes);
});

test('fails when a write fails midway, leaving dist/ byte-identical and no staging folder behind', () => {
  // GIVEN
  const dist = existingDist();
  const before = snapshotTree(dist);
  // WHEN everything is staged and then something goes wrong before the commit
  expect(() => writeDist(dist, WANTED, { beforeCommit: () => { throw new Error('disk full'); } })).toThrow('disk full');
  // THEN
  expect(snapshotTree(dist)).toEqual(before);
  expect(fs.statSync(path.join(dist, 'env/target/kept.k8s.yaml')).mtime.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  expect(fs.readdirSync(path.dirname(dist)).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
});

test('a process killed midway leaves dist/ byte-identical, and the next run cleans up after it', () => {
  // GIVEN
  const dist = existingDist();
  const before = snapshotTree(dist);
  // WHEN a real process is killed (SIGKILL) with everything staged
  const killed = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), path.join(REPO, 'test/fixtures/scripts/killed-write.ts'), dist], { encoding: 'utf8' });
  // THEN
  expect(killed.signal).toBe('SIGKILL');
  expect(snapshotTree(dist)).toEqual(before);
  expect(fs.readdirSync(path.dirname(dist)).filter((n) => n.startsWith(STAGING_PREFIX))).toHaveLength(1);
  // WHEN the next synthesis runs
  writeDist(dist, WANTED);
  // THEN the dead run's staging folder is gone
  expect(fs.readdirSync(path.dirname(dist)).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
});
