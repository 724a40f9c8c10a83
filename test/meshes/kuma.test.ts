import { loadProject } from '../../src/model/load';
import { problemsOf } from '../model/fixtures';
import { removeTempDirs, tempDir, writeFiles } from '../util';
import { findObjects, helmValuesOf, objectsOf, pathsUnder } from './helpers';
import * as fs from 'fs';
import * as path from 'path';
import { FIXTURES } from '../constructs/helpers';

afterAll(removeTempDirs);

describe('Kuma with targetRef policies created on the zones (Konnect global control plane)', () => {
  test('puts each policy on the zones whose proxies it acts on, labelled as zone-originated', () => {
    // THEN outbound policies (route, breaker, timeout, retry) reach every zone with callers ...
    const routes = findObjects('kuma-zone/', 'MeshHTTPRoute');
    expect(routes.map((r) => r.file)).toEqual(['kuma-zone/zone-east/backend.routing.k8s.yaml', 'kuma-zone/zone-west/backend.routing.k8s.yaml']);
    // ... faults only the zones where the real instances run, permissions where real or mock instances run
    expect(findObjects('kuma-zone/', 'MeshFaultInjection').map((f) => f.file)).toEqual(['kuma-zone/zone-east/backend.routing.k8s.yaml']);
    expect(
      findObjects('kuma-zone/', 'MeshTrafficPermission')
        .filter((p) => p.object.metadata.name === 'backend-permissions')
        .map((p) => p.file),
    ).toEqual(['kuma-zone/zone-east/backend.access.k8s.yaml', 'kuma-zone/zone-west/backend.access.k8s.yaml']);
    for (const { object } of [...routes, ...findObjects('kuma-zone/', 'MeshFaultInjection')]) {
      expect(object.metadata.namespace).toBe('kong-mesh-system');
      expect(object.metadata.labels).toMatchObject({ 'kuma.io/origin': 'zone', 'kuma.io/mesh': 'default' });
    }
  });

  test('routes a weighted share to the mock subset and header-carrying requests to the mock alone', () => {
    // WHEN
    const [{ object: route }] = findObjects('kuma-zone/zone-east/', 'MeshHTTPRoute');
    const [to] = route.spec.to;
    // THEN
    expect(route.spec.targetRef).toEqual({ kind: 'Mesh' });
    expect(to.targetRef).toEqual({ kind: 'MeshService', name: 'backend_shop_svc_8080' });
    // Kuma ranks rules by specificity, so the header rule carries the catch-all path too.
    expect(to.rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' }, headers: [{ type: 'Exact', name: 'x-mock', value: 'yes' }] }],
        default: { backendRefs: [{ kind: 'MeshServiceSubset', name: 'backend_shop_svc_8080', tags: { app: 'mountebank' }, weight: 100 }] },
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        default: {
          backendRefs: [
            { kind: 'MeshServiceSubset', name: 'backend_shop_svc_8080', tags: { app: 'backend' }, weight: 75 },
            { kind: 'MeshServiceSubset', name: 'backend_shop_svc_8080', tags: { app: 'mountebank' }, weight: 25 },
          ],
        },
      },
    ]);
    expect(route.metadata.annotations).toMatchObject({
      'meshflip.io/intent': 'split 75% real / 25% mock; x-mock: yes -> mock',
      'meshflip.io/reason': 'load test',
      'meshflip.io/expires': '2099-01-01',
      'meshflip.io/source': 'environments/kuma-zone.yaml#routing.services.backend',
    });
  });

  test('injects faults on the inbound side of the real instances only', () => {
    const [{ object: fault }] = findObjects('kuma-zone/', 'MeshFaultInjection');
    expect(fault.spec).toEqual({
      targetRef: { kind: 'MeshSubset', tags: { app: 'backend', 'k8s.kuma.io/namespace': 'shop', 'k8s.kuma.io/service-name': 'backend' } },
      from: [{ targetRef: { kind: 'Mesh' }, default: { http: [{ abort: { httpStatus: 503, percentage: 5 } }] } }],
    });
  });

  test('lets exactly the declared callers in, the mock included under the same identity', () => {
    const [{ object: permission }] = findObjects('kuma-zone/zone-east/', 'MeshTrafficPermission').filter(
      (p) => p.object.metadata.name === 'backend-permissions',
    );
    expect(permission.spec).toEqual({
      targetRef: { kind: 'MeshSubset', tags: { 'k8s.kuma.io/namespace': 'shop', 'k8s.kuma.io/service-name': 'backend' } },
      from: [
        { targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } },
        { targetRef: { kind: 'MeshSubset', tags: { app: 'frontend', 'k8s.kuma.io/namespace': 'shop' } }, default: { action: 'Allow' } },
      ],
    });
    // frontend has no declared callers: everyone is denied
    const [{ object: frontend }] = findObjects('kuma-zone/zone-east/', 'MeshTrafficPermission').filter(
      (p) => p.object.metadata.name === 'frontend-permissions',
    );
    expect(frontend.spec.from).toEqual([{ targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } }]);
  });

  test('renders the mesh with builtin mTLS for kumactl, since Argo CD cannot reach Konnect', () => {
    expect(objectsOf('kuma-zone/konnect/mesh.kumactl.yaml')).toEqual([
      {
        type: 'Mesh',
        name: 'default',
        mtls: {
          enabledBackend: 'ca-1',
          backends: [
            { name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1d' } }, conf: { caCert: { RSAbits: 2048, expiration: '10y' } } },
          ],
        },
      },
    ]);
    expect(pathsUnder('kuma-zone/konnect/')).toEqual(['kuma-zone/konnect/mesh.kumactl.yaml']);
  });

  test('publishes the mock under the real identity in the zone where the real service does not run', () => {
    const services = findObjects('kuma-zone/zone-west/', 'Service');
    expect(services.map((s) => `${s.object.metadata.namespace}/${s.object.metadata.name}:${s.object.spec.ports[0].port}`)).toEqual([
      'shop/backend:8080',
    ]);
    const [namespace] = findObjects('kuma-zone/zone-west/', 'Namespace');
    expect(namespace.object.metadata.labels).toMatchObject({ 'kuma.io/sidecar-injection': 'enabled', 'kuma.io/mesh': 'default' });
  });

  test('installs each zone control plane with a Helm Application that references the zone token Secret', () => {
    const apps = objectsOf('argocd/kuma-zone.k8s.yaml').filter((o) => o.kind === 'Application' && o.spec.source.chart !== undefined);
    expect(apps.map((a) => a.metadata.name)).toEqual(['kuma-zone-east-control-plane', 'kuma-zone-west-control-plane']);
    const [east] = apps;
    expect(east.spec.source).toMatchObject({ repoURL: 'https://kong.github.io/kong-mesh-charts', chart: 'kong-mesh', targetRevision: '2.14.3' });
    expect(east.spec.destination).toEqual({ server: 'https://konnect-a.example.com:6443', namespace: 'kong-mesh-system' });
    expect(helmValuesOf(east)).toEqual({
      kuma: {
        controlPlane: {
          mode: 'zone',
          zone: 'east',
          kdsGlobalAddress: 'grpcs://eu.mesh.sync.konghq.com:443',
          konnect: { cpId: '11111111-2222-3333-4444-555555555555' },
          envVars: { KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE: 'true' },
          secrets: [{ Env: 'KMESH_MULTIZONE_ZONE_KDS_AUTH_CP_TOKEN_INLINE', Secret: 'cp-token', Key: 'token' }],
          tls: { general: { certManager: { enabled: true } } },
        },
        hooks: { ttlSecondsAfterFinished: null, annotations: { 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' } },
        ingress: { enabled: true },
        egress: { enabled: false },
      },
    });
  });
});

describe('Kuma with a self-hosted global control plane on Kubernetes', () => {
  test('applies the mesh and every policy on the global cluster, in the system namespace, without a zone origin', () => {
    expect(pathsUnder('kuma-global/global/')).toEqual([
      'kuma-global/global/backend.access.k8s.yaml',
      'kuma-global/global/backend.routing.k8s.yaml',
      'kuma-global/global/db.access.k8s.yaml',
      'kuma-global/global/frontend.access.k8s.yaml',
      'kuma-global/global/mesh.k8s.yaml',
    ]);
    const [route] = findObjects('kuma-global/global/', 'MeshHTTPRoute');
    expect(route.object.metadata.namespace).toBe('kuma-system');
    expect(route.object.metadata.labels).not.toHaveProperty(['kuma.io/origin']);
    // routing.default: mock flips every service that has a mock
    expect(route.object.spec.to[0].rules).toEqual([
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        default: { backendRefs: [{ kind: 'MeshServiceSubset', name: 'backend_shop_svc_8080', tags: { app: 'mountebank' }, weight: 100 }] },
      },
    ]);
    expect(findObjects('kuma-global/zone-', 'MeshHTTPRoute')).toEqual([]);
  });

  test('installs the global control plane first, then the zones pointing at it', () => {
    const apps = objectsOf('argocd/kuma-global.k8s.yaml').filter((o) => o.kind === 'Application');
    const byName = Object.fromEntries(apps.map((a) => [a.metadata.name, a]));
    // Kuma has no KDS authentication and no licence: neither a token nor an auth type is rendered.
    expect(helmValuesOf(byName['kuma-global-global-control-plane'])).toEqual({
      controlPlane: {
        mode: 'global',
        envVars: { KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE: 'true' },
        tls: {
          general: { secretName: 'kuma-tls', caBundle: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=' },
          kdsGlobalServer: { secretName: 'kds-server-tls' },
        },
      },
    });
    expect(helmValuesOf(byName['kuma-global-a-control-plane']).controlPlane).toEqual({
      mode: 'zone',
      zone: 'a',
      kdsGlobalAddress: 'grpcs://kds.example.com:5685',
      envVars: { KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE: 'true' },
      tls: {
        general: { secretName: 'kuma-tls', caBundle: 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=' },
        kdsZoneClient: { secretName: 'kds-ca' },
      },
    });
    const wave = (name: string) => Number(byName[name].metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave('kuma-global-global-control-plane')).toBeLessThan(wave('kuma-global-a-control-plane'));
    expect(wave('kuma-global-a-control-plane')).toBeLessThan(wave('kuma-global-global'));
    expect(wave('kuma-global-global')).toBeLessThan(wave('kuma-global-zone-a'));
  });
});

describe('Kuma with legacy policies (Kong Mesh 2.5)', () => {
  test('renders TrafficRoute, FaultInjection, CircuitBreaker, Timeout, Retry for kumactl on the global control plane only', () => {
    const docs = objectsOf('kuma-legacy/konnect/backend.routing.kumactl.yaml');
    expect(docs.map((d) => d.type)).toEqual(['TrafficRoute', 'FaultInjection', 'CircuitBreaker', 'Timeout', 'Retry']);
    expect(findObjects('kuma-legacy/zone-', 'TrafficRoute')).toEqual([]);
    const [route, fault, breaker, timeout, retry] = docs;
    expect(route).toEqual({
      type: 'TrafficRoute',
      name: 'backend-route',
      mesh: 'default',
      sources: [{ match: { 'kuma.io/service': '*' } }],
      destinations: [{ match: { 'kuma.io/service': 'backend_shop_svc_8080' } }],
      conf: {
        http: [
          {
            match: { headers: { 'x-mock': { exact: '1' } } },
            split: [{ weight: 100, destination: { 'kuma.io/service': 'backend_shop_svc_8080', app: 'mountebank' } }],
          },
        ],
        split: [{ weight: 100, destination: { 'kuma.io/service': 'backend_shop_svc_8080', app: 'backend' } }],
      },
    });
    // Legacy policies take durations in seconds only.
    expect(fault.conf).toEqual({ delay: { percentage: 50, value: '1.5s' } });
    expect(fault.destinations[0].match).toEqual({ 'kuma.io/service': 'backend_shop_svc_8080', 'kuma.io/protocol': 'http', app: 'backend' });
    expect(breaker.conf).toEqual({ baseEjectionTime: '120s', detectors: { totalErrors: { consecutive: 2 } }, thresholds: { maxPendingRequests: 4 } });
    expect(timeout.conf).toEqual({ http: { requestTimeout: '3s' } });
    expect(retry.conf).toEqual({ http: { numRetries: 3, retryOn: ['all_5xx', 'reset'] } });
  });
});

describe('Kuma version rules', () => {
  function repoWith(mesh: string): string {
    const dir = tempDir();
    fs.cpSync(path.join(FIXTURES, 'environments'), path.join(dir, 'environments'), { recursive: true });
    for (const f of ['kuma-global', 'kuma-legacy', 'istio', 'ossm']) {
      fs.rmSync(path.join(dir, 'environments', `${f}.yaml`));
    }
    const text = fs
      .readFileSync(path.join(dir, 'environments', 'kuma-zone.yaml'), 'utf8')
      .replace(/mesh:\n[\s\S]*?\nservices:/, `${mesh}\nservices:`);
    writeFiles(dir, { 'environments/kuma-zone.yaml': text });
    return dir;
  }

  test('fails when legacy policies are asked for on Kuma 3.x', () => {
    const dir = repoWith(
      [
        'mesh:',
        '  flavor: kong-mesh',
        '  version: 3.0.1',
        '  policies: legacy',
        '  global: { konnect: { region: eu, controlPlaneId: 11111111-2222-3333-4444-555555555555 } }',
        '  zones: [{ name: east, cluster: konnect-a }]',
      ].join('\n'),
    );
    expect(problemsOf(dir)).toEqual([
      'environments/kuma-zone.yaml:7:13: mesh.policies: cannot be legacy on Kong Mesh 3.0.1: ' +
        'TrafficRoute, FaultInjection, CircuitBreaker and the other legacy policies were removed in 3.0, got "legacy"; ' +
        'use policies: targetRef, or declare the 2.x version the mesh really runs',
    ]);
  });

  test('fails when zone placement is asked for before 2.6', () => {
    const dir = repoWith(
      [
        'mesh:',
        '  flavor: kong-mesh',
        '  version: 2.5.1',
        '  policies: targetRef',
        '  placement: zone',
        '  global: { konnect: { region: eu, controlPlaneId: 11111111-2222-3333-4444-555555555555 } }',
        '  zones: [{ name: east, cluster: konnect-a }]',
      ].join('\n'),
    );
    expect(problemsOf(dir)).toEqual([
      'environments/kuma-zone.yaml:8:14: mesh.placement: cannot be zone before Kong Mesh 2.6: ' +
        'zones accept targetRef policies (kuma.io/origin: zone) from 2.6 on, got "zone"; use placement: global',
    ]);
  });

  test('chooses legacy policies by default for a 2.5-era mesh', () => {
    const dir = repoWith(
      [
        'mesh:',
        '  flavor: kong-mesh',
        '  version: 2.5.1',
        '  global: { konnect: { region: eu, controlPlaneId: 11111111-2222-3333-4444-555555555555 } }',
        '  zones: [{ name: east, cluster: konnect-a }, { name: west, cluster: konnect-b }]',
      ].join('\n'),
    );
    const [env] = loadProject(dir).environments;
    expect(env.mesh).toMatchObject({ policies: 'legacy', placement: 'global' });
  });
});
