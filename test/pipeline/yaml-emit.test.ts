import { Yaml } from 'cdk8s';
import fc from 'fast-check';
import * as YAML from 'yaml';
import { emitDocument, emitDocuments, emitStats } from '../../src/pipeline/synth/yaml-emit';
import { readYamlDocuments } from '../../src/pipeline/dist/fast-yaml';
import { TRICKY_SCALARS } from './yaml-scalars';

/**
 * Lines of multi-line strings (files in ConfigMaps, scripts in probes, Helm values): indented,
 * blank, whitespace-only, quoted, commented, document markers, tabs, trailing spaces, non-ASCII and
 * control characters, which decide yaml's block header (`|`, `|-`, `|+`, `|2`) or its quoting.
 */
const LINES = [
  '',
  ' ',
  '  ',
  '\t',
  ' \t',
  'a',
  '  indented',
  '{',
  '  "port": 8080,',
  '}',
  '# comment',
  'a # b',
  'key: value',
  '- item',
  '---',
  '...',
  '%YAML 1.1',
  "it's",
  'say "hi"',
  'back\\slash',
  'tab\there',
  'trail ',
  'trail\t',
  'ümlaut 🚀',
  'ctl\u0007',
  'cr\r',
  'nel\u0085',
  '|',
  '>',
];
const multiLine = fc
  .array(fc.oneof(fc.constantFrom(...LINES), fc.string({ maxLength: 6 })), { minLength: 2, maxLength: 7 })
  .map((lines) => lines.join('\n'));

const key = fc.oneof(
  fc.constantFrom(...TRICKY_SCALARS.filter((t) => t !== '')),
  fc.constant('k'.repeat(1025)),
  fc.string({ minLength: 1, maxLength: 12 }),
  fc.constantFrom('apiVersion', 'kind', 'metadata', 'spec', 'name'),
);
const leafValue = fc.oneof(
  fc.constantFrom(...TRICKY_SCALARS),
  multiLine,
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

test('what it writes itself holds exactly what JSON holds of the documents, as validate reads it', () => {
  fc.assert(
    fc.property(fc.array(tree, { minLength: 1, maxLength: 4 }), (docs) => {
      const { text, direct } = emitDocuments(docs);
      if (direct) {
        expect(readYamlDocuments(text).documents).toStrictEqual(JSON.parse(JSON.stringify(docs)));
      }
    }),
    { numRuns: 1000, seed: 11 },
  );
});

test.each<[string, unknown, boolean]>([
  ['a manifest', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1', b: 'x: y' }, list: [1, 2.5, true, null, 'z'] }, true],
  ['a map without a prototype', Object.assign(Object.create(null) as object, { kind: 'ConfigMap' }), true],
  ['a symbol key', { kind: 'ConfigMap', [Symbol('s')]: 'hidden' }, true],
  ['a __proto__ key', JSON.parse('{"kind": "ConfigMap", "__proto__": {"a": 1}}'), false],
  ['-0', { spec: { weight: -0 } }, false],
  ['an undefined value', { spec: { weight: undefined } }, false],
  // eslint-disable-next-line no-sparse-arrays -- the hole is what is tested
  ['a hole in a list', { spec: { ports: [80, , 443] } }, false],
  ['a date', { spec: { at: new Date(0) } }, false],
])('says whether a document with %s is written directly, and what it writes so is what JSON holds', (_, doc, direct) => {
  const emitted = emitDocuments([doc]);
  expect(emitted.direct).toBe(direct);
  if (direct) {
    expect(readYamlDocuments(emitted.text).documents).toStrictEqual(JSON.parse(JSON.stringify([doc])));
  }
});

test('writes multi-line strings exactly as yaml does under keys and dashes at any depth, and itself unless yaml quotes them', () => {
  fc.assert(
    fc.property(multiLine, fc.integer({ min: 0, max: 3 }), (text, depth) => {
      // GIVEN the string as a map value and as a sequence item, nested `depth` levels down
      let inner: unknown = { data: { file: text }, items: [text, { script: text }, 'x'] };
      for (let i = 0; i < depth; i++) {
        inner = i % 2 === 0 ? { spec: inner } : [inner];
      }
      const doc = { kind: 'ConfigMap', nested: inner };
      const before = emitStats.direct;
      // WHEN
      const emitted = emitDocument(doc);
      // THEN
      expect(emitted).toBe(YAML.stringify(doc, { keepUndefined: true, lineWidth: 0, version: '1.1' }));
      // eslint-disable-next-line no-control-regex -- control characters are what yaml quotes
      const quotedByYaml = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(text) || /\n[\t ]+$/.test(text);
      expect(emitStats.direct - before).toBe(quotedByYaml ? 0 : 1);
    }),
    { numRuns: 3000, seed: 18 },
  );
});

test('writes the plain data of manifests and the files and scripts in them itself, and hands what it cannot render exactly to the yaml package', () => {
  // GIVEN a typical object, one holding a multi-line string (a ConfigMap with a JSON file), and one whose file has a carriage return
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'a', labels: { 'app.kubernetes.io/name': 'a' } },
    spec: { replicas: 1, template: { spec: { containers: [{ name: 'a', args: ['--noParse', 'yes'], ports: [] }] } } },
  };
  const configMap = { apiVersion: 'v1', kind: 'ConfigMap', data: { 'imposters.json': '{\n  "imposters": []\n}\n', 'probe.js': ' a\n\nb' } };
  const windows = { apiVersion: 'v1', kind: 'ConfigMap', data: { 'imposters.json': '{\r\n}\r\n' } };
  const before = { ...emitStats };
  // WHEN
  const typical = emitDocument(deployment);
  const multiLine = emitDocument(configMap);
  const afterDirect = { ...emitStats };
  const crlf = emitDocument(windows);
  // THEN
  expect(afterDirect).toEqual({ direct: before.direct + 2, delegated: before.delegated });
  expect(emitStats).toEqual({ direct: before.direct + 2, delegated: before.delegated + 1 });
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
  expect(multiLine).toBe(
    [
      'apiVersion: v1',
      'kind: ConfigMap',
      'data:',
      '  imposters.json: |',
      '    {',
      '      "imposters": []',
      '    }',
      '  probe.js: |2-',
      '     a',
      '',
      '    b',
      '',
    ].join('\n'),
  );
  expect(crlf).toBe(YAML.stringify(windows, { keepUndefined: true, lineWidth: 0, version: '1.1' }));
  expect(crlf).toContain('imposters.json: "{\\r\\n}\\r\\n"\n');
});
