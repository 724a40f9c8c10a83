import * as fs from 'fs';
import * as path from 'path';
import { EnvironmentRouting } from '../../src/meshes/effective-routing';
import { changeSinceBase } from '../../src/pipeline/changes/change-summary';
import * as readDistModule from '../../src/pipeline/dist/read-dist';
import { writeDist } from '../../src/pipeline/dist/write-dist';
import { routingCacheIn } from '../../src/pipeline/validate/routing-cache';
import { checksIdentity } from '../../src/pipeline/validate/check-cache';
import { synthesizeChanged } from '../../src/pipeline/validate/incremental-synth';
import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { KeptRouting, validateRepository, ValidationReport } from '../../src/pipeline/validate/validate';
import { removeTempDirs, tempDir, withoutConfiguredSchemas } from '../util';
import { commitAll, edit, gitRepoCopy } from '../cli/cli-util';

// ci-summary compares the routing of the base with the working tree's. The base's routing of an
// environment is read back from its committed files, or found among the check results an earlier
// run kept of exactly those files (synthesis keeps them for every environment it renders). Found or
// read, it must be the same; files that are not those the entry was kept for must never find it.

afterAll(removeTempDirs);

/** The example repository, synthesized with a cache and committed: the base. */
async function synthesizedBase(cache: string): Promise<{ dir: string; base: string }> {
  const { dir } = gitRepoCopy();
  const result = await withoutConfiguredSchemas(() => synthesizeProject({ root: dir, jobs: 1, cacheDir: cache }));
  writeDist(path.join(dir, 'dist'), result.files, { root: dir });
  return { dir, base: commitAll(dir, 'base') };
}

/** The working tree with captains-log flipped to real in kong-perf, written with dist/. */
async function flipCaptainsLog(dir: string): Promise<void> {
  edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n');
  const head = await withoutConfiguredSchemas(() => synthesizeChanged({ root: dir, distDir: path.join(dir, 'dist') }));
  writeDist(path.join(dir, 'dist'), head.files, { root: dir, keep: head.keptFiles });
}

/** What ci-summary does: validate with the cache, then the change since the base, with or without the routing kept. */
async function summary(dir: string, base: string, cache: string, useKept: boolean) {
  const report: ValidationReport = await withoutConfiguredSchemas(() =>
    validateRepository({ root: dir, routing: true, cache: { dir: cache, checks: checksIdentity(undefined, false, dir) } }),
  );
  const found: { env: string; routing?: EnvironmentRouting }[] = [];
  const keptRouting: KeptRouting = (env, inputs, outputs) => {
    const routing = report.keptRouting!(env, inputs, outputs);
    found.push({ env, routing });
    return routing;
  };
  const changes = await changeSinceBase(
    dir,
    base,
    {
      distPath: 'dist',
      environments: report.project!.environments.map((e) => e.name),
      files: report.fresh!.files,
      keptFiles: report.keptFiles ?? [],
      routing: report.fresh!.routing,
    },
    useKept ? keptRouting : undefined,
  );
  return { changes, found };
}

test("the base's routing found among the kept results gives the change that reading the base's files gives", async () => {
  // GIVEN a base whose synthesis kept its check results, and a flip
  const cache = tempDir('meshflip-cache-');
  const { dir, base } = await synthesizedBase(cache);
  await flipCaptainsLog(dir);
  // WHEN the change is computed with the routing kept, and by reading the base's files
  const kept = await summary(dir, base, cache, true);
  const read = await summary(dir, base, cache, false);
  // THEN the base's routing of the flipped environment was found, and the change is the same
  expect(kept.found.map((f) => [f.env, f.routing?.name])).toEqual([['kong-perf', 'kong-perf']]);
  expect(kept.changes).toEqual(read.changes);
  expect(kept.changes.map((c) => [c.name, c.services.map((s) => s.service)])).toEqual([['kong-perf', ['captains-log']]]);
}, 120_000);

test('a base whose committed files are not those the entry was kept for reads them: a hand edit shows in the change', async () => {
  // GIVEN a base whose kong-perf route of captains-log was edited by hand after the synthesis that
  // kept its results (60% of the traffic sent to the real service), its INPUTS.sha256 left as it was, and committed
  const cache = tempDir('meshflip-cache-');
  const { dir } = await synthesizedBase(cache);
  for (const zone of ['zone-real-services', 'zone-mock-services']) {
    const file = path.join(dir, `dist/kong-perf/${zone}/captains-log.routing.k8s.yaml`);
    const text = fs.readFileSync(file, 'utf8');
    const mockOnly = '                weight: 100\n';
    expect(text.split(mockOnly).length).toBe(2);
    const split = [
      '                weight: 40',
      '              - kind: MeshService',
      '                name: captains-log_my-services_svc_5000',
      '                weight: 60',
      '',
    ];
    fs.writeFileSync(file, text.replace(mockOnly, split.join('\n')));
  }
  const base = commitAll(dir, 'hand edit');
  await flipCaptainsLog(dir);
  // WHEN the change is computed with the routing kept, and by reading the base's files
  const kept = await summary(dir, base, cache, true);
  const read = await summary(dir, base, cache, false);
  // THEN the entry was looked for and not found, and the change is what the committed files say,
  // not what the same flip of an unedited base gives
  expect(kept.found.map((f) => [f.env, f.routing])).toEqual([['kong-perf', undefined]]);
  expect(kept.changes).toEqual(read.changes);
  const unedited = await synthesizedBase(tempDir('meshflip-cache-'));
  await flipCaptainsLog(unedited.dir);
  expect(read.changes).not.toEqual((await summary(unedited.dir, unedited.base, cache, false)).changes);
}, 120_000);

describe('diff: the routing kept by the digest of the files, on both sides', () => {
  /** What diff does: the change since the base, with the routing kept where `cache` says, counting the files of dist/ parsed. */
  async function diff(dir: string, base: string, cache: string | undefined) {
    const kept = routingCacheIn(cache);
    const parses = jest.spyOn(readDistModule, 'parseDistFile');
    try {
      const changes = await withoutConfiguredSchemas(() =>
        changeSinceBase(dir, base, undefined, kept === undefined ? undefined : (env, _inputs, outputs) => kept.get(env, outputs)),
      );
      return { changes, parsed: parses.mock.calls.map(([file]) => file) };
    } finally {
      parses.mockRestore();
    }
  }

  /** The working tree with captains-log flipped to real in kong-perf, rendered and written as flip does: its routing kept. */
  async function flipKeeping(dir: string, cache: string): Promise<void> {
    edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n');
    const head = await withoutConfiguredSchemas(() => synthesizeChanged({ root: dir, distDir: path.join(dir, 'dist'), cacheDir: cache }));
    writeDist(path.join(dir, 'dist'), head.files, { root: dir, keep: head.keptFiles });
  }

  test('parses no file of dist/ when both sides were kept, and gives the change reading them gives', async () => {
    // GIVEN a base whose synthesis kept the routing of every environment, and a flip that kept its own
    const cache = tempDir('meshflip-cache-');
    const { dir, base } = await synthesizedBase(cache);
    await flipKeeping(dir, cache);
    // WHEN
    const kept = await diff(dir, base, cache);
    const read = await diff(dir, base, undefined);
    // THEN
    expect(kept.parsed).toEqual([]);
    expect(read.parsed.filter((f) => f.startsWith('kong-perf/')).length).toBeGreaterThan(3);
    expect(kept.changes).toEqual(read.changes);
    expect(kept.changes.map((c) => [c.name, c.services.map((s) => s.service)])).toEqual([['kong-perf', ['captains-log']]]);
  }, 120_000);

  test('reads the working tree’s files when they are not those kept (a hand edit)', async () => {
    // GIVEN the flip, then its routing files edited by hand
    const cache = tempDir('meshflip-cache-');
    const { dir, base } = await synthesizedBase(cache);
    await flipKeeping(dir, cache);
    const before = await diff(dir, base, cache);
    for (const zone of ['zone-real-services', 'zone-mock-services']) {
      const file = path.join(dir, `dist/kong-perf/${zone}/captains-log.routing.k8s.yaml`);
      fs.appendFileSync(file, '# reviewed\n');
    }
    // WHEN
    const kept = await diff(dir, base, cache);
    // THEN the head's files were read, and the change is what reading every file gives
    expect(kept.parsed.filter((f) => f.startsWith('kong-perf/')).length).toBeGreaterThan(3);
    expect(kept.changes).toEqual((await diff(dir, base, undefined)).changes);
    expect(before.parsed).toEqual([]);
  }, 120_000);
});
