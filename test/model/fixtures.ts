import { loadProject } from '../../src/model/load';
import { formatProblem, SpecError } from '../../src/model/spec-error';
import { tempDir, writeFiles } from '../util';

/**
 * Small fixture repositories for model tests: a settings file, one catalogue with two services
 * (orders, which has a Mountebank mock, and payments, which has none), the imposter of the
 * orders mock and one Kong Mesh environment, `environments/lab.yaml`.
 */

/** Joins lines into file text with a trailing newline, so fixtures read like the files they stand for. */
export function lines(...text: string[]): string {
  return `${text.join('\n')}\n`;
}

export const SETTINGS = lines(
  'repository:',
  '  url: https://github.com/example-org/gitops.git',
  'argocd:',
  '  cluster: hub',
  'clusters:',
  '  hub:',
  '    server: https://kubernetes.default.svc',
  '  lab-real:',
  '    server: https://lab-real.example.com:6443',
  '  lab-mocks:',
  '    server: https://lab-mocks.example.com:6443',
  '  ocp-lab:',
  '    server: https://api.ocp-lab.example.com:6443',
);

export const CATALOG = lines(
  'services:',
  '  orders:',
  '    image: registry.example.com/shop/orders:1.4.2',
  '    ports:',
  '      - name: http',
  '        port: 8080',
  '    calls: [payments]',
  '    mock:',
  '      imposters:',
  '        - ../mocks/orders.imposter.json',
  '  payments:',
  '    image: registry.example.com/shop/payments:2.0.1',
  '    ports:',
  '      - name: http',
  '        port: 8080',
);

/**
 * Catalogue lines to append after CATALOG: a mock for its last service, payments (an imposter that
 * listens like the orders one), and frontend, a client nothing calls, which calls orders.
 */
export const MOCKED_PAYMENTS_AND_FRONTEND = lines(
  '    mock:',
  '      imposters:',
  '        - ../mocks/orders.imposter.json',
  '  frontend:',
  '    image: registry.example.com/shop/frontend:3.1.0',
  '    ports:',
  '      - name: http',
  '        port: 8080',
  '    calls: [orders]',
);

/** A Mountebank imposter document listening on `port`, with optional extra response fields. */
export function imposter(port: number, response: Record<string, unknown> = { is: { statusCode: 200 } }): string {
  return `${JSON.stringify({ port, protocol: 'http', stubs: [{ responses: [response] }] }, undefined, 2)}\n`;
}

/** A Kong Mesh 2.14 environment on Konnect with two zones; `extra` lines are appended at the end. */
export function kongEnvironment(name: string, ...extra: string[]): string {
  return lines(
    `name: ${name}`,
    'catalog: [shop]',
    'mesh:',
    '  flavor: kong-mesh',
    '  version: 2.14.3',
    '  global:',
    '    konnect:',
    '      region: eu',
    '      controlPlaneId: 48e893dc-6a4e-40fb-a933-d06e92cccce6',
    '  zones:',
    '    - name: real',
    '      cluster: lab-real',
    '    - name: mocks',
    '      cluster: lab-mocks',
    'services:',
    '  orders:',
    '  payments:',
    ...extra,
  );
}

/** An OpenShift Service Mesh 2.5 environment; `extra` lines are appended at the end. */
export function ossmEnvironment(name: string, ...extra: string[]): string {
  return lines(
    `name: ${name}`,
    'catalog: [shop]',
    'mesh:',
    '  flavor: openshift-service-mesh',
    '  version: "2.5"',
    '  cluster: ocp-lab',
    'services:',
    '  orders:',
    '  payments:',
    ...extra,
  );
}

/** The files of the default fixture repository, by repository path. */
export function defaultFiles(): Record<string, string> {
  return {
    'environments/meshflip.yaml': SETTINGS,
    'environments/catalog/shop.yaml': CATALOG,
    'environments/mocks/orders.imposter.json': imposter(8080),
    'environments/lab.yaml': kongEnvironment('lab'),
  };
}

/**
 * Writes a fixture repository under the OS temp directory: the default files, with `files`
 * replacing or adding files (a `null` content removes a default file). Returns its root.
 */
export function fixtureRepo(files: Record<string, string | null> = {}): string {
  const root = tempDir('meshflip-fixture-');
  const all: Record<string, string> = defaultFiles();
  for (const [file, content] of Object.entries(files)) {
    if (content === null) {
      delete all[file];
    } else {
      all[file] = content;
    }
  }
  writeFiles(root, all);
  return root;
}

/**
 * The formatted problems `loadProject` reports for `root`, one per line. Fails when loading
 * succeeds or throws anything but a `SpecError`.
 */
export function problemsOf(root: string): string[] {
  try {
    loadProject(root);
  } catch (e) {
    if (SpecError.is(e)) {
      return e.problems.map(formatProblem);
    }
    throw e;
  }
  throw new Error('expected loadProject to fail, but it succeeded');
}

/**
 * The 1-based `line:col` of `needle` in `text`, searching from the end of `after` when given.
 * Tests build expected locations with it, so that a location is checked against the text it
 * must point at instead of being copied from the output.
 */
export function at(text: string, needle: string, after?: string): string {
  const from = after === undefined ? 0 : text.indexOf(after);
  if (from < 0) {
    throw new Error(`fixture does not contain ${JSON.stringify(after)}`);
  }
  const offset = text.indexOf(needle, after === undefined ? 0 : from + after.length);
  if (offset < 0) {
    throw new Error(`fixture does not contain ${JSON.stringify(needle)}${after === undefined ? '' : ` after ${JSON.stringify(after)}`}`);
  }
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}
