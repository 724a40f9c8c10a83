import * as path from 'path';
import { loadProject } from '../../src/model/load';
import { environmentReach, reachProblems } from '../../src/model/reach';
import { synthesizeProject } from '../../src/pipeline/parallel-synth';
import { formatProblem } from '../../src/model/spec-error';
import { removeTempDirs } from '../util';
import { at, fixtureRepo, kongEnvironment, lines, ossmEnvironment, problemsOf, SETTINGS } from './fixtures';

/**
 * Protection is about where objects land: environments are compared by the API server and
 * namespace they deploy into and, on Kuma, by the service identity they share in one mesh of one
 * global control plane, never by the names they give their clusters.
 */

const REPO = path.resolve(__dirname, '../..');
const LAB = 'environments/lab.yaml';
const PROD = 'environments/prod.yaml';

afterAll(() => removeTempDirs());

/** The fixture settings with more clusters (name, server). */
function settingsWith(...clusters: [string, string][]): string {
  return SETTINGS + lines(...clusters.flatMap(([name, server]) => [`  ${name}:`, `    server: ${server}`]));
}

/** An OpenShift Service Mesh environment on `cluster` whose services run in namespace shop. */
function ossmOn(name: string, cluster: string, ...extra: string[]): string {
  return ossmEnvironment(name, 'namespace: shop', ...extra).replace('cluster: ocp-lab', `cluster: ${cluster}`);
}

const CP = '48e893dc-6a4e-40fb-a933-d06e92cccce6';
const OTHER_CP = '0f6b2c1e-3d4a-4b5c-8d7e-9f0a1b2c3d4e';

/** A Kong Mesh environment on Konnect control plane `cp`, zone real on `real` and zone mocks on `mocks`, services in namespace shop. */
function kongOn(name: string, cp: string, real: string, mocks: string, ...extra: string[]): string {
  return kongEnvironment(name, 'namespace: shop', ...extra).replace(CP, cp).replace('cluster: lab-real', `cluster: ${real}`).replace('cluster: lab-mocks', `cluster: ${mocks}`);
}

describe('namespaces, by API server', () => {
  test.each([
    ['a trailing slash', 'https://prod.example.com/'],
    ['an upper-case host', 'https://PROD.Example.COM'],
    ['a trailing dot on the host', 'https://prod.example.com.'],
    ['the default port spelled out', 'https://prod.example.com:443'],
    ['all of them together', 'HTTPS://Prod.Example.Com.:443/'],
  ])('fails when an unprotected environment reaches a protected one\'s namespaces through a second name for its API server, written with %s', (_, alias) => {
    // GIVEN
    const settings = settingsWith(['prod', 'https://prod.example.com'], ['prod-alias', alias]);
    const lab = ossmOn('lab', 'prod-alias');
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: ossmOn('prod', 'prod', 'protected: true') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const hint = 'give lab namespaces of its own or another cluster, or make it protected';
    const reach = (namespace: string) => `deploys into namespace ${namespace} of API server https://prod.example.com, where protected environment prod deploys `
      + `(${PROD}, cluster prod): an unprotected environment must not reach a protected environment's namespaces, got cluster prod-alias; ${hint}`;
    expect(problems).toEqual([
      `${LAB}:${at(lab, 'cluster')}: mesh.cluster: ${reach('istio-system')}`,
      `${LAB}:${at(lab, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
    ]);
  });

  test.each([
    ['first', 'alpha', 'zulu'],
    ['second', 'zulu', 'alpha'],
  ])('fails at the unprotected environment when the protected one comes %s in name order', (_, protectedName, unprotectedName) => {
    // GIVEN
    const unprotected = ossmOn(unprotectedName, 'ocp-lab');
    const root = fixtureRepo({
      [LAB]: null,
      [`environments/${protectedName}.yaml`]: ossmOn(protectedName, 'ocp-lab', 'protected: true'),
      [`environments/${unprotectedName}.yaml`]: unprotected,
    });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const file = `environments/${unprotectedName}.yaml`;
    const reach = (namespace: string) => `deploys into namespace ${namespace} of API server https://api.ocp-lab.example.com:6443, where protected environment `
      + `${protectedName} deploys (environments/${protectedName}.yaml, cluster ocp-lab): an unprotected environment must not reach a protected `
      + `environment's namespaces, got cluster ocp-lab; give ${unprotectedName} namespaces of its own or another cluster, or make it protected`;
    expect(problems).toEqual([
      `${file}:${at(unprotected, 'cluster')}: mesh.cluster: ${reach('istio-system')}`,
      `${file}:${at(unprotected, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
    ]);
  });

  test('fails at the later environment in name order when neither is protected, naming both clusters of the one API server', () => {
    // GIVEN
    const settings = settingsWith(['ocp-lab-2', 'https://API.ocp-lab.example.com.:6443/']);
    const zulu = ossmOn('zulu', 'ocp-lab-2');
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: null, 'environments/alpha.yaml': ossmOn('alpha', 'ocp-lab'), 'environments/zulu.yaml': zulu });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const note = '(clusters ocp-lab-2 and ocp-lab are the same API server, https://api.ocp-lab.example.com:6443)';
    const hint = 'give each environment its own namespaces or clusters, so their Argo CD Applications do not fight';
    expect(problems).toEqual([
      `environments/zulu.yaml:${at(zulu, 'cluster')}: mesh.cluster: deploys into namespace istio-system of cluster ocp-lab-2, which environment alpha already uses ${note}; ${hint}`,
      `environments/zulu.yaml:${at(zulu, 'orders', 'services:')}: services.orders: deploys into namespace shop of cluster ocp-lab-2, which environment alpha already uses ${note}; ${hint}`,
    ]);
  });

  test('fails when an unprotected environment names the cluster Argo CD runs in by its in-cluster address and a protected one by its URL', () => {
    // GIVEN
    const settings = SETTINGS.replace('cluster: hub', 'cluster: ocp-lab') + lines('  in-cluster:', '    server: https://kubernetes.default.svc.cluster.local:443');
    const lab = ossmOn('lab', 'in-cluster');
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: ossmOn('prod', 'ocp-lab', 'protected: true') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const reach = (namespace: string) => `deploys into namespace ${namespace} of API server https://api.ocp-lab.example.com:6443, where protected environment prod `
      + `deploys (${PROD}, cluster ocp-lab): an unprotected environment must not reach a protected environment's namespaces, got cluster in-cluster; `
      + 'give lab namespaces of its own or another cluster, or make it protected';
    expect(problems).toEqual([
      `${LAB}:${at(lab, 'cluster')}: mesh.cluster: ${reach('istio-system')}`,
      `${LAB}:${at(lab, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
    ]);
  });

  test('fails when an unprotected Kuma environment puts its mock and a zone control plane on a protected environment\'s cluster under another name', () => {
    // GIVEN
    const settings = settingsWith(['prod-real', 'https://prod-real.example.com:6443'], ['prod-mocks', 'https://prod-mocks.example.com:6443'],
      ['prod-real-alias', 'https://Prod-Real.example.com.:6443/']);
    const lab = kongOn('lab', OTHER_CP, 'lab-real', 'prod-real-alias');
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: lab, [PROD]: kongOn('prod', CP, 'prod-real', 'prod-mocks', 'protected: true') });
    // WHEN
    const problems = problemsOf(root);
    // THEN
    const reach = (namespace: string) => `deploys into namespace ${namespace} of API server https://prod-real.example.com:6443, where protected environment prod `
      + `deploys (${PROD}, cluster prod-real): an unprotected environment must not reach a protected environment's namespaces, got cluster prod-real-alias; `
      + 'give lab namespaces of its own or another cluster, or make it protected';
    expect(problems).toEqual([
      `${LAB}:${at(lab, 'cluster: prod-real-alias')}: mesh.zones[1].cluster: ${reach('kong-mesh-system')}`,
      `${LAB}:${at(lab, 'orders', 'services:')}: services.orders: ${reach('shop')}`,
    ]);
  });
});

describe('the example environments', () => {
  test('reach no namespace and no service of another environment', () => {
    // GIVEN
    const project = loadProject(REPO);
    const reaches = project.environments.map(environmentReach);
    // WHEN
    const problems = reachProblems(reaches);
    // THEN
    expect(problems).toEqual([]);
    expect(reaches.find((r) => r.env === 'kong-perf')!.namespaces.map((c) => c.key)).toEqual([
      'https://perf-real-services.k8s.example.com:6443 my-services',
      'https://perf-mock-services.k8s.example.com:6443 my-services',
      'https://perf-real-services.k8s.example.com:6443 kong-mesh-system',
      'https://perf-mock-services.k8s.example.com:6443 kong-mesh-system',
    ]);
  });
});

describe('parallel synthesis', () => {
  test('fails with the same problems when the environments are checked in different worker threads', async () => {
    // GIVEN
    const settings = settingsWith(['prod', 'https://prod.example.com'], ['prod-alias', 'https://PROD.example.com.:443/']);
    const root = fixtureRepo({ 'environments/meshflip.yaml': settings, [LAB]: ossmOn('lab', 'prod-alias'), [PROD]: ossmOn('prod', 'prod', 'protected: true') });
    // WHEN
    const result = await synthesizeProject({ root, jobs: 2 });
    // THEN
    expect(result.jobs).toEqual(2);
    expect(result.problems.map(formatProblem).sort()).toEqual(problemsOf(root).sort());
  });
});
