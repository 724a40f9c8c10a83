/**
 * Synthesis benchmark: `npm run bench -- --services N --environments E`.
 *
 * Builds a synthetic fleet through the real model and constructs, synthesizes it into a temporary
 * folder, and compares with the floor measured in the same run: the same final objects serialized
 * with the `yaml` package's default `stringify`, single-threaded, and written. Then measures the
 * incremental cases: a re-synthesis with no change, and a flip of one service. The last line of
 * output is one JSON object.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { parseArgs } from 'util';
import { stringify } from 'yaml';
import { loadProject } from '../../src/model/load';
import { synthesize } from '../../src/pipeline/synth';
import { writeDist } from '../../src/pipeline/write-dist';
import { serviceName, writeFleet } from './fleet';

function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function time<T>(fn: () => T): { result: T; ms: number } {
  const start = performance.now();
  const result = fn();
  return { result, ms: performance.now() - start };
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { services: { type: 'string', default: '100' }, environments: { type: 'string', default: '2' }, keep: { type: 'boolean' } },
    strict: true,
  });
  const services = Number(values.services);
  const environments = Number(values.environments);
  if (!Number.isInteger(services) || services < 1 || !Number.isInteger(environments) || environments < 1) {
    throw new Error('--services and --environments must be positive whole numbers');
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-bench-'));
  try {
    writeFleet(root, { services, environments });
    const dist = path.join(root, 'dist');

    // 1. Synthesis: load, build, render and write, as `meshflip synth` does.
    const load = time(() => loadProject(root));
    const render = time(() => synthesize(load.result));
    const write = time(() => writeDist(dist, render.result));
    const files = render.result;
    const objects = files.flatMap((f) => f.objects ?? []);
    const wallMs = load.ms + render.ms + write.ms;

    // 2. The floor: the same final objects, yaml's default stringify, single-threaded, written.
    const floorDir = path.join(root, 'floor');
    const floor = time(() => {
      for (const file of files) {
        const target = path.join(floorDir, file.path);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, file.objects === undefined ? file.content : file.objects.map((o) => stringify(o)).join('---\n'));
      }
    });

    // 3. Incremental: no change, then one service flipped.
    const again = time(() => writeDist(dist, synthesize(loadProject(root))));
    const envFile = 'environments/env0.yaml';
    const text = fs.readFileSync(path.join(root, envFile), 'utf8');
    // Service 1 is not flipped in the fleet (every third service is): flip it with one line.
    fs.writeFileSync(path.join(root, envFile), text.replace('routing:\n  services:\n', `routing:\n  services:\n    ${serviceName(1)}: mock\n`));
    const flip = time(() => writeDist(dist, synthesize(loadProject(root))));

    const ratio = wallMs / floor.ms;
    const report = {
      services,
      environments,
      objects: objects.length,
      files: files.length,
      filesWritten: write.result.added.length + write.result.changed.length,
      loadMs: Math.round(load.ms),
      renderMs: Math.round(render.ms),
      writeMs: Math.round(write.ms),
      wallMs: Math.round(wallMs),
      floorMs: Math.round(floor.ms),
      ratio: Math.round(ratio * 100) / 100,
      msPerObject: Math.round((wallMs / objects.length) * 1000) / 1000,
      peakRssMiB: peakRssMiB(),
      unchangedRunMs: Math.round(again.ms),
      unchangedRunFilesRewritten: again.result.added.length + again.result.changed.length + again.result.removed.length,
      flipRunMs: Math.round(flip.ms),
      flipRunFilesRewritten: flip.result.added.length + flip.result.changed.length + flip.result.removed.length,
      flipRunFiles: [...flip.result.added, ...flip.result.changed, ...flip.result.removed],
    };
    process.stdout.write(`${services} services x ${environments} environments: ${report.objects} objects in ${report.files} files\n`);
    process.stdout.write(`  synthesis ${report.wallMs} ms (load ${report.loadMs}, render ${report.renderMs}, write ${report.writeMs}), floor ${report.floorMs} ms, ratio ${report.ratio}\n`);
    process.stdout.write(`  ${report.msPerObject} ms per object, peak RSS ${report.peakRssMiB} MiB\n`);
    process.stdout.write(`  no change: ${report.unchangedRunFilesRewritten} files rewritten; one flip: ${report.flipRunFilesRewritten} (${report.flipRunFiles.join(', ')})\n`);
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    if (!values.keep) {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
}

main();
