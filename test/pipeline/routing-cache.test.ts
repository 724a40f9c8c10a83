import * as fs from 'fs';
import * as path from 'path';
import * as readDistModule from '../../src/pipeline/dist/read-dist';
import { writeDist } from '../../src/pipeline/dist/write-dist';
import { routingCacheIn } from '../../src/pipeline/validate/routing-cache';
import { seenFilesIn } from '../../src/pipeline/validate/seen-files-cache';
import { readDistRouting } from '../../src/pipeline/routing/routing-reader';
import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { copyRepo, exampleEnvironments, removeTempDirs, tempDir, withoutConfiguredSchemas } from '../util';

// explain reads the routing of an environment back from its files of dist/; the routing read from
// files with a given digest (every path and byte) is kept between runs, and synthesis keeps what it
// renders. A kept routing must be exactly what reading the files gives, and never stand for other files.

afterAll(removeTempDirs);

let root: string;
let dist: string;
/** The check results' folder synthesis filled (the routing is kept below it). */
let synthCache: string;

beforeAll(async () => {
  root = copyRepo(['environments']);
  dist = path.join(root, 'dist');
  synthCache = tempDir('meshflip-cache-');
  const result = await withoutConfiguredSchemas(() => synthesizeProject({ root, jobs: 1, cacheDir: synthCache }));
  expect(result.problems.filter((p) => p.severity !== 'warning')).toEqual([]);
  writeDist(dist, result.files, { root });
}, 120_000);

/** readDistRouting, counting the files it parsed. */
function reading(...args: Parameters<typeof readDistRouting>): { routing: ReturnType<typeof readDistRouting>; parsed: string[] } {
  const spy = jest.spyOn(readDistModule, 'objectsOfText');
  try {
    const routing = readDistRouting(...args);
    return { routing, parsed: spy.mock.calls.map(([file]) => file) };
  } finally {
    spy.mockRestore();
  }
}

function copyOf(dir: string): string {
  const copy = tempDir('meshflip-cache-');
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

describe('routing kept by the digest of the files it was read from', () => {
  test('what synthesis kept answers for every environment exactly as reading its files does, and no file is parsed', () => {
    const fromFiles = reading(dist);
    expect(fromFiles.routing.map((r) => r.name)).toEqual(exampleEnvironments());
    expect(fromFiles.parsed.length).toBeGreaterThan(100);
    const kept = reading(dist, undefined, undefined, routingCacheIn(copyOf(synthCache)));
    expect(kept.parsed).toEqual([]);
    expect(kept.routing).toEqual(fromFiles.routing);
    // One environment, as explain <env> reads it
    const one = reading(dist, new Set(['kong-perf']), undefined, routingCacheIn(copyOf(synthCache)));
    expect(one.parsed).toEqual([]);
    expect(one.routing).toEqual(fromFiles.routing.filter((r) => r.name === 'kong-perf'));
  });

  test('a hand edit of a file of an environment is read: that environment is parsed again, the others are not', () => {
    const cache = routingCacheIn(copyOf(synthCache));
    const copy = tempDir('meshflip-repo-');
    fs.cpSync(dist, copy, { recursive: true });
    // GIVEN the delay kong-perf's real captains-log is given made longer, by hand
    const file = path.join(copy, 'kong-perf/zone-real-services/captains-log.routing.k8s.yaml');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('              value: 1s\n');
    fs.writeFileSync(file, text.replace('              value: 1s\n', '              value: 5s\n'));
    // WHEN the routing is read with what synthesis kept
    const kept = reading(copy, undefined, undefined, cache);
    // THEN kong-perf's files alone were parsed, and the answer is that of reading every file
    expect(new Set(kept.parsed.map((f) => readDistModule.environmentOf(f)))).toEqual(new Set(['kong-perf']));
    expect(kept.routing).toEqual(reading(copy).routing);
    expect(kept.routing).not.toEqual(reading(dist).routing);
  });

  test('with what lstat said of the files, an environment whose files are as seen is answered without reading them', () => {
    // GIVEN a copy of dist/ whose files were last changed a minute ago, read once with what lstat
    // says of them recorded
    const copy = tempDir('meshflip-repo-');
    fs.cpSync(dist, copy, { recursive: true });
    const then = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    for (const file of readDistModule.listFiles(copy)) {
      fs.utimesSync(path.join(copy, file), then, then);
    }
    const seen = seenFilesIn(tempDir('meshflip-cache-'));
    const first = reading(copy, undefined, undefined, routingCacheIn(copyOf(synthCache)), seen);
    expect(first.parsed).toEqual([]);
    // WHEN a file of kong-perf is edited by hand at the same size, its time set back, and the
    // routing read again with and without what lstat said
    const file = path.join(copy, 'kong-perf/zone-real-services/captains-log.routing.k8s.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('              value: 1s\n', '              value: 5s\n'));
    fs.utimesSync(file, then, then);
    const trusted = reading(copy, undefined, undefined, routingCacheIn(copyOf(synthCache)), seen);
    const read = reading(copy, undefined, undefined, routingCacheIn(copyOf(synthCache)));
    // THEN with it, nothing is read or parsed and the answer is the kept one (what lstat says is
    // trusted, as documented); without it, kong-perf is read and parsed, and its routing is the edited one
    expect(trusted.parsed).toEqual([]);
    expect(trusted.routing).toEqual(first.routing);
    expect(new Set(read.parsed.map((f) => readDistModule.environmentOf(f)))).toEqual(new Set(['kong-perf']));
    expect(read.routing).not.toEqual(first.routing);
  });

  test('a file added to an environment, or removed from it, is another set of files', () => {
    for (const change of ['add', 'remove'] as const) {
      const copy = tempDir('meshflip-repo-');
      fs.cpSync(dist, copy, { recursive: true });
      const folder = path.join(copy, 'kong-perf/zone-real-services');
      if (change === 'add') {
        fs.copyFileSync(path.join(folder, 'crew.k8s.yaml'), path.join(folder, 'crew-copy.k8s.yaml'));
      } else {
        fs.rmSync(path.join(folder, 'captains-log.routing.k8s.yaml'));
      }
      const kept = reading(copy, new Set(['kong-perf']), undefined, routingCacheIn(copyOf(synthCache)));
      expect(kept.parsed.length).toBeGreaterThan(0);
      expect(kept.routing).toEqual(reading(copy, new Set(['kong-perf'])).routing);
    }
  });

  test('what is read is kept: the next reading with the same folder parses nothing', () => {
    const cache = routingCacheIn(tempDir('meshflip-cache-'));
    const first = reading(dist, undefined, undefined, cache);
    expect(first.parsed.length).toBeGreaterThan(100);
    const second = reading(dist, undefined, undefined, cache);
    expect(second.parsed).toEqual([]);
    expect(second.routing).toEqual(first.routing);
  });

  test('an entry that cannot be read, or was written for other files, is no entry', () => {
    const dir = copyOf(synthCache);
    const entries = path.join(dir, 'routing');
    const names = fs.readdirSync(entries).filter((f) => f.endsWith('.json'));
    expect(names).toHaveLength(exampleEnvironments().length);
    names.forEach((name, i) => {
      const file = path.join(entries, name);
      const entry = JSON.parse(fs.readFileSync(file, 'utf8')) as { key: string; value: { name: string } };
      // Half cut short, half claiming to be another environment's under their own key
      fs.writeFileSync(file, i % 2 === 0 ? '{"format": 1' : JSON.stringify({ ...entry, value: { ...entry.value, name: 'elsewhere' } }));
    });
    const kept = reading(dist, undefined, undefined, routingCacheIn(dir));
    expect(new Set(kept.parsed.map((f) => readDistModule.environmentOf(f)))).toEqual(new Set(exampleEnvironments()));
    expect(kept.routing).toEqual(reading(dist).routing);
  });
});
