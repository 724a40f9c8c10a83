import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Prewrite } from '../../src/pipeline/dist/prewrite';
import { RenderedFile } from '../../src/pipeline/dist/read-dist';
import { FileStat, SeenEntries, SeenEntry, SeenFiles } from '../../src/pipeline/dist/seen-files';
import { AHEAD_PREFIX, STAGING_PREFIX, writeDist } from '../../src/pipeline/dist/write-dist';
import { removeTempDirs, snapshotTree, tempDir, tempDirsOnDisk, writeFiles } from '../util';

// The write is the file system's: on the disk, as a repository is.
tempDirsOnDisk();
afterAll(removeTempDirs);

// While worker threads render, synth writes what they have rendered ahead, beside dist/
// (`Prewrite`); writeDist then moves those files into the new tree, or renames a whole new dist/
// into place, instead of writing them. Nothing in dist/ changes before writeDist commits.

const HEADER = '# Generated from environments/env.yaml by npm run synth. Do not edit.\n';
const PAST = new Date('2020-01-01T00:00:00Z');

/** Entries kept in memory, as the cache folder keeps them. */
function memoryEntries(): SeenEntries {
  const map = new Map<string, SeenEntry>();
  return { get: (key) => map.get(key), set: (key, entry) => map.set(key, JSON.parse(JSON.stringify(entry)) as SeenEntry) };
}

/** A clock an hour ahead of every file, on their device: nothing is racily clean. */
function clockAhead(dir: string): (folder: string) => FileStat {
  const { dev } = fs.statSync(dir);
  return () => ({ dev, ino: 0, size: 0, mtimeMs: Date.now() + 3_600_000 });
}

function files(contents: Record<string, string>): RenderedFile[] {
  return Object.entries(contents).map(([file, content]) => ({ path: file, content: `${HEADER}${content}` }));
}

/** The folders written ahead beside dist/. */
function aheadFolders(dist: string): string[] {
  return fs.readdirSync(path.dirname(dist)).filter((name) => name.startsWith(AHEAD_PREFIX));
}

function inode(file: string): number {
  return fs.lstatSync(file).ino;
}

const FIRST = files({ 'env/a.k8s.yaml': 'a: 1\n', 'env/zone/b.k8s.yaml': 'b: 1\n', 'argocd/env.k8s.yaml': 'app: 1\n' });

describe('files written ahead', () => {
  test('a new dist/ written ahead whole becomes dist/ in one rename', () => {
    // GIVEN no dist/ yet, and every file written ahead
    const dist = path.join(tempDir('meshflip-ahead-'), 'dist');
    const ahead = new Prewrite(dist);
    ahead.add(FIRST.slice(0, 1));
    ahead.add(FIRST.slice(1));
    const [folder] = aheadFolders(dist);
    const folderInode = inode(path.join(path.dirname(dist), folder));
    const copy = path.join(path.dirname(dist), folder, 'env', 'zone', 'b.k8s.yaml');
    const fileInode = inode(copy);
    fs.utimesSync(copy, PAST, PAST);
    // WHEN
    const result = writeDist(dist, FIRST, { prewritten: ahead });
    ahead.discard();
    // THEN the folder written ahead is dist/, its files as they were written (not again), and nothing is left beside it
    expect(inode(dist)).toBe(folderInode);
    expect(inode(path.join(dist, 'env', 'zone', 'b.k8s.yaml'))).toBe(fileInode);
    expect(fs.lstatSync(path.join(dist, 'env', 'zone', 'b.k8s.yaml')).mtimeMs).toBe(PAST.getTime());
    expect(snapshotTree(dist)).toEqual(Object.fromEntries(FIRST.map((f) => [f.path, f.content])));
    expect(result.added).toEqual(FIRST.map((f) => f.path).sort());
    expect(fs.readdirSync(path.dirname(dist)).filter((n) => n.startsWith(STAGING_PREFIX))).toEqual([]);
  });

  test('only new files and files recorded with another digest are written ahead, and each is moved into the new tree', () => {
    // GIVEN a dist/ whose files were written and recorded
    const dist = path.join(tempDir('meshflip-ahead-'), 'dist');
    const seen = new SeenFiles(memoryEntries(), clockAhead(path.dirname(dist)));
    writeDist(dist, FIRST, { seen });
    const keptInode = inode(path.join(dist, 'env', 'a.k8s.yaml'));
    const next = files({
      'env/a.k8s.yaml': 'a: 1\n',
      'env/zone/b.k8s.yaml': 'b: 2\n',
      'env/zone/c.k8s.yaml': 'c: 1\n',
      'argocd/env.k8s.yaml': 'app: 1\n',
    });
    // WHEN the next synthesis writes ahead
    const ahead = new Prewrite(dist, { seen });
    ahead.add(next);
    // THEN only the changed file and the new one are written ahead, and dist/ is untouched so far
    const [folder] = aheadFolders(dist);
    const written = snapshotTree(path.join(path.dirname(dist), folder));
    expect(written).toEqual({ 'env/zone/b.k8s.yaml': `${HEADER}b: 2\n`, 'env/zone/c.k8s.yaml': `${HEADER}c: 1\n` });
    expect(snapshotTree(dist)).toEqual(Object.fromEntries(FIRST.map((f) => [f.path, f.content])));
    const changedInode = inode(path.join(path.dirname(dist), folder, 'env', 'zone', 'b.k8s.yaml'));
    // WHEN written
    const result = writeDist(dist, next, { seen, prewritten: ahead });
    ahead.discard();
    // THEN the copies written ahead are the new files, the unchanged file is the same file, and nothing is left
    expect(result.changed).toEqual(['env/zone/b.k8s.yaml']);
    expect(result.added).toEqual(['env/zone/c.k8s.yaml']);
    expect(inode(path.join(dist, 'env', 'zone', 'b.k8s.yaml'))).toBe(changedInode);
    expect(inode(path.join(dist, 'env', 'a.k8s.yaml'))).toBe(keptInode);
    expect(snapshotTree(dist)).toEqual(Object.fromEntries(next.map((f) => [f.path, f.content])));
    expect(aheadFolders(dist)).toEqual([]);
  });

  test('a file of dist/ not recorded is left to the write, which compares it', () => {
    // GIVEN a dist/ written without records
    const dist = path.join(tempDir('meshflip-ahead-'), 'dist');
    writeDist(dist, FIRST);
    // WHEN the same files and a changed one are written ahead
    const ahead = new Prewrite(dist, { seen: new SeenFiles(memoryEntries(), clockAhead(path.dirname(dist))) });
    ahead.add(files({ 'env/a.k8s.yaml': 'a: 2\n', 'env/new.k8s.yaml': 'new: 1\n' }));
    // THEN only the file dist/ does not hold is written ahead
    expect(snapshotTree(path.join(path.dirname(dist), aheadFolders(dist)[0]))).toEqual({ 'env/new.k8s.yaml': `${HEADER}new: 1\n` });
  });

  test('a copy that is not what is written is not used, and is removed', () => {
    // GIVEN a file written ahead, then rendered otherwise
    const dist = path.join(tempDir('meshflip-ahead-'), 'dist');
    const ahead = new Prewrite(dist);
    ahead.add(files({ 'env/a.k8s.yaml': 'a: 1\n' }));
    const wanted = files({ 'env/a.k8s.yaml': 'a: 2\n', 'env/b.k8s.yaml': 'b: 1\n' });
    // WHEN
    writeDist(dist, wanted, { prewritten: ahead });
    ahead.discard();
    // THEN dist/ holds what is written
    expect(snapshotTree(dist)).toEqual(Object.fromEntries(wanted.map((f) => [f.path, f.content])));
    expect(aheadFolders(dist)).toEqual([]);
  });

  test('only the files the synthesis writes are written ahead', () => {
    // GIVEN
    const dist = path.join(tempDir('meshflip-ahead-'), 'dist');
    const ahead = new Prewrite(dist, { only: (file) => file.startsWith('env/') });
    // WHEN
    ahead.add(FIRST);
    // THEN
    expect(Object.keys(snapshotTree(path.join(path.dirname(dist), aheadFolders(dist)[0]))).sort()).toEqual(['env/a.k8s.yaml', 'env/zone/b.k8s.yaml']);
    ahead.discard();
    expect(aheadFolders(dist)).toEqual([]);
  });

  test('a failure while writing ahead stops it and removes its folder; the write then writes every file itself', () => {
    // GIVEN a file written ahead, then a file standing where the next one needs a folder
    const dist = path.join(tempDir('meshflip-ahead-'), 'dist');
    const ahead = new Prewrite(dist);
    ahead.add(FIRST.slice(0, 1));
    const folder = path.join(path.dirname(dist), aheadFolders(dist)[0]);
    fs.mkdirSync(path.join(folder, 'env'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'env', 'zone'), 'in the way\n');
    // WHEN
    ahead.add(FIRST.slice(1));
    // THEN nothing is written ahead any more, and the write gives the same dist/
    expect(aheadFolders(dist)).toEqual([]);
    ahead.add(FIRST);
    expect(aheadFolders(dist)).toEqual([]);
    writeDist(dist, FIRST, { prewritten: ahead });
    expect(snapshotTree(dist)).toEqual(Object.fromEntries(FIRST.map((f) => [f.path, f.content])));
  });

  test('a folder written ahead by a process that is gone is removed by the next write, not one of a live process', () => {
    // GIVEN
    const dist = path.join(tempDir('meshflip-ahead-'), 'dist');
    const parent = path.dirname(dist);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFiles(path.join(parent, `${AHEAD_PREFIX}${dead}-abc123`), { 'env/a.k8s.yaml': 'ahead\n' });
    // the parent of this test process is alive
    writeFiles(path.join(parent, `${AHEAD_PREFIX}${process.ppid}-def456`), { 'env/a.k8s.yaml': 'ahead\n' });
    // WHEN
    writeDist(dist, FIRST);
    // THEN
    expect(aheadFolders(dist)).toEqual([`${AHEAD_PREFIX}${process.ppid}-def456`]);
  });
});
