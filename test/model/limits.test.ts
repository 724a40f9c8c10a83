import { impostersConfiguration } from '../../src/model/imposters';
import { MAX_CONFIGMAP_BYTES, MAX_ENTRIES, MAX_ENVIRONMENTS, MAX_INPUT_FILE_BYTES, MAX_STRING_LENGTH } from '../../src/model/limits';
import { loadProject } from '../../src/model/load';
import { MAX_USER_ANNOTATION_BYTES } from '../../src/model/resolve';
import { MAX_PROBLEMS_PER_FILE, SourceFile } from '../../src/model/source-file';
import { formatProblem } from '../../src/model/spec-error';
import { removeTempDirs } from '../util';
import { at, CATALOG, fixtureRepo, kongEnvironment, MOCKED_PAYMENTS_AND_FRONTEND, problemsOf } from './fixtures';

afterAll(() => removeTempDirs());

/**
 * Input checks run in time linear in their input: large inputs get the right error, with a
 * generous timeout as the guard against a hang. How long they take is measured in `npm run bench`.
 */

const HANG_GUARD_MS = 60_000;

/** A catalogue of `n` services. */
function catalogue(n: number): string {
  const out: string[] = ['services:'];
  for (let i = 0; i < n; i++) {
    out.push(`  svc-${i}:`, '    image: registry.example.com/svc:1.0.0');
  }
  return `${out.join('\n')}\n`;
}

describe('duplicate keys', () => {
  test(
    'finds the one repeated key of 40,000 services at the repeated key',
    () => {
      // GIVEN
      const text = `${catalogue(40_000)}  svc-7:\n    image: registry.example.com/svc:2.0.0\n`;
      // WHEN the entry limit is lifted, to time the duplicate check alone
      const file = SourceFile.parse('environments/catalog/big.yaml', text, { maxEntries: 100_000 });
      // THEN
      expect(file.problems.map(formatProblem)).toEqual([
        'environments/catalog/big.yaml:80002:3: services.svc-7: duplicate key: each key may appear only once in a map, got "svc-7"; merge the two entries or remove one',
      ]);
    },
    HANG_GUARD_MS,
  );

  test(
    `shows the first ${MAX_PROBLEMS_PER_FILE} problems of a file where every key repeats, and says there are more`,
    () => {
      // GIVEN 20,000 repeats of one key
      const text = `services:\n${'  a: 1\n'.repeat(20_000)}`;
      // WHEN
      const problems = SourceFile.parse('environments/catalog/big.yaml', text, { maxEntries: 100_000 }).problems.map(formatProblem);
      // THEN
      expect(problems).toHaveLength(MAX_PROBLEMS_PER_FILE + 1);
      expect(problems[0]).toBe(
        'environments/catalog/big.yaml:3:3: services.a: duplicate key: each key may appear only once in a map, got "a"; merge the two entries or remove one',
      );
      expect(problems[MAX_PROBLEMS_PER_FILE]).toBe(
        `environments/catalog/big.yaml:1:1: (document): has more problems: only the first ${MAX_PROBLEMS_PER_FILE} of its syntax, key and alias problems are shown; fix these and run again`,
      );
    },
    HANG_GUARD_MS,
  );
});

const LAB = 'environments/lab.yaml';
const SHOP = 'environments/catalog/shop.yaml';
const TEN_MB = 10 * 1024 * 1024;

/** The lab environment padded with a trailing comment to exactly `bytes` bytes. */
function labOfSize(bytes: number): string {
  const env = kongEnvironment('lab');
  return `${env}#${'x'.repeat(bytes - env.length - 2)}\n`;
}

describe('input file size (limit 4 MiB)', () => {
  test(
    'loads an environment file of exactly 4 MiB',
    () => {
      // GIVEN
      const root = fixtureRepo({ [LAB]: labOfSize(MAX_INPUT_FILE_BYTES) });
      // THEN
      expect(loadProject(root).environments.map((e) => e.name)).toEqual(['lab']);
    },
    HANG_GUARD_MS,
  );

  test('fails when an environment file has one byte more', () => {
    expect(problemsOf(fixtureRepo({ [LAB]: labOfSize(MAX_INPUT_FILE_BYTES + 1) }))).toEqual([
      `${LAB}:1:1: (file): is 4,194,305 bytes, over the limit of 4,194,304 bytes for an input file; split its services over several catalogues or environments`,
    ]);
  });

  test(
    'fails at once on a 10 MB environment file, without reading it',
    () => {
      expect(problemsOf(fixtureRepo({ [LAB]: labOfSize(TEN_MB) }))).toEqual([
        `${LAB}:1:1: (file): is 10,485,760 bytes, over the limit of 4,194,304 bytes for an input file; split its services over several catalogues or environments`,
      ]);
    },
    HANG_GUARD_MS,
  );

  test(
    'fails at once on a 10 MB catalogue that is one single string',
    () => {
      // GIVEN
      const catalog = `description: "${'a'.repeat(TEN_MB)}"\n`;
      // THEN
      expect(catalog.length).toBe(10_485_776);
      expect(problemsOf(fixtureRepo({ [SHOP]: catalog }))).toEqual([
        `${SHOP}:1:1: (file): is 10,485,776 bytes, over the limit of 4,194,304 bytes for an input file; split its services over several catalogues or environments`,
      ]);
    },
    HANG_GUARD_MS,
  );
});

describe("imposter files (a mock's imposters go into one ConfigMap: ValidateConfigMap, 1 MiB)", () => {
  const IMPOSTER = 'environments/mocks/orders.imposter.json';
  /** An imposter whose one response body makes the rendered imposters document exactly `bytes` long. */
  function imposterRendering(bytes: number): string {
    const document = (body: string) => ({ port: 8080, protocol: 'http', stubs: [{ responses: [{ is: { statusCode: 200, body } }] }] });
    const overhead = impostersConfiguration([{ file: IMPOSTER, port: 8080, protocol: 'http', document: document('') }]).length;
    return JSON.stringify(document('b'.repeat(bytes - overhead)));
  }

  test(
    'loads an imposter whose rendered ConfigMap data is exactly 1 MiB',
    () => {
      // GIVEN
      const root = fixtureRepo({ [IMPOSTER]: imposterRendering(MAX_CONFIGMAP_BYTES) });
      // THEN
      expect(loadProject(root).environments.map((e) => e.name)).toEqual(['lab']);
    },
    HANG_GUARD_MS,
  );

  test(
    'fails at the mock when the rendered ConfigMap data is one byte over 1 MiB',
    () => {
      expect(problemsOf(fixtureRepo({ [IMPOSTER]: imposterRendering(MAX_CONFIGMAP_BYTES + 1) }))).toEqual([
        `${SHOP}:${at(CATALOG, '- ../mocks/orders')}: services.orders.mock.imposters: make a ConfigMap of 1,048,577 bytes as rendered, over the limit of 1,048,576 bytes (1 MiB) Kubernetes sets on a ConfigMap's data; ` +
          `make the imposters of this mock smaller together (${IMPOSTER}): fewer or shorter stubs, or large bodies from a proxy response`,
      ]);
    },
    HANG_GUARD_MS,
  );

  test(
    'measures each mock that lists the same imposter file with its own latency',
    () => {
      // GIVEN orders and payments mocked by the same 600 kB imposter, payments with a latency
      // range, which repeats each response once per step
      const catalog = `${CATALOG}${MOCKED_PAYMENTS_AND_FRONTEND}`.replace(
        '        - ../mocks/orders.imposter.json\n  frontend:',
        '        - ../mocks/orders.imposter.json\n      latency: { min: 10ms, max: 20ms }\n  frontend:',
      );
      const root = fixtureRepo({ [SHOP]: catalog, [IMPOSTER]: imposterRendering(600_000) });
      // THEN the ConfigMap of payments alone is over 1 MiB
      const problems = problemsOf(root);
      expect(problems.map((p) => /services\.(\w+)\.mock\.imposters: make a ConfigMap of/.exec(p)?.[1])).toEqual(['payments']);
    },
    HANG_GUARD_MS,
  );

  test(
    'fails at once on a 10 MB imposter file, at the field that names it',
    () => {
      // GIVEN
      const imposter = JSON.stringify({ port: 8080, protocol: 'http', stubs: [{ responses: [{ is: { body: 'b'.repeat(TEN_MB) } }] }] });
      // THEN
      expect(problemsOf(fixtureRepo({ [IMPOSTER]: imposter }))).toEqual([
        `${SHOP}:${at(CATALOG, '../mocks/orders.imposter.json')}: services.orders.mock.imposters[0]: names a file of ${imposter.length.toLocaleString('en-US')} bytes (${IMPOSTER}), over the limit of 1,048,576: a mock's imposters go into one ConfigMap, which Kubernetes limits to 1 MiB, got "../mocks/orders.imposter.json"; ` +
          'make the imposter smaller: fewer or shorter stubs, or large bodies from a proxy response',
      ]);
    },
    HANG_GUARD_MS,
  );
});

describe('entries per map or list and string length', () => {
  test(
    `takes ${MAX_ENTRIES} entries in a map and fails at one more`,
    () => {
      const map = (n: number) => `env:\n${Array.from({ length: n }, (_, i) => `  V${i}: x\n`).join('')}`;
      expect(SourceFile.parse('a.yaml', map(MAX_ENTRIES)).problems).toEqual([]);
      expect(SourceFile.parse('a.yaml', map(MAX_ENTRIES + 1)).problems.map(formatProblem)).toEqual([
        'a.yaml:2:3: env: has 10001 entries, over the limit of 10000 for one map; split it over several files (catalogues or environments)',
      ]);
    },
    HANG_GUARD_MS,
  );

  test(`takes a string of ${MAX_STRING_LENGTH} characters and fails at one more`, () => {
    expect(SourceFile.parse('a.yaml', `description: ${'d'.repeat(MAX_STRING_LENGTH)}\n`).problems).toEqual([]);
    expect(SourceFile.parse('a.yaml', `description: ${'d'.repeat(MAX_STRING_LENGTH + 1)}\n`).problems.map(formatProblem)).toEqual([
      `a.yaml:1:14: description: is a text of 65537 characters, over the limit of 65536, got "${'d'.repeat(57)}..."; shorten it; large data belongs in a ConfigMap or image, not in a field`,
    ]);
  });

  test(
    'fails on a 3 MB single string in an environment file at its field',
    () => {
      // GIVEN
      const env = kongEnvironment('lab', `description: ${'d'.repeat(3 * 1024 * 1024)}`);
      // THEN
      expect(problemsOf(fixtureRepo({ [LAB]: env }))).toEqual([
        `${LAB}:${at(env, 'ddd')}: description: is a text of 3145728 characters, over the limit of 65536, got "${'d'.repeat(57)}..."; shorten it; large data belongs in a ConfigMap or image, not in a field`,
      ]);
    },
    HANG_GUARD_MS,
  );
});

test(
  `fails when environments/ holds more than ${MAX_ENVIRONMENTS} environment files`,
  () => {
    // GIVEN one more than the limit (their namespaces overlap, which is reported too)
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_ENVIRONMENTS; i++) {
      files[`environments/e${String(i).padStart(3, '0')}.yaml`] = `name: e${String(i).padStart(3, '0')}\n`;
    }
    // THEN
    expect(problemsOf(fixtureRepo(files))).toContain(
      'environments:1:1: (folder): holds 502 environment files, over the limit of 500; split the environments over several repositories',
    );
  },
  HANG_GUARD_MS,
);

describe('pod template annotations of a service (ValidateAnnotations: 256 KiB per object, 16 KiB kept for the mesh)', () => {
  const withAnnotations = (bytes: number) =>
    CATALOG.replace(
      '    calls: [payments]',
      `    calls: [payments]\n    annotations:\n      a: ${'v'.repeat(60_000)}\n      b: ${'v'.repeat(60_000)}\n      c: ${'v'.repeat(60_000)}\n      d: ${'v'.repeat(60_000)}\n      e: ${'v'.repeat(bytes - 240_000 - 5)}`,
    );

  test(`loads ${MAX_USER_ANNOTATION_BYTES} bytes of annotations`, () => {
    expect(loadProject(fixtureRepo({ [SHOP]: withAnnotations(MAX_USER_ANNOTATION_BYTES) })).environments).toHaveLength(1);
  });

  test('fails at one byte more, at the annotations of the service', () => {
    const catalog = withAnnotations(MAX_USER_ANNOTATION_BYTES + 1);
    expect(problemsOf(fixtureRepo({ [SHOP]: catalog }))).toEqual([
      `${SHOP}:${at(catalog, 'a: vvv')}: services.orders.annotations: are 245,761 bytes together (keys and values), over the 245,760 left of the 262,144 Kubernetes allows on a pod template once the mesh's own annotations are added; keep large data out of annotations: a ConfigMap holds up to 1 MiB`,
    ]);
  });
});

test('fails when an environment description, the AppProject description, is over 255 characters', () => {
  // GIVEN
  const env = kongEnvironment('lab', `description: ${'d'.repeat(256)}`);
  // THEN
  expect(problemsOf(fixtureRepo({ [LAB]: env }))).toEqual([
    `${LAB}:${at(env, 'ddd')}: description: must be at most 255 characters long, got "${'d'.repeat(57)}..."`,
  ]);
});
