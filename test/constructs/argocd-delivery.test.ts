import * as path from 'path';
import { RenderedObject } from '../../src/meshes/effective-routing';
import { argoCdView, checkArgoCdSetup, checkDist } from '../../src/pipeline/validate/dist-checks';
import { findingsToProblems } from '../../src/pipeline/validate/findings';
import { readDist } from '../../src/pipeline/dist/read-dist';
import { SchemaStore } from '../../src/validation';
import { crds, describeWithCrds, removeTempDirs, REPO } from '../util';
import { renderedDist } from '../rendered-dist';

afterAll(removeTempDirs);

const { files, objects } = readDist(renderedDist());
const applications = objects.filter((o) => o.object.kind === 'Application').map((o) => o.object as any);
const projects = new Map(objects.filter((o) => o.object.kind === 'AppProject').map((o) => [(o.object as any).metadata.name, o.object as any]));
const manifestFolders = [...new Set(files.filter((f) => f.endsWith('.k8s.yaml')).map((f) => f.slice(0, f.lastIndexOf('/'))))].sort();
/** `items`, after asserting there is at least one: a loop of assertions over an empty list would pass without checking anything. */
function nonEmpty<T>(items: T[]): T[] {
  expect(items.length).toBeGreaterThan(0);
  return items;
}

const glob = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(value);

describe('the Argo CD objects in dist/argocd', () => {
  test("every Application's path exists in dist/ and every folder of manifests has exactly one Application", () => {
    // The others install a Helm chart.
    expect(applications.filter((a) => a.spec.source.path === undefined).every((a) => typeof a.spec.source.chart === 'string')).toBe(true);
    const paths = nonEmpty(applications.filter((a) => a.spec.source.path !== undefined).map((a) => a.spec.source.path.replace(/^dist\//, '')));
    for (const p of paths) {
      expect(manifestFolders).toContain(p);
    }
    expect([...paths].sort()).toEqual(manifestFolders);
  });

  test('every Application deploys where its AppProject permits, from a permitted repository', () => {
    for (const app of nonEmpty(applications)) {
      const project = projects.get(app.spec.project);
      expect(project).toBeDefined();
      const { server, namespace } = app.spec.destination;
      expect(
        project.spec.destinations.some((d: { server: string; namespace: string }) => glob(d.server, server) && glob(d.namespace, namespace)),
      ).toBe(true);
      expect(project.spec.sourceRepos).toContain(app.spec.source.repoURL);
    }
  });

  test("every object a folder holds is permitted by its Application's project: namespaces and cluster-scoped kinds", () => {
    // Only the root Application syncs dist/argocd, the Argo CD objects themselves.
    expect(applications.filter((a) => a.spec.source.path?.endsWith('/argocd')).map((a) => a.metadata.name)).toEqual(['meshflip']);
    for (const app of nonEmpty(applications.filter((a) => a.spec.source.path !== undefined && !a.spec.source.path.endsWith('/argocd')))) {
      const project = projects.get(app.spec.project);
      const folder = app.spec.source.path.replace(/^dist\//, '');
      for (const { object } of nonEmpty(objects.filter((o: RenderedObject) => o.file.startsWith(`${folder}/`)))) {
        const meta = object.metadata as { namespace?: string };
        const group = String(object.apiVersion).includes('/') ? String(object.apiVersion).split('/')[0] : '';
        if (meta.namespace === undefined) {
          expect(project.spec.clusterResourceWhitelist).toContainEqual({ group, kind: object.kind });
        } else {
          expect(project.spec.destinations).toContainEqual({ server: app.spec.destination.server, namespace: meta.namespace });
        }
      }
    }
  });

  test('Kuma zones and the global control plane are separate clusters, each Application targets its own', () => {
    const byName = Object.fromEntries(applications.map((a) => [a.metadata.name, a.spec.destination.server]));
    expect(byName['kong-real-global']).toBe('https://kong-global.k8s.example.com:6443');
    expect(byName['kong-real-zone-real-services']).toBe('https://kong-real-services.k8s.example.com:6443');
    expect(byName['kong-real-zone-mock-services']).toBe('https://kong-mock-services.k8s.example.com:6443');
    expect(new Set([byName['kong-real-global'], byName['kong-real-zone-real-services'], byName['kong-real-zone-mock-services']]).size).toBe(3);
  });

  test('orders Applications: control planes, then mesh configuration, then zones', () => {
    const wave = (name: string) => Number(applications.find((a) => a.metadata.name === name).metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave('kong-real-global-control-plane')).toBeLessThan(wave('kong-real-real-services-control-plane'));
    expect(wave('kong-real-real-services-control-plane')).toBeLessThan(wave('kong-real-global'));
    expect(wave('kong-real-global')).toBeLessThan(wave('kong-real-zone-real-services'));
    expect(wave('coolstore-operators')).toBeLessThan(wave('coolstore-control-plane'));
    expect(wave('coolstore-control-plane')).toBeLessThan(wave('coolstore-workloads'));
  });

  test('syncs automatically with prune and self-heal, except that protected environments never prune', () => {
    // Every Application but the root belongs to an environment.
    expect(applications.filter((a) => a.metadata.labels?.['meshflip.io/environment'] === undefined).map((a) => a.metadata.name)).toEqual([
      'meshflip',
    ]);
    for (const app of nonEmpty(applications.filter((a) => a.metadata.labels?.['meshflip.io/environment'] !== undefined))) {
      const protectedEnv = projects.get(app.spec.project).metadata.annotations['meshflip.io/protected'] === 'true';
      expect(app.spec.syncPolicy.automated).toEqual({ enabled: true, prune: !protectedEnv, selfHeal: true });
    }
  });

  test('the root Application syncs dist/argocd from the configured repository and revision', () => {
    const root = applications.find((a) => a.metadata.name === 'meshflip');
    expect(root.spec.source).toEqual({
      repoURL: 'https://github.com/example-org/meshflip-gitops.git',
      targetRevision: 'main',
      path: 'dist/argocd',
      directory: { include: '*.k8s.yaml' },
    });
    expect(root.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'argocd' });
  });

  test('the dist/ checks agree: no Argo CD finding on the rendered dist/', () => {
    expect(checkDist(objects, files).map((f) => `${f.at.file}: ${f.message}`)).toEqual([]);
  });
});

describeWithCrds('the Argo CD objects in dist/argocd against the upstream schemas', () => {
  test('validates every Argo CD object against the Argo CD CRDs, unknown fields being errors', () => {
    const store = SchemaStore.load([path.join(crds(), 'argocd'), path.join(crds(), 'kubernetes')]);
    const argo = objects.filter((o) => String(o.object.apiVersion).startsWith('argoproj.io/'));
    expect(argo.length).toBeGreaterThan(20);
    expect(argo.flatMap((o) => store.validate(o.object, { strict: true }).map((i) => `${o.file}: ${i.path}: ${i.message}`))).toEqual([]);
  });
});

describe('the Argo CD checks over dist/', () => {
  const app = objects.find((o) => o.object.kind === 'Application' && (o.object as any).metadata.name === 'kong-perf-zone-real-services')!;

  function withApp(changed: Record<string, unknown>): RenderedObject[] {
    return objects.map((o) => (o === app ? { ...o, object: changed } : o));
  }

  test('fails when an Application syncs a folder that does not exist, leaving its folder unowned', () => {
    const obj = app.object as any;
    const broken = withApp({ ...obj, spec: { ...obj.spec, source: { ...obj.spec.source, path: 'dist/kong-perf/zone-real' } } });
    expect(checkDist(broken, files).map((f) => f.message)).toEqual([
      'Application argocd/kong-perf-zone-real-services syncs dist/kong-perf/zone-real, which holds no manifests in dist/',
      'dist/kong-perf/zone-real-services holds manifests but no Application syncs it',
    ]);
  });

  test('fails when an Application deploys to a cluster its AppProject does not permit', () => {
    const obj = app.object as any;
    const broken = withApp({ ...obj, spec: { ...obj.spec, destination: { server: 'https://elsewhere.example.com', namespace: 'my-services' } } });
    const messages = checkDist(broken, files).map((f) => f.message);
    expect(messages[0]).toBe(
      'Application argocd/kong-perf-zone-real-services deploys to https://elsewhere.example.com namespace my-services, which its AppProject does not permit',
    );
  });

  test('fails when a hand edit gives an Application a name longer than the instance label takes', () => {
    const obj = app.object as any;
    const name = `kong-perf-${'z'.repeat(54)}`;
    const broken = withApp({ ...obj, metadata: { ...obj.metadata, name } });
    expect(checkDist(broken, files).map((f) => f.message)).toEqual([
      `Application argocd/${name} has a name of 64 characters: Argo CD writes it into the app.kubernetes.io/instance label, which takes at most 63`,
    ]);
  });

  test("what validate keeps of each object across environments gives the Argo CD checks' problems, hints included", () => {
    // GIVEN every object of kong-perf's real-services zone rendered a second time in its mock-services zone, for the same cluster
    const real = objects.filter((o) => o.file.startsWith('kong-perf/zone-real-services/'));
    const copies = real.map((o) => ({ ...o, file: o.file.replace('zone-real-services', 'zone-mock-services') }));
    const mockApp = objects.find((o) => o.object.kind === 'Application' && (o.object as any).metadata.name === 'kong-perf-zone-mock-services')!;
    const sameCluster = {
      ...mockApp,
      object: { ...(mockApp.object as any), spec: { ...(mockApp.object as any).spec, destination: (app.object as any).spec.destination } },
    };
    const broken = [...objects.map((o) => (o === mockApp ? sameCluster : o)), ...copies];
    // WHEN checked whole, and as validate keeps them
    const whole = findingsToProblems(checkArgoCdSetup(broken, files), REPO, 'dist');
    const views = findingsToProblems(checkArgoCdSetup(broken.map(argoCdView), files), REPO, 'dist');
    // THEN the same problems, some of them traced back to their environment file
    expect(whole.filter((p) => p.message.includes('for the same cluster')).length).toBeGreaterThan(0);
    expect(whole.some((p) => p.hint?.startsWith('generated from environments/kong-perf.yaml:'))).toBe(true);
    expect(views).toEqual(whole);
  });

  test('fails when two Applications sync the same folder', () => {
    const twin = { ...app, object: { ...(app.object as any), metadata: { ...(app.object as any).metadata, name: 'twin' } } };
    expect(checkDist([...objects, twin], files).map((f) => f.message)).toContain(
      'dist/kong-perf/zone-real-services is synced by 2 Applications (kong-perf-zone-real-services, twin): they would fight',
    );
  });
});

describe('protection over dist/, by API server', () => {
  const controlPlane = objects.find((o) => o.object.kind === 'Application' && (o.object as any).metadata.name === 'coolstore-chaos-control-plane')!;

  test("fails when a hand edit points an unprotected environment's Application at a protected one's API server under another spelling", () => {
    // GIVEN coolstore-chaos's control plane sent to https://api.ocp-prod.example.com:6443, where the protected coolstore's runs
    const obj = controlPlane.object as any;
    const edited = { ...obj, spec: { ...obj.spec, destination: { ...obj.spec.destination, server: 'https://API.Ocp-Prod.example.com.:6443/' } } };
    const broken = objects.map((o) => (o === controlPlane ? { ...o, object: edited } : o));
    // WHEN
    const messages = checkDist(broken, files).map((f) => `${f.at.file}: ${f.message}`);
    // THEN every namespace it lands in is reported once, and each object it shares with coolstore is owned twice
    expect(messages.filter((m) => m.includes('unprotected environment'))).toEqual([
      'coolstore-chaos/control-plane/control-plane.k8s.yaml: Namespace istio-system of unprotected environment coolstore-chaos lands in namespace istio-system of ' +
        'API server https://api.ocp-prod.example.com:6443 (synced by coolstore-chaos-control-plane), where protected environment coolstore deploys ' +
        '(synced by coolstore-control-plane)',
    ]);
    expect(messages.filter((m) => m.includes('for the same cluster')).length).toBeGreaterThan(0);
  });
});
