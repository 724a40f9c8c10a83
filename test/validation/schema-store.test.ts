import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { SchemaIssue, SchemaStore, schemaSets } from '../../src/validation';
import { crds, describeWithCrds } from '../util';

/** Parses one manifest written as YAML, so fixtures read like the files they stand for. */
function manifest(text: string): unknown {
  return parse(text);
}

function errors(issues: readonly SchemaIssue[]): string[] {
  return issues.map((issue) => `${issue.severity}: ${issue.path}: ${issue.message}`);
}

const DEPLOYMENT = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: catalog
  namespace: coolstore
  labels:
    app.kubernetes.io/name: catalog
spec:
  replicas: 2
  selector:
    matchLabels:
      app: catalog
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: catalog
      annotations:
        sidecar.istio.io/inject: "true"
    spec:
      containers:
        - name: catalog
          image: quay.io/example/catalog:1.2.3
          ports:
            - name: http
              containerPort: 8080
          resources:
            limits:
              cpu: 500m
              memory: 512Mi
            requests:
              cpu: 0.1
              memory: 256Mi
          readinessProbe:
            httpGet:
              path: /health
              port: http
`;

/** A Deployment with `edit` applied to its parsed form. */
function deployment(edit: (d: any) => void = () => {}): unknown {
  const d = manifest(DEPLOYMENT) as any;
  edit(d);
  return d;
}

describeWithCrds('SchemaStore over the upstream schemas', () => {
  let kubernetes: SchemaStore;
  let ossm: SchemaStore;

  beforeAll(() => {
    const sets = schemaSets(crds());
    kubernetes = SchemaStore.load(sets.kubernetes);
    ossm = SchemaStore.load(sets.ossm);
  }, 60_000);

  describe('Kubernetes core kinds', () => {
    test('passes a valid Deployment, Service, Namespace and ConfigMap', () => {
      // GIVEN
      const objects = [
        deployment(),
        manifest(`
apiVersion: v1
kind: Service
metadata: { name: catalog, namespace: coolstore }
spec:
  selector: { app: catalog }
  ports:
    - { name: http, port: 80, targetPort: http }
    - { name: admin, port: 9000, targetPort: 8080, protocol: TCP }
`),
        manifest('{ apiVersion: v1, kind: Namespace, metadata: { name: coolstore, labels: { istio-injection: enabled } } }'),
        manifest('{ apiVersion: v1, kind: ConfigMap, metadata: { name: settings, namespace: coolstore }, data: { LOG_LEVEL: debug } }'),
      ];
      // WHEN
      const issues = objects.flatMap((object) => kubernetes.validate(object, { strict: true }));
      // THEN
      expect(issues).toEqual([]);
    });

    test('passes int-or-string values as integers and as strings', () => {
      // GIVEN a named and a numbered targetPort, and a percentage maxSurge
      const service = manifest(`
apiVersion: v1
kind: Service
metadata: { name: catalog }
spec:
  ports: [{ port: 80, targetPort: http }, { port: 81, targetPort: 8080 }]
`);
      // WHEN
      const issues = [...kubernetes.validate(service), ...kubernetes.validate(deployment((d) => (d.spec.strategy.rollingUpdate.maxSurge = '25%')))];
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a field deep in a Deployment is unknown', () => {
      // GIVEN "limit" instead of "limits"
      const object = deployment((d) => (d.spec.template.spec.containers[0].resources.limit = { cpu: '1' }));
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(issues).toEqual([
        { path: 'spec.template.spec.containers[0].resources.limit', message: 'unknown field, got "limit"', severity: 'error' },
      ]);
    });

    test('fails when a field has the wrong type', () => {
      // GIVEN
      const object = deployment((d) => (d.spec.replicas = 'two'));
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.replicas: must be an integer, got "two"']);
    });

    test('fails when an integer is not whole or out of the int32 range', () => {
      // GIVEN
      const object = deployment((d) => {
        d.spec.replicas = 1.5;
        d.spec.template.spec.containers[0].ports[0].containerPort = 3_000_000_000;
      });
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec.replicas: must be an integer, got 1.5',
        'error: spec.template.spec.containers[0].ports[0].containerPort: must be a 32-bit integer (-2147483648 to 2147483647), got 3000000000',
      ]);
    });

    test('fails when a required field is missing', () => {
      // GIVEN a container without a name and a Deployment without a selector
      const object = deployment((d) => {
        delete d.spec.template.spec.containers[0].name;
        delete d.spec.selector;
      });
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.selector: is required', 'error: spec.template.spec.containers[0].name: is required']);
    });

    test('fails when a quantity or an int-or-string has the wrong form', () => {
      // GIVEN
      const object = deployment((d) => {
        d.spec.template.spec.containers[0].resources.limits.memory = '512mb';
        d.spec.strategy.rollingUpdate.maxSurge = true;
      });
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec.strategy.rollingUpdate.maxSurge: must be an integer or a string, got true',
        'error: spec.template.spec.containers[0].resources.limits.memory: must be a quantity such as 500m, 2 or 1Gi, got "512mb"',
      ]);
    });

    test('fails when a value is null and the field is not nullable', () => {
      // GIVEN
      const object = deployment((d) => (d.spec.template.spec.containers[0].image = null));
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.template.spec.containers[0].image: must not be null']);
    });

    test('fails when a list keyed by port and protocol has the same key twice', () => {
      // GIVEN
      const service = manifest(`
apiVersion: v1
kind: Service
metadata: { name: catalog }
spec:
  ports: [{ name: a, port: 80, protocol: TCP }, { name: b, port: 80, protocol: UDP }, { name: c, port: 80, protocol: TCP }]
`);
      // WHEN
      const issues = kubernetes.validate(service);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.ports[2]: duplicate entry, same port and protocol as [0], got {"port":80,"protocol":"TCP"}']);
    });

    test('fails when metadata has an unknown field or no name', () => {
      // GIVEN
      const object = manifest('{ apiVersion: v1, kind: ConfigMap, metadata: { namespace: coolstore, label: { a: b } } }');
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual(['error: metadata.label: unknown field, got "label"', 'error: metadata.name: is required']);
    });

    test('fails when a Secret value is not base64', () => {
      // GIVEN
      const secret = manifest('{ apiVersion: v1, kind: Secret, metadata: { name: s }, data: { good: aGVsbG8=, bad: hello! } }');
      // WHEN
      const issues = kubernetes.validate(secret);
      // THEN
      expect(errors(issues)).toEqual(['error: data.bad: must be base64-encoded, got "hello!"']);
    });

    test('fails when apiVersion or kind is missing or not a string', () => {
      // GIVEN
      const object = { apiVersion: 1, metadata: { name: 'x' } };
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual(['error: apiVersion: must be a non-empty string, got 1', 'error: kind: is required']);
    });
  });

  describe('scope', () => {
    test('knows which kinds are cluster-scoped', () => {
      // THEN
      expect(kubernetes.scopeOf('v1', 'Namespace')).toEqual('Cluster');
      expect(kubernetes.scopeOf('rbac.authorization.k8s.io/v1', 'ClusterRole')).toEqual('Cluster');
      expect(kubernetes.scopeOf('apps/v1', 'Deployment')).toEqual('Namespaced');
      expect(kubernetes.scopeOf('kuma.io/v1alpha1', 'Mesh')).toEqual('Cluster');
      expect(kubernetes.scopeOf('kuma.io/v1alpha1', 'MeshHTTPRoute')).toEqual('Namespaced');
      expect(kubernetes.scopeOf('example.com/v1', 'Nothing')).toBeUndefined();
    });

    test('fails when a cluster-scoped kind has a namespace', () => {
      // GIVEN a core kind and a custom resource, both cluster-scoped
      const namespace = manifest('{ apiVersion: v1, kind: Namespace, metadata: { name: coolstore, namespace: default } }');
      const mesh = manifest('{ apiVersion: kuma.io/v1alpha1, kind: Mesh, metadata: { name: default, namespace: kong-mesh-system } }');
      // WHEN
      const issues = [...kubernetes.validate(namespace), ...kubernetes.validate(mesh)];
      // THEN
      expect(errors(issues)).toEqual([
        'error: metadata.namespace: must not be set: Namespace is cluster-scoped, got "default"',
        'error: metadata.namespace: must not be set: Mesh is cluster-scoped, got "kong-mesh-system"',
      ]);
    });
  });

  describe('unknown kinds', () => {
    const object = manifest('{ apiVersion: example.com/v1, kind: Widget, metadata: { name: w }, spec: { size: 3 } }');

    test('fails when the kind has no schema in strict mode', () => {
      // WHEN
      const issues = kubernetes.validate(object, { strict: true });
      // THEN
      expect(issues).toEqual([{ path: '', message: 'no schema for example.com/v1 Widget', severity: 'error' }]);
    });

    test('warns about a kind without a schema when not strict, and still checks its metadata', () => {
      // GIVEN
      const withBadMetadata = manifest('{ apiVersion: example.com/v1, kind: Widget, metadata: { name: w, labels: [a] } }');
      // WHEN
      const issues = kubernetes.validate(withBadMetadata, { strict: false });
      // THEN
      expect(errors(issues)).toEqual(['warning: : no schema for example.com/v1 Widget', 'error: metadata.labels: must be an object, got ["a"]']);
      expect(kubernetes.validate(object, { strict: false })).toEqual([
        { path: '', message: 'no schema for example.com/v1 Widget', severity: 'warning' },
      ]);
    });
  });

  describe('Kuma', () => {
    const ROUTE = `
apiVersion: kuma.io/v1alpha1
kind: MeshHTTPRoute
metadata:
  name: captains-log-route
  namespace: kong-mesh-system
  labels: { kuma.io/mesh: default }
spec:
  targetRef: { kind: Mesh }
  to:
    - targetRef: { kind: MeshService, name: captains-log_my-services_svc_5000 }
      rules:
        - matches: [{ path: { type: PathPrefix, value: / } }]
          default:
            backendRefs:
              - { kind: MeshServiceSubset, name: captains-log_my-services_svc_5000, tags: { app: mountebank }, weight: 100 }
`;

    test('passes a valid MeshHTTPRoute', () => {
      // WHEN
      const issues = kubernetes.validate(manifest(ROUTE));
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a MeshHTTPRoute backendRef has an unknown kind and an unknown field', () => {
      // GIVEN
      const route = manifest(ROUTE) as any;
      route.spec.to[0].rules[0].default.backendRefs[0].kind = 'Foo';
      route.spec.to[0].rules[0].default.backendRefs[0].weigth = 1;
      // WHEN
      const issues = kubernetes.validate(route);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec.to[0].rules[0].default.backendRefs[0].kind: must be one of Mesh, MeshSubset, MeshGateway, MeshService, MeshExternalService, ' +
          'MeshMultiZoneService, MeshServiceSubset, MeshHTTPRoute, Dataplane, got "Foo"',
        'error: spec.to[0].rules[0].default.backendRefs[0].weigth: unknown field, got "weigth"',
      ]);
    });

    const PERMISSION = `
apiVersion: kuma.io/v1alpha1
kind: MeshTrafficPermission
metadata: { name: captains-log-permissions, namespace: kong-mesh-system, labels: { kuma.io/mesh: default } }
spec:
  targetRef: { kind: Dataplane, labels: { app: captains-log } }
  from:
    - { targetRef: { kind: Mesh }, default: { action: Deny } }
    - { targetRef: { kind: MeshSubset, tags: { app: httpie } }, default: { action: Allow } }
`;

    test('passes a valid MeshTrafficPermission', () => {
      // WHEN
      const issues = kubernetes.validate(manifest(PERMISSION));
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a MeshTrafficPermission has an unknown action and no targetRef kind', () => {
      // GIVEN
      const permission = manifest(PERMISSION) as any;
      permission.spec.from[1].default.action = 'Permit';
      delete permission.spec.from[1].targetRef.kind;
      // WHEN
      const issues = kubernetes.validate(permission);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec.from[1].targetRef.kind: is required',
        'error: spec.from[1].default.action: must be one of Allow, Deny, AllowWithShadowDeny, got "Permit"',
      ]);
    });

    const TRAFFIC_ROUTE = `
apiVersion: kuma.io/v1alpha1
kind: TrafficRoute
mesh: default
metadata: { name: route-all-default }
spec:
  sources: [{ match: { kuma.io/service: "*" } }]
  destinations: [{ match: { kuma.io/service: "*" } }]
  conf:
    split:
      - { weight: 90, destination: { kuma.io/service: backend, version: "1.0" } }
      - { weight: 10, destination: { kuma.io/service: backend, version: "2.0" } }
`;

    test('passes a legacy TrafficRoute written with camelCase or snake_case field names', () => {
      // GIVEN the same load balancer, once with its JSON name and once with its proto name
      const camel = manifest(TRAFFIC_ROUTE) as any;
      camel.spec.conf.loadBalancer = { roundRobin: {} };
      const snake = manifest(TRAFFIC_ROUTE) as any;
      snake.spec.conf.load_balancer = { round_robin: {} };
      // WHEN
      const issues = [...kubernetes.validate(camel), ...kubernetes.validate(snake)];
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a legacy TrafficRoute has an unknown field inside conf', () => {
      // GIVEN the CRD keeps any spec; the protobuf schema does not
      const route = manifest(TRAFFIC_ROUTE) as any;
      route.spec.conf.splits = route.spec.conf.split;
      // WHEN
      const issues = kubernetes.validate(route);
      // THEN
      expect(issues).toEqual([{ path: 'spec.conf.splits', message: 'unknown field, got "splits"', severity: 'error' }]);
    });

    test('fails when a legacy field is given under both of its names', () => {
      // GIVEN
      const route = manifest(TRAFFIC_ROUTE) as any;
      route.spec.conf.loadBalancer = { roundRobin: {} };
      route.spec.conf.load_balancer = { roundRobin: {} };
      // WHEN
      const issues = kubernetes.validate(route);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.conf.load_balancer: duplicate field, also given as "loadBalancer"']);
    });

    test('fails when a legacy CircuitBreaker interval is not a duration in seconds', () => {
      // GIVEN protobuf durations are written in seconds: 180s, not 3m
      const breaker = manifest(`
apiVersion: kuma.io/v1alpha1
kind: CircuitBreaker
mesh: default
metadata: { name: cb }
spec:
  sources: [{ match: { kuma.io/service: "*" } }]
  destinations: [{ match: { kuma.io/service: "*" } }]
  conf: { interval: 3m, baseEjectionTime: 30s, detectors: { totalErrors: { consecutive: 20 } } }
`);
      // WHEN
      const issues = kubernetes.validate(breaker);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.conf.interval: must match the pattern ^([0-9]+\\.?[0-9]*|\\.[0-9]+)s$, got "3m"']);
    });

    test('fails when a legacy enum has an unknown name, and passes its number', () => {
      // GIVEN a Mesh mTLS backend mode
      const mesh = (mode: unknown): unknown => ({
        apiVersion: 'kuma.io/v1alpha1',
        kind: 'Mesh',
        metadata: { name: 'default' },
        spec: { mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin', mode }] } },
      });
      // WHEN
      const issues = [...kubernetes.validate(mesh('PERMISSIVE')), ...kubernetes.validate(mesh(1)), ...kubernetes.validate(mesh('LENIENT'))];
      // THEN
      expect(errors(issues)).toEqual(['error: spec.mtls.backends[0].mode: must be one of STRICT, 0, PERMISSIVE, 1, got "LENIENT"']);
    });
  });

  describe('Istio', () => {
    const VIRTUAL_SERVICE = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: inventory, namespace: coolstore }
spec:
  hosts: [inventory]
  http:
    - match: [{ headers: { x-coolstore-mock: { exact: "true" } }, uri: { prefix: /api } }]
      route: [{ destination: { host: inventory-mock, port: { number: 8080 } }, weight: 100 }]
      timeout: 5s
    - route: [{ destination: { host: inventory } }]
`;

    test('passes a networking.istio.io/v1 VirtualService with the upstream Istio schemas', () => {
      // WHEN
      const issues = kubernetes.validate(manifest(VIRTUAL_SERVICE));
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a networking.istio.io/v1 VirtualService is validated for OpenShift Service Mesh 2.5', () => {
      // WHEN
      const issues = ossm.validate(manifest(VIRTUAL_SERVICE));
      // THEN
      expect(issues).toEqual([{ path: '', message: 'no schema for networking.istio.io/v1 VirtualService', severity: 'error' }]);
    });

    test('passes a networking.istio.io/v1beta1 VirtualService for OpenShift Service Mesh 2.5', () => {
      // GIVEN
      const object = manifest(VIRTUAL_SERVICE.replace('networking.istio.io/v1', 'networking.istio.io/v1beta1'));
      // WHEN
      const issues = ossm.validate(object);
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a string match sets more than one of exact, prefix and regex', () => {
      // GIVEN
      const object = manifest(VIRTUAL_SERVICE) as any;
      object.spec.http[0].match[0].uri.exact = '/api';
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.http[0].match[0].uri: must set at most one of exact, prefix, regex, got exact, prefix']);
    });
  });

  describe('OpenShift Service Mesh', () => {
    const SMCP = `
apiVersion: maistra.io/v2
kind: ServiceMeshControlPlane
metadata: { name: basic, namespace: istio-system }
spec:
  version: v2.5
  mode: MultiTenant
  policy: { type: Istiod }
  addons: { grafana: { enabled: true }, kiali: { enabled: true } }
  gateways: { ingress: { enabled: true, routeConfig: { enabled: false } }, openshiftRoute: { enabled: false } }
  security: { dataPlane: { mtls: true, automtls: true } }
`;

    test('passes a ServiceMeshControlPlane', () => {
      // WHEN
      const issues = ossm.validate(manifest(SMCP));
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a ServiceMeshControlPlane has an unknown field under spec', () => {
      // GIVEN
      const object = manifest(SMCP) as any;
      object.spec.gateways.ingress.routeConfig.enable = true;
      object.spec.tracing = { sampling: 100, type: 'Jaeger', jaeger: {} };
      // WHEN
      const issues = ossm.validate(object);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec.gateways.ingress.routeConfig.enable: unknown field, got "enable"',
        'error: spec.tracing.jaeger: unknown field, got "jaeger"',
      ]);
    });

    test('passes a ServiceMeshMemberRoll whose nullable members are null', () => {
      // GIVEN
      const roll = manifest('{ apiVersion: maistra.io/v1, kind: ServiceMeshMemberRoll, metadata: { name: default }, spec: { members: null } }');
      // WHEN
      const issues = ossm.validate(roll);
      // THEN
      expect(issues).toEqual([]);
    });
  });

  describe('Argo CD', () => {
    const APPLICATION = `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: { name: coolstore-operators, namespace: argocd }
spec:
  project: coolstore
  destination: { namespace: openshift-operators, server: "https://api.ocp-prod.example.com:6443" }
  source:
    repoURL: https://github.com/example-org/meshflip-gitops.git
    targetRevision: main
    path: dist/coolstore/operators
    directory: { include: "*.k8s.yaml" }
  syncPolicy:
    automated: { prune: false, selfHeal: true }
    retry: { limit: 5, backoff: { duration: 10s, factor: 2, maxDuration: 3m } }
    syncOptions: [PruneLast=true]
`;

    test('passes an Application with spec.source.directory.include', () => {
      // WHEN
      const issues = kubernetes.validate(manifest(APPLICATION));
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when an Application has an unknown field', () => {
      // GIVEN "includes" instead of "include", and no repoURL
      const object = manifest(APPLICATION) as any;
      object.spec.source.directory = { includes: '*.k8s.yaml' };
      delete object.spec.source.repoURL;
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec.source.repoURL: is required',
        'error: spec.source.directory.includes: unknown field, got "includes"',
      ]);
    });
  });

  describe('OLM and OpenShift', () => {
    const SUBSCRIPTION = `
apiVersion: operators.coreos.com/v1alpha1
kind: Subscription
metadata: { name: servicemeshoperator, namespace: openshift-operators }
spec: { channel: stable, installPlanApproval: Automatic, name: servicemeshoperator, source: redhat-operators, sourceNamespace: openshift-marketplace }
`;

    test('passes a Subscription', () => {
      // WHEN
      const issues = kubernetes.validate(manifest(SUBSCRIPTION));
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a Subscription has no source and an unknown field', () => {
      // GIVEN
      const object = manifest(SUBSCRIPTION) as any;
      delete object.spec.source;
      object.spec.approval = 'Manual';
      // WHEN
      const issues = kubernetes.validate(object);
      // THEN
      expect(errors(issues)).toEqual(['error: spec.source: is required', 'error: spec.approval: unknown field, got "approval"']);
    });

    const ROUTE = `
apiVersion: route.openshift.io/v1
kind: Route
metadata: { name: coolstore-gateway, namespace: istio-system }
spec:
  host: coolstore.apps.ocp-prod.example.com
  port: { targetPort: http2 }
  to: { kind: Service, name: istio-ingressgateway, weight: 100 }
  wildcardPolicy: None
`;

    test('passes a Route', () => {
      // WHEN
      const issues = ossm.validate(manifest(ROUTE));
      // THEN
      expect(issues).toEqual([]);
    });

    test('fails when a Route host does not match its pattern and the weight is too high', () => {
      // GIVEN
      const object = manifest(ROUTE) as any;
      object.spec.host = 'Coolstore_Apps.example.com';
      object.spec.to.weight = 300;
      // WHEN
      const issues = ossm.validate(object);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec.host: must match the pattern ^([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]{0,61}[a-zA-Z0-9])' +
          '(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]{0,61}[a-zA-Z0-9]))*$, got "Coolstore_Apps.example.com"',
        'error: spec.to.weight: must be at most 256, got 300',
      ]);
    });

    test('fails when a passthrough Route has a path', () => {
      // GIVEN the Route schema says this with allOf/anyOf/not value constraints
      const object = manifest(ROUTE) as any;
      object.spec.path = '/api';
      object.spec.tls = { termination: 'passthrough' };
      // WHEN
      const issues = ossm.validate(object);
      // THEN
      expect(errors(issues)).toEqual([
        'error: spec: must match at least one of: path must be at most 0 characters long, got "/api"; or tls must not be set, ' +
          'got {"termination":"passthrough"}; or tls.termination must not be passthrough',
      ]);
    });
  });

  describe('loading', () => {
    test('loads the kubernetes and ossm sets with the kinds each platform serves', () => {
      // THEN
      const common = [
        'v1 Service',
        'apps/v1 Deployment',
        'kuma.io/v1alpha1 MeshHTTPRoute',
        'kuma.io/v1alpha1 TrafficRoute',
        'maistra.io/v2 ServiceMeshControlPlane',
        'operators.coreos.com/v1alpha1 Subscription',
        'route.openshift.io/v1 Route',
        'argoproj.io/v1alpha1 Application',
      ];
      for (const kind of common) {
        expect(kubernetes.listKinds()).toContain(kind);
        expect(ossm.listKinds()).toContain(kind);
      }
      expect(kubernetes.has('networking.istio.io/v1', 'VirtualService')).toBe(true);
      expect(kubernetes.has('telemetry.istio.io/v1', 'Telemetry')).toBe(true);
      expect(ossm.has('networking.istio.io/v1', 'VirtualService')).toBe(false);
      expect(ossm.has('networking.istio.io/v1beta1', 'VirtualService')).toBe(true);
      expect(ossm.has('security.istio.io/v1', 'PeerAuthentication')).toBe(false);
      expect(ossm.has('security.istio.io/v1beta1', 'PeerAuthentication')).toBe(true);
      expect(ossm.has('federation.maistra.io/v1', 'ServiceMeshPeer')).toBe(true);
      expect(kubernetes.has('federation.maistra.io/v1', 'ServiceMeshPeer')).toBe(false);
    });

    test('counts what it loaded and what it cannot check', () => {
      // THEN
      expect(kubernetes.summary.legacySpecSchemas).toEqual(16);
      expect(kubernetes.summary.kinds).toBeGreaterThan(150);
      // every rule of the upstream CRDs compiles with the Kubernetes CEL libraries: none is left unchecked
      expect(kubernetes.unevaluableCelRules()).toEqual([]);
      expect(ossm.unevaluableCelRules()).toEqual([]);
      expect(kubernetes.summary.celRulesEvaluated).toBeGreaterThan(ossm.summary.celRulesEvaluated);
      const { kinds, celRulesEvaluated } = kubernetes.summary;
      expect(kubernetes.summaryLine()).toEqual(
        `${kinds} kinds (16 with a legacy Kuma spec schema) from 82 files; ${celRulesEvaluated} CEL rules evaluated; ` +
          'not checked: 0 CEL transition rules, 0 CEL rules not evaluable, 0 patterns',
      );
    });

    test('fails when istio/ and its OpenShift Service Mesh alternative are loaded together', () => {
      // WHEN
      const load = (): SchemaStore => SchemaStore.load([path.join(crds(), 'istio'), path.join(crds(), 'alternatives')]);
      // THEN
      expect(load).toThrow(
        `${path.join(crds(), 'alternatives', 'ossm-2.5-istio', 'authorizationpolicies.security.istio.io.crd.yaml')}: ` +
          `security.istio.io/v1 AuthorizationPolicy is defined twice: here and in ${path.join(crds(), 'istio', 'crd-all.gen.yaml')}`,
      );
    });
  });
});

describe('loading schema files', () => {
  test('fails when a path does not exist', () => {
    // GIVEN
    const missing = path.join(os.tmpdir(), 'meshflip-no-such-schemas');
    // THEN
    expect(() => SchemaStore.load([missing])).toThrow(`${missing}: cannot load schemas: no such file or folder`);
  });

  test('loads a single CRD file among other kinds, and skips versions that are not served', () => {
    // GIVEN
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-schemas-'));
    const file = path.join(dir, 'widgets.yaml');
    fs.writeFileSync(
      file,
      `apiVersion: v1
kind: ConfigMap
metadata: { name: not-a-crd }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: widgets.example.com }
spec:
  group: example.com
  scope: Cluster
  names: { kind: Widget, plural: widgets }
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: { type: object, properties: { size: { type: integer, minimum: 1 } } }
    - { name: v0, served: false, storage: false, schema: { openAPIV3Schema: { type: object } } }
`,
    );
    try {
      // WHEN
      const store = SchemaStore.load([file]);
      // THEN
      expect(store.listKinds()).toEqual(['example.com/v1 Widget']);
      expect(store.scopeOf('example.com/v1', 'Widget')).toEqual('Cluster');
      expect(
        errors(store.validate({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', whatever: 1 }, spec: { size: 0 } })),
      ).toEqual(['error: spec.size: must be at least 1, got 0']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
