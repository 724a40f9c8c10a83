import { ApiObject, App, Chart, JsonPatch, Lazy } from 'cdk8s';
import fc from 'fast-check';
import { ArgoCdDelivery } from '../../src/constructs/argocd-delivery';
import { constructId } from '../../src/constructs/construct-id';
import { MeshEnvironment } from '../../src/constructs/mesh-environment';
import { PlainApiObject } from '../../src/imports/plain-api-object';
import { loadProject } from '../../src/model/load';
import { REPO } from '../util';

// meshflip's own ApiObjects (Kuma, Istio, Argo CD, OLM, OpenShift Service Mesh 3) render plain data
// in one pass instead of through cdk8s's resolve and sanitize: the result must be exactly what
// ApiObject.toJson() gives, key order included, for every object meshflip renders and any props.

afterEach(() => jest.restoreAllMocks());

/** What cdk8s's own ApiObject.toJson() gives, or the error it throws. */
function cdk8sRendering(object: ApiObject): unknown {
  try {
    return { json: JSON.stringify(ApiObject.prototype.toJson.call(object)), value: ApiObject.prototype.toJson.call(object) as unknown };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

function rendering(object: ApiObject): unknown {
  try {
    return { json: JSON.stringify(object.toJson()), value: object.toJson() as unknown };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

test("renders every object of the examples exactly as cdk8s does, without cdk8s's resolve", () => {
  // GIVEN every environment of the examples built, with its Argo CD objects
  const project = loadProject(REPO);
  const objects: PlainApiObject[] = [];
  for (const env of project.environments) {
    const app = new App();
    const environment = new MeshEnvironment(app, constructId('Environment', env.name), { env });
    new ArgoCdDelivery(app, `${env.name}-argocd`, { environment, settings: project.settings });
    // Not `instanceof`: ApiObject answers it for every ApiObject (its Symbol.hasInstance), cdk8s-plus's included.
    objects.push(...app.node.findAll().filter((c): c is PlainApiObject => Object.prototype.isPrototypeOf.call(PlainApiObject.prototype, c)));
  }
  const expected = objects.map(cdk8sRendering);
  const throughCdk8s = jest.spyOn(ApiObject.prototype, 'toJson');
  // WHEN
  const rendered = objects.map(rendering);
  // THEN the same objects, byte for byte, none of them through ApiObject.toJson
  expect(objects.length).toBeGreaterThan(100);
  expect(new Set(objects.map((o) => o.kind)).size).toBeGreaterThan(15);
  expect(rendered).toStrictEqual(expected);
  expect(throughCdk8s).not.toHaveBeenCalled();
});

/** A map that holds itself. */
const cycle: Record<string, unknown> = { a: 1 };
cycle.self = cycle;

/** Values a resolver or sanitizeValue treats otherwise than plain data, beside plain ones. */
const odd = fc.constantFrom<unknown>(
  Lazy.any({ produce: () => ({ b: 1, a: [null, 'x'] }) }),
  { resolve: () => 'resolved' },
  { value: 8080, constructor: 'not Object' },
  Object.assign(Object.create(null) as object, { a: 1 }),
  JSON.parse('{"__proto__": {"a": 1}}'),
  new Date(0),
  // eslint-disable-next-line no-sparse-arrays -- a hole is what is tested
  [1, , 2],
  () => 'function',
  Symbol('s'),
);
const key = fc.oneof(
  fc.constantFrom('b', 'a', '10', '2', 'apiVersion', 'metadata', 'kind', 'spec', 'resolve', 'value', 'constructor'),
  fc.string({ maxLength: 6 }),
);
const leaf = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
);
const tree = (withOdd: boolean) =>
  fc.letrec<{ value: unknown; map: Record<string, unknown>; list: unknown[] }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, ...(withOdd ? [leaf, odd] : [leaf]), tie('map'), tie('list')),
    map: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    list: fc.array(tie('value'), { maxLength: 4 }),
  })).map;

test.each([
  ['plain data', false],
  ['anything cdk8s resolves or refuses', true],
])('renders props of %s exactly as cdk8s does, or fails as it does', (_, withOdd) => {
  fc.assert(
    fc.property(tree(withOdd), tree(withOdd), fc.boolean(), (spec, metadata, patch) => {
      // GIVEN an object with these props, and a JSON patch or not
      const chart = new Chart(new App(), 'chart', { labels: { team: 'a' } });
      const object = new PlainApiObject(chart, 'object', { ...spec, apiVersion: 'v1', kind: 'Thing', metadata: { name: 'thing', ...metadata } });
      if (patch) {
        object.addJsonPatch(JsonPatch.add('/added', 'by a patch'));
      }
      // THEN
      expect(rendering(object)).toStrictEqual(cdk8sRendering(object));
    }),
    { numRuns: 1500, seed: 29 },
  );
});

test('fails as cdk8s does on props that hold themselves', () => {
  // GIVEN
  const object = new PlainApiObject(new Chart(new App(), 'chart'), 'object', { apiVersion: 'v1', kind: 'Thing', spec: cycle });
  // THEN
  expect(rendering(object)).toStrictEqual(cdk8sRendering(object));
  expect(rendering(object)).toEqual({ error: expect.stringContaining("Failed serializing construct at path 'chart/object'") as unknown });
});
