import * as fs from 'fs';
import * as path from 'path';
import { parseYamlDocuments, removeTempDirs, snapshotTree } from '../util';
import { renderedDist } from '../rendered-dist';

afterAll(removeTempDirs);

function dist(file: string): any[] {
  return parseYamlDocuments(fs.readFileSync(path.join(renderedDist(), file), 'utf8'));
}

describe('the OpenShift Service Mesh coolstore demo', () => {
  test('deploys catalog and inventory, each with a PostgreSQL database on a PersistentVolumeClaim, catalog allowed to call inventory', () => {
    for (const [ns, app] of [
      ['coolstore-catalog', 'catalog'],
      ['coolstore-inventory', 'inventory'],
    ]) {
      const db = dist(`coolstore/workloads/${app}-database.k8s.yaml`);
      expect(db.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
        `ServiceAccount/${ns}/${app}-database`,
        `Deployment/${ns}/${app}-database`,
        `PersistentVolumeClaim/${ns}/${app}-database-data`,
        `Service/${ns}/${app}-database`,
      ]);
      const deployment = db.find((o) => o.kind === 'Deployment');
      expect(deployment.spec.template.spec.containers[0].volumeMounts).toContainEqual({ mountPath: '/var/lib/pgsql/data', name: 'data' });
    }
    const [inventory] = dist('coolstore/workloads/inventory.access.k8s.yaml');
    expect(inventory.spec.rules[0].from[0].source.principals).toEqual([
      'cluster.local/ns/coolstore-catalog/sa/catalog',
      'cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account',
    ]);
  });

  test('keeps database credentials out of dist/: every one comes from a Secret in the cluster', () => {
    const everything = Object.values(snapshotTree(renderedDist())).join('\n');
    expect(everything).not.toContain('mysecretpassword');
    expect(everything).not.toMatch(/^kind: Secret$/m);
    const catalog = dist('coolstore/workloads/catalog.k8s.yaml').find((o) => o.kind === 'Deployment');
    const env = Object.fromEntries(catalog.spec.template.spec.containers[0].env.map((e: any) => [e.name, e]));
    expect(env.DATASOURCE_PASSWORD).toEqual({
      name: 'DATASOURCE_PASSWORD',
      valueFrom: { secretKeyRef: { key: 'database-password', name: 'catalog-database' } },
    });
    expect(env.INVENTORY_URL).toEqual({ name: 'INVENTORY_URL', value: 'inventory.coolstore-inventory.svc.cluster.local' });
  });

  test('installs Kiali and the Service Mesh operator through OLM, and no Jaeger: its operator left the Red Hat catalog', () => {
    expect(fs.readdirSync(path.join(renderedDist(), 'coolstore/operators')).sort()).toEqual(['kiali.k8s.yaml', 'servicemesh.k8s.yaml']);
    expect(dist('coolstore/operators/kiali.k8s.yaml')[0].spec).toMatchObject({ name: 'kiali-ossm', channel: 'stable', source: 'redhat-operators' });
    // Protected: nothing is installed or upgraded without approval, and the first install is 2.5, not the channel head.
    expect(dist('coolstore/operators/servicemesh.k8s.yaml')[0].spec).toMatchObject({
      installPlanApproval: 'Manual',
      startingCSV: 'servicemeshoperator.v2.5.4',
    });
    expect(dist('coolstore-chaos/operators/servicemesh.k8s.yaml')[0].spec).toMatchObject({ installPlanApproval: 'Automatic' });
    const smcp = dist('coolstore/control-plane/control-plane.k8s.yaml').find((o) => o.kind === 'ServiceMeshControlPlane');
    // The operator renders the tracing chart with the gateways: with Jaeger and no Jaeger operator, no gateway.
    expect(smcp.spec.tracing.type).toBe('None');
    expect(smcp.spec.addons.jaeger).toBeUndefined();
  });

  test('joins exactly the application namespaces to the mesh and injects the sidecar from the start', () => {
    const roll = dist('coolstore/control-plane/control-plane.k8s.yaml').find((o) => o.kind === 'ServiceMeshMemberRoll');
    expect(roll.metadata).toMatchObject({ name: 'default', namespace: 'istio-system' });
    expect(roll.spec.members).toEqual(['coolstore-catalog', 'coolstore-inventory']);
    const deployments = Object.entries(snapshotTree(path.join(renderedDist(), 'coolstore/workloads')))
      .flatMap(([, text]) => parseYamlDocuments(text))
      .filter((o: any) => o.kind === 'Deployment') as any[];
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual(['catalog', 'catalog-database', 'inventory', 'inventory-database']);
    for (const d of deployments) {
      expect(d.spec.template.metadata.annotations['sidecar.istio.io/inject']).toBe('true');
    }
  });

  test("exposes the services through the gateway with the demo's match and rewrite rules, and a Route to a port that exists", () => {
    const [gateway, route] = dist('coolstore/control-plane/gateway.k8s.yaml');
    expect(gateway.spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['coolstore.apps.ocp-prod.example.com'] }],
    });
    expect(route.spec.port).toEqual({ targetPort: 'http2' });
    // The demo's `oc get route istio-ingressgateway -n istio-system` finds it.
    expect(route.metadata).toMatchObject({ name: 'istio-ingressgateway', namespace: 'istio-system' });
    const [vs] = dist('coolstore/workloads/ingress.k8s.yaml');
    expect(vs.spec.http).toEqual([
      {
        name: 'service-route',
        match: [{ uri: { exact: '/services/products' } }, { uri: { exact: '/services/product' } }, { uri: { exact: '/' } }],
        route: [{ destination: { host: 'catalog.coolstore-catalog.svc.cluster.local', port: { number: 8080 } } }],
      },
      {
        name: 'frontend-route',
        match: [{ uri: { prefix: '/catalog/' } }, { uri: { exact: '/catalog' } }],
        rewrite: { uri: '/' },
        route: [{ destination: { host: 'catalog.coolstore-catalog.svc.cluster.local', port: { number: 8080 } } }],
      },
      {
        name: 'service-route',
        match: [{ uri: { exact: '/services/inventory' } }],
        retries: { attempts: 2, perTryTimeout: '2s', retryOn: '5xx,connect-failure,refused-stream' },
        route: [{ destination: { host: 'inventory.coolstore-inventory.svc.cluster.local', port: { number: 80 } } }],
      },
      {
        name: 'frontend-route',
        match: [{ uri: { prefix: '/inventory/' } }, { uri: { exact: '/inventory' } }],
        rewrite: { uri: '/' },
        retries: { attempts: 2, perTryTimeout: '2s', retryOn: '5xx,connect-failure,refused-stream' },
        route: [{ destination: { host: 'inventory.coolstore-inventory.svc.cluster.local', port: { number: 80 } } }],
      },
    ]);
  });

  test("coolstore-chaos injects the demo's faults into real inventory traffic, in the one VirtualService of the host", () => {
    const objects = dist('coolstore-chaos/workloads/inventory.routing.k8s.yaml');
    const virtualServices = objects.filter((o) => o.kind === 'VirtualService');
    expect(virtualServices).toHaveLength(1);
    // inventory's Service has two ports (80 and 8080): each gets its own routes, header route first.
    const [headerRoute, defaultRoute, ...metricsRoutes] = virtualServices[0].spec.http;
    expect(headerRoute).toEqual({
      name: 'http-mock-by-header',
      match: [{ port: 80, headers: { 'x-coolstore-mock': { exact: 'true' } } }],
      route: [{ destination: { host: 'inventory.coolstore-inventory.svc.cluster.local', port: { number: 80 }, subset: 'mock' } }],
    });
    expect(defaultRoute.fault).toEqual({
      abort: { httpStatus: 500, percentage: { value: 10 } },
      delay: { fixedDelay: '5s', percentage: { value: 10 } },
    });
    expect(defaultRoute.route).toEqual([
      { destination: { host: 'inventory.coolstore-inventory.svc.cluster.local', port: { number: 80 }, subset: 'real' } },
    ]);
    expect(metricsRoutes.map((r: any) => [r.name, r.match[0].port, r.route[0].destination.port.number])).toEqual([
      ['http-metrics-mock-by-header', 8080, 8080],
      ['http-metrics', 8080, 8080],
    ]);
  });

  test("coolstore-chaos adds the demo's circuit breaker: connection pool and outlier detection", () => {
    const [dr] = dist('coolstore-chaos/workloads/inventory.routing.k8s.yaml').filter((o) => o.kind === 'DestinationRule');
    expect(dr.spec.trafficPolicy).toEqual({
      connectionPool: { tcp: { maxConnections: 1, connectTimeout: '30ms' }, http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 } },
      outlierDetection: { consecutive5xxErrors: 1, interval: '1s', baseEjectionTime: '3m', maxEjectionPercent: 100 },
    });
  });

  test('the protected coolstore runs no mock and carries no fault', () => {
    const everything = Object.entries(snapshotTree(path.join(renderedDist(), 'coolstore')))
      .map(([, t]) => t)
      .join('\n');
    expect(everything).not.toContain('mountebank');
    expect(everything).not.toContain('fault:');
  });
});
