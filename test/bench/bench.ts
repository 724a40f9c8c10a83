/**
 * Synthesis benchmark: `npm run bench -- --services N --environments E [--jobs J] [--keep]`.
 *
 * Builds a synthetic fleet through the real model and constructs, synthesizes it into a temporary
 * folder exactly as `meshflip synth` does (load, build, render, ROUTING.md, write), and compares
 * with the floor measured in the same run: the same final objects serialized with the `yaml`
 * package's default `stringify`, single-threaded, and written. Then measures the incremental
 * cases: a re-synthesis with no change, and a flip of one service. The last line of output is one
 * JSON object. See README.md beside this file for the profile findings and the numbers.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { parseArgs } from 'util';
import { parseAllDocuments, stringify } from 'yaml';
import { readProject } from '../../src/model/load';
import { scanSources, scanStrings, stringsOf } from '../../src/model/secret-scan';
import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { defaultCacheDir } from '../../src/pipeline/validate/check-cache';
import { defaultParseCache } from '../../src/pipeline/validate/parse-cache';
import { readDist } from '../../src/pipeline/dist/read-dist';
import { checkRenderedSecrets } from '../../src/pipeline/validate/secret-checks';
import { writeDist, WriteResult } from '../../src/pipeline/dist/write-dist';
import { Prewrite } from '../../src/pipeline/dist/prewrite';
import { seenFilesIn } from '../../src/pipeline/validate/seen-files-cache';
import { listFiles } from '../../src/pipeline/dist/read-dist';
import { SchemaStore, celEvaluationStats, schemaSets } from '../../src/validation';
import { BIN, CONFIGURED_CRDS, git, REPO } from '../util';
import { serviceName, writeFleet } from './fleet';
import { measureLargeInputs } from './large-inputs';

/**
 * Waits until the disk has written back what the steps before wrote (the 50,000 files of a
 * synthesis, the git objects of a commit), so that each measure starts from a quiet disk and is
 * not charged with writing back what came before it. Not timed.
 */
function settle(): void {
  spawnSync('sync');
}

function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

async function synthAndWrite(
  root: string,
  dist: string,
  jobs: number | undefined,
): Promise<{ ms: number; writeMs: number; files: number; jobs: number; write: WriteResult }> {
  settle();
  const start = performance.now();
  // As `meshflip synth` does: check results and parses kept for the commands that follow, and
  // what worker threads render written ahead while they render the rest.
  const seen = seenFilesIn(defaultCacheDir());
  const ahead = new Prewrite(dist, { seen });
  try {
    const result = await synthesizeProject({
      root,
      jobs,
      cacheDir: defaultCacheDir(),
      parseCache: defaultParseCache(),
      onFiles: (f) => ahead.add(f),
    });
    if (result.problems.some((p) => p.severity !== 'warning')) {
      throw new Error(`the fleet does not load: ${result.problems[0].message}`);
    }
    const rendered = performance.now();
    const write = writeDist(dist, result.files, { seen, prewritten: ahead });
    const end = performance.now();
    return { ms: end - start, writeMs: end - rendered, files: result.files.length, jobs: result.jobs, write };
  } finally {
    ahead.discard();
  }
}

/**
 * The floor: every object of dist/ serialized with yaml's default stringify and written, one
 * thread. The objects are read back from dist/ first; the reading is not timed.
 */
function measureFloor(dist: string, out: string): { ms: number; serializeMs: number; objects: number } {
  let ms = 0;
  let serializeMs = 0;
  let objects = 0;
  const made = new Set<string>();
  settle();
  for (const file of listFiles(dist)) {
    const text = fs.readFileSync(path.join(dist, file), 'utf8');
    const docs = file.endsWith('.yaml') ? parseAllDocuments(text).map((d) => d.toJS() as unknown) : undefined;
    objects += docs?.length ?? 0;
    const start = performance.now();
    const serialized = docs === undefined ? text : docs.map((d) => stringify(d)).join('---\n');
    serializeMs += performance.now() - start;
    const target = path.join(out, file);
    if (!made.has(path.dirname(target))) {
      fs.mkdirSync(path.dirname(target), { recursive: true });
      made.add(path.dirname(target));
    }
    fs.writeFileSync(target, serialized);
    ms += performance.now() - start;
  }
  return { ms, serializeMs, objects };
}

/**
 * Validates every object of `dist/` against the shared CRDs (the Kubernetes schema set), as `meshflip validate --crds`
 * does, and says how long it took and how much of it was CEL rule evaluation. Nothing when $MESHFLIP_CRDS is not set.
 */
function measureSchemaCheck(dist: string): { schemaCheckMs?: number; celMs?: number; celValues?: number } {
  if (CONFIGURED_CRDS === undefined) {
    return {};
  }
  const store = SchemaStore.load(schemaSets(CONFIGURED_CRDS).kubernetes);
  const objects = listFiles(dist)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) => parseAllDocuments(fs.readFileSync(path.join(dist, file), 'utf8')).map((doc) => doc.toJS() as unknown));
  const before = celEvaluationStats();
  const start = performance.now();
  for (const object of objects) {
    store.validate(object, { strict: false });
  }
  const after = celEvaluationStats();
  return { schemaCheckMs: Math.round(performance.now() - start), celMs: Math.round(after.ms - before.ms), celValues: after.values - before.values };
}

/**
 * The secret scan on its own (synthesis includes it): every string of the fleet's input files,
 * every string of the rendered objects, and one 10 MiB value made of what a credential pattern
 * matches, the input that made the old pattern quadratic.
 */
async function measureSecretScan(
  root: string,
  dist: string,
): Promise<{ inputMs: number; inputStrings: number; renderedMs: number; largeValueMs: number }> {
  const { sources } = readProject(root);
  const inputStrings = sources.reduce((sum, s) => sum + stringsOf(s.file.data).length, 0);
  let start = performance.now();
  await scanSources(sources);
  const inputMs = Math.round(performance.now() - start);
  const { objects } = readDist(dist);
  start = performance.now();
  await checkRenderedSecrets(objects, new Set());
  const renderedMs = Math.round(performance.now() - start);
  start = performance.now();
  await scanStrings([{ value: 'x://a:'.repeat((10 * 1024 * 1024) / 6), name: 'PGPASSWORD', names: true }]);
  return { inputMs, inputStrings, renderedMs, largeValueMs: Math.round(performance.now() - start) };
}

/**
 * Brings the build up to date (`npm run build`), so that every command measured runs the compiled
 * meshflip, as after `npm ci`, and never the sources through tsx.
 */
function freshBuild(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the build script is CommonJS
  const build = require('../../src/build.cjs') as { isFresh(): boolean };
  if (!build.isFresh()) {
    const run = spawnSync(process.execPath, [path.join(REPO, 'src', 'build.cjs')], { stdio: 'inherit' });
    if (run.status !== 0) {
      throw new Error('npm run build failed');
    }
  }
}

/**
 * Runs every command measured once, not timed, on a small fleet of its own (its own cache of check
 * results too): V8's code of the build's modules is then kept (`keepCompiledCode` in src/build.cjs),
 * as it is after a user's first run of each command. The first run of a command after a build
 * compiles every module it loads and writes that code at exit, which a flip of the large fleet paid
 * as 0.4 to 0.55 s more, once per build (README.md: the code cache). Returns the time it took.
 */
function warmCodeCache(): number {
  const start = performance.now();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-bench-warm-'));
  const cache = process.env.MESHFLIP_CACHE_DIR;
  process.env.MESHFLIP_CACHE_DIR = path.join(root, '.cache');
  try {
    writeFleet(root, { services: 9, environments: 2 });
    if (timeCommand(root, ['synth']).status !== 0) {
      throw new Error('the synthesis of the small fleet failed');
    }
    measureCommands(root, 1);
  } finally {
    process.env.MESHFLIP_CACHE_DIR = cache;
    fs.rmSync(root, { recursive: true, force: true });
  }
  return Math.round(performance.now() - start);
}

/**
 * CLI start-up, in the same run: the median wall time of `node -e ''`, `meshflip --help` and
 * `meshflip --version` (the real command, compiled: see `freshBuild`), over
 * `runs` runs taken in turn, and the ratio of each to the bare start-up of Node.js.
 */
function measureStartup(runs = 11): {
  nodeStartupMs: number;
  helpStartupMs: number;
  versionStartupMs: number;
  helpStartupRatio: number;
  versionStartupRatio: number;
} {
  const commands = { node: ['-e', ''], help: [BIN, '--help'], version: [BIN, '--version'] };
  const times: Record<keyof typeof commands, number[]> = { node: [], help: [], version: [] };
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(commands) as [keyof typeof commands, string[]][]) {
      const start = performance.now();
      const run = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      times[name].push(performance.now() - start);
      if (run.status !== 0) {
        throw new Error(`${name} failed: ${run.stderr.toString()}`);
      }
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const [node, help, version] = [median(times.node), median(times.help), median(times.version)];
  const ratio = (ms: number) => Math.round((ms / node) * 100) / 100;
  return {
    nodeStartupMs: Math.round(node),
    helpStartupMs: Math.round(help),
    versionStartupMs: Math.round(version),
    helpStartupRatio: ratio(help),
    versionStartupRatio: ratio(version),
  };
}

/** One command's wall time and the peak resident memory of its process. */
interface CommandRun {
  readonly ms: number;
  readonly peakRssMiB: number;
  readonly status: number | null;
}

/**
 * Runs the meshflip command line as a user does, in a process of its own, under /usr/bin/time
 * for its peak RSS (GNU time's %M, in KiB, written to a file so that the command's stderr stays its own).
 */
function timeCommand(root: string, args: readonly string[]): CommandRun {
  const rssFile = path.join(os.tmpdir(), `meshflip-bench-rss-${process.pid}`);
  settle();
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', ['-o', rssFile, '-f', '%M', process.execPath, BIN, ...args], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', GITHUB_OUTPUT: '', GITHUB_EVENT_PATH: '' },
  });
  const ms = performance.now() - start;
  const kib = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  fs.rmSync(rssFile, { force: true });
  if (run.status !== 0 && run.status !== 1) {
    throw new Error(`meshflip ${args.join(' ')} failed (${run.status}): ${run.stderr}`);
  }
  return { ms: Math.round(ms), peakRssMiB: Math.round(kib / 1024), status: run.status };
}

/**
 * The user's loop on the fleet, each command through the CLI: a one-service flip (the median of
 * five, each from the committed fleet), then diff and ci-summary of the last against the last commit, validate of an unchanged repository (the flip
 * committed), and explain of one service. The fleet and its dist/ are committed first (not timed).
 */
function measureCommands(root: string, synthesisMs: number): { measures: Record<string, number | null>; flipSamplesMs: readonly number[] } {
  git(root, 'init', '-q');
  // No automatic packing in the background (git gc --auto, after a commit of 50,000 new files),
  // which would run during the commands measured.
  git(root, 'config', 'gc.auto', '0');
  git(root, 'config', 'maintenance.auto', 'false');
  git(root, 'add', '-A');
  git(root, '-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-q', '-m', 'fleet');
  // One flip's time varies by a third from run to run on a 2-core machine, so five are timed, each
  // of one service the fleet does not flip (every third service is) from the committed fleet, and
  // the median is the measure. The last is kept for diff and ci-summary.
  const flips: CommandRun[] = [];
  for (const service of [4, 5, 7, 8, 2]) {
    const run = timeCommand(root, ['flip', 'env0', serviceName(service), '--to', 'mock']);
    if (run.status !== 0) {
      throw new Error(`the benchmark flip of ${serviceName(service)} failed`);
    }
    flips.push(run);
    if (service !== 2) {
      // Back to the commit. git status first: the flip's hard links changed the ctime of every file
      // it kept, and a checkout with stale stat data in the index would rewrite them all.
      git(root, 'status', '--porcelain');
      git(root, 'checkout', '-q', '--', '.');
      git(root, 'status', '--porcelain');
    }
  }
  const flip: CommandRun = {
    ms: [...flips].sort((a, b) => a.ms - b.ms)[Math.floor(flips.length / 2)].ms,
    peakRssMiB: Math.max(...flips.map((f) => f.peakRssMiB)),
    status: 0,
  };
  const diff = timeCommand(root, ['diff']);
  const ciSummary = timeCommand(root, ['ci-summary', '--base', 'HEAD']);
  git(root, '-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-q', '-a', '-m', 'flip');
  const validate = timeCommand(root, ['validate']);
  const explain = timeCommand(root, ['explain', 'env0', serviceName(1)]);
  const percent = (run: CommandRun) => Math.round((run.ms / synthesisMs) * 1000) / 10;
  const out: Record<string, number | null> = {};
  for (const [name, run] of Object.entries({ flip, diff, ciSummary, validate, explain })) {
    out[`${name}Ms`] = run.ms;
    out[`${name}PctOfSynthesis`] = percent(run);
    out[`${name}PeakRssMiB`] = run.peakRssMiB;
  }
  out.validateStatus = validate.status;
  return { measures: out, flipSamplesMs: flips.map((f) => f.ms) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      services: { type: 'string', default: '100' },
      environments: { type: 'string', default: '2' },
      jobs: { type: 'string' },
      keep: { type: 'boolean' },
    },
    strict: true,
  });
  const services = Number(values.services);
  const environments = Number(values.environments);
  const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
  if (!Number.isInteger(services) || services < 1 || !Number.isInteger(environments) || environments < 1) {
    throw new Error('--services and --environments must be positive whole numbers');
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-bench-'));
  // The check results the synthesis and the commands keep (as `meshflip synth` keeps them), in a
  // folder of this run's own: the commands find only what this run kept.
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-bench-cache-'));
  process.env.MESHFLIP_CACHE_DIR = cache;
  try {
    freshBuild();
    const warmupMs = warmCodeCache();
    writeFleet(root, { services, environments });
    const dist = path.join(root, 'dist');

    const first = await synthAndWrite(root, dist, jobs);
    // The peak of the process so far is the synthesis's own: nothing heavier ran before it.
    const synthesisPeak = peakRssMiB();
    const floor = measureFloor(dist, path.join(root, 'floor'));
    const schemas = measureSchemaCheck(dist);
    const secrets = await measureSecretScan(root, dist);
    const again = await synthAndWrite(root, dist, jobs);
    // Service 1 is not flipped in the fleet (every third service is): flip it with one line.
    const envFile = path.join(root, 'environments/env0.yaml');
    fs.writeFileSync(
      envFile,
      fs.readFileSync(envFile, 'utf8').replace('routing:\n  services:\n', `routing:\n  services:\n    ${serviceName(1)}: mock\n`),
    );
    const flip = await synthAndWrite(root, dist, jobs);

    const commands = measureCommands(root, first.ms);
    const changed = (w: WriteResult) => [...w.added, ...w.changed, ...w.removed];
    const report = {
      services,
      environments,
      jobs: first.jobs,
      objects: floor.objects,
      files: first.files,
      filesWritten: changed(first.write).length,
      wallMs: Math.round(first.ms),
      renderMs: Math.round(first.ms - first.writeMs),
      writeMs: Math.round(first.writeMs),
      floorMs: Math.round(floor.ms),
      floorSerializeMs: Math.round(floor.serializeMs),
      floorWriteMs: Math.round(floor.ms - floor.serializeMs),
      ratio: Math.round((first.ms / floor.ms) * 100) / 100,
      msPerObject: Math.round((first.ms / floor.objects) * 1000) / 1000,
      peakRssMiB: synthesisPeak,
      benchPeakRssMiB: peakRssMiB(),
      secretScanInputMs: secrets.inputMs,
      secretScanInputStrings: secrets.inputStrings,
      secretScanRenderedMs: secrets.renderedMs,
      secretScan10MiBValueMs: secrets.largeValueMs,
      unchangedRunMs: Math.round(again.ms),
      unchangedRunWriteMs: Math.round(again.writeMs),
      unchangedRunFilesRewritten: changed(again.write).length,
      flipRunMs: Math.round(flip.ms),
      flipRunWriteMs: Math.round(flip.writeMs),
      flipRunFilesRewritten: changed(flip.write).length,
      flipRunFiles: changed(flip.write),
      ...schemas,
      largeInputs: measureLargeInputs(),
      ...measureStartup(),
      codeCacheWarmupMs: warmupMs,
      ...commands.measures,
      flipSamplesMs: commands.flipSamplesMs,
    };
    process.stdout.write(
      `${services} services x ${environments} environments: ${report.objects} objects in ${report.files} files, ${report.jobs} job${report.jobs === 1 ? '' : 's'}\n`,
    );
    process.stdout.write(
      `  synthesis ${report.wallMs} ms (render ${report.renderMs}, write ${report.writeMs}), floor ${report.floorMs} ms (serialize ${report.floorSerializeMs}, write ${report.floorWriteMs}), ratio ${report.ratio}; ${report.msPerObject} ms per object; peak RSS ${report.peakRssMiB} MiB (whole benchmark ${report.benchPeakRssMiB} MiB)\n`,
    );
    process.stdout.write(
      `  secret scan: input ${report.secretScanInputMs} ms (${report.secretScanInputStrings} strings), rendered objects ${report.secretScanRenderedMs} ms, one 10 MiB value ${report.secretScan10MiBValueMs} ms\n`,
    );
    process.stdout.write(
      `  no change: ${report.unchangedRunFilesRewritten} files rewritten (write ${report.unchangedRunWriteMs} ms); ` +
        `one flip: ${report.flipRunFilesRewritten} (${report.flipRunFiles.join(', ')}; write ${report.flipRunWriteMs} ms)\n`,
    );
    if (schemas.schemaCheckMs !== undefined) {
      process.stdout.write(
        `  schema check of dist/ ${schemas.schemaCheckMs} ms, of which CEL rules ${schemas.celMs} ms on ${schemas.celValues} values\n`,
      );
    }
    process.stdout.write(
      `  start-up: node -e '' ${report.nodeStartupMs} ms, meshflip --help ${report.helpStartupMs} ms (${report.helpStartupRatio}x), ` +
        `meshflip --version ${report.versionStartupMs} ms (${report.versionStartupRatio}x)\n`,
    );
    process.stdout.write(
      `  commands: ${['flip', 'diff', 'ciSummary', 'validate', 'explain']
        .map(
          (c) =>
            `${c} ${commands.measures[`${c}Ms`]} ms (${commands.measures[`${c}PctOfSynthesis`]} % of synthesis, ${commands.measures[`${c}PeakRssMiB`]} MiB)`,
        )
        .join(', ')}\n`,
    );
    process.stdout.write(`  flip, each time: ${commands.flipSamplesMs.join(', ')} ms (the median above)\n`);
    process.stdout.write(
      `  large inputs refused in: ${Object.entries(report.largeInputs)
        .map(([k, v]) => `${k.replace(/Ms$/, '')} ${v} ms`)
        .join(', ')}\n`,
    );
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    if (values.keep) {
      // On stderr: the last line of stdout stays the JSON report.
      process.stderr.write(`the fleet and its dist/ are kept in ${root}, the check results in ${cache}\n`);
    } else {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(cache, { recursive: true, force: true });
    }
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
