import { checkIstio } from '../../src/meshes/istio/istio-checks';
import { findObjects, objectsOf, pathsUnder } from './helpers';

/** `<kind> <apiVersion>` of every distinct pair rendered under `prefix`, in the order of `kinds`. */
function apiVersionsOf(prefix: string, kinds: readonly string[]): string[] {
  return [...new Set(kinds.flatMap((kind) => findObjects(prefix, kind).map(({ object }) => `${kind} ${object.apiVersion}`)))];
}

describe('upstream Istio (1.22 and later)', () => {
  test('uses the v1 APIs', () => {
    // WHEN
    const versions = apiVersionsOf('istio/', ['VirtualService', 'DestinationRule', 'Gateway', 'AuthorizationPolicy', 'PeerAuthentication']);
    // THEN every kind is rendered, each with v1 only
    expect(versions).toEqual([
      'VirtualService networking.istio.io/v1',
      'DestinationRule networking.istio.io/v1',
      'Gateway networking.istio.io/v1',
      'AuthorizationPolicy security.istio.io/v1',
      'PeerAuthentication security.istio.io/v1',
    ]);
  });

  test('folds route, split and timeouts into exactly one VirtualService for the host, resolved through DestinationRule subsets', () => {
    // WHEN
    const [vs] = objectsOf('istio/workloads/backend.routing.k8s.yaml').filter((o) => o.kind === 'VirtualService');
    const [dr] = objectsOf('istio/workloads/backend.routing.k8s.yaml').filter((o) => o.kind === 'DestinationRule');
    // THEN
    expect(findObjects('istio/', 'VirtualService').filter((v) => v.object.spec.hosts.includes('backend.shop.svc.cluster.local'))).toHaveLength(1);
    expect(vs.spec).toEqual({
      hosts: ['backend.shop.svc.cluster.local'],
      http: [
        {
          name: 'default',
          timeout: '3s',
          route: [
            { destination: { host: 'backend.shop.svc.cluster.local', subset: 'real' }, weight: 60 },
            { destination: { host: 'backend.shop.svc.cluster.local', subset: 'mock' }, weight: 40 },
          ],
        },
      ],
    });
    expect(dr.spec).toEqual({
      host: 'backend.shop.svc.cluster.local',
      subsets: [
        { name: 'real', labels: { app: 'backend' } },
        { name: 'mock', labels: { app: 'mountebank' } },
      ],
      trafficPolicy: { connectionPool: { http: { idleTimeout: '30s', maxRequestsPerConnection: 2 }, tcp: { maxConnections: 10 } } },
    });
  });

  test('runs strict mTLS mesh-wide and allows exactly the declared callers, the gateway for exposed services', () => {
    expect(objectsOf('istio/control-plane/mtls.k8s.yaml')).toMatchObject([
      { kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'istio-system' }, spec: { mtls: { mode: 'STRICT' } } },
    ]);
    const [backend] = objectsOf('istio/workloads/backend.access.k8s.yaml');
    expect(backend.spec).toEqual({
      selector: { matchLabels: { 'app.kubernetes.io/name': 'backend' } },
      action: 'ALLOW',
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/frontend'] } }] }],
    });
    const [frontend] = objectsOf('istio/workloads/frontend.access.k8s.yaml');
    expect(frontend.spec.rules).toEqual([
      { from: [{ source: { principals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] } }] },
    ]);
  });

  test('routes the gateway host to the exposed services in one VirtualService', () => {
    const [vs] = objectsOf('istio/workloads/ingress.k8s.yaml');
    expect(vs.spec.gateways).toEqual(['istio-system/shop-gateway']);
    expect(vs.spec.hosts).toEqual(['shop.example.com']);
    expect(vs.spec.http).toEqual([
      { name: 'web', match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'frontend.shop.svc.cluster.local', port: { number: 80 } } }] },
    ]);
  });

  test('labels workload namespaces for injection and installs the control plane from the Istio charts', () => {
    const [ns] = objectsOf('istio/workloads/namespaces.k8s.yaml');
    expect(ns.metadata.labels['istio-injection']).toBe('enabled');
    const apps = objectsOf('argocd/istio.k8s.yaml').filter((o) => o.kind === 'Application' && o.spec.source.chart);
    expect(apps.map((a) => `${a.spec.source.chart}@${a.spec.source.targetRevision}`)).toEqual(['base@1.30.3', 'istiod@1.30.3', 'gateway@1.30.3']);
  });
});

describe('OpenShift Service Mesh 2.x', () => {
  test('uses v1beta1 for Istio kinds, which OSSM 2.x serves (not v1)', () => {
    // WHEN (the OSSM fixture has no DestinationRule; coolstore-chaos has one, checked against the OSSM schemas in test/validation)
    const versions = apiVersionsOf('ossm/', ['VirtualService', 'DestinationRule', 'Gateway', 'AuthorizationPolicy']);
    // THEN
    expect(versions).toEqual([
      'VirtualService networking.istio.io/v1beta1',
      'Gateway networking.istio.io/v1beta1',
      'AuthorizationPolicy security.istio.io/v1beta1',
    ]);
  });

  test('subscribes to the operators through OLM with the configured channel, source, approval and starting CSV', () => {
    expect(pathsUnder('ossm/operators/')).toEqual([
      'ossm/operators/elasticsearch.k8s.yaml',
      'ossm/operators/kiali.k8s.yaml',
      'ossm/operators/servicemesh.k8s.yaml',
    ]);
    const [sub] = objectsOf('ossm/operators/servicemesh.k8s.yaml');
    expect(sub).toMatchObject({
      kind: 'Subscription',
      metadata: { name: 'servicemeshoperator', namespace: 'openshift-operators' },
      spec: {
        channel: 'stable',
        installPlanApproval: 'Manual',
        name: 'servicemeshoperator',
        source: 'redhat-operators',
        sourceNamespace: 'openshift-marketplace',
        startingCSV: 'servicemeshoperator.v2.4.5',
      },
    });
    // openshift-operators has its global OperatorGroup already; the Elasticsearch operator's own namespace gets one
    expect(objectsOf('ossm/operators/elasticsearch.k8s.yaml').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/openshift-operators-redhat',
      'OperatorGroup/openshift-operators-redhat',
      'Subscription/elasticsearch-operator',
    ]);
  });

  test('orders operators before the control plane, the control plane before the member roll', () => {
    const wave = (o: { metadata: { annotations: Record<string, string> } }) => Number(o.metadata.annotations['argocd.argoproj.io/sync-wave']);
    const [ns, smcp, smmr] = objectsOf('ossm/control-plane/control-plane.k8s.yaml');
    expect([ns.kind, smcp.kind, smmr.kind]).toEqual(['Namespace', 'ServiceMeshControlPlane', 'ServiceMeshMemberRoll']);
    expect(wave(ns)).toBeLessThan(wave(smcp));
    expect(wave(smcp)).toBeLessThan(wave(smmr));
    // The CRDs arrive with the operator: the dry run waits for them.
    expect(smcp.metadata.annotations['argocd.argoproj.io/sync-options']).toBe('SkipDryRunOnMissingResource=true');
    const apps = Object.fromEntries(
      objectsOf('argocd/ossm.k8s.yaml')
        .filter((o) => o.kind === 'Application')
        .map((a) => [a.metadata.name, wave(a)]),
    );
    expect(apps['ossm-operators']).toBeLessThan(apps['ossm-control-plane']);
    expect(apps['ossm-control-plane']).toBeLessThan(apps['ossm-workloads']);
  });

  test("configures the control plane from the environment, with strict mTLS and meshflip's own Route", () => {
    const smcp = objectsOf('ossm/control-plane/control-plane.k8s.yaml').find((o) => o.kind === 'ServiceMeshControlPlane');
    expect(smcp.spec).toMatchObject({
      version: 'v2.4',
      tracing: { type: 'None', sampling: 10000 },
      security: { dataPlane: { mtls: true } },
      addons: { grafana: { enabled: false }, kiali: { enabled: true }, prometheus: { enabled: true } },
      gateways: { openshiftRoute: { enabled: false } },
    });
    expect(smcp.spec.addons.jaeger).toBeUndefined();
    const route = objectsOf('ossm/control-plane/gateway.k8s.yaml').find((o) => o.kind === 'Route');
    // The ingress gateway Service names its port 80 "http2": the Route must target a port that exists.
    expect(route.spec).toEqual({
      host: 'shop.apps.example.com',
      to: { kind: 'Service', name: 'istio-ingressgateway', weight: 100 },
      port: { targetPort: 'http2' },
      wildcardPolicy: 'None',
    });
  });

  test('lists exactly the application namespaces in the member roll and injects a sidecar into every workload', () => {
    const roll = objectsOf('ossm/control-plane/control-plane.k8s.yaml').find((o) => o.kind === 'ServiceMeshMemberRoll');
    expect(roll.spec.members).toEqual(['shop']);
    const deployments = findObjects('ossm/', 'Deployment');
    expect(deployments.length).toBe(3);
    for (const { object } of deployments) {
      expect(object.spec.template.metadata.annotations['sidecar.istio.io/inject']).toBe('true');
    }
    // OSSM only honours "disabled" on the namespace label
    const [ns] = objectsOf('ossm/workloads/namespaces.k8s.yaml');
    expect(ns.metadata.labels).not.toHaveProperty(['istio-injection']);
  });

  test('protects a production-like environment: no mock deployed, no prune, no cascade delete', () => {
    expect(
      findObjects('ossm/', 'Deployment')
        .map((d) => d.object.metadata.name)
        .sort(),
    ).toEqual(['backend', 'db', 'frontend']);
    const apps = objectsOf('argocd/ossm.k8s.yaml').filter((o) => o.kind === 'Application');
    expect(apps.map((a) => a.metadata.name).sort()).toEqual(['ossm-control-plane', 'ossm-operators', 'ossm-workloads']);
    for (const app of apps) {
      expect(app.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: false });
      expect(app.metadata.finalizers).toBeUndefined();
    }
  });
});

describe('checkIstio', () => {
  const at = (object: Record<string, unknown>) => ({ file: 'lab/workloads/backend.routing.k8s.yaml', object, line: 2 });
  const service = at({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'backend', namespace: 'shop' } });
  const routeTo = (host: string) =>
    at({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'backend', namespace: 'shop' },
      spec: { hosts: ['backend'], http: [{ route: [{ destination: { host }, weight: 100 }] }] },
    });

  test.each(['backend', 'backend.shop', 'backend.shop.svc', 'backend.shop.svc.cluster.local'])(
    'accepts a destination written %s for a Service of the environment',
    (host) => {
      // WHEN
      const findings = checkIstio('lab', [service, routeTo(host)], false);
      // THEN
      expect(findings.map((f) => f.message).filter((m) => m.includes('not a Service'))).toEqual([]);
    },
  );

  test('fails when a destination is no Service of the environment', () => {
    // WHEN
    const findings = checkIstio('lab', [service, routeTo('payments.shop.svc')], false);
    // THEN
    expect(findings.map((f) => f.message).filter((m) => m.includes('not a Service'))).toEqual([
      'VirtualService shop/backend routes to payments.shop.svc.cluster.local, which is not a Service of this environment',
    ]);
  });
});
