// A jest reporter: after the run, names the suites that were skipped because no upstream
// schemas were configured ($MESHFLIP_CRDS), and says how to run them. Their titles carry the
// mark test/util.ts puts on every `describeWithCrds` suite.
'use strict';

const NEEDS_CRDS = '[needs upstream schemas: $MESHFLIP_CRDS]';

/** The suites skipped for want of schemas, as "file › title" with their number of tests. */
function skippedSuites(results, rootDir) {
  const suites = new Map();
  for (const file of results.testResults) {
    for (const test of file.testResults) {
      const suite = test.ancestorTitles.find((title) => title.endsWith(NEEDS_CRDS));
      if (test.status === 'pending' && suite !== undefined) {
        const name = `${require('path').relative(rootDir, file.testFilePath)} › ${suite.slice(0, -NEEDS_CRDS.length).trim()}`;
        suites.set(name, (suites.get(name) ?? 0) + 1);
      }
    }
  }
  return [...suites].sort(([a], [b]) => (a < b ? -1 : 1));
}

class CrdsSkipReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const suites = skippedSuites(results, this.rootDir);
    if (suites.length === 0) {
      return;
    }
    const tests = suites.reduce((sum, [, count]) => sum + count, 0);
    process.stderr.write(
      [
        '',
        `Skipped ${tests} test${tests === 1 ? '' : 's'} in ${suites.length} suite${suites.length === 1 ? '' : 's'} that validate against the upstream schemas, because MESHFLIP_CRDS is not set:`,
        ...suites.map(([name, count]) => `  - ${name} (${count})`),
        'To run them, point MESHFLIP_CRDS at a schema folder (kuma/, istio/, ... as the README describes), e.g. MESHFLIP_CRDS=../shared/crds npm test.',
        '',
      ].join('\n') + '\n',
    );
  }
}

module.exports = CrdsSkipReporter;
module.exports.NEEDS_CRDS = NEEDS_CRDS;
module.exports.skippedSuites = skippedSuites;
