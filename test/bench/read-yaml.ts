import * as fs from 'fs';
import * as path from 'path';
import { fastYamlStats, readYamlDocuments, readYamlSlow } from '../../src/pipeline/dist/fast-yaml';
import { isPatchFile, listFiles } from '../../src/pipeline/dist/read-dist';

/**
 * Reads every YAML file of a dist/ folder back into objects, with the reader dist/ commands use
 * (`fast`: readYamlFast, falling back to the yaml package per file) or with the yaml package alone
 * (`yaml`), and prints one JSON line: files, objects, seconds, peak RSS, and the heap the objects
 * hold once read. Run each way in a process of its own:
 *
 *   node --expose-gc -r tsx/cjs test/bench/read-yaml.ts <dist> fast|yaml
 */
function main(distDir: string, how: string): void {
  const strings = new Map<string, string>();
  const read = how === 'yaml' ? readYamlSlow : (text: string) => readYamlDocuments(text, strings);
  const files = listFiles(distDir).filter((f) => /\.ya?ml$/.test(f) && !isPatchFile(f));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const objects: unknown[] = [];
  let bytes = 0;
  for (const file of files) {
    const buffer = fs.readFileSync(path.join(distDir, file));
    bytes += buffer.length;
    const text = buffer.toString('utf8');
    for (const document of read(text).documents) {
      if (document !== null && typeof document === 'object' && !Array.isArray(document)) {
        objects.push(document);
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  strings.clear();
  gc?.();
  const heldMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  const result = {
    how,
    files: files.length,
    megabytes: Math.round(bytes / 1e6),
    objects: objects.length,
    seconds: Math.round(seconds * 100) / 100,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    heldMiB: gc === undefined ? undefined : Math.round(heldMiB),
    ...(how === 'yaml' ? {} : { fast: fastYamlStats.fast, fallback: fastYamlStats.fallback }),
  };
  console.log(JSON.stringify(result));
}

main(process.argv[2] ?? 'dist', process.argv[3] ?? 'fast');
