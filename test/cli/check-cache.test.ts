import * as fs from 'fs';
import * as path from 'path';
import { copyRepo, removeTempDirs, runCli, tempDir } from '../util';

// The commands keep check results between runs (src/pipeline/validate/check-cache.ts): synth and
// flip for what they render, validate and ci-summary for what they read. Where: $MESHFLIP_CACHE_DIR,
// none when it is empty, else the user's cache folder.

afterAll(removeTempDirs);

describe('check results kept by the command line', () => {
  test('synth keeps them where MESHFLIP_CACHE_DIR says, validate answers from them as it does without, and an empty variable keeps none', () => {
    // GIVEN the example repository and an empty cache folder
    const repo = copyRepo(['environments', 'dist']);
    const cache = tempDir('meshflip-cache-');
    // WHEN synth runs with it
    expect(runCli(['synth'], { cwd: repo, env: { MESHFLIP_CACHE_DIR: cache } }).status).toBe(0);
    // THEN it holds one entry per environment, and one for the files of none (the root Application),
    // as many of what was found in each file (the folder files) and of what lstat said of the files
    // it read or wrote (the folder seen), and the routing and the objects of each environment
    const environments = fs.readdirSync(path.join(repo, 'environments')).filter((f) => f.endsWith('.yaml') && f !== 'meshflip.yaml').length;
    const entriesIn = (folder: string) => fs.readdirSync(path.join(cache, 'checks', folder)).filter((f) => /^[0-9a-f]{64}\.json$/.test(f));
    const entries = fs.readdirSync(path.join(cache, 'checks')).filter((f) => !['files', 'routing', 'objects', 'seen'].includes(f));
    expect(entries.filter((f) => /^[0-9a-f]{64}\.json$/.test(f))).toHaveLength(environments + 1);
    expect(entries.filter((f) => !f.endsWith('.json'))).toEqual([]);
    expect(entriesIn('files')).toHaveLength(environments + 1);
    expect(entriesIn('seen')).toHaveLength(environments + 1);
    expect(entriesIn('routing')).toHaveLength(environments);
    expect(entriesIn('objects')).toHaveLength(environments);
    // AND validate uses every entry (each is marked as used), and says what it says without any
    const longAgo = new Date('2020-01-01T00:00:00Z');
    entries.forEach((f) => fs.utimesSync(path.join(cache, 'checks', f), longAgo, longAgo));
    const warm = runCli(['validate'], { cwd: repo, env: { MESHFLIP_CACHE_DIR: cache } });
    expect(entries.filter((f) => fs.statSync(path.join(cache, 'checks', f)).mtimeMs === longAgo.getTime())).toEqual([]);
    const home = tempDir('meshflip-home-');
    const cold = runCli(['validate'], { cwd: repo, env: { MESHFLIP_CACHE_DIR: '', HOME: home, XDG_CACHE_HOME: undefined } });
    expect([warm.status, warm.stdout, warm.stderr]).toEqual([cold.status, cold.stdout, cold.stderr]);
    expect(warm.stdout).toMatch(/^valid: /);
    // AND with the variable empty nothing is kept anywhere
    expect(fs.readdirSync(home)).toEqual([]);
  });
});
