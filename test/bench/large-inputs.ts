import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { loadProject } from '../../src/model/load';
import { SourceFile } from '../../src/model/source-file';
import { SpecError } from '../../src/model/spec-error';

const TEN_MB = 10 * 1024 * 1024;

/** Loads a small project with one file replaced, and returns how long it took to be refused. */
function refusal(name: string, file: string, content: string): [string, number] {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-bench-large-'));
  try {
    const write = (f: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      fs.writeFileSync(path.join(root, f), text);
    };
    write(
      'environments/meshflip.yaml',
      'repository: { url: https://git.example.com/x.git }\nargocd: { cluster: hub }\nclusters: { hub: { server: https://kubernetes.default.svc } }\n',
    );
    write(
      'environments/catalog/shop.yaml',
      'services:\n  orders:\n    image: registry.example.com/orders:1.0.0\n    ports: [{ name: http, port: 8080 }]\n    mock: { imposters: [../mocks/orders.json] }\n',
    );
    write('environments/mocks/orders.json', '{ "port": 8080, "protocol": "http" }\n');
    write('environments/lab.yaml', 'name: lab\ncatalog: [shop]\nmesh: { flavor: istio, version: "1.30", cluster: hub }\nservices: { orders: }\n');
    write(file, content);
    const start = performance.now();
    try {
      loadProject(root);
      throw new Error(`${name}: expected the input to be refused`);
    } catch (e) {
      if (!SpecError.is(e)) {
        throw e;
      }
    }
    return [name, Math.round(performance.now() - start)];
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The time to refuse each large input of the limits tests (test/model/limits.test.ts): the
 * checks must be linear, so none of these may grow out of proportion with its size.
 */
export function measureLargeInputs(): Record<string, number> {
  const services = ['services:'];
  for (let i = 0; i < 40_000; i++) {
    services.push(`  svc-${i}:`, '    image: registry.example.com/svc:1.0.0');
  }
  const duplicates = `${services.join('\n')}\n  svc-7:\n    image: x\n`;
  const start = performance.now();
  SourceFile.parse('environments/catalog/big.yaml', duplicates, { maxEntries: 100_000 });
  const duplicateMs = Math.round(performance.now() - start);
  return Object.fromEntries([
    ['duplicateKeyOf40000ServicesMs', duplicateMs],
    refusal('tenMbEnvironmentFileMs', 'environments/lab.yaml', `name: lab\n#${'x'.repeat(TEN_MB)}\n`),
    refusal(
      'tenMbImposterMs',
      'environments/mocks/orders.json',
      JSON.stringify({ port: 8080, protocol: 'http', stubs: [{ responses: [{ is: { body: 'b'.repeat(TEN_MB) } }] }] }),
    ),
    refusal('tenMbSingleStringMs', 'environments/catalog/shop.yaml', `description: "${'a'.repeat(TEN_MB)}"\n`),
    refusal('threeMbSingleStringMs', 'environments/lab.yaml', `name: lab\ndescription: ${'d'.repeat(3 * 1024 * 1024)}\n`),
  ]);
}
