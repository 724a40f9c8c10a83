// Jest's order of the test files: the files that take longest start first, so that no worker is
// left running one of them alone at the end.
//
// Jest's own sequencer orders by the durations it recorded in the last run, and without them (a
// fresh clone, as on a CI runner) by file size, which put the kill tests, a sixth of the suite's
// time, behind about forty smaller files. Those files are named here, slowest first; jest's order
// follows for the rest (failed first, then by recorded duration, else by size).
const Sequencer = require('@jest/test-sequencer').default;
const path = require('path');

/** The slowest files of the suite, slowest first (measured: `npx jest --json`, per file). */
const SLOWEST = [
  'test/model/fuzz.test.ts',
  'test/cli/synth-killed.test.ts',
  'test/pipeline/fast-yaml.test.ts',
  'test/cli/flip-killed.test.ts',
  'test/pipeline/environment-edit.test.ts',
  'test/cli/startup.test.ts',
  'test/mocks/mountebank.test.ts',
  'test/cli/ci-summary.test.ts',
  'test/pipeline/yaml-emit.test.ts',
  'test/cli/workflows.test.ts',
];

class SlowestFirst extends Sequencer {
  sort(tests) {
    const rank = (test) => SLOWEST.indexOf(path.relative(test.context.config.rootDir, test.path).split(path.sep).join('/'));
    const ordered = super.sort([...tests]);
    // What failed last time still runs first: that is the feedback a rerun is for.
    const failed = ordered.filter((test) => this.hasFailed(test));
    const rest = ordered.filter((test) => !this.hasFailed(test));
    const slow = rest.filter((test) => rank(test) >= 0).sort((a, b) => rank(a) - rank(b));
    return [...failed, ...slow, ...rest.filter((test) => rank(test) < 0)];
  }
}

module.exports = SlowestFirst;
module.exports.SLOWEST = SLOWEST;
