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
