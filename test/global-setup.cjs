// Jest's global setup: the tests that run the real meshflip command (the kill, pipe and start-up
// tests) run the compiled build, so it is brought up to date with src/ first (src/build.cjs).
// Without this, a stale build would not run old code either: the command would run the sources
// through tsx, only slower.
//
// The commands the tests run keep their check results in a cache folder of this run's own
// (MESHFLIP_CACHE_DIR, which the test workers inherit), never in the user's: a test finds there
// only what the commands of this run kept. The folder is removed by the global teardown.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { build, isFresh } = require('../src/build.cjs');

module.exports = async () => {
  if (!isFresh()) {
    await build();
  }
  if (process.env.MESHFLIP_CACHE_DIR === undefined) {
    process.env.MESHFLIP_CACHE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-test-cache-'));
    process.env.MESHFLIP_TEST_CACHE_CREATED = process.env.MESHFLIP_CACHE_DIR;
  }
};
