import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { SchemaStore } from '../../src/validation';
import { SchemaLoadError } from '../../src/validation/schema-store';
import { removeTempDirs, tempDir } from '../util';
import { widgetCrd } from './schema-fixtures';

/**
 * The forms people export their clusters' schemas in, each read from small hand-made files: what
 * `kubectl get crd -o yaml|json` prints (a `List` of CRDs), a CRD alone, the aggregated OpenAPI v2
 * document (`kubectl get --raw /openapi/v2`, which holds the CRDs' kinds too) and OpenAPI v3
 * documents (`kubectl get --raw /openapi/v3/apis/<group>/<version>`, one per group-version).
 */

afterAll(() => removeTempDirs());

const OBJECT_META = {
  type: 'object',
  properties: { name: { type: 'string' }, namespace: { type: 'string' }, labels: { type: 'object', additionalProperties: { type: 'string' } } },
};

/** A swagger definition of apps/v1 Deployment with a spec of one field, `replicas`. */
function deploymentDefinition(ref: (name: string) => string): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { $ref: ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') },
      spec: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } },
    },
    'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
  };
}

const widget = (spec: Record<string, unknown>) => ({ apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'lab' }, spec });
const deployment = (spec: Record<string, unknown>, metadata: Record<string, unknown> = { name: 'd', namespace: 'lab' }) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata,
  spec,
});

/** Writes `files` (relative path -> text) to a new folder; returns it. */
function folder(files: Record<string, string>): string {
  const dir = tempDir('meshflip-schemas-');
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const messages = (store: SchemaStore, object: unknown) => store.validate(object).map((i) => `${i.severity} ${i.path}: ${i.message}`);

describe('CustomResourceDefinitions', () => {
  test.each([
    [
      'kubectl get crd -o yaml (a List)',
      'crds.yaml',
      stringify({ apiVersion: 'v1', kind: 'List', items: [widgetCrd({ size: { type: 'integer' } })], metadata: { resourceVersion: '' } }),
    ],
    [
      'kubectl get crd -o json (a List)',
      'crds.json',
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [widgetCrd({ size: { type: 'integer' } })] }),
    ],
    ['one CRD in JSON', 'widget.json', JSON.stringify(widgetCrd({ size: { type: 'integer' } }))],
    ['one CRD in YAML', 'widget.yml', stringify(widgetCrd({ size: { type: 'integer' } }))],
  ])('reads %s', (_title, file, text) => {
    // GIVEN
    const store = SchemaStore.load([folder({ [file]: text })]);
    // WHEN
    const good = messages(store, widget({ size: 3 }));
    const bad = messages(store, widget({ size: 'big', colour: 'red' }));
    // THEN
    expect(store.listKinds()).toEqual(['example.io/v1 Widget']);
    expect(good).toEqual([]);
    expect(bad).toEqual(['error spec.size: must be an integer, got "big"', 'error spec.colour: unknown field, got "colour"']);
  });

  test('fails at the second file when two CRDs of one set define the same kind', () => {
    // GIVEN
    const dir = folder({ 'a.yaml': stringify(widgetCrd({})), 'b.yaml': stringify(widgetCrd({})) });
    // WHEN
    let thrown: unknown;
    try {
      SchemaStore.load([dir]);
    } catch (e) {
      thrown = e;
    }
    // THEN
    expect(thrown).toBeInstanceOf(SchemaLoadError);
    expect((thrown as SchemaLoadError).message).toBe(
      `${path.join(dir, 'b.yaml')}: example.io/v1 Widget is defined twice: here and in ${path.join(dir, 'a.yaml')}`,
    );
  });

  test('takes the kinds of an override set over the common ones, without a duplicate', () => {
    // GIVEN
    const common = folder({ 'widget.yaml': stringify(widgetCrd({ size: { type: 'integer' } })) });
    const cluster = folder({ 'crds.yaml': stringify({ apiVersion: 'v1', kind: 'List', items: [widgetCrd({ size: { type: 'string' } })] }) });
    // WHEN
    const store = SchemaStore.load([common], { overrides: [cluster] });
    // THEN
    expect(messages(store, widget({ size: 'big' }))).toEqual([]);
    expect(messages(store, widget({ size: 3 }))).toEqual(['error spec.size: must be a string, got 3']);
  });
});

describe('OpenAPI documents of the API server', () => {
  const v2Ref = (name: string) => `#/definitions/${name}`;
  const v3Ref = (name: string) => `#/components/schemas/${name}`;
  const swagger = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      swagger: '2.0',
      info: { title: 'Kubernetes', version: 'v1.30.0' },
      paths: {},
      definitions: {
        'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': OBJECT_META,
        'io.k8s.api.apps.v1.Deployment': deploymentDefinition(v2Ref),
        ...extra,
      },
    });

  test('reads the OpenAPI v2 swagger.json, metadata included', () => {
    // GIVEN
    const store = SchemaStore.load([folder({ 'kubernetes/swagger.json': swagger() })]);
    // WHEN
    const bad = messages(store, deployment({ replicas: 'two', paused: true }, { name: 'd', namespace: 'lab', owner: 'me' }));
    // THEN
    expect(store.listKinds()).toEqual(['apps/v1 Deployment']);
    expect(messages(store, deployment({ replicas: 2 }))).toEqual([]);
    expect(bad).toEqual([
      'error metadata.owner: unknown field, got "owner"',
      'error spec.replicas: must be an integer, got "two"',
      'error spec.paused: unknown field, got "paused"',
    ]);
  });

  test('reads OpenAPI v3 documents, one per group-version, where the same kind appears in several', () => {
    // GIVEN an apps/v1 document and a second one that references the same kind (as autoscaling's Scale is shared)
    const v3 = (title: string) =>
      JSON.stringify({
        openapi: '3.0.0',
        info: { title, version: 'v1.30.0' },
        paths: {},
        components: {
          schemas: {
            'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': OBJECT_META,
            // v3 wraps a reference that carries a default or a description in allOf
            'io.k8s.api.apps.v1.Deployment': {
              ...deploymentDefinition(v3Ref),
              properties: {
                ...(deploymentDefinition(v3Ref).properties as object),
                metadata: { allOf: [{ $ref: v3Ref('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta') }], default: {} },
              },
            },
          },
        },
      });
    const dir = folder({ 'openapi-v3/apis__apps__v1.json': v3('apps/v1'), 'openapi-v3/apis__other__v1.json': v3('other/v1') });
    // WHEN
    const store = SchemaStore.load([dir]);
    // THEN
    expect(store.listKinds()).toEqual(['apps/v1 Deployment']);
    expect(messages(store, deployment({ replicas: 2 }))).toEqual([]);
    expect(messages(store, deployment({ replicas: 2 }, { name: 'd', namespace: 'lab', owner: 'me' }))).toEqual([
      'error metadata.owner: unknown field, got "owner"',
    ]);
  });

  test('takes a CRD over the form of its kind the aggregated swagger.json holds', () => {
    // GIVEN the swagger document lists Widget (open, as the API server publishes a CRD) and the CRD closes it
    const openWidget = { type: 'object', 'x-kubernetes-group-version-kind': [{ group: 'example.io', kind: 'Widget', version: 'v1' }] };
    const dir = folder({
      'swagger.json': swagger({ 'io.example.v1.Widget': openWidget }),
      'crds.yaml': stringify({ apiVersion: 'v1', kind: 'List', items: [widgetCrd({ size: { type: 'integer' } })] }),
    });
    // WHEN
    const store = SchemaStore.load([dir]);
    // THEN
    expect(store.listKinds()).toEqual(['apps/v1 Deployment', 'example.io/v1 Widget']);
    expect(messages(store, widget({ colour: 'red' }))).toEqual(['error spec.colour: unknown field, got "colour"']);
  });

  test('fails on a file named on its own that holds no schema', () => {
    // GIVEN
    const dir = folder({ 'notes.json': '{"hello": "world"}' });
    // THEN
    expect(() => SchemaStore.load([path.join(dir, 'notes.json')])).toThrow(
      `${path.join(dir, 'notes.json')}: cannot load schemas: it holds no CustomResourceDefinition, OpenAPI document or legacy-spec-schemas/<Kind>.json schema`,
    );
  });
});
