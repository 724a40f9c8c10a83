import * as fs from 'fs';
import * as path from 'path';
import { groupFilesByEnvironment, listFiles } from '../../src/pipeline/dist/read-dist';
import { INPUTS_FILE, outputsDigest, recordedOutputs } from '../../src/pipeline/dist/outputs-digest';
import { digestDist, digestDistInBackground, shareOut } from '../../src/pipeline/validate/dist-digests';
import { REPO, removeTempDirs, tempDir } from '../util';

// validate and ci-summary digest every file of dist/ (in a worker thread for a large one) to know
// which environments are as their INPUTS.sha256 records. The files are digested as bytes, which
// must give the digest synthesis records from the text it renders.

afterAll(removeTempDirs);

const DIST = path.join(REPO, 'dist');

describe('the digest of dist/ as it is on disk', () => {
  test('is, for every environment, the digest its INPUTS.sha256 records, and that of its files read as text', () => {
    const digests = digestDist(DIST);
    expect(digests.files).toEqual(listFiles(DIST));
    const environments = [...groupFilesByEnvironment(digests.files)].filter(([env]) => env !== '');
    expect(environments.length).toBeGreaterThan(5);
    for (const [env, files] of environments) {
      const group = digests.groups.get(env)!;
      expect(group.files).toEqual(files);
      expect(group.inputsText).toBe(fs.readFileSync(path.join(DIST, env, INPUTS_FILE), 'utf8'));
      expect(group.outputs).toBe(recordedOutputs(group.inputsText));
      const texts = files.map((file) => ({ path: file, content: fs.readFileSync(path.join(DIST, file), 'utf8') }));
      expect(group.outputs).toBe(outputsDigest(texts));
    }
  });

  test('takes bytes that are not UTF-8 as they are, never as the text they decode to', () => {
    // GIVEN two copies of an environment's folder: in one a file ends with a byte no UTF-8 text
    // holds, in the other with the replacement character that byte decodes to
    const [invalid, replaced] = ['\u00ff', '\ufffd'].map((last) => {
      const dist = tempDir('meshflip-dist-');
      fs.cpSync(path.join(DIST, 'kong-perf'), path.join(dist, 'kong-perf'), { recursive: true });
      const file = path.join(dist, 'kong-perf/ROUTING.md');
      const bytes = last === '\u00ff' ? Buffer.from([0xff]) : Buffer.from(last, 'utf8');
      fs.writeFileSync(file, Buffer.concat([fs.readFileSync(file), bytes]));
      return digestDist(dist).groups.get('kong-perf')!.outputs;
    });
    // THEN their digests differ, and neither is the unedited folder's
    expect(invalid).not.toBe(replaced);
    expect([invalid, replaced]).not.toContain(digestDist(DIST).groups.get('kong-perf')!.outputs);
  });

  test('is the same digested in worker threads, each environment in one of them', async () => {
    const here = digestDist(DIST);
    const there = await digestDistInBackground(DIST, true);
    expect(there.files).toEqual(here.files);
    expect([...there.groups]).toEqual([...here.groups]);
  });
});

describe('with a cache folder: the files seen before are not read again', () => {
  /** A copy of the repository's dist/ whose files were last changed a minute ago, and a cache folder. */
  function copyOfDist(): { dist: string; checks: string } {
    const dist = path.join(tempDir('meshflip-dist-'), 'dist');
    fs.cpSync(DIST, dist, { recursive: true });
    const then = new Date(Date.now() - 60_000);
    for (const file of listFiles(dist)) {
      fs.utimesSync(path.join(dist, file), then, then);
    }
    return { dist, checks: tempDir('meshflip-checks-') };
  }

  /** What `digestDist` gives, and which files it read. */
  function digestReading(dist: string, checks?: string) {
    // The module object itself: the sources read it through live bindings.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the CommonJS module object, whose function the test watches
    const read = jest.spyOn(require('fs') as typeof fs, 'readFileSync');
    try {
      const digests = digestDist(dist, checks);
      // The files of dist/ read, not the cache's entries.
      const files = read.mock.calls.map(([file]) => path.relative(dist, String(file))).filter((file) => !file.startsWith('..'));
      return { digests, read: files.sort() };
    } finally {
      read.mockRestore();
    }
  }

  test('gives the digests it gives without one, and the second time reads only each INPUTS.sha256', () => {
    // GIVEN a dist/ digested once with a cache folder
    const { dist, checks } = copyOfDist();
    const without = digestDist(dist);
    const first = digestReading(dist, checks);
    // WHEN digested again
    const second = digestReading(dist, checks);
    // THEN both give what a digest without a cache gives; the first read every file, the second
    // only the INPUTS.sha256 files, whose text it returns
    expect([first.digests.files, [...first.digests.groups]]).toEqual([without.files, [...without.groups]]);
    expect([second.digests.files, [...second.digests.groups]]).toEqual([without.files, [...without.groups]]);
    expect(first.read).toEqual(listFiles(dist));
    expect(second.read).toEqual(listFiles(dist).filter((file) => file.endsWith(`/${INPUTS_FILE}`)));
  });

  test('reads a file edited by hand, at the same size, and gives the digest of what it holds now', async () => {
    // GIVEN a dist/ seen, then a file of kong-perf edited by hand without changing its size
    const { dist, checks } = copyOfDist();
    digestDist(dist, checks);
    const file = path.join(dist, 'kong-perf/ROUTING.md');
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace(/.$/s, text.endsWith('\n') ? ' ' : '\n'));
    // WHEN digested again, in this thread and in worker threads
    const here = digestReading(dist, checks);
    const there = await digestDistInBackground(dist, true, checks);
    // THEN the edited file alone is read (with the INPUTS.sha256 files), and kong-perf's digest
    // is no longer the one its INPUTS.sha256 records, but the one of its files as they are
    expect(here.read).toEqual([...listFiles(dist).filter((f) => f.endsWith(`/${INPUTS_FILE}`)), 'kong-perf/ROUTING.md'].sort());
    const group = here.digests.groups.get('kong-perf')!;
    expect(group.outputs).not.toBe(recordedOutputs(group.inputsText));
    expect([...here.digests.groups]).toEqual([...digestDist(dist).groups]);
    expect([...there.groups]).toEqual([...digestDist(dist).groups]);
  });
});

describe('environments shared out between workers', () => {
  test('go to the share with the fewest files, the largest first, each to one share', () => {
    const group = (name: string, files: number) => [name, Array.from({ length: files }, (_, i) => `${name}/${i}`)] as const;
    const groups = [group('a', 10), group('b', 40), group('c', 30), group('d', 20), group('', 5)];
    expect(shareOut(groups, 2).map((share) => share.map(([name]) => name))).toEqual([
      ['b', 'a', ''],
      ['c', 'd'],
    ]);
    expect(shareOut(groups, 1).map((share) => share.map(([name]) => name))).toEqual([['b', 'c', 'd', 'a', '']]);
    // No empty share: a worker is started for each.
    expect(shareOut(groups.slice(0, 1), 2)).toHaveLength(1);
  });
});
