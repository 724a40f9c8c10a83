import * as fs from 'fs';
import * as path from 'path';
import { secretReferences } from '../../src/pipeline/routing/secret-references';
import { removeTempDirs } from '../util';
import { renderedDist } from '../rendered-dist';

afterAll(removeTempDirs);

// The Secrets an environment's rendered objects read by name, listed in ROUTING.md as what must
// exist before Argo CD syncs: kubelet refuses to start a container whose secretKeyRef names a
// missing Secret (CreateContainerConfigError) unless the reference is optional.

const pod = (spec: object) => ({ kind: 'Deployment', metadata: { name: 'orders', namespace: 'shop' }, spec: { template: { spec } } });

test('lists env, envFrom, volume and image-pull Secrets of workloads, and Secret names in Helm values, per Argo CD Application', () => {
  // GIVEN
  const objects = [
    {
      file: 'lab/zone-real/orders.k8s.yaml',
      object: pod({
        containers: [
          {
            env: [
              { name: 'A', valueFrom: { secretKeyRef: { name: 'orders-db', key: 'password' } } },
              { name: 'B', valueFrom: { secretKeyRef: { name: 'maybe', key: 'x', optional: true } } },
            ],
            envFrom: [{ secretRef: { name: 'orders-env' } }],
          },
        ],
        volumes: [
          { name: 'tls', secret: { secretName: 'orders-tls' } },
          { name: 'own', secret: { secretName: 'rendered' } },
        ],
        imagePullSecrets: [{ name: 'registry' }],
      }),
    },
    { file: 'lab/zone-real/secret.k8s.yaml', object: { kind: 'Secret', metadata: { name: 'rendered', namespace: 'shop' } } },
    {
      file: 'argocd/lab.k8s.yaml',
      object: {
        kind: 'Application',
        metadata: { name: 'lab-real-control-plane' },
        spec: {
          destination: { namespace: 'kong-mesh-system' },
          source: {
            helm: {
              values:
                'kuma:\n  controlPlane:\n    secrets:\n      - { Env: T, Secret: cp-token, Key: token }\n    tls:\n      kdsZoneClient:\n        secretName: kds-ca\n',
            },
          },
        },
      },
    },
  ];
  // WHEN
  const refs = secretReferences('lab', objects);
  // THEN the optional reference and the Secret rendered beside it are left out
  expect(refs.map((r) => `${r.application} ${r.namespace}/${r.name} <- ${r.readBy.join(', ')}`)).toEqual([
    'lab-real-control-plane kong-mesh-system/cp-token <- Helm values of lab-real-control-plane',
    'lab-real-control-plane kong-mesh-system/kds-ca <- Helm values of lab-real-control-plane',
    'lab-zone-real shop/orders-db <- Deployment shop/orders',
    'lab-zone-real shop/orders-env <- Deployment shop/orders',
    'lab-zone-real shop/orders-tls <- Deployment shop/orders',
    'lab-zone-real shop/registry <- Deployment shop/orders',
  ]);
});

test("the coolstore ROUTING.md lists the database Secrets the demo's pods read, with the Application that syncs them", () => {
  const text = fs.readFileSync(path.join(renderedDist(), 'coolstore', 'ROUTING.md'), 'utf8');
  const start = text.indexOf('## Secrets that must exist in the cluster before sync');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end < 0 ? undefined : end);
  expect(section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Secret'))).toEqual([
    '| catalog-database | coolstore-catalog | coolstore-workloads | Deployment coolstore-catalog/catalog, Deployment coolstore-catalog/catalog-database |',
    '| inventory-database | coolstore-inventory | coolstore-workloads | Deployment coolstore-inventory/inventory, Deployment coolstore-inventory/inventory-database |',
  ]);
});
