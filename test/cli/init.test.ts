import * as fs from 'fs';
import * as path from 'path';
import { environmentText } from '../../src/pipeline/changes/init-environment';
import { at, fixtureRepo } from '../model/fixtures';
import { removeTempDirs, snapshotTree } from '../util';
import { lines, meshflipAsync } from './cli-util';

// `meshflip init` writes a new environment file that synthesizes as it is: each test runs synth
// on what it wrote.

afterAll(() => removeTempDirs());

const read = (root: string, file: string) => fs.readFileSync(path.join(root, file), 'utf8');

test('starts a Kong Mesh environment with zones and a self-hosted global control plane, which synthesizes as it is', async () => {
  // GIVEN a repository whose clusters lab-real and lab-mocks are free
  const root = fixtureRepo({ 'environments/lab.yaml': null });
  // WHEN
  const init = await meshflipAsync(root, ['init', 'shop', '--flavor', 'kong-mesh', '--zones', 'real=lab-real', '--global', 'lab-mocks']);
  const synth = await meshflipAsync(root, ['synth', 'shop']);
  // THEN
  expect([init.status, lines(init.stdout), init.stderr]).toEqual([
    0,
    ['created environments/shop.yaml (kong-mesh 2.14.3, 2 services of shop)', 'next: npx meshflip synth shop'],
    '',
  ]);
  const text = read(root, 'environments/shop.yaml');
  expect(
    text
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('#'))
      .map((l) => l.replace(/\s+#.*$/, '')),
  ).toEqual([
    'name: shop',
    'description: kong-mesh 2.14.3 with the services of shop',
    'catalog: [shop]',
    'mesh:',
    '  flavor: kong-mesh',
    '  version: 2.14.3',
    '  global:',
    '    selfHosted:',
    '      cluster: lab-mocks',
    '      kdsAddress: grpcs://kds.lab-mocks.example.com:5685',
    '  kdsSkipVerify: true',
    '  zones:',
    '    - name: real',
    '      cluster: lab-real',
    'services:',
    '  orders:',
    '  payments:',
    '',
  ]);
  expect(synth.status).toBe(0);
  expect(fs.existsSync(path.join(root, 'dist', 'shop', 'zone-real', 'orders.k8s.yaml'))).toBe(true);
}, 120_000);

test('starts an OpenShift Service Mesh environment in one cluster with the services a chosen one calls', async () => {
  // GIVEN
  const root = fixtureRepo();
  // WHEN orders is asked for, and it calls payments
  const init = await meshflipAsync(root, ['init', 'ocp', '--flavor', 'openshift-service-mesh', '--cluster', 'ocp-lab', '--services', 'orders']);
  const synth = await meshflipAsync(root, ['synth', 'ocp']);
  // THEN
  expect([init.status, lines(init.stdout)]).toEqual([
    0,
    ['created environments/ocp.yaml (openshift-service-mesh 2.5, 2 services of shop)', 'next: npx meshflip synth ocp'],
  ]);
  expect(read(root, 'environments/ocp.yaml')).toContain('mesh:\n  flavor: openshift-service-mesh\n  version: "2.5"\n  cluster: ocp-lab');
  expect(synth.status).toBe(0);
  expect(fs.readdirSync(path.join(root, 'dist', 'ocp')).sort()).toEqual(['INPUTS.sha256', 'ROUTING.md', 'control-plane', 'operators', 'workloads']);
}, 120_000);

test('refuses to replace a file, and keeps no file the project does not load with', async () => {
  // GIVEN lab runs its zones in lab-real and lab-mocks
  const root = fixtureRepo();
  const before = snapshotTree(root);
  // WHEN
  const exists = await meshflipAsync(root, ['init', 'lab', '--flavor', 'kuma', '--zones', 'z=ocp-lab', '--global', 'hub']);
  const clash = await meshflipAsync(root, ['init', 'lab2', '--flavor', 'kong-mesh', '--zones', 'z=lab-real', '--global', 'ocp-lab']);
  const written = environmentText({
    name: 'lab2',
    flavor: 'kong-mesh',
    version: '2.14.3',
    catalog: 'shop',
    services: ['orders', 'payments'],
    zones: [{ name: 'z', cluster: 'lab-real' }],
    global: 'ocp-lab',
  });
  const noCluster = await meshflipAsync(root, ['init', 'lab3', '--flavor', 'istio', '--cluster', 'nowhere']);
  // THEN
  expect([exists.status, lines(exists.stderr)]).toEqual([
    1,
    ['error: environments/lab.yaml exists already; meshflip init never replaces a file', 'hint: choose another name, or edit the file'],
  ]);
  expect(clash.status).toBe(1);
  expect(lines(clash.stderr)).toEqual([
    `error: environments/lab2.yaml:${at(written, 'cluster: lab-real')}: mesh.zones[0].cluster: deploys into namespace kong-mesh-system of cluster lab-real, which environment lab already uses; ` +
      'give each environment its own namespaces or clusters, so their Argo CD Applications do not fight',
    '1 problem found; nothing was written.',
  ]);
  expect([noCluster.status, lines(noCluster.stderr)]).toEqual([
    1,
    ['error: --cluster: no cluster "nowhere" in environments/meshflip.yaml', 'hint: clusters: hub, lab-mocks, lab-real, ocp-lab'],
  ]);
  expect(snapshotTree(root)).toEqual(before);
}, 120_000);
