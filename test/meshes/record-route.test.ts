import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { PREDICATE_GENERATORS } from '../../src/mocks/recording';
import { loadProject } from '../../src/model/load';
import { synthesizeWithRouting } from '../../src/pipeline/synth/synth';
import { FIXTURES } from '../constructs/helpers';
import { at, CATALOG, fixtureRepo, kongEnvironment, problemsOf } from '../model/fixtures';
import { isPatchFile } from '../../src/pipeline/dist/read-dist';
import { schemaChecker } from '../../src/pipeline/validate/schema-check';
import { crds, describeWithCrds, removeTempDirs, tempDir, writeFiles } from '../util';

// `to: record`: all traffic goes to the mock, which runs a Mountebank proxy in front of the real
// instances, and the mesh sends the mock's own calls to the real instances instead of back to itself.
// Kuma: a MeshHTTPRoute with a MeshSubset top-level targetRef outranks the Mesh-wide route for the
// mock's proxies (kumahq/kuma v2.14 api/common/v1alpha1/targetref.go, order); Istio: an HTTP route
// matching the mock's sourceLabels comes first (istio/istio pilot/pkg/networking/core/route/route.go, sourceMatchHTTP).

afterAll(removeTempDirs);

/** The fixture services with backend routed to record, on Kong Mesh and on Istio. */
function repository(): string {
  const dir = tempDir();
  fs.cpSync(path.join(FIXTURES, 'environments'), path.join(dir, 'environments'), { recursive: true });
  for (const f of ['kuma-global', 'kuma-legacy', 'ossm', 'kuma-zone', 'istio']) {
    fs.rmSync(path.join(dir, 'environments', `${f}.yaml`));
  }
  const common = {
    catalog: ['shop'],
    namespace: 'shop',
    services: { frontend: null, backend: null, db: null },
    routing: { services: { backend: 'record' } },
  };
  writeFiles(dir, {
    'environments/on-kuma.yaml': stringify({
      name: 'on-kuma',
      ...common,
      mesh: {
        flavor: 'kong-mesh',
        version: '2.14.3',
        global: { konnect: { region: 'eu', controlPlaneId: '11111111-2222-3333-4444-555555555555' } },
        zones: [
          { name: 'east', cluster: 'konnect-a' },
          { name: 'west', cluster: 'konnect-b' },
        ],
      },
    }),
    'environments/on-istio.yaml': stringify({ name: 'on-istio', ...common, mesh: { flavor: 'istio', version: '1.30.3', cluster: 'istio' } }),
  });
  return dir;
}

describe('routing a service to record', () => {
  const project = loadProject(repository());
  const { files, routing, problems } = synthesizeWithRouting(project);

  test("raises no finding of the mesh rules about backend (the fixture's frontend ingress warning on Kuma is unrelated)", () => {
    expect(problems.filter((p) => `${p.field} ${p.message}`.includes('backend') || p.field.startsWith('routing'))).toEqual([]);
    expect(problems.map((p) => p.message.slice(0, 6))).toEqual(['MF1020']);
  });
  const objects = (env: string) => files.filter((f) => f.path.startsWith(`${env}/`)).flatMap((f) => (f.objects ?? []) as any[]);

  test('renders the mock as proxyOnce imposters in front of the real service, on each of its HTTP ports', () => {
    for (const env of ['on-kuma', 'on-istio']) {
      // WHEN
      const configMap = objects(env).find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'backend-imposters');
      const deployment = objects(env).find((o) => o.kind === 'Deployment' && o.metadata.name === 'backend-mock');
      // THEN
      expect(JSON.parse(configMap.data['imposters.json'])).toEqual({
        imposters: [
          {
            port: 8080,
            protocol: 'http',
            name: 'backend (recording)',
            stubs: [
              {
                responses: [
                  { proxy: { to: 'http://backend.shop.svc.cluster.local:8080', mode: 'proxyOnce', predicateGenerators: PREDICATE_GENERATORS } },
                ],
              },
            ],
          },
        ],
      });
      expect(deployment.spec.template.spec.containers[0].readinessProbe.exec.command.slice(3)).toEqual(['2525', '8080']);
    }
  });

  test("Kuma: all traffic to the mock, and the mock's own calls to the real instances", () => {
    const routes = objects('on-kuma').filter((o) => o.kind === 'MeshHTTPRoute');
    const main = routes.find((r) => r.metadata.name.startsWith('backend-route'));
    const record = routes.find((r) => r.metadata.name.startsWith('backend-record'));
    expect(main.spec.targetRef).toEqual({ kind: 'Mesh' });
    expect(main.spec.to[0].rules.at(-1).default.backendRefs).toEqual([expect.objectContaining({ tags: { app: 'mountebank' }, weight: 100 })]);
    expect(record.spec.targetRef).toEqual({
      kind: 'MeshSubset',
      tags: { 'k8s.kuma.io/service-name': 'backend', 'k8s.kuma.io/namespace': 'shop', app: 'mountebank' },
    });
    expect(record.spec.to).toEqual([
      {
        targetRef: main.spec.to[0].targetRef,
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/' } }],
            default: { backendRefs: [{ kind: 'MeshServiceSubset', name: main.spec.to[0].targetRef.name, tags: { app: 'backend' }, weight: 100 }] },
          },
        ],
      },
    ]);
  });

  test("Istio: all traffic to the mock, except the mock's own, which goes to the real subset", () => {
    const vs = objects('on-istio').find((o) => o.kind === 'VirtualService' && o.metadata.name === 'backend');
    expect(vs.spec.http.map((r: any) => [r.name, r.match, r.route])).toEqual([
      [
        'default-recording-mock-to-real',
        [{ sourceLabels: { app: 'mountebank', 'app.kubernetes.io/name': 'backend' } }],
        [{ destination: { host: 'backend.shop.svc.cluster.local', subset: 'real' } }],
      ],
      ['default', undefined, [{ destination: { host: 'backend.shop.svc.cluster.local', subset: 'mock' } }]],
    ]);
  });

  test('lets the recording mock call the real instances past the traffic permissions, without listing it as a caller', () => {
    // Kuma: MeshTrafficPermission from the mock's proxies (kumahq/kuma pkg/plugins/policies/meshtrafficpermission)
    const mtp = objects('on-kuma').find((o) => o.kind === 'MeshTrafficPermission' && o.metadata.name.startsWith('backend-permissions'));
    expect(mtp.spec.from).toContainEqual({
      targetRef: { kind: 'MeshSubset', tags: { 'k8s.kuma.io/service-name': 'backend', 'k8s.kuma.io/namespace': 'shop', app: 'mountebank' } },
      default: { action: 'Allow' },
    });
    // Istio: the mock's ServiceAccount among the principals of the ALLOW policy (istio/istio security/pkg/authz)
    const ap = objects('on-istio').find((o) => o.kind === 'AuthorizationPolicy' && o.metadata.name.startsWith('backend-permissions'));
    expect(ap.spec.rules[0].from[0].source.principals).toContain('cluster.local/ns/shop/sa/backend-mock');
    expect(ap.metadata.annotations['meshflip.io/intent']).toMatch(/its recording mock$/);
    for (const env of ['on-kuma', 'on-istio']) {
      const backend = routing.find((r) => r.name === env)!.services.find((s) => s.name === 'backend')!;
      expect({ env, callers: backend.callers }).toEqual({ env, callers: ['frontend'] });
    }
  });

  test('ROUTING.md and explain read back that the service is being recorded, on both meshes alike', () => {
    for (const env of ['on-kuma', 'on-istio']) {
      const backend = routing.find((r) => r.name === env)!.services.find((s) => s.name === 'backend')!;
      expect(backend).toMatchObject({ default: 'mock', weights: { real: 0, mock: 100 }, mockRecording: true, inconsistencies: [] });
      const markdown = files.find((f) => f.path === `${env}/ROUTING.md`)!.content;
      expect(markdown.split('\n').filter((l) => l.startsWith('| backend '))).toEqual([
        '| backend (recording: the mock proxies to the real service) | shop | mock | - | - | - | - | - |',
      ]);
    }
  });
});

describeWithCrds('the objects of a recording validate strictly against the upstream schemas', () => {
  test("MeshHTTPRoute with a MeshSubset targetRef (Kuma 2.14), VirtualService with sourceLabels (Istio 1.30), the proxy imposters' ConfigMap", () => {
    const { files } = synthesizeWithRouting(loadProject(repository()));
    const objects = files
      .filter((f) => !isPatchFile(f.path))
      .flatMap((f) => (f.objects ?? []).map((object, i) => ({ file: f.path, object, line: f.lines?.[i] })));
    expect(schemaChecker(crds(), true)(objects).map((f) => `${f.at.file}:${f.at.line}: ${f.message}`)).toEqual([]);
    expect(objects.some((o) => o.object.kind === 'MeshHTTPRoute' && (o.object as any).spec.targetRef.kind === 'MeshSubset')).toBe(true);
  });
});

describe('to: record is refused where it cannot work', () => {
  test('fails when a weight or a header is given: recording needs every request', () => {
    const environment = kongEnvironment('lab', 'routing:', '  services:', '    orders: { to: record, weight: 50 }');
    expect(problemsOf(fixtureRepo({ 'environments/lab.yaml': environment }))).toEqual([
      `environments/lab.yaml:${at(environment, '50')}: routing.services.orders.weight: only applies with to: mock, got 50; ` +
        'to: record sends all traffic through the recording mock, so that every answer the test needs is recorded',
    ]);
  });

  test("fails on Kuma with legacy policies, which have no MeshSubset route for the mock's own calls", () => {
    const environment = kongEnvironment('lab', 'routing:', '  services:', '    orders: record').replace(
      '  version: 2.14.3\n',
      '  version: 2.14.3\n  policies: legacy\n',
    );
    expect(problemsOf(fixtureRepo({ 'environments/lab.yaml': environment }))).toEqual([
      `environments/lab.yaml:${at(environment, 'record')}: routing.services.orders: needs targetRef policies: meshflip sends the recording mock's own calls ` +
        'to the real instances with a MeshHTTPRoute that targets the mock\'s proxies, got "record"; record with a mesh on Kuma / Kong Mesh 2.6 or later (mesh.policies: targetRef)',
    ]);
  });

  test('fails when the service has an http2 or grpc port, which a Mountebank proxy cannot serve', () => {
    const catalog = CATALOG.replace(
      '        port: 8080\n    calls: [payments]',
      '        port: 8080\n      - name: rpc\n        port: 9090\n        protocol: grpc\n    calls: [payments]',
    );
    const environment = kongEnvironment('lab', 'routing:', '  services:', '    orders: record');
    expect(problemsOf(fixtureRepo({ 'environments/catalog/shop.yaml': catalog, 'environments/lab.yaml': environment }))).toEqual([
      `environments/lab.yaml:${at(environment, 'record')}: routing.services.orders: cannot be record: port rpc (9090) of orders is grpc, ` +
        'which a Mountebank proxy cannot serve (HTTP/1.1 only), got "record"; keep orders routed to real',
    ]);
  });
});
