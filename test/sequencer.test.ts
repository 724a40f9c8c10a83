import * as fs from 'fs';
import * as path from 'path';
import { REPO } from './util';

// The files the test sequencer starts first (test/sequencer.cjs) must be test files that exist:
// a renamed file would silently lose its place.
test('the slowest files the sequencer names are test files of the suite', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest loads as its sequencer
  const { SLOWEST } = require('./sequencer.cjs') as { SLOWEST: string[] };
  expect(SLOWEST.length).toBeGreaterThan(0);
  expect(SLOWEST.filter((file) => !file.endsWith('.test.ts') || !fs.existsSync(path.join(REPO, file)))).toEqual([]);
});
