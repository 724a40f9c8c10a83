import * as childProcess from 'child_process';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { exchangeDirectories } from '../../src/pipeline/dist/exchange';
import { OutputError } from '../../src/pipeline/dist/output-folder';
import {
  BACKGROUND_REMOVAL_FILES,
  recoverInterruptedWrite,
  STAGING_PREFIX,
  trashFolder,
  writeDist,
  WriteFileSystem,
} from '../../src/pipeline/dist/write-dist';
import { REPO, removeTempDirs, snapshotTree, tempDir, tempDirsOnDisk, writeFiles } from '../util';

// The write is the file system's: on the disk, as a repository is.
tempDirsOnDisk();
afterAll(removeTempDirs);

const HEADER = '# Generated from environments/env.yaml by npm run synth. Do not edit.\n';
const PAST = new Date('2020-01-01T00:00:00Z');

/** A dist/ with three files meshflip wrote, whose mtime is a fixed time in the past. */
function existingDist(extra: Record<string, string> = {}): string {
  const root = tempDir();
  const dist = path.join(root, 'dist');
  writeFiles(dist, {
    'env/target/kept.k8s.yaml': `${HEADER}kept: 1\n`,
    'env/target/same.k8s.yaml': `${HEADER}same: 1\n`,
    'env/old/gone.k8s.yaml': `${HEADER}gone: 1\n`,
    ...extra,
  });
  for (const file of Object.keys(snapshotTree(dist))) {
    fs.utimesSync(path.join(dist, file), PAST, PAST);
  }
  return dist;
}

const WANTED = [
  { path: 'env/target/kept.k8s.yaml', content: `${HEADER}kept: 2\n` },
  { path: 'env/target/same.k8s.yaml', content: `${HEADER}same: 1\n` },
  { path: 'env/target/new.k8s.yaml', content: `${HEADER}new: 1\n` },
];

const WANTED_TREE = {
  'env/target/kept.k8s.yaml': `${HEADER}kept: 2\n`,
  'env/target/new.k8s.yaml': `${HEADER}new: 1\n`,
  'env/target/same.k8s.yaml': `${HEADER}same: 1\n`,
};

/** Everything that says a file was left alone: content, mtime and inode, by path. */
function fileStates(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const stat = fs.lstatSync(file);
    // Only regular files are read: opening a named pipe would wait for a writer.
    const content = stat.isFile()
      ? fs.readFileSync(file, 'utf8')
      : stat.isSymbolicLink()
        ? `-> ${fs.readlinkSync(file)}`
        : stat.isDirectory()
          ? '(folder)'
          : '(other)';
    out[path.relative(dir, file)] = `${stat.ino} ${stat.mtime.toISOString()} ${content}`;
  }
  return out;
}

function workFolders(dist: string): string[] {
  return fs.readdirSync(path.dirname(dist)).filter((n) => n.startsWith(STAGING_PREFIX));
}

/** An error as thrown by a failing system call. */
function errnoError(code: string, syscall: string, file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${file}'`), { code, syscall, path: file });
}

/** Calls `fail` on the `n`th call of `name` (1-based); the other calls do the real thing. */
function failOn<K extends 'writeFileSync' | 'linkSync' | 'renameSync'>(name: K, n: number, code: string): Partial<WriteFileSystem> {
  let calls = 0;
  const real = { writeFileSync: fs.writeFileSync, linkSync: fs.linkSync, renameSync: fs.renameSync }[name] as (a: string, b: string) => void;
  return {
    [name]: (a: string, b: string) => {
      if (++calls === n) {
        throw errnoError(code, name.replace('Sync', ''), name === 'writeFileSync' ? a : b);
      }
      real(a, b);
    },
  };
}

test('writes only what changed, keeps the inode and mtime of unchanged files and removes what is no longer produced', () => {
  // GIVEN
  const dist = existingDist();
  const same = fs.statSync(path.join(dist, 'env/target/same.k8s.yaml'));
  // WHEN
  const result = writeDist(dist, WANTED);
  // THEN
  expect(result).toEqual({
    added: ['env/target/new.k8s.yaml'],
    changed: ['env/target/kept.k8s.yaml'],
    removed: ['env/old/gone.k8s.yaml'],
    unchanged: 1,
  });
  expect(snapshotTree(dist)).toEqual(WANTED_TREE);
  const after = fs.statSync(path.join(dist, 'env/target/same.k8s.yaml'));
  expect([after.ino, after.mtime.toISOString(), after.nlink]).toEqual([same.ino, '2020-01-01T00:00:00.000Z', 1]);
  expect(fs.existsSync(path.join(dist, 'env/old'))).toBe(false);
  expect(workFolders(dist)).toEqual([]);
});

test('the new folder replaces the old one in one exchange, and dist/ keeps its mode', () => {
  // GIVEN every change is inside dist/env
  const dist = existingDist();
  fs.chmodSync(dist, 0o750);
  const calls: string[] = [];
  // WHEN
  writeDist(dist, WANTED, {
    fileSystem: {
      exchange: (a, b) => {
        calls.push(`exchange ${path.basename(a).replace(/\d+-[0-9a-f]+$/, 'PID-RANDOM')} ${path.basename(b)}`);
        return exchangeDirectories(a, b);
      },
      renameSync: (a, b) => {
        calls.push(`rename ${a} ${b}`);
        fs.renameSync(a, b);
      },
    },
  });
  // THEN this system has the atomic exchange, and nothing else moved dist/env
  expect(calls).toEqual([`exchange ${STAGING_PREFIX}PID-RANDOM env`]);
  expect(fs.statSync(dist).mode & 0o777).toBe(0o750);
  expect(snapshotTree(dist)).toEqual(WANTED_TREE);
});

test.each([
  ['one file of one environment', ['env/target/kept.k8s.yaml'], 'env/target', ['other/a.k8s.yaml', 'env/old/gone.k8s.yaml']],
  ['files of two folders of one environment', ['env/target/kept.k8s.yaml', 'env/old/gone.k8s.yaml'], 'env', ['other/a.k8s.yaml']],
  ['files of two environments', ['env/target/kept.k8s.yaml', 'other/a.k8s.yaml'], 'dist', []],
])(
  'a change to %s exchanges the deepest folder that holds it, and leaves every other file as it was',
  (_name, changedFiles, exchanged, untouched) => {
    // GIVEN a dist/ with two environments
    const dist = existingDist({ 'other/a.k8s.yaml': `${HEADER}a: 1\n` });
    fs.chmodSync(dist, 0o750);
    const before = fileStates(dist);
    const current = snapshotTree(dist);
    const calls: string[] = [];
    // WHEN the files named change
    const files = Object.entries(current).map(([file, content]) => ({
      path: file,
      content: changedFiles.includes(file) ? `${content}changed: true\n` : content,
    }));
    writeDist(dist, files, {
      fileSystem: {
        exchange: (a, b) => {
          calls.push(path.relative(path.dirname(dist), b));
          return exchangeDirectories(a, b);
        },
      },
    });
    // THEN only that folder was exchanged, the files outside it kept their inode and mtime, and the tree is the one wanted
    expect(calls).toEqual([exchanged === 'dist' ? 'dist' : `dist/${exchanged}`]);
    const after = fileStates(dist);
    for (const file of untouched) {
      expect(after[file]).toBe(before[file]);
    }
    expect(snapshotTree(dist)).toEqual(Object.fromEntries(files.map((f) => [f.path, f.content])));
    expect(fs.statSync(dist).mode & 0o777).toBe(0o750);
    expect(workFolders(dist)).toEqual([]);
  },
);

test('a second write of the same files touches nothing', () => {
  // GIVEN
  const dist = existingDist();
  writeDist(dist, WANTED);
  const before = fileStates(dist);
  const calls: string[] = [];
  const record = (name: string) => () => {
    calls.push(name);
    throw new Error(`${name} called`);
  };
  // WHEN
  const result = writeDist(dist, WANTED, {
    fileSystem: { writeFileSync: record('write'), linkSync: record('link'), renameSync: record('rename'), exchange: record('exchange') },
  });
  // THEN
  expect(result).toEqual({ added: [], changed: [], removed: [], unchanged: 3 });
  expect(calls).toEqual([]);
  expect(fileStates(dist)).toEqual(before);
});

test('writes a dist/ that does not exist yet, with the folders above it', () => {
  // GIVEN
  const root = tempDir();
  const dist = path.join(root, 'deploy', 'manifests');
  // WHEN
  const result = writeDist(dist, WANTED);
  // THEN
  expect(result.added).toEqual(['env/target/kept.k8s.yaml', 'env/target/new.k8s.yaml', 'env/target/same.k8s.yaml']);
  expect(snapshotTree(dist)).toEqual({ ...WANTED_TREE, 'env/target/same.k8s.yaml': `${HEADER}same: 1\n` });
  expect(workFolders(dist)).toEqual([]);
});

/**
 * Writes WANTED into `dist`, expects the write to be refused with exactly `message` and `hint`,
 * and dist/ (and `victim`, a folder outside it, when given) to be left exactly as they were.
 */
function expectRefused(dist: string, message: string, hint: string, options: { victim?: string; fileSystem?: Partial<WriteFileSystem> } = {}): void {
  const before = fileStates(dist);
  const victimBefore = options.victim === undefined ? {} : fileStates(options.victim);
  let error: unknown;
  try {
    writeDist(dist, WANTED, options.fileSystem === undefined ? {} : { fileSystem: options.fileSystem });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(OutputError);
  expect([(error as OutputError).message, (error as OutputError).hint]).toEqual([message, hint]);
  expect(fileStates(dist)).toEqual(before);
  expect(workFolders(dist)).toEqual([]);
  if (options.victim !== undefined) {
    expect(fileStates(options.victim)).toEqual(victimBefore);
  }
}

describe('a failure midway leaves dist/ exactly as it was', () => {
  test.each([
    [
      'the disk is full at the second new file',
      failOn('writeFileSync', 2, 'ENOSPC'),
      'no space left on the device while writing dist/env/target/kept.k8s.yaml',
      'free some space and run synth again; dist/ was left as it was',
    ],
    [
      'a hard link is refused',
      failOn('linkSync', 1, 'EACCES'),
      'permission denied writing dist/env/target/same.k8s.yaml',
      'make dist/ and the folder that holds it writable for this user; dist/ was left as it was',
    ],
    [
      'the exchange is refused',
      {
        exchange: (a: string) => {
          throw errnoError('EROFS', 'renameat2', a);
        },
      },
      'dist/env is on a read-only file system',
      'synth must run where dist/ can be written; dist/ was left as it was',
    ],
    [
      'the fallback cannot put the new tree in place',
      { exchange: () => false, ...failOn('renameSync', 2, 'EXDEV') },
      'could not write dist (EXDEV)',
      'dist/ was left as it was',
    ],
  ])('fails when %s', (_name, fileSystem, message, hint) => {
    // GIVEN an existing dist/, WHEN the write fails THEN
    expectRefused(existingDist(), message, hint, { fileSystem });
  });

  test('fails when something throws once everything is staged, and passes the error on as it is', () => {
    // GIVEN
    const dist = existingDist();
    const before = fileStates(dist);
    // WHEN
    expect(() =>
      writeDist(dist, WANTED, {
        beforeCommit: () => {
          throw new Error('stopped');
        },
      }),
    ).toThrow(new Error('stopped'));
    // THEN
    expect(fileStates(dist)).toEqual(before);
    expect(workFolders(dist)).toEqual([]);
  });
});

test('without the atomic exchange, two renames give the same result and leave nothing aside', () => {
  // GIVEN
  const dist = existingDist();
  // WHEN
  const result = writeDist(dist, WANTED, { fileSystem: { exchange: () => false } });
  // THEN
  expect(result.changed).toEqual(['env/target/kept.k8s.yaml']);
  expect(snapshotTree(dist)).toEqual(WANTED_TREE);
  expect(workFolders(dist)).toEqual([]);
});

function runKilledWrite(dist: string, mode: string) {
  return spawnSync(
    process.execPath,
    ['--require', require.resolve('tsx/cjs'), path.join(REPO, 'test/fixtures/scripts/killed-write.ts'), dist, mode],
    { encoding: 'utf8' },
  );
}

test('a process killed with everything staged leaves dist/ as it was, and the next write cleans up after it', () => {
  // GIVEN
  const dist = existingDist();
  const before = fileStates(dist);
  // WHEN a real process is killed (SIGKILL) right before the commit
  const killed = runKilledWrite(dist, 'before-commit');
  // THEN
  expect([killed.signal, killed.stderr]).toEqual(['SIGKILL', '']);
  expect(fileStates(dist)).toEqual(before);
  expect(workFolders(dist)).toHaveLength(1);
  // WHEN the next synthesis runs
  writeDist(dist, WANTED);
  // THEN the dead run's staging folder is gone
  expect(workFolders(dist)).toEqual([]);
  expect(snapshotTree(dist)).toEqual(WANTED_TREE);
});

test('a process killed between the two renames of the fallback leaves the old tree aside, and the next run puts it back first', () => {
  // GIVEN
  const dist = existingDist();
  const before = fileStates(dist);
  // WHEN killed in the one moment the fallback has no dist/
  const killed = runKilledWrite(dist, 'between-renames');
  // THEN
  expect(killed.signal).toBe('SIGKILL');
  expect(fs.existsSync(dist)).toBe(false);
  expect(
    workFolders(dist)
      .map((n) => n.replace(/\d+/, 'PID'))
      .sort(),
  ).toEqual(
    [
      `${STAGING_PREFIX}PID-${workFolders(dist)
        .find((n) => !n.includes('old-'))!
        .split('-')
        .pop()}`,
      `${STAGING_PREFIX}old-PID-dist`,
    ].sort(),
  );
  // WHEN any command that reads or writes dist/ starts
  recoverInterruptedWrite(dist);
  // THEN the old dist/ is back, unchanged down to the inodes
  expect(fileStates(dist)).toEqual(before);
  // AND the next write completes and removes the leftovers
  writeDist(dist, WANTED);
  expect(snapshotTree(dist)).toEqual(WANTED_TREE);
  expect(workFolders(dist)).toEqual([]);
});

/** The paths of dist/ a keep test was asked about. */
const asked: string[] = [];

test.each([
  ['a list of them', ['env/target/same.k8s.yaml', 'env/target/vanished.k8s.yaml']],
  [
    'a test of each path',
    (file: string) => {
      asked.push(file);
      return file === 'env/target/same.k8s.yaml';
    },
  ],
])('keeps the files it is told to keep by %s as they are, without being given their content', (_how, keep) => {
  // GIVEN
  const dist = existingDist();
  const before = fileStates(dist);
  const files = Object.keys(snapshotTree(dist)).sort();
  asked.length = 0;
  // WHEN only new.k8s.yaml is given, and same.k8s.yaml is kept (an environment reused)
  const result = writeDist(dist, [{ path: 'env/target/new.k8s.yaml', content: `${HEADER}new: 1\n` }], { keep });
  // THEN the kept file is the same file (inode, mtime, content); what is neither given nor kept is removed
  expect(result).toEqual({
    added: ['env/target/new.k8s.yaml'],
    changed: [],
    removed: ['env/old/gone.k8s.yaml', 'env/target/kept.k8s.yaml'],
    unchanged: 1,
  });
  expect(fileStates(dist)['env/target/same.k8s.yaml']).toBe(before['env/target/same.k8s.yaml']);
  expect(Object.keys(snapshotTree(dist)).sort()).toEqual(['env/target/new.k8s.yaml', 'env/target/same.k8s.yaml']);
  // AND a test is asked about the files of dist/ alone, each once
  expect(asked.sort()).toEqual(typeof keep === 'function' ? files : []);
});

describe('folders kept whole are not listed', () => {
  /**
   * dist/ with the environment a write changes (env) and two others whose every file is kept
   * (other, third). A symbolic link in third stops any write that lists third.
   */
  const fleetDist = () => {
    const dist = existingDist({
      'other/zone/a.k8s.yaml': `${HEADER}a: 1\n`,
      'other/b.k8s.yaml': `${HEADER}b: 1\n`,
      'third/c.k8s.yaml': `${HEADER}c: 1\n`,
    });
    fs.symlinkSync('c.k8s.yaml', path.join(dist, 'third', 'link.k8s.yaml'));
    return dist;
  };
  const keptWhole = (file: string) => file.startsWith('other/') || file.startsWith('third/');
  const keepFolders = (folder: string) => folder === 'other' || folder === 'third';
  const KEPT_TREE = { 'other/zone/a.k8s.yaml': `${HEADER}a: 1\n`, 'other/b.k8s.yaml': `${HEADER}b: 1\n`, 'third/c.k8s.yaml': `${HEADER}c: 1\n` };

  test('a write inside one environment lists none of the others, and gives the tree a full listing gives', () => {
    // GIVEN
    const dist = fleetDist();
    const kept = fileStates(dist);
    // WHEN
    const result = writeDist(dist, WANTED, { keep: keptWhole, keepFolders });
    // THEN the changes of a write that lists everything (the link aside), and the other
    // environments' files are the same files: third, with its link, was not looked into
    const listed = existingDist({ ...KEPT_TREE });
    expect(result).toEqual({ ...writeDist(listed, WANTED, { keep: keptWhole }), unchanged: 1 });
    expect(snapshotTree(dist)).toEqual({ ...WANTED_TREE, ...KEPT_TREE, 'third/link.k8s.yaml': `${HEADER}c: 1\n` });
    for (const file of [...Object.keys(KEPT_TREE), 'third/link.k8s.yaml']) {
      expect(fileStates(dist)[file]).toBe(kept[file]);
    }
  });

  test.each([
    ['changes in two top-level folders', [...WANTED, { path: 'top.k8s.yaml', content: `${HEADER}top: 1\n` }], {}],
    ['no atomic exchange', WANTED, { fileSystem: { exchange: () => false } }],
  ])('with %s, the whole tree is staged: the kept folders are listed then, and kept', (_why, files, options) => {
    // GIVEN
    const dist = fleetDist();
    const before = fileStates(dist);
    // WHEN THEN third is listed: its link stops the write, which changes nothing
    expect(() => writeDist(dist, files, { keep: keptWhole, keepFolders, ...options })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('third/link.k8s.yaml is a symbolic link') }),
    );
    expect(fileStates(dist)).toEqual(before);
    // AND without the link, the kept files are staged as they are
    fs.rmSync(path.join(dist, 'third', 'link.k8s.yaml'));
    const inode = fs.statSync(path.join(dist, 'other/zone/a.k8s.yaml')).ino;
    writeDist(dist, files, { keep: keptWhole, keepFolders, ...options });
    expect(snapshotTree(dist)).toEqual({ ...Object.fromEntries(files.map((f) => [f.path, f.content])), ...KEPT_TREE });
    expect(fs.statSync(path.join(dist, 'other/zone/a.k8s.yaml')).ino).toBe(inode);
    expect(workFolders(dist)).toEqual([]);
  });

  test('refuses a file to write in a folder said to be kept whole, and changes nothing', () => {
    // GIVEN
    const dist = fleetDist();
    const before = fileStates(dist);
    // WHEN THEN
    expect(() => writeDist(dist, [...WANTED, { path: 'other/b.k8s.yaml', content: `${HEADER}b: 2\n` }], { keep: keptWhole, keepFolders })).toThrow(
      new Error('refusing to write "other/b.k8s.yaml": its folder was said to be kept whole'),
    );
    expect(fileStates(dist)).toEqual(before);
  });
});

describe('a write with a file outside dist/ (a flip: the environment file and dist/ together)', () => {
  const ENV = 'environments/env.yaml';
  /** dist/ as existingDist makes it, and the environment file beside it. */
  function flipRepo(): { root: string; dist: string } {
    const dist = existingDist();
    const root = path.dirname(dist);
    writeFiles(root, { [ENV]: 'routing: old\n' });
    return { root, dist };
  }
  const envText = (root: string) => fs.readFileSync(path.join(root, ENV), 'utf8');

  test('writes both', () => {
    // GIVEN
    const { root, dist } = flipRepo();
    // WHEN
    writeDist(dist, WANTED, { companions: [{ file: path.join(root, ENV), content: 'routing: new\n' }] });
    // THEN
    expect([snapshotTree(dist), envText(root)]).toEqual([WANTED_TREE, 'routing: new\n']);
    expect(workFolders(dist)).toEqual([]);
  });

  test('writes nothing through a link planted under the name of a temporary file', () => {
    // GIVEN links where the file's and the journal's temporary copies are written (named with
    // this process's pid), to files elsewhere
    const { root, dist } = flipRepo();
    const elsewhere = tempDir('meshflip-elsewhere-');
    writeFiles(elsewhere, { 'env.txt': 'keep me\n', 'journal.txt': 'keep me too\n' });
    fs.symlinkSync(path.join(elsewhere, 'env.txt'), path.join(root, 'environments', `${STAGING_PREFIX}${process.pid}-env.yaml.tmp`));
    fs.symlinkSync(path.join(elsewhere, 'journal.txt'), path.join(root, `${STAGING_PREFIX}${process.pid}-${STAGING_PREFIX}journal-dist.json.tmp`));
    // WHEN
    writeDist(dist, WANTED, { companions: [{ file: path.join(root, ENV), content: 'routing: new\n' }] });
    // THEN both are written, the links are gone, and the files they pointed to are as they were
    expect([snapshotTree(dist), envText(root)]).toEqual([WANTED_TREE, 'routing: new\n']);
    expect(snapshotTree(elsewhere)).toEqual({ 'env.txt': 'keep me\n', 'journal.txt': 'keep me too\n' });
    expect(fs.readdirSync(path.join(root, 'environments'))).toEqual(['env.yaml']);
  });

  test('writes the file alone when dist/ does not change', () => {
    // GIVEN dist/ already as wanted
    const { root, dist } = flipRepo();
    writeDist(dist, WANTED);
    const before = fileStates(dist);
    // WHEN
    writeDist(dist, WANTED, { companions: [{ file: path.join(root, ENV), content: 'routing: new\n' }] });
    // THEN
    expect([fileStates(dist), envText(root)]).toEqual([before, 'routing: new\n']);
  });

  test('killed before the new tree replaces dist/: the next run drops the journal, and both stay as they were', () => {
    // GIVEN
    const { root, dist } = flipRepo();
    const before = fileStates(dist);
    // WHEN
    const killed = runKilledWrite(dist, 'journal-before-commit');
    // THEN both are old, and the journal says what was meant
    expect([killed.signal, killed.stderr]).toEqual(['SIGKILL', '']);
    expect([fileStates(dist), envText(root)]).toEqual([before, 'routing: old\n']);
    expect(workFolders(dist).some((n) => n.startsWith(`${STAGING_PREFIX}journal-`))).toBe(true);
    // WHEN any command starts
    recoverInterruptedWrite(dist);
    // THEN nothing changed, and the journal is gone (the staging folder goes with the next write)
    expect([fileStates(dist), envText(root)]).toEqual([before, 'routing: old\n']);
    expect(workFolders(dist).some((n) => n.includes('journal'))).toBe(false);
    writeDist(dist, WANTED);
    expect(workFolders(dist)).toEqual([]);
  });

  test('killed after the new tree replaced dist/ and before the file was written: the next run writes the file', () => {
    // GIVEN
    const { root, dist } = flipRepo();
    // WHEN
    const killed = runKilledWrite(dist, 'journal-after-commit');
    // THEN dist/ is new (what the script writes: kept.k8s.yaml changed, new.k8s.yaml added), the file still old
    const written = { 'env/target/kept.k8s.yaml': `${HEADER}kept: 2\n`, 'env/target/new.k8s.yaml': `${HEADER}new: 1\n` };
    expect([killed.signal, killed.stderr]).toEqual(['SIGKILL', '']);
    expect([snapshotTree(dist), envText(root)]).toEqual([written, 'routing: old\n']);
    // WHEN any command starts
    recoverInterruptedWrite(dist);
    // THEN both are new, and nothing is left over but the old tree (removed by the next write)
    expect([snapshotTree(dist), envText(root)]).toEqual([written, 'routing: new\n']);
    expect(workFolders(dist).some((n) => n.includes('journal'))).toBe(false);
    expect(fs.readdirSync(path.join(root, 'environments'))).toEqual(['env.yaml']);
    writeDist(dist, WANTED);
    expect(workFolders(dist)).toEqual([]);
  });

  test('leaves a journal of a live process alone', () => {
    // GIVEN a journal written by this (live) process's parent, which is alive
    const { root, dist } = flipRepo();
    const journal = path.join(root, `${STAGING_PREFIX}journal-dist.json`);
    const stat = fs.statSync(dist);
    fs.writeFileSync(
      journal,
      JSON.stringify({
        version: 1,
        pid: process.ppid,
        staged: { dev: stat.dev, ino: stat.ino },
        companions: [{ file: ENV, content: 'routing: new\n' }],
      }),
    );
    // WHEN
    recoverInterruptedWrite(dist);
    // THEN
    expect([fs.existsSync(journal), envText(root)]).toEqual([true, 'routing: old\n']);
  });
});

describe('links, foreign files and odd entries are refused, and nothing is changed', () => {
  function victimFolder(): string {
    const victim = tempDir('meshflip-victim-');
    writeFiles(victim, { 'precious.txt': 'keep me\n', 'env/target/kept.k8s.yaml': `${HEADER}outside: 1\n` });
    return victim;
  }

  test('fails when dist/ is a symbolic link', () => {
    // GIVEN dist -> a folder outside the repository
    const victim = victimFolder();
    const dist = path.join(tempDir(), 'dist');
    fs.symlinkSync(victim, dist);
    // THEN
    expectRefused(
      dist,
      `dist is a symbolic link (to ${victim}); meshflip never writes or deletes through a link`,
      'replace the link by a real folder or delete it: synth renders every file again',
      { victim },
    );
    expect(fs.lstatSync(dist).isSymbolicLink()).toBe(true);
  });

  test('fails when a folder inside dist/ is a symbolic link', () => {
    // GIVEN
    const victim = victimFolder();
    const dist = existingDist();
    fs.symlinkSync(victim, path.join(dist, 'env', 'linked'));
    // THEN
    expectRefused(
      dist,
      `dist/env/linked is a symbolic link (to ${victim}); meshflip never writes or deletes through a link`,
      'replace the link by a real folder or delete it: synth renders every file again',
      { victim },
    );
  });

  test('fails when a file inside dist/ is a symbolic link, even one synth would rewrite', () => {
    // GIVEN
    const victim = victimFolder();
    const dist = existingDist();
    fs.rmSync(path.join(dist, 'env/target/kept.k8s.yaml'));
    fs.symlinkSync(path.join(victim, 'precious.txt'), path.join(dist, 'env/target/kept.k8s.yaml'));
    // THEN
    expectRefused(
      dist,
      `dist/env/target/kept.k8s.yaml is a symbolic link (to ${path.join(victim, 'precious.txt')}); meshflip never writes or deletes through a link`,
      'replace the link by a real folder or delete it: synth renders every file again',
      { victim },
    );
  });

  test('fails when synth would delete a file of a kind it never writes', () => {
    // GIVEN
    const dist = existingDist({ 'env/notes.txt': 'my notes\n' });
    // THEN
    expectRefused(
      dist,
      'dist/env/notes.txt was not written by meshflip (not a kind of file it writes: *.k8s.yaml, *.kumactl.yaml, ROUTING.md, INPUTS.sha256), and synth would delete it',
      'meshflip deletes only files it produced; move the file out of dist/, or delete it yourself if it is not needed',
    );
  });

  test('fails when synth would delete a manifest without its header', () => {
    // GIVEN a hand-written manifest in dist/
    const dist = existingDist({ 'env/extra/hand-made.k8s.yaml': 'apiVersion: v1\nkind: ConfigMap\n' });
    // THEN
    expectRefused(
      dist,
      'dist/env/extra/hand-made.k8s.yaml was not written by meshflip (it does not open with "Generated from ... by npm run synth"), and synth would delete it',
      'meshflip deletes only files it produced; move the file out of dist/, or delete it yourself if it is not needed',
    );
  });

  test('deletes a ROUTING.md meshflip wrote (the Markdown header)', () => {
    // GIVEN
    const dist = existingDist({
      'gone/ROUTING.md': '<!-- Generated from environments/gone.yaml by npm run synth. Do not edit. -->\n# Routing of gone\n',
    });
    // WHEN
    const result = writeDist(dist, WANTED);
    // THEN
    expect(result.removed).toEqual(['env/old/gone.k8s.yaml', 'gone/ROUTING.md']);
    expect(snapshotTree(dist)).toEqual(WANTED_TREE);
  });

  test('fails when a folder stands where synth writes a file', () => {
    // GIVEN
    const dist = existingDist();
    fs.rmSync(path.join(dist, 'env/target/kept.k8s.yaml'));
    fs.mkdirSync(path.join(dist, 'env/target/kept.k8s.yaml'));
    // THEN
    expectRefused(
      dist,
      'dist/env/target/kept.k8s.yaml is a folder, where synth writes a file',
      'move the folder away (it may hold files meshflip did not write); nothing was changed',
    );
  });

  test('fails when a file stands where synth writes a folder', () => {
    // GIVEN
    const dist = existingDist();
    fs.rmSync(path.join(dist, 'env/target'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'env/target'), `${HEADER}swapped: 1\n`);
    // THEN
    expectRefused(dist, 'dist/env/target is a file, where synth writes a folder', 'move the file away; nothing was changed');
  });

  test('fails when dist/ holds a named pipe, without opening it', () => {
    // GIVEN
    const dist = existingDist();
    const made = spawnSync('mkfifo', [path.join(dist, 'env', 'pipe.k8s.yaml')]);
    expect(made.status).toBe(0);
    // THEN
    expectRefused(dist, 'dist/env/pipe.k8s.yaml is neither a file nor a folder', 'remove it: synth writes only folders and files there');
  });

  test('fails when dist/ is read-only', () => {
    // GIVEN
    const dist = existingDist();
    fs.chmodSync(dist, 0o555);
    // THEN
    try {
      expectRefused(dist, 'dist/ is read-only (mode 0555)', 'make it writable (chmod u+w dist) to let synth write it; nothing was changed');
      expect(fs.statSync(dist).mode & 0o777).toBe(0o555);
    } finally {
      fs.chmodSync(dist, 0o755);
    }
  });
});

describe('leftovers of killed runs', () => {
  test('removes the staging folders of dead processes, not those of live ones, and never follows a link', () => {
    // GIVEN
    const dist = existingDist();
    const parent = path.dirname(dist);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFiles(path.join(parent, `${STAGING_PREFIX}${dead}-abc123`), { 'env/x.k8s.yaml': 'staged\n' });
    // the parent of this test process is alive
    writeFiles(path.join(parent, `${STAGING_PREFIX}${process.ppid}-def456`), { 'env/x.k8s.yaml': 'staged\n' });
    const victim = tempDir('meshflip-victim-');
    writeFiles(victim, { 'precious.txt': 'keep me\n' });
    fs.symlinkSync(victim, path.join(parent, `${STAGING_PREFIX}${dead}-0bad11`));
    // WHEN
    writeDist(dist, WANTED);
    // THEN
    expect(workFolders(dist).sort()).toEqual([`${STAGING_PREFIX}${dead}-0bad11`, `${STAGING_PREFIX}${process.ppid}-def456`].sort());
    expect(snapshotTree(victim)).toEqual({ 'precious.txt': 'keep me\n' });
  });
});

describe('the old tree of a large folder', () => {
  test('is removed by a process of its own, from a folder git ignores, while the write returns', async () => {
    // GIVEN an environment's folder of BACKGROUND_REMOVAL_FILES files meshflip wrote, in a git
    // repository that does not ignore meshflip's work folders
    const many = Object.fromEntries(
      Array.from({ length: BACKGROUND_REMOVAL_FILES }, (_, i) => [`env/target/f${String(i).padStart(4, '0')}.k8s.yaml`, `${HEADER}n: ${i}\n`]),
    );
    const dist = existingDist(many);
    const root = path.dirname(dist);
    spawnSync('git', ['init', '-q'], { cwd: root });
    const files = Object.entries({ ...WANTED_TREE, ...many }).map(([file, content]) => ({ path: file, content }));
    // WHEN a write changes one of its files
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object, whose function the test watches
    const spawned = jest.spyOn(require('child_process') as typeof childProcess, 'spawn');
    let pids: (number | undefined)[];
    try {
      writeDist(dist, files);
      pids = spawned.mock.results.map((r) => (r.value as childProcess.ChildProcess).pid);
    } finally {
      spawned.mockRestore();
    }
    // THEN dist/ is new at once, and one process was started; the old tree, while it is still
    // there, is in the trash folder under that process's pid (so that no other run removes it
    // meanwhile), and git sees nothing of it
    expect(snapshotTree(dist)).toEqual({ ...WANTED_TREE, ...many });
    expect(pids).toHaveLength(1);
    const trash = trashFolder(root);
    const waiting = () => fs.readdirSync(trash).filter((name) => name !== '.gitignore');
    expect(waiting().every((name) => name.startsWith(`${pids[0]}-`))).toBe(true);
    const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: root, encoding: 'utf8' }).stdout;
    expect(status.split('\n').filter((line) => line.includes(STAGING_PREFIX))).toEqual([]);
    // AND it is gone shortly after; the trash folder stays, with nothing but its .gitignore
    for (let waited = 0; waiting().length > 0 && waited < 20_000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(waiting()).toEqual([]);
    expect(workFolders(dist)).toEqual([path.basename(trash)]);
  });

  test.each(['the trash folder', 'its .gitignore'])(
    'is removed by the write itself when %s is a symbolic link, and nothing goes through the link',
    (what) => {
      // GIVEN a large folder, and a trash folder (or its .gitignore) that is a link elsewhere
      const many = Object.fromEntries(
        Array.from({ length: BACKGROUND_REMOVAL_FILES }, (_, i) => [`env/target/f${String(i).padStart(4, '0')}.k8s.yaml`, `${HEADER}n: ${i}\n`]),
      );
      const dist = existingDist(many);
      const trash = trashFolder(path.dirname(dist));
      const elsewhere = tempDir('meshflip-elsewhere-');
      if (what === 'the trash folder') {
        fs.symlinkSync(elsewhere, trash);
      } else {
        fs.mkdirSync(trash);
        fs.symlinkSync(path.join(elsewhere, 'ignored'), path.join(trash, '.gitignore'));
      }
      // WHEN a write changes one of its files
      writeDist(
        dist,
        Object.entries({ ...WANTED_TREE, ...many }).map(([file, content]) => ({ path: file, content })),
      );
      // THEN the old tree is gone at once, and nothing was written where the link points
      expect(workFolders(dist).filter((name) => name !== path.basename(trash))).toEqual([]);
      expect(fs.readdirSync(elsewhere)).toEqual([]);
    },
  );

  test('left by a removing process that was stopped is removed by the next write', () => {
    // GIVEN an old tree in the trash folder under the pid of a process that is gone, and one of a
    // live process
    const dist = existingDist();
    const trash = trashFolder(path.dirname(dist));
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFiles(path.join(trash, `${dead}-abc123`), { 'env/x.k8s.yaml': 'old\n' });
    writeFiles(path.join(trash, `${process.ppid}-def456`), { 'env/x.k8s.yaml': 'old\n' });
    // WHEN the next write runs
    writeDist(dist, WANTED);
    // THEN the dead process's tree is removed, the live one's left
    expect(fs.readdirSync(trash)).toEqual([`${process.ppid}-def456`]);
  });
});
