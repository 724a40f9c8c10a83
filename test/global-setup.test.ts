import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { removeTempDirs, tempDir } from './util';

// Jest's global setup makes each run's temporary folder (test/global-setup.cjs), in memory when it
// can; a run stopped before its teardown leaves it behind, and the next run removes it.

afterAll(removeTempDirs);

test('a run removes the temporary folders of runs whose process is gone, and no other folder', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file jest loads as its global setup
  const { removeDeadRuns } = require('./global-setup.cjs') as { removeDeadRuns: (dir: string) => void };
  // GIVEN a folder with the folder of a run whose process has exited, one of a live process, and others
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  const dir = tempDir('meshflip-runs-');
  const names = [
    `meshflip-tests-${dead}-Ab12Cd`,
    `meshflip-tests-${process.pid}-Ef34Gh`,
    'meshflip-tests-Ij56Kl',
    'meshflip-bench-1-Mn78Op',
    'other',
  ];
  for (const name of names) {
    fs.mkdirSync(path.join(dir, name, 'dist'), { recursive: true });
    fs.writeFileSync(path.join(dir, name, 'dist', 'a.yaml'), 'a: 1\n');
  }
  // WHEN
  removeDeadRuns(dir);
  // THEN only the dead run's folder is gone
  expect(fs.readdirSync(dir).sort()).toEqual(names.slice(1).sort());
  // AND a folder that cannot be read is no error
  expect(() => removeDeadRuns(path.join(dir, 'missing'))).not.toThrow();
});
