import * as fs from 'fs';
import * as path from 'path';
import { isPatchFile, readDist } from '../../src/pipeline/dist/read-dist';
import { schemaChecker, universalToKubernetes } from '../../src/pipeline/validate/schema-check';
import { synthesize } from '../../src/pipeline/synth/synth';
import { summarizeMissingSchemas } from '../../src/pipeline/validate/validate';
import { formatProblem } from '../../src/model/spec-error';
import { fixtureProject } from '../constructs/helpers';
import { loadProject } from '../../src/model/load';
import { crds, describeWithCrds, removeTempDirs, REPO, tempDir } from '../util';
import { renderedDist } from '../rendered-dist';

afterAll(removeTempDirs);

describeWithCrds('strict validation against the upstream schemas', () => {
  let check: ReturnType<typeof schemaChecker>;
  beforeAll(() => {
    check = schemaChecker(crds(), true);
  });

  test('every object rendered from the example environments validates strictly against the upstream schemas', () => {
    // GIVEN the example environments, rendered now (Kong Mesh with zone, global and legacy placement; OpenShift Service Mesh)
    const { objects } = readDist(renderedDist());
    // WHEN
    const findings = check(objects);
    // THEN no unknown field, no wrong type, no kind without a schema — Kuma legacy specs, kumactl files and Argo CD objects included
    expect(findings.map((f) => `${f.at.file}:${f.at.line}: ${f.message}`)).toEqual([]);
    expect(objects.length).toBeGreaterThan(150);
  });

  test('every object rendered from the test fixtures (upstream Istio v1 among them) validates strictly', () => {
    // Bootstrap patches are parts of objects (synth and validate skip them too).
    const objects = synthesize(fixtureProject())
      .filter((f) => !isPatchFile(f.path))
      .flatMap((f) => (f.objects ?? []).map((object, i) => ({ file: f.path, object, line: f.lines?.[i] })));
    expect(check(objects).map((f) => `${f.at.file}:${f.at.line}: ${f.message}`)).toEqual([]);
    expect(objects.length).toBeGreaterThan(50);
  });

  test('fails when a hand edit of dist/ breaks an object, locating it by file and line', () => {
    // GIVEN a MeshHTTPRoute with a misspelled field and a Deployment with a wrong type
    const objects = [
      {
        file: 'env/zone-a/x.routing.k8s.yaml',
        line: 2,
        object: {
          apiVersion: 'kuma.io/v1alpha1',
          kind: 'MeshHTTPRoute',
          metadata: { name: 'x', namespace: 'kong-mesh-system' },
          spec: { targetRef: { kind: 'Mesh' }, too: [] },
        },
      },
      {
        file: 'env/zone-a/x.k8s.yaml',
        line: 9,
        object: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'x', namespace: 'shop' },
          spec: {
            replicas: 'two',
            selector: { matchLabels: { app: 'x' } },
            template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'x', image: 'x:1' }] } },
          },
        },
      },
    ];
    // WHEN
    const findings = check(objects);
    // THEN
    expect(findings.map((f) => `${f.at.file}:${f.at.line}: ${f.message}`)).toEqual([
      'env/zone-a/x.routing.k8s.yaml:2: spec.too: unknown field, got "too"',
      'env/zone-a/x.k8s.yaml:9: spec.replicas: must be an integer, got "two"',
    ]);
  });

  test('checks OpenShift Service Mesh environments against the Istio API versions OSSM serves', () => {
    // GIVEN an environment whose AppProject says it runs OpenShift Service Mesh, and a v1 VirtualService in it
    const objects = [
      {
        file: 'argocd/ossm-env.k8s.yaml',
        line: 2,
        object: {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'AppProject',
          metadata: { name: 'ossm-env', namespace: 'argocd', annotations: { 'meshflip.io/mesh': 'openshift-service-mesh' } },
          spec: {},
        },
      },
      {
        file: 'ossm-env/workloads/a.routing.k8s.yaml',
        line: 2,
        object: { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'a', namespace: 'shop' }, spec: { hosts: ['a'] } },
      },
    ];
    // WHEN / THEN OSSM 2.5 serves networking.istio.io only as v1alpha3 / v1beta1
    expect(check(objects).map((f) => f.message)).toEqual(['no schema for networking.istio.io/v1 VirtualService']);
  });

  test('validates kumactl files through the Kubernetes form of the same resource', () => {
    // GIVEN a legacy CircuitBreaker in kumactl form whose interval is in minutes (legacy policies take seconds)
    const doc = {
      type: 'CircuitBreaker',
      name: 'cb',
      mesh: 'default',
      sources: [{ match: { 'kuma.io/service': '*' } }],
      destinations: [{ match: { 'kuma.io/service': 'a_b_svc_80' } }],
      conf: { interval: '3m' },
    };
    // WHEN
    const findings = check([{ file: 'env/konnect/a.routing.kumactl.yaml', line: 3, object: doc }]);
    // THEN
    expect(universalToKubernetes(doc)).toMatchObject({
      apiVersion: 'kuma.io/v1alpha1',
      kind: 'CircuitBreaker',
      mesh: 'default',
      metadata: { name: 'cb' },
      spec: { conf: { interval: '3m' } },
    });
    expect(findings.map((f) => f.message)).toEqual(['spec.conf.interval: must match the pattern ^([0-9]+\\.?[0-9]*|\\.[0-9]+)s$, got "3m"']);
  });
});

describe('summarizeMissingSchemas', () => {
  const warning = (file: string, kind: string) => ({
    file,
    line: 2,
    col: 1,
    field: `${kind} ns/x`,
    message: `no schema for v1 ${kind}`,
    severity: 'warning' as const,
    hint: 'generated from environments/lab.yaml',
  });

  test('shows one warning per kind without a schema, at its first object, with how many more there are', () => {
    // GIVEN three ConfigMaps and one Secret without a schema, and an error between them
    const error = { file: 'dist/lab/b.k8s.yaml', line: 9, col: 1, field: 'Service ns/x', message: 'spec.ports: is required' };
    const problems = [
      warning('dist/lab/c.k8s.yaml', 'ConfigMap'),
      error,
      warning('dist/lab/a.k8s.yaml', 'ConfigMap'),
      warning('dist/lab/b.k8s.yaml', 'ConfigMap'),
      warning('dist/lab/d.k8s.yaml', 'Secret'),
    ];
    // WHEN
    const shown = summarizeMissingSchemas(problems).map(formatProblem);
    // THEN sorted by file; the error kept; the lone Secret warning as it was
    expect(shown).toEqual([
      'dist/lab/a.k8s.yaml:2:1: warning: ConfigMap ns/x: no schema for v1 ConfigMap (and 2 more objects of this kind); objects of a kind without a schema are not checked: add its CRD to the schema folder',
      'dist/lab/b.k8s.yaml:9:1: Service ns/x: spec.ports: is required',
      'dist/lab/d.k8s.yaml:2:1: warning: Secret ns/x: no schema for v1 Secret; generated from environments/lab.yaml',
    ]);
  });

  test('leaves a kind without a schema that strict mode made an error on every object', () => {
    // GIVEN
    const problems = [warning('dist/a.yaml', 'ConfigMap'), warning('dist/b.yaml', 'ConfigMap')].map((p) => ({ ...p, severity: undefined }));
    // WHEN
    const shown = summarizeMissingSchemas(problems);
    // THEN
    expect(shown).toHaveLength(2);
  });
});

describe('readDist given a fresh synthesis', () => {
  test('reads the same objects at the same lines as parsing every file, without parsing the files that match', () => {
    // GIVEN the examples rendered into a dist/ folder and a fresh synthesis of them
    const fresh = synthesize(loadProject(REPO));
    const dist = renderedDist();
    // WHEN
    const parsed = readDist(dist);
    const reused = readDist(dist, new Map(fresh.map((f) => [f.path, f])));
    // THEN the same, to the last undefined field
    expect(reused).toStrictEqual(parsed);
    // THEN and the objects are the rendered ones themselves
    const sample = fresh.find((f) => f.path === 'kong-perf/zone-mock-services/captains-log.routing.k8s.yaml')!;
    expect(reused.objects.find((o) => o.file === sample.path)!.object).toBe(sample.objects![0]);
  });

  test('parses a file that differs from its rendering, so a hand edit is what gets checked', () => {
    // GIVEN a copy of dist/ with one route edited by hand
    const fresh = synthesize(loadProject(REPO));
    const dist = tempDir();
    fs.cpSync(renderedDist(), dist, { recursive: true });
    const file = 'kong-perf/zone-mock-services/captains-log.routing.k8s.yaml';
    const text = fs.readFileSync(path.join(dist, file), 'utf8');
    fs.writeFileSync(path.join(dist, file), text.replace('name: captains-log-route', 'name: edited-by-hand'));
    // WHEN
    const { objects } = readDist(dist, new Map(fresh.map((f) => [f.path, f])));
    // THEN
    expect(objects.filter((o) => o.file === file).map((o) => (o.object.metadata as { name: string }).name)).toContain('edited-by-hand');
  });
});
