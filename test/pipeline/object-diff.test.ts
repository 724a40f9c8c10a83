import { stringify } from 'yaml';
import { diffObjects } from '../../src/pipeline/changes/object-diff';
import { removeTempDirs, tempDir, writeFiles } from '../util';

// diffObjects compares dist/ at a base (a folder) with a fresh rendering (files in memory).

afterAll(removeTempDirs);

const yaml = (...docs: object[]) => docs.map((d) => stringify(d)).join('---\n');

function app(version: string, values: string) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'env-zone-control-plane', namespace: 'argocd' },
    spec: { source: { chart: 'kong-mesh', targetRevision: version, helm: { values } } },
  };
}
function workloadsApp(prune = true) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'env-workloads', namespace: 'argocd' },
    spec: { source: { path: 'dist/env/zone' }, syncPolicy: { automated: { prune, selfHeal: true } } },
  };
}
function deployment(containers: object[], replicas = 1) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'ns' },
    spec: { replicas, template: { spec: { containers } } },
  };
}
function route(weight: number) {
  return { apiVersion: 'kuma.io/v1alpha1', kind: 'MeshHTTPRoute', metadata: { name: 'api-route', namespace: 'ns' }, spec: { weight } };
}

test('names chart versions, Helm values, images and replicas, finds the Application of each folder, and leaves routing fields to the routing summary', () => {
  // GIVEN
  const base = tempDir();
  writeFiles(base, {
    'argocd/env.k8s.yaml': yaml(app('2.14.2', 'kuma:\n  ingress:\n    enabled: true\n'), workloadsApp()),
    'env/zone/api.k8s.yaml': yaml(
      deployment([
        { name: 'api', image: 'api:1' },
        { name: 'sidecar', image: 'side:1' },
      ]),
      route(0),
    ),
    'env/zone/old.k8s.yaml': yaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old', namespace: 'ns' } }),
  });
  // WHEN the containers are reordered (no change), one image and the replicas change, the route's weight changes
  const head = [
    { path: 'argocd/env.k8s.yaml', content: yaml(app('2.14.3', 'kuma:\n  ingress:\n    enabled: false\n'), workloadsApp()) },
    {
      path: 'env/zone/api.k8s.yaml',
      content: yaml(
        deployment(
          [
            { name: 'sidecar', image: 'side:1' },
            { name: 'api', image: 'api:2' },
          ],
          3,
        ),
        route(100),
      ),
    },
    { path: 'env/zone/new.k8s.yaml', content: yaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new', namespace: 'ns' } }) },
  ];
  const changes = diffObjects(base, head, 'dist');
  // THEN
  expect(Object.fromEntries(changes)).toEqual({
    env: [
      {
        application: 'env-workloads',
        added: ['ConfigMap ns/new'],
        removed: ['ConfigMap ns/old'],
        changed: [{ object: 'Deployment ns/api', lines: ['replicas: 1 -> 3', 'image of api: api:1 -> api:2'] }],
      },
      {
        application: 'env-zone-control-plane',
        added: [],
        removed: [],
        changed: [
          {
            object: 'Application argocd/env-zone-control-plane',
            lines: ['Helm value kuma.ingress.enabled: true -> false', 'chart kong-mesh version: 2.14.2 -> 2.14.3'],
          },
        ],
      },
    ],
  });
});

test('files identical at the base and in the rendering are no change', () => {
  const base = tempDir();
  const content = yaml(deployment([{ name: 'api', image: 'api:1' }]));
  writeFiles(base, { 'env/zone/api.k8s.yaml': content });
  expect(diffObjects(base, [{ path: 'env/zone/api.k8s.yaml', content }], 'dist').size).toBe(0);
});

// gitops-engine pkg/sync/sync_context.go (pruneObject): an object no longer in Git is pruned only by
// a sync that prunes ("ignored (requires pruning)"), an automated one only with
// syncPolicy.automated.prune true, and never when its live copy says Prune=false ("ignored (no prune)").
test('says which removed objects Argo CD leaves running: all of an Application that does not prune, and those that say Prune=false', () => {
  // GIVEN
  const configMap = (name: string, annotations: object = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', annotations },
  });
  const base = tempDir();
  writeFiles(base, {
    'argocd/env.k8s.yaml': yaml(workloadsApp()),
    'env/zone/old.k8s.yaml': yaml(configMap('old'), configMap('kept', { 'argocd.argoproj.io/sync-options': 'Delete=false, Prune=false' })),
  });
  const run = (prune: boolean | undefined) =>
    diffObjects(
      base,
      [
        ...(prune === undefined ? [] : [{ path: 'argocd/env.k8s.yaml', content: yaml(workloadsApp(prune)) }]),
        { path: 'env/zone/other.k8s.yaml', content: yaml(configMap('other')) },
      ],
      'dist',
    )
      .get('env')!
      .find((a) => a.application === 'env-workloads')!.leftRunning;
  // WHEN the Application prunes, does not prune, or is itself removed (then the root prunes it with its objects)
  const pruning = run(true);
  const notPruning = run(false);
  const removed = run(undefined);
  // THEN
  const kept = { object: 'ConfigMap ns/kept', by: 'annotation', remove: 'kubectl delete configmap -n ns kept' };
  expect(pruning).toEqual([kept]);
  expect(notPruning).toEqual([kept, { object: 'ConfigMap ns/old', by: 'application', remove: 'argocd app sync env-workloads --prune' }]);
  expect(removed).toEqual([kept]);
});
