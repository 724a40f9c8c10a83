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
// The global teardown removes these folders.
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

module.exports = async () => {
  if (!isFresh()) {
    await build();
  }
  const disk = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-tests-'));
  const memory = inMemory();
  const temp = memory === undefined ? disk : fs.mkdtempSync(path.join(memory, 'meshflip-tests-'));
  process.env.TMPDIR = temp;
  process.env.MESHFLIP_TEST_DISK_TMPDIR = disk;
  process.env.MESHFLIP_TEST_TMPDIRS_CREATED = [...new Set([temp, disk])].join(path.delimiter);
  if (process.env.MESHFLIP_CACHE_DIR === undefined) {
    process.env.MESHFLIP_CACHE_DIR = fs.mkdtempSync(path.join(temp, 'meshflip-test-cache-'));
  }
};
