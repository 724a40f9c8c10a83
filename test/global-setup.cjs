// Jest's global setup: the tests that run the real meshflip command (the kill, pipe and start-up
// tests) run the compiled build, so it is brought up to date with src/ first (src/build.cjs).
// Without this, a stale build would not run old code either: the command would run the sources
// through tsx, only slower.
const { build, isFresh } = require('../src/build.cjs');

module.exports = () => {
  if (!isFresh()) {
    build();
  }
};
