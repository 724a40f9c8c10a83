import * as fs from 'fs';
import * as path from 'path';
import { loadProject } from '../../src/model/load';
import { synthesize } from '../../src/pipeline/synth/synth';
import { FIXTURES } from '../constructs/helpers';
import { removeTempDirs, runCli, snapshotTree, tempDir } from '../util';

afterAll(removeTempDirs);

/** Copies a tree, creating its files in reverse order (directory listings then come back in another order on many file systems). */
function copyReversed(from: string, to: string): void {
  const files = Object.keys(snapshotTree(from)).reverse();
  for (const file of files) {
    fs.mkdirSync(path.dirname(path.join(to, file)), { recursive: true });
    fs.copyFileSync(path.join(from, file), path.join(to, file));
  }
}

test('gives byte-identical output whatever the time zone, locale and file order', () => {
  // GIVEN two copies of the fixtures, written in opposite orders
  const a = tempDir();
  const b = tempDir();
  fs.cpSync(path.join(FIXTURES, 'environments'), path.join(a, 'environments'), { recursive: true });
  copyReversed(path.join(FIXTURES, 'environments'), path.join(b, 'environments'));
  // WHEN both are synthesized by the real command in very different locales and time zones
  // (into dist/ of each copy, whatever CDK8S_OUTDIR says around the test)
  const first = runCli(['synth'], { cwd: a, env: { TZ: 'Pacific/Kiritimati', LANG: 'tr_TR.UTF-8', LC_ALL: 'tr_TR.UTF-8', CDK8S_OUTDIR: undefined } });
  const second = runCli(['synth'], { cwd: b, env: { TZ: 'America/Adak', LANG: 'C', LC_ALL: 'C', CDK8S_OUTDIR: undefined } });
  // THEN both wrote the whole fixture rendering, byte for byte the same
  expect(first.status).toBe(0);
  expect(second.status).toBe(0);
  const tree = snapshotTree(path.join(a, 'dist'));
  expect(Object.keys(tree).sort()).toEqual(
    synthesize(loadProject(FIXTURES))
      .map((f) => f.path)
      .sort(),
  );
  expect(snapshotTree(path.join(b, 'dist'))).toEqual(tree);
});

test('does not depend on the order directory listings come back in', () => {
  // GIVEN directory listings reversed
  const normal = synthesize(loadProject(FIXTURES));
  // The module object itself: the sources read it through live bindings.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object, whose functions the test replaces
  const nodeFs = require('fs') as typeof fs;
  const readdir = nodeFs.readdirSync;
  const spy = jest
    .spyOn(nodeFs, 'readdirSync')
    .mockImplementation(((dir: fs.PathLike, options?: unknown) =>
      (readdir(dir, options as never) as unknown[]).slice().reverse()) as typeof fs.readdirSync);
  try {
    // WHEN
    const reversed = synthesize(loadProject(FIXTURES));
    // THEN
    expect(spy).toHaveBeenCalled();
    expect(reversed).toEqual(normal);
  } finally {
    spy.mockRestore();
  }
});

test('does not depend on the current time', () => {
  // GIVEN the clock moved by a year (fixture routes carry an expiry, which synthesis must ignore)
  const before = synthesize(loadProject(FIXTURES));
  jest.useFakeTimers({ now: new Date('2031-07-04T12:00:00Z') });
  try {
    // WHEN
    const later = synthesize(loadProject(FIXTURES));
    // THEN
    expect(later).toEqual(before);
  } finally {
    jest.useRealTimers();
  }
});
