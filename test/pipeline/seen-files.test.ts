import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { FileStat, fileSystemClock, SeenEntries, SeenEntry, SeenFiles } from '../../src/pipeline/dist/seen-files';
import { writeDist } from '../../src/pipeline/dist/write-dist';
import { removeTempDirs, tempDir, writeFiles } from '../util';

afterAll(removeTempDirs);

// A command that needs the digest of every file of an environment (flip, validate, ci-summary)
// reads only the files lstat says changed since they were last read or written, as git trusts
// its index: the same device, inode, size and modification time. Anything else is read again.

const HEADER = '# Generated from environments/env.yaml by npm run synth. Do not edit.\n';
const MINUTE_AGO = () => new Date(Date.now() - 60_000);

/** Entries kept in memory, as the cache folder keeps them. */
function memoryEntries(): SeenEntries & { readonly map: Map<string, SeenEntry> } {
  const map = new Map<string, SeenEntry>();
  return { map, get: (key) => map.get(key), set: (key, entry) => map.set(key, JSON.parse(JSON.stringify(entry)) as SeenEntry) };
}

/** A clock an hour ahead of every file, on their device: nothing is racily clean. */
function clockAhead(dist: string): (dir: string) => FileStat {
  const { dev } = fs.statSync(dist);
  return () => ({ dev, ino: 0, size: 0, mtimeMs: Date.now() + 3_600_000 });
}

/** A dist/ of one environment whose files were last changed a minute ago. */
function distOf(files: Record<string, string>): { dist: string; files: string[] } {
  const dist = path.join(tempDir('meshflip-seen-'), 'dist');
  writeFiles(dist, files);
  for (const file of Object.keys(files)) {
    fs.utimesSync(path.join(dist, file), MINUTE_AGO(), MINUTE_AGO());
  }
  return { dist, files: Object.keys(files).sort() };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The digests, and which files were read to give them. */
function digestsOf(seen: SeenFiles, dist: string, files: readonly string[]): { digests: Record<string, string>; read: string[] } {
  const read: string[] = [];
  const digests = seen.digests(dist, 'env', files, (file) => read.push(file));
  return { digests: Object.fromEntries(digests), read };
}

const FILES = {
  'env/a.k8s.yaml': `${HEADER}a: 1\n`,
  'env/b.k8s.yaml': `${HEADER}b: 1\n`,
  'env/INPUTS.sha256': `${HEADER}inputs\n`,
};

test('gives the SHA-256 of each file, and reads none again while lstat says the same of each', () => {
  // GIVEN three files, and no entry
  const { dist, files } = distOf(FILES);
  const seen = new SeenFiles(memoryEntries(), clockAhead(dist));
  // WHEN digested twice
  const first = digestsOf(seen, dist, files);
  const second = digestsOf(seen, dist, files);
  // THEN both give each file's digest; the first read every file, the second none
  const expected = Object.fromEntries(Object.entries(FILES).map(([file, text]) => [file, sha256(text)]));
  expect(first).toEqual({ digests: expected, read: files });
  expect(second).toEqual({ digests: expected, read: [] });
});

test.each<[string, (file: string) => void]>([
  [
    'new content of the same size, with another modification time',
    (file) => {
      const { mtime } = fs.statSync(file);
      fs.writeFileSync(file, `${HEADER}a: 2\n`);
      fs.utimesSync(file, mtime, new Date(mtime.getTime() + 1000));
    },
  ],
  [
    'another file of the same size put in its place, with the same modification time',
    (file) => {
      const { mtime } = fs.statSync(file);
      fs.writeFileSync(`${file}.new`, `${HEADER}a: 2\n`);
      fs.utimesSync(`${file}.new`, mtime, mtime);
      fs.renameSync(`${file}.new`, file);
    },
  ],
  [
    'new content of another size, with the same modification time',
    (file) => {
      const { mtime } = fs.statSync(file);
      fs.writeFileSync(file, `${HEADER}a: 22\n`);
      fs.utimesSync(file, mtime, mtime);
    },
  ],
])('reads a file again after %s', (_, change) => {
  // GIVEN three files seen
  const { dist, files } = distOf(FILES);
  const seen = new SeenFiles(memoryEntries(), clockAhead(dist));
  digestsOf(seen, dist, files);
  // WHEN one of them changes
  change(path.join(dist, 'env/a.k8s.yaml'));
  // THEN it alone is read again, and its digest is that of its new content
  const after = digestsOf(seen, dist, files);
  expect(after.read).toEqual(['env/a.k8s.yaml']);
  expect(after.digests['env/a.k8s.yaml']).toBe(sha256(fs.readFileSync(path.join(dist, 'env/a.k8s.yaml'), 'utf8')));
  expect(after.digests['env/b.k8s.yaml']).toBe(sha256(FILES['env/b.k8s.yaml']));
});

test('with the real clock: a file changed before it is recorded, one changed at or after it is read every time', () => {
  // GIVEN a file last changed a minute ago, and one whose modification time is an hour ahead
  // (as a file changed in the clock's current tick is to the clock)
  const { dist, files } = distOf(FILES);
  const ahead = new Date(Date.now() + 3_600_000);
  fs.utimesSync(path.join(dist, 'env/b.k8s.yaml'), ahead, ahead);
  const entries = memoryEntries();
  const seen = new SeenFiles(entries);
  // WHEN digested twice with the file system's clock
  digestsOf(seen, dist, files);
  const second = digestsOf(seen, dist, files);
  // THEN only the file ahead of the clock is read again: a change within its tick would keep its time
  expect(second.read).toEqual(['env/b.k8s.yaml']);
  expect([...entries.map.values()][0].files.map(([file]) => file)).toEqual(['env/INPUTS.sha256', 'env/a.k8s.yaml']);
  // AND the clock is read by writing a file beside dist/, which is gone again
  const clock = fileSystemClock(path.dirname(dist));
  expect(clock?.mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  expect(fs.readdirSync(path.dirname(dist))).toEqual(['dist']);
});

test('keeps only the files of the group as it is now', () => {
  // GIVEN three files seen
  const { dist, files } = distOf(FILES);
  const entries = memoryEntries();
  const seen = new SeenFiles(entries, clockAhead(dist));
  digestsOf(seen, dist, files);
  // WHEN one of them is no longer in the group
  fs.rmSync(path.join(dist, 'env/b.k8s.yaml'));
  const after = digestsOf(seen, dist, ['env/INPUTS.sha256', 'env/a.k8s.yaml']);
  // THEN nothing is read, and the entry no longer names it
  expect(after.read).toEqual([]);
  expect([...entries.map.values()][0].files.map(([file]) => file)).toEqual(['env/INPUTS.sha256', 'env/a.k8s.yaml']);
});

test('an entry is kept for each dist/ and group: another folder with the same paths is read', () => {
  // GIVEN the same files in two folders, one of them seen
  const one = distOf(FILES);
  const other = distOf(FILES);
  const entries = memoryEntries();
  const seen = new SeenFiles(entries, clockAhead(one.dist));
  digestsOf(seen, one.dist, one.files);
  // WHEN the other is digested, and the first as another group
  // THEN both are read whole
  expect(digestsOf(seen, other.dist, other.files).read).toEqual(other.files);
  expect(seen.digests(one.dist, 'other', one.files).size).toBe(3);
  expect(entries.map.size).toBe(3);
});

test('a file that cannot be read fails as reading it would', () => {
  const { dist, files } = distOf(FILES);
  const seen = new SeenFiles(memoryEntries(), clockAhead(dist));
  fs.rmSync(path.join(dist, 'env/a.k8s.yaml'));
  expect(() => seen.digests(dist, 'env', files)).toThrow(/ENOENT/);
});

describe('what a write records', () => {
  test('files written are not read to be digested; files a write left as they were keep their records', () => {
    // GIVEN a dist/ written with the files recorded, and digested once
    const dist = path.join(tempDir('meshflip-seen-'), 'dist');
    const entries = memoryEntries();
    const seen = new SeenFiles(entries, clockAhead(path.dirname(dist)));
    const v1 = [
      { path: 'env/a.k8s.yaml', content: `${HEADER}a: 1\n` },
      { path: 'env/b.k8s.yaml', content: `${HEADER}b: 1\n` },
      { path: 'env/c.k8s.yaml', content: `${HEADER}c: 1\n` },
    ];
    writeDist(dist, v1, { seen });
    const group = ['env/a.k8s.yaml', 'env/b.k8s.yaml', 'env/c.k8s.yaml'];
    // THEN a digest right after reads nothing
    expect(digestsOf(seen, dist, group)).toEqual({ digests: Object.fromEntries(v1.map((f) => [f.path, sha256(f.content)])), read: [] });
    // WHEN a second write changes one file, adds one and removes one (the others are linked)
    const v2 = [
      { path: 'env/a.k8s.yaml', content: `${HEADER}a: 2\n` },
      { path: 'env/b.k8s.yaml', content: `${HEADER}b: 1\n` },
      { path: 'env/d.k8s.yaml', content: `${HEADER}d: 1\n` },
    ];
    writeDist(dist, v2, { seen });
    // THEN none is read to be digested, and each digest is that of its new content
    const after = digestsOf(seen, dist, ['env/a.k8s.yaml', 'env/b.k8s.yaml', 'env/d.k8s.yaml']);
    expect(after).toEqual({ digests: Object.fromEntries(v2.map((f) => [f.path, sha256(f.content)])), read: [] });
    // AND the removed file is forgotten
    expect([...entries.map.values()][0].files.map(([file]) => file)).toEqual(['env/a.k8s.yaml', 'env/b.k8s.yaml', 'env/d.k8s.yaml']);
  });

  test('a write takes a file lstat says is the one recorded for its digest, without reading it, and compares any other', () => {
    // GIVEN a dist/ as a write left it (times of whole milliseconds, which a test can set back),
    // its files recorded
    const files = ['a', 'b', 'c'].map((name) => ({ path: `env/${name}.k8s.yaml`, content: `${HEADER}${name}: 1\n` }));
    const { dist } = distOf(Object.fromEntries(files.map((f) => [f.path, f.content])));
    const seen = new SeenFiles(memoryEntries(), clockAhead(dist));
    seen.digests(
      dist,
      'env',
      files.map((f) => f.path),
    );
    // AND two of them edited by hand at the same size: one with a new modification time, one
    // with its time set back (what lstat says of it is then what was recorded)
    const touched = path.join(dist, 'env/b.k8s.yaml');
    fs.writeFileSync(touched, `${HEADER}b: 2\n`);
    fs.utimesSync(touched, new Date(), new Date(Date.now() + 5000));
    const setBack = path.join(dist, 'env/c.k8s.yaml');
    const { atime, mtime } = fs.statSync(setBack);
    fs.writeFileSync(setBack, `${HEADER}c: 2\n`);
    fs.utimesSync(setBack, atime, mtime);
    // WHEN the same files are written again
    const result = writeDist(dist, files, { seen });
    // THEN the one with a new time is read, found changed and written again; the one whose lstat
    // is as recorded is taken for what was written, unread (as documented: CI's synthesis from
    // scratch is what catches that)
    expect(result.changed).toEqual(['env/b.k8s.yaml']);
    expect(fs.readFileSync(touched, 'utf8')).toBe(`${HEADER}b: 1\n`);
    expect(fs.readFileSync(setBack, 'utf8')).toBe(`${HEADER}c: 2\n`);
    // AND without the record, it is read and written again
    expect(writeDist(dist, files).changed).toEqual(['env/c.k8s.yaml']);
  });

  test('a write that reads a file to compare it records it: the next one does not read it', () => {
    // GIVEN a dist/ whose files were never recorded, and what it holds rendered again
    const files = ['a', 'b'].map((name) => ({ path: `env/${name}.k8s.yaml`, content: `${HEADER}${name}: 1\n` }));
    const { dist } = distOf(Object.fromEntries(files.map((f) => [f.path, f.content])));
    const entries = memoryEntries();
    const seen = new SeenFiles(entries, clockAhead(dist));
    // WHEN written, which changes nothing
    expect(writeDist(dist, files, { seen })).toMatchObject({ added: [], changed: [], removed: [] });
    // THEN both files are recorded, as read: a digest of the group reads neither
    expect(
      digestsOf(
        seen,
        dist,
        files.map((f) => f.path),
      ),
    ).toEqual({
      digests: Object.fromEntries(files.map((f) => [f.path, sha256(f.content)])),
      read: [],
    });
  });

  test('a file written in the clock’s current tick is not recorded', () => {
    // GIVEN a clock at the same time as the files written
    const dist = path.join(tempDir('meshflip-seen-'), 'dist');
    const seen = new SeenFiles(memoryEntries(), (dir) => fileSystemClock(dir) && { ...fs.statSync(dir), mtimeMs: 0 });
    // WHEN written
    writeDist(dist, [{ path: 'env/a.k8s.yaml', content: `${HEADER}a: 1\n` }], { seen });
    // THEN it is read to be digested
    expect(digestsOf(seen, dist, ['env/a.k8s.yaml']).read).toEqual(['env/a.k8s.yaml']);
  });
});
