// Jest's global setup: the tests that run the real meshflip command (the kill, pipe and start-up
// tests) run the compiled build, so it is brought up to date with src/ first (src/build.cjs).
// Without this, a stale build would not run old code either: the command would run the sources
// through tsx, only slower.
//
// The tests' temporary folders go in a folder of this run's own (TMPDIR, which the test workers
// and the commands they start inherit), on a file system in memory when the machine has one with
// room to spare: the tests copy, write and remove tens of thousands of files, and a copy of the
// examples and its removal takes 45 ms on an ext4 disk, 8 ms on tmpfs. The tests of the write to
// dist/ (a write killed at each step, the exchange of folders) make theirs on the disk, in a folder
// of this run's own too (MESHFLIP_TEST_DISK_TMPDIR, test/util.ts `tempDirsOnDisk`): that is the
// file system a repository is on.
//
// The commands the tests run keep their check results in a cache folder of this run's own
// (MESHFLIP_CACHE_DIR), never in the user's: a test finds there only what the commands of this
// run kept.
//
// The global teardown removes these folders; a run stopped before it (Ctrl-C) leaves them, and the
// next run removes them (`removeDeadRuns`).
const fs = require('fs');
const os = require('os');
const path = require('path');
const { build, isFresh } = require('../src/build.cjs');

/** Linux's /dev/shm, where it is a tmpfs that can be written with at least this much free. */
const MEMORY_FOLDER = '/dev/shm';
const TMPFS_MAGIC = 0x01021994;
const ROOM_NEEDED = 1024 ** 3;

function inMemory() {
  try {
    const stats = fs.statfsSync(MEMORY_FOLDER);
    if (stats.type !== TMPFS_MAGIC || stats.bavail * stats.bsize < ROOM_NEEDED) {
      return undefined;
    }
    fs.accessSync(MEMORY_FOLDER, fs.constants.W_OK);
    return MEMORY_FOLDER;
  } catch {
    return undefined;
  }
}

/** The prefix of a run's temporary folder: it names the process of the run, so that a later run can tell a dead run's folder. */
const PREFIX = 'meshflip-tests-';
const RUN_FOLDER = new RegExp(`^${PREFIX}(\\d+)-`);

/**
 * Removes from `dir` the temporary folders of runs whose process is gone: a run stopped before its
 * teardown (Ctrl-C) leaves its folder behind, and in /dev/shm that is memory. A folder of a live
 * process (another run, or a process that took a dead run's number) is left alone.
 */
function removeDeadRuns(dir) {
  let names;
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = RUN_FOLDER.exec(name)?.[1];
    if (pid !== undefined && !alive(Number(pid))) {
      try {
        fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      } catch {
        // Another user's, in a shared folder: theirs to remove.
      }
    }
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code !== 'ESRCH';
  }
}

module.exports = async () => {
  if (!isFresh()) {
    await build();
  }
  const memory = inMemory();
  for (const dir of [os.tmpdir(), memory].filter(Boolean)) {
    removeDeadRuns(dir);
  }
  const disk = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${process.pid}-`));
  const temp = memory === undefined ? disk : fs.mkdtempSync(path.join(memory, `${PREFIX}${process.pid}-`));
  process.env.TMPDIR = temp;
  process.env.MESHFLIP_TEST_DISK_TMPDIR = disk;
  process.env.MESHFLIP_TEST_TMPDIRS_CREATED = [...new Set([temp, disk])].join(path.delimiter);
  if (process.env.MESHFLIP_CACHE_DIR === undefined) {
    process.env.MESHFLIP_CACHE_DIR = fs.mkdtempSync(path.join(temp, 'meshflip-test-cache-'));
  }
};
module.exports.removeDeadRuns = removeDeadRuns;
