import * as fs from 'fs';
import * as path from 'path';
import { copyRepo, removeTempDirs, snapshotTree } from '../util';
import { lines, meshflipAsync } from './cli-util';

// environments/crds/<cluster>/ holds the schemas of one cluster of environments/meshflip.yaml
// `clusters:`; each object of dist/ is checked against the schemas of the cluster its Argo CD
// Application syncs it to (spec.destination.server, spec.source.path), over the folders common to
// every cluster. Here two clusters publish different schemas of the same kind.

afterAll(() => removeTempDirs());

const OBJECT_META = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
  },
};

/** A swagger.json whose apps/v1 Deployment has the given spec schema. */
function swagger(spec: Record<string, unknown>): string {
  return JSON.stringify({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.30.0' },
    definitions: {
      'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': OBJECT_META,
      'io.k8s.api.apps.v1.Deployment': {
        type: 'object',
        properties: {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
          spec,
        },
        'x-kubernetes-group-version-kind': [{ group: 'apps', kind: 'Deployment', version: 'v1' }],
      },
    },
  });
}

function repoWith(files: Record<string, string>): string {
  const repo = copyRepo(['environments', 'dist']);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.writeFileSync(path.join(repo, file), text);
  }
  return repo;
}

test('checks each environment against the schemas of the cluster it targets, one folder per cluster', async () => {
  // GIVEN kong-real-services allows only replicas in a Deployment's spec, kong-mock-services anything
  const repo = repoWith({
    'environments/crds/kong-real-services/swagger.json': swagger({ type: 'object', properties: { replicas: { type: 'integer' } } }),
    'environments/crds/kong-mock-services/swagger.json': swagger({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true }),
  });
  // WHEN
  const { status, stderr } = await meshflipAsync(repo, ['validate']);
  // THEN only the Deployments synced to kong-real-services break its schema
  const errors = lines(stderr).filter((l) => l.startsWith('error: ') && l.includes(': Deployment ') && l.includes(': spec.'));
  const files = [...new Set(errors.map((l) => l.slice('error: '.length).split(':')[0]))];
  expect(status).toBe(1);
  expect(files).toEqual([
    'dist/kong-real/zone-real-services/captains-log.k8s.yaml',
    'dist/kong-real/zone-real-services/crew.k8s.yaml',
    'dist/kong-real/zone-real-services/httpie.k8s.yaml',
    'dist/kong-real/zone-real-services/ship-info.k8s.yaml',
  ]);
  expect(errors[0]).toMatch(
    /^error: dist\/kong-real\/zone-real-services\/captains-log\.k8s\.yaml:\d+:\d+: Deployment my-services\/captains-log: spec\.minReadySeconds: unknown field, got "minReadySeconds"$/,
  );
}, 120_000);

test('reports a schema file that cannot be read at that file, writing nothing', async () => {
  // GIVEN
  const repo = repoWith({ 'environments/crds/kong-global/crds.yaml': 'kind: List\nitems: [\n' });
  const before = snapshotTree(repo);
  // WHEN
  const { status, stderr } = await meshflipAsync(repo, ['validate']);
  // THEN
  expect(status).toBe(1);
  expect(lines(stderr)).toEqual([
    'error: environments/crds/kong-global/crds.yaml:3:1: (file): is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; ' +
      'see environments/crds/README.md for the files and layouts meshflip reads',
    '1 problem found; nothing was written.',
  ]);
  expect(snapshotTree(repo)).toEqual(before);
}, 120_000);
