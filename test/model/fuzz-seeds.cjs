#!/usr/bin/env node
// `npm run test:fuzz`: the property tests of test/model/fuzz.test.ts with several seeds, as CI runs
// them. Seeds 1 to 10 unless MESHFLIP_FUZZ_SEED names others (7, 1,2,7 or 1-20); further arguments
// go to jest.
const { spawnSync } = require('child_process');
const path = require('path');

const seeds = process.env.MESHFLIP_FUZZ_SEED || '1-10';
const root = path.resolve(__dirname, '..', '..');
const result = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), 'test/model/fuzz.test.ts', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, MESHFLIP_FUZZ_SEED: seeds },
});
process.exit(result.status ?? 1);
