import { Yaml } from 'cdk8s';
import fc from 'fast-check';
import * as YAML from 'yaml';
import { emitDocument, emitDocuments, emitStats } from '../../src/pipeline/synth/yaml-emit';

/** Strings YAML 1.1 treats specially, or that need quoting, escaping or a block. */
const TRICKY = [
  '',
  ' ',
  'a',
  'yes',
  'No',
  'ON',
  'off',
  'y',
  'n',
  'Y',
  'true',
  'False',
  'null',
  'Null',
  '~',
  '-',
  '?',
  '- a',
  '? a',
  '-c',
  '--noParse',
  'a: b',
  'a:b',
  'a:',
  ':a',
  'a #b',
  'a#b',
  '#a',
  ' lead',
  'trail ',
  '0',
  '00',
  '0777',
  '0o17',
  '0x1F',
  '0b101',
  '1_000',
  '1e3',
  '1E-3',
  '.5',
  '5.',
  '+1',
  '-1',
  '1:20',
  '190:20:30',
  '.inf',
  '-.Inf',
  '.NaN',
  '2026-12-01',
  '2026-12-01T18:00:00Z',
  '2001-12-14 21:59:43.10 -5',
  '<<',
  '=',
  '@x',
  '%x',
  '`x',
  '!x',
  '&x',
  '*x',
  '|x',
  '>x',
  '[x]',
  '{x}',
  'x,y',
  '---',
  '---x',
  '...',
  "it's",
  'say "hi"',
  'back\\slash',
  'tab\tin',
  'new\nline',
  'trailing newline\n',
  '\nleading',
  'ümlaut',
  'emoji 🚀',
  'ctl\u0007',
  'del\u007f',
  'kuma.io/service',
  'app.kubernetes.io/name',
  'grpcs://us.mesh.sync.konghq.com:443',
  'http://x:8080/a?b=c&d',
  'captains-log_my-services_svc_5000',
  'SkipDryRunOnMissingResource=true',
  'cluster.local/ns/shop/sa/frontend',
  '5xx,connect-failure',
  '25%',
  '100m',
  '512Mi',
  '/var/lib/pgsql/data',
  "psql -c 'SELECT 1'",
  'x-mock',
];

const key = fc.oneof(
  fc.constantFrom(...TRICKY.filter((t) => t !== '')),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec', 'name'),
);
const leafValue = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.integer(),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
);
const tree = fc.letrec<{ value: unknown; map: Record<string, unknown>; list: unknown[] }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafValue, tie('map'), tie('list')),
  map: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  list: fc.array(tie('value'), { maxLength: 4 }),
})).map;

test("emits exactly what the yaml package emits with cdk8s's options, for any document", () => {
  fc.assert(
    fc.property(tree, (doc) => {
      expect(emitDocument(doc)).toBe(YAML.stringify(doc, { keepUndefined: true, lineWidth: 0, version: '1.1' }));
    }),
    { numRuns: 3000, seed: 42 },
  );
});

test("emits a stream exactly like cdk8s's Yaml.stringify and knows where each document starts", () => {
  fc.assert(
    fc.property(fc.array(tree, { minLength: 1, maxLength: 5 }), (docs) => {
      const { text, startLines } = emitDocuments(docs);
      expect(text).toBe(Yaml.stringify(...docs));
      const lines = text.split('\n');
      startLines.forEach((line, i) => {
        // Every document but the first starts right after its separator.
        expect(i === 0 ? line : lines[line - 2]).toBe(i === 0 ? 1 : '---');
      });
    }),
    { numRuns: 500, seed: 7 },
  );
});

test('writes the plain data of manifests itself, and hands what it cannot render exactly to the yaml package', () => {
  // GIVEN a typical object, and one holding a multi-line string (a ConfigMap with a JSON file)
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'a' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', args: ['--noParse', 'yes'], ports: [] }] } } },
  };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', data: { 'imposters.json': '{\n  "imposters": []\n}\n' } };
  const before = { ...emitStats };
  // WHEN
  const typical = emitDocument(deployment);
  const afterTypical = { ...emitStats };
  const multiLine = emitDocument(configMap);
  // THEN
  expect(afterTypical).toEqual({ direct: before.direct + 1, delegated: before.delegated });
  expect(emitStats).toEqual({ direct: before.direct + 1, delegated: before.delegated + 1 });
  expect(typical).toBe(
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: a',
      '  labels:',
      '    app.kubernetes.io/name: a',
      'spec:',
      '  replicas: 1',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: a',
      '          args:',
      '            - --noParse',
      '            - "yes"',
      '          ports: []',
      '',
    ].join('\n'),
  );
  expect(multiLine).toBe(YAML.stringify(configMap, { keepUndefined: true, lineWidth: 0, version: '1.1' }));
  expect(multiLine).toContain('imposters.json: |\n');
});
