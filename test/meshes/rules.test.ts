import * as path from 'path';
import { ALL_RULES, rulesFor } from '../../src/meshes/index';
import { ISTIO_RULES } from '../../src/meshes/istio/istio-rules';
import { KUMA_RULES } from '../../src/meshes/kuma/kuma-rules';
import { ruleSetProblems, runRules } from '../../src/meshes/rules';
import { loadProject } from '../../src/model/load';
import { compareStrings, formatProblem } from '../../src/model/spec-error';
import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { RenderedObject } from '../../src/meshes/effective-routing';
import { EnvironmentSpec, MeshFlavor } from '../../src/model/spec';
import { synthesizeEnvironment, synthesizeWithRouting } from '../../src/pipeline/synth/synth';
import {
  at,
  CATALOG,
  fixtureRepo,
  kongEnvironment,
  lines,
  MOCKED_PAYMENTS_AND_FRONTEND,
  ossmEnvironment,
  problemsOf as loadProblems,
} from '../model/fixtures';
import { headerReachText, mermaidGraph } from '../../src/pipeline/synth/routing-report';
import { removeTempDirs } from '../util';

afterAll(removeTempDirs);

const REPO = path.resolve(__dirname, '../..');

/** The formatted problems the mesh rules of each environment of `root` report (the Argo CD rules, MF3xxx, have their own tests). */
function ruleProblems(root: string): string[] {
  const project = loadProject(root);
  return project.environments
    .flatMap((env) =>
      runRules(
        rulesFor(env).filter((r) => !r.code.startsWith('MF3')),
        { env, objects: [] },
      ),
    )
    .map(formatProblem);
}

describe('the rule set', () => {
  test('every rule has a code of the MF0000 form, used once', () => {
    expect(ruleSetProblems(ALL_RULES)).toEqual([]);
    expect(ALL_RULES.length).toBeGreaterThan(20);
  });

  test('fails when two rules share a code or a code is malformed', () => {
    const [rule] = KUMA_RULES;
    expect(ruleSetProblems([rule, rule, { ...rule, code: 'MF12' }])).toEqual([
      `${rule.code}: used by more than one rule`,
      'MF12: a rule code is MF and four digits',
    ]);
  });

  test('is silent on the example environments', () => {
    const { problems } = synthesizeWithRouting(loadProject(REPO));
    expect(problems.map(formatProblem)).toEqual([]);
  });
});

describe('MF1001: an mTLS mesh without traffic permissions', () => {
  test('fails when a Kong Mesh 2.6+ environment turns traffic permissions off', () => {
    // GIVEN
    const text = kongEnvironment('lab', 'trafficPermissions: false');
    // WHEN
    const problems = ruleProblems(fixtureRepo({ 'environments/lab.yaml': text }));
    // THEN
    expect(problems).toEqual([
      `environments/lab.yaml:${at(text, 'false')}: trafficPermissions: MF1001 on kong-mesh 2.14.3 a mesh with mTLS and no MeshTrafficPermission ` +
        'refuses every request (no allow-all policy is created since 2.6), got false; ' +
        'remove trafficPermissions: false, so that meshflip renders a permission for each declared call',
    ]);
  });

  test('is silent before 2.6 on a self-hosted global, which still creates the allow-all TrafficPermission for a new mesh', () => {
    const text = kong({ version: '2.5.1', global: SELF_HOSTED + KDS_TLS, extra: ['trafficPermissions: false'] });
    expect(ruleHits('MF1001', text)).toEqual([]);
  });

  test('is silent when traffic permissions are rendered', () => {
    expect(ruleProblems(fixtureRepo())).toEqual([]);
  });

  test('is an error of the synthesis, which the synth command refuses to write past', async () => {
    // GIVEN
    const root = fixtureRepo({ 'environments/lab.yaml': kongEnvironment('lab', 'trafficPermissions: false') });
    // WHEN
    const result = await synthesizeProject({ root, jobs: 1 });
    // THEN
    expect(result.problems.map((p) => [p.field, p.severity])).toEqual([['trafficPermissions', 'error']]);
  });
});

const KONNECT = '    konnect:\n      region: eu\n      controlPlaneId: 48e893dc-6a4e-40fb-a933-d06e92cccce6\n';
const SELF_HOSTED = '    selfHosted:\n      cluster: hub\n      kdsAddress: grpcs://kds.example.com:5685\n';
const KDS_TLS = '      kdsTls: { serverSecretName: kds-server-tls, caSecretName: kds-ca }\n';
const CA_BUNDLE = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUIKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo=';

/** A Kong Mesh environment with `mesh` lines inserted before its zones and the global control plane replaced by `global`. */
function kong(options: { version?: string; global?: string; mesh?: string[]; extra?: string[] } = {}): string {
  return kongEnvironment('lab', ...(options.extra ?? []))
    .replace('version: 2.14.3', `version: ${options.version ?? '2.14.3'}`)
    .replace(KONNECT, options.global ?? KONNECT)
    .replace('  zones:\n', `${(options.mesh ?? []).map((l) => `  ${l}\n`).join('')}  zones:\n`);
}

/** The problems of rule `code` for one environment file. */
function ruleHits(code: string, text: string): string[] {
  return ruleProblems(fixtureRepo({ 'environments/lab.yaml': text })).filter((p) => p.includes(` ${code} `));
}

describe('MF1002: a control-plane certificate generated on every render', () => {
  test('fails before chart 2.13 when no certificate is declared', () => {
    const text = kong({ version: '2.9.0', mesh: ['placement: global'] });
    expect(ruleHits('MF1002', text)).toEqual([
      `environments/lab.yaml:${at(text, '2.9.0')}: mesh.version: MF1002 the kong-mesh chart 2.9.0 generates a new control-plane CA and webhook caBundle each time Argo CD renders it ` +
        '(Helm lookup is empty under helm template): the control planes never stay Synced, self-heal rotates the CA and running sidecars keep the old one, got "2.9.0"; ' +
        'declare mesh.controlPlaneTls.secret (a pre-created Secret and its CA bundle), or use chart 2.13 or later, where meshflip enables cert-manager',
    ]);
  });

  test('points at chartVersion when that is what selects the chart', () => {
    const text = kong({ mesh: ['chartVersion: 2.12.3'] });
    expect(ruleHits('MF1002', text).map((p) => p.split(': ').slice(0, 2).join(': '))).toEqual([
      `environments/lab.yaml:${at(text, '2.12.3')}: mesh.chartVersion`,
    ]);
  });

  test('is silent with a provided Secret, and from 2.13 on where cert-manager is the default', () => {
    expect(ruleHits('MF1002', kong({ version: '2.9.0', mesh: [`controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`] }))).toEqual(
      [],
    );
    expect(ruleHits('MF1002', kong())).toEqual([]);
  });
});

describe('MF1003: policies Argo CD can never prune', () => {
  test('fails on a 2.6 mesh whose policies are created on the zones', () => {
    const text = kong({ version: '2.6.0', mesh: [`controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`] });
    expect(ruleHits('MF1003', text)).toEqual([
      `environments/lab.yaml:${at(text, '2.6.0')}: mesh.version: MF1003 before 2.7 kuma-cp makes the Mesh the owner of every policy it admits, and Argo CD never prunes an owned object: ` +
        'a fault, route or permission removed from the environment stays in force while Argo CD reports Synced, got "2.6.0"; ' +
        'use 2.7 or later (meshflip then sets KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE), or a Konnect global with placement: global',
    ]);
  });

  test('is silent when Konnect holds the policies, and from 2.7 on', () => {
    expect(ruleHits('MF1003', kong({ version: '2.6.0', mesh: ['placement: global'] }))).toEqual([]);
    expect(ruleHits('MF1003', kong({ version: '2.7.0', mesh: [`controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`] }))).toEqual(
      [],
    );
  });
});

describe('MF1004: zones that cannot verify a self-hosted global control plane', () => {
  test('fails when neither a KDS certificate nor skipVerify is declared', () => {
    const text = kong({ global: SELF_HOSTED, mesh: ['license: { name: kong-mesh-license }'] });
    expect(ruleHits('MF1004', text)).toEqual([
      `environments/lab.yaml:${at(text, 'grpcs://')}: mesh.global.selfHosted.kdsAddress: MF1004 zones reaching grpcs://kds.example.com:5685 get the global's self-signed control-plane certificate, ` +
        'which does not name that host, and verify it against the system roots: the TLS handshake fails and no zone receives the Mesh or a policy, got "grpcs://kds.example.com:5685"; ' +
        'declare mesh.global.selfHosted.kdsTls with the Secret of a certificate for that host and the Secret of its CA, or kdsSkipVerify: true to skip verification deliberately',
    ]);
  });

  test('is silent with a KDS certificate, with a deliberate skipVerify, and on Konnect', () => {
    expect(ruleHits('MF1004', kong({ global: SELF_HOSTED + KDS_TLS }))).toEqual([]);
    expect(ruleHits('MF1004', kong({ global: SELF_HOSTED, mesh: ['kdsSkipVerify: true'] }))).toEqual([]);
    expect(ruleHits('MF1004', kong())).toEqual([]);
  });
});

describe('MF1005: hook Jobs deleted before Argo CD sees them finish', () => {
  test.each(['2.12.0', '2.12.8', '2.13.3'])('warns on chart %s, which hard-codes ttlSecondsAfterFinished: 0', (version) => {
    const text = kong({ version });
    expect(ruleHits('MF1005', text)).toEqual([
      `environments/lab.yaml:${at(text, version)}: warning: mesh.version: MF1005 the kong-mesh chart ${version} runs its hook Jobs with ttlSecondsAfterFinished: 0, ` +
        `so they are deleted before Argo CD 2.x reads their status and the sync can hang, got "${version}"; ` +
        'use chart 2.12.9, 2.13.4, 2.14.0 or later, where meshflip sets hooks.ttlSecondsAfterFinished: null',
    ]);
  });

  test.each(['2.11.5', '2.12.9', '2.13.4', '2.14.0'])('is silent on chart %s', (version) => {
    expect(ruleHits('MF1005', kong({ version, mesh: [`controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`] }))).toEqual([]);
  });
});

describe('MF1006: a self-hosted Kong Mesh global without a licence', () => {
  test('warns that the bundled licence is used, and says when the environment runs more proxies than it allows', () => {
    const small = kong({ global: SELF_HOSTED + KDS_TLS });
    const big = kong({ global: SELF_HOSTED + KDS_TLS }).replace('  payments:\n', '  payments:\n    replicas: 5\n');
    const hint = 'create a Secret with the licence in the control-plane namespace and declare it as mesh.license';
    expect(ruleHits('MF1006', small)).toEqual([
      `environments/lab.yaml:${at(small, 'hub')}: warning: mesh.global.selfHosted.cluster: MF1006 the global control plane runs on the licence bundled with Kong Mesh (5 data plane proxies, 30 days), got "hub"; ${hint}`,
    ]);
    expect(ruleHits('MF1006', big)).toEqual([
      `environments/lab.yaml:${at(big, 'hub')}: warning: mesh.global.selfHosted.cluster: MF1006 the global control plane runs on the licence bundled with Kong Mesh (5 data plane proxies, 30 days), ` +
        `and the environment runs 7: proxies beyond the limit are refused, got "hub"; ${hint}`,
    ]);
  });

  test('is silent with a licence, on Konnect, and for Kuma', () => {
    expect(ruleHits('MF1006', kong({ global: SELF_HOSTED + KDS_TLS, mesh: ['license: { name: kong-mesh-license }'] }))).toEqual([]);
    expect(ruleHits('MF1006', kong())).toEqual([]);
    expect(ruleHits('MF1006', kong({ global: SELF_HOSTED + KDS_TLS }).replace('flavor: kong-mesh', 'flavor: kuma'))).toEqual([]);
  });

  test('a licence is refused where nothing reads it', () => {
    const text = kong({ mesh: ['license: { name: kong-mesh-license }'] });
    expect(loadProblems(fixtureRepo({ 'environments/lab.yaml': text }))).toEqual([
      `environments/lab.yaml:${at(text, '{ name: kong-mesh-license')}: mesh.license: is only for a self-hosted Kong Mesh global control plane (Konnect manages the licence; Kuma needs none); remove it`,
    ]);
  });
});

/** The objects synthesized for environment `name` of `root`, each replaced by `edit` (which may return undefined to drop it). */
function renderedObjects(root: string, name: string): { env: EnvironmentSpec; objects: RenderedObject[] } {
  const project = loadProject(root);
  const env = project.environments.find((e) => e.name === name)!;
  const { files } = synthesizeEnvironment(env, project.settings);
  const objects = files.flatMap((f) =>
    (f.objects ?? []).map((object) => ({ file: f.path, object: structuredClone<Record<string, unknown>>(object) })),
  );
  return { env, objects };
}

/** The formatted problems of the OSSM rules on environment `lab` of `root`, after `edit` changed its rendered objects. */
function ossmRuleProblems(root: string, edit: (objects: RenderedObject[]) => RenderedObject[] = (o) => o): string[] {
  const { env, objects } = renderedObjects(root, 'lab');
  return runRules(ISTIO_RULES, { env, objects: edit(objects) }).map(formatProblem);
}

/** Objects of `kind`, as plain mutable records. */
function ofKind(objects: RenderedObject[], kind: string): any[] {
  return objects.filter((o) => o.object.kind === kind).map((o) => o.object);
}

describe('MF2001: a sidecar without a service account token', () => {
  const text = ossmEnvironment('lab');
  const root = () => fixtureRepo({ 'environments/lab.yaml': text });

  test('every injected pod of the examples has a token source its sidecar can use', () => {
    // GIVEN every OSSM 2.x environment of the repository (3.x runs upstream Istio, whose injector always
    // mounts the projected istio-token: istio/istio 1.28 manifests/charts/istio-control/istio-discovery/files/injection-template.yaml)
    const project = loadProject(REPO);
    const envs = project.environments.filter((e) => e.mesh.flavor === MeshFlavor.OPENSHIFT_SERVICE_MESH && e.mesh.version.major === 2);
    expect(envs.map((e) => e.name)).toEqual(['coolstore', 'coolstore-chaos', 'coolstore-migrating']);
    for (const env of envs) {
      const { files } = synthesizeEnvironment(env, project.settings);
      const objects = files.flatMap((f) => f.objects ?? []) as any[];
      const identity = objects.find((o) => o.kind === 'ServiceMeshControlPlane').spec.security.identity?.type ?? 'Kubernetes';
      const pods = objects.filter((o) => o.kind === 'Deployment' && o.spec.template.metadata.annotations?.['sidecar.istio.io/inject'] === 'true');
      // THEN pods keep their token away from the application, so the sidecar must use the projected istio-token
      expect(pods.length).toBeGreaterThan(0);
      expect(
        pods.map(
          (p) =>
            `${p.metadata.name}: ${p.spec.template.spec.automountServiceAccountToken === false && identity !== 'ThirdParty' ? 'no token' : 'token'}`,
        ),
      ).toEqual(pods.map((p) => `${p.metadata.name}: token`));
    }
  });

  test('fails for each injected pod when the control plane keeps the Kubernetes (first-party JWT) identity', () => {
    // WHEN the ServiceMeshControlPlane is rendered without an identity, i.e. with the base profile's Kubernetes
    const problems = ossmRuleProblems(root(), (objects) => {
      ofKind(objects, 'ServiceMeshControlPlane').forEach((smcp) => delete smcp.spec.security.identity);
      return objects;
    });
    // THEN the services and the mock are named where the environment lists them
    const message = (pod: string) =>
      `MF2001 Deployment lab/${pod} gets no sidecar certificate on openshift-service-mesh 2.5: with the control plane's identity type Kubernetes ` +
      "(first-party JWT) pilot-agent authenticates to istiod with the pod's service account token, which automountServiceAccountToken: false leaves out, " +
      'so istio-proxy and the pod never become ready';
    const hint =
      'render security.identity.type: ThirdParty in the ServiceMeshControlPlane (the injector then mounts a projected istio-token), or mount the service account token';
    expect(problems).toEqual([
      `environments/lab.yaml:${at(text, 'orders:')}: services.orders: ${message('orders')}, got null; ${hint}`,
      `environments/catalog/shop.yaml:${at(CATALOG, 'imposters:')}: services.orders.mock: ${message('orders-mock')}, got a map with keys imposters; ${hint}`,
      `environments/lab.yaml:${at(text, 'payments:')}: services.payments: ${message('payments')}, got null; ${hint}`,
    ]);
  });

  test('is silent when the pods mount their service account token', () => {
    const problems = ossmRuleProblems(root(), (objects) => {
      ofKind(objects, 'ServiceMeshControlPlane').forEach((smcp) => delete smcp.spec.security.identity);
      ofKind(objects, 'Deployment').forEach((d) => delete d.spec.template.spec.automountServiceAccountToken);
      ofKind(objects, 'ServiceAccount').forEach((sa) => delete sa.automountServiceAccountToken);
      return objects;
    });
    expect(problems).toEqual([]);
  });

  test('is silent on what meshflip renders: a third-party identity', () => {
    expect(ossmRuleProblems(root())).toEqual([]);
  });
});

describe('MF2002: a pinned UID or fsGroup on OpenShift', () => {
  test('the pods of the OSSM examples pin no UID or fsGroup and run as non-root, the mock included', () => {
    const project = loadProject(REPO);
    const envs = project.environments.filter((e) => e.mesh.flavor === MeshFlavor.OPENSHIFT_SERVICE_MESH);
    expect(envs.map((e) => e.name)).toEqual(['coolstore', 'coolstore-chaos', 'coolstore-migrating', 'coolstore-ossm3', 'coolstore-ossm3-chaos']);
    for (const env of envs) {
      const pods = synthesizeEnvironment(env, project.settings)
        .files.flatMap((f) => f.objects ?? [])
        .filter((o: any) => o.kind === 'Deployment') as any[];
      const contexts = pods.flatMap((p) => [
        p.spec.template.spec.securityContext,
        ...p.spec.template.spec.containers.map((c: any) => c.securityContext),
      ]);
      // (the injected gateway's istio-proxy has no securityContext of its own until the injector adds it)
      expect(contexts.filter((c) => c?.runAsUser !== undefined || c?.fsGroup !== undefined)).toEqual([]);
      // restricted-v2 takes the UID from the range; the pod must still refuse to run as root.
      expect(pods.map((p) => [p.metadata.name, p.spec.template.spec.securityContext.runAsNonRoot])).toEqual(pods.map((p) => [p.metadata.name, true]));
    }
  });

  test('fails at the catalogue field when a service pins its UID', () => {
    // GIVEN payments runs as UID 1001
    const catalog = CATALOG.replace('  payments:\n', '  payments:\n    securityContext:\n      runAsUser: 1001\n');
    // WHEN
    const problems = ossmRuleProblems(fixtureRepo({ 'environments/lab.yaml': ossmEnvironment('lab'), 'environments/catalog/shop.yaml': catalog }));
    // THEN
    expect(problems).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '1001')}: services.payments.securityContext.runAsUser: MF2002 Deployment lab/payments sets runAsUser: 1001 (container payments), ` +
        "which OpenShift's restricted-v2 SCC refuses: it admits only the namespace's range, assigned when the namespace is created, so no pod is ever created, " +
        "got 1001; remove runAsUser: OpenShift assigns it from the namespace's range",
    ]);
  });

  test("fails at the mock when its pod pins the Mountebank image's UID", () => {
    const text = ossmEnvironment('lab');
    const problems = ossmRuleProblems(fixtureRepo({ 'environments/lab.yaml': text }), (objects) => {
      ofKind(objects, 'Deployment')
        .filter((d) => d.metadata.name === 'orders-mock')
        .forEach((d) => {
          d.spec.template.spec.containers[0].securityContext.runAsUser = 1000;
        });
      return objects;
    });
    expect(problems).toEqual([
      `environments/catalog/shop.yaml:${at(CATALOG, 'imposters:')}: services.orders.mock: MF2002 Deployment lab/orders-mock sets runAsUser: 1000 (container mountebank), ` +
        "which OpenShift's restricted-v2 SCC refuses: it admits only the namespace's range, assigned when the namespace is created, so no pod is ever created, " +
        'got a map with keys imposters; render no runAsUser on OpenShift: the SCC assigns it',
    ]);
  });

  test("is silent for Kuma, whose mock keeps the image's UID", () => {
    expect(ruleProblems(fixtureRepo())).toEqual([]);
    const { objects } = renderedObjects(fixtureRepo(), 'lab');
    const mock = ofKind(objects, 'Deployment').find((d) => d.metadata.name === 'orders-mock');
    expect(mock.spec.template.spec.containers[0].securityContext.runAsUser).toBe(1000);
  });
});

describe('MF2003: Jaeger tracing without the Jaeger operator', () => {
  test('fails when tracing is Jaeger and the operator comes from redhat-operators', () => {
    // GIVEN
    const text = ossmEnvironment('lab').replace('  cluster: ocp-lab\n', '  cluster: ocp-lab\n  controlPlane:\n    tracing: { type: Jaeger }\n');
    // WHEN
    const problems = ruleProblems(fixtureRepo({ 'environments/lab.yaml': text }));
    // THEN
    expect(problems).toEqual([
      `environments/lab.yaml:${at(text, 'Jaeger')}: mesh.controlPlane.tracing.type: MF2003 needs the Jaeger operator (jaeger-product), which the redhat-operators catalog ` +
        'no longer has since 2025-11-03: the control plane stops at its Jaeger step, before the ingress and egress gateways, Grafana and Kiali, got "Jaeger"; ' +
        'remove tracing.type (None is the default), or subscribe jaeger from a catalog that still has it (mesh.operators.jaeger.source)',
    ]);
  });

  test('is silent when the Jaeger operator comes from another catalog, and by default', () => {
    const text = ossmEnvironment('lab').replace(
      '  cluster: ocp-lab\n',
      '  cluster: ocp-lab\n  controlPlane:\n    tracing: { type: Jaeger }\n  operators:\n    jaeger: { source: mirrored-operators }\n',
    );
    expect(ruleProblems(fixtureRepo({ 'environments/lab.yaml': text }))).toEqual([]);
    const { objects } = renderedObjects(fixtureRepo({ 'environments/lab.yaml': ossmEnvironment('lab') }), 'lab');
    expect(ofKind(objects, 'ServiceMeshControlPlane').map((smcp) => smcp.spec.tracing.type)).toEqual(['None']);
    expect(ofKind(objects, 'Subscription').map((sub) => sub.spec.name)).toEqual(['kiali-ossm', 'servicemeshoperator']);
  });
});

describe('MF2004 (IST0112): a destination without a port, to a Service with several', () => {
  // orders gets a second port (TCP: no HTTP route applies, but IST0112 counts it); a header-scoped mock gives it a mesh VirtualService.
  const catalog = CATALOG.replace(
    '      - name: http\n        port: 8080\n    calls',
    '      - name: http\n        port: 8080\n      - name: admin\n        port: 9090\n        protocol: tcp\n    calls',
  );
  const text = ossmEnvironment('lab', 'routing:', '  services:', '    orders:', '      to: mock', '      header: { name: x-mock, value: "1" }');
  const root = () => fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': catalog });

  test('routes each HTTP port of a multi-port service separately, every destination naming its port', () => {
    const { objects } = renderedObjects(root(), 'lab');
    const [vs] = ofKind(objects, 'VirtualService').filter((v) => v.metadata.name === 'orders');
    // THEN requests to each port stay on that port, the header route before the default on each
    expect(
      vs.spec.http.map((r: any) => [r.name, r.match?.[0].port, r.route.map((d: any) => `${d.destination.subset}:${d.destination.port.number}`)]),
    ).toEqual([
      ['http-mock-by-header', 8080, ['mock:8080']],
      ['http', 8080, ['real:8080']],
    ]);
    expect(ossmRuleProblems(root())).toEqual([]);
  });

  test("fails at the catalogue's ports when a destination leaves the port out", () => {
    const problems = ossmRuleProblems(root(), (objects) => {
      ofKind(objects, 'VirtualService').forEach((v) => v.spec.http.forEach((r: any) => r.route.forEach((d: any) => delete d.destination.port)));
      return objects;
    });
    expect(problems).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '- name: http')}: services.orders.ports: MF2004 (IST0112) VirtualService lab/orders routes to orders.lab.svc.cluster.local without a port, ` +
        'but the Service has 2 (8080, 9090): istioctl analyze reports it as an error, and which port the traffic reaches is not defined by the route, ' +
        'got a list of 2 items; give every destination of the host a port (route each port separately, matching it)',
    ]);
  });
});

describe('MF2005 (IST0101): a route to a subset not defined before it', () => {
  const text = ossmEnvironment('lab', 'routing:', '  services:', '    orders:', '      to: mock', '      header: { name: x-mock, value: "1" }');
  const root = () => fixtureRepo({ 'environments/lab.yaml': text });
  const vsOf = (objects: RenderedObject[]) => objects.filter((o) => o.object.kind === 'VirtualService');
  const drOf = (objects: RenderedObject[]) => objects.filter((o) => o.object.kind === 'DestinationRule');
  const wave = (o: RenderedObject) => Number((o.object as any).metadata.annotations['argocd.argoproj.io/sync-wave']);
  const folder = (o: RenderedObject) => o.file.split('/').slice(0, -1).join('/');

  test('every VirtualService is applied by the Application of its DestinationRule, a wave after it', () => {
    const { objects } = renderedObjects(root(), 'lab');
    const [dr] = drOf(objects);
    expect(vsOf(objects).map((vs) => [folder(vs), wave(vs) > wave(dr)])).toEqual([['lab/workloads', true]]);
    expect(folder(dr)).toBe('lab/workloads');
    expect(ossmRuleProblems(root())).toEqual([]);
  });

  test('fails when the route is applied before its subsets', () => {
    const problems = ossmRuleProblems(root(), (objects) => {
      drOf(objects).forEach((dr) => {
        (dr.object as any).metadata.annotations['argocd.argoproj.io/sync-wave'] = '5';
      });
      return objects;
    });
    expect(problems).toEqual(
      ['mock', 'real'].map(
        (subset) =>
          `environments/lab.yaml:${at(text, 'to: mock')}: routing.services.orders: MF2005 (IST0101) VirtualService lab/orders ` +
          `(lab/workloads, wave 5) routes to subset ${subset} of orders.lab.svc.cluster.local, which DestinationRule lab/orders (lab/workloads, wave 5) defines only as late ` +
          'or in another Argo CD Application: until it is applied those requests get 503, got a map with keys to, header; ' +
          'render the DestinationRule in the same Application as the route, in an earlier sync wave (make-before-break)',
      ),
    );
  });

  test('fails when no DestinationRule defines the subset', () => {
    const problems = ossmRuleProblems(root(), (objects) => objects.filter((o) => o.object.kind !== 'DestinationRule'));
    expect(problems).toEqual(
      ['mock', 'real'].map(
        (subset) =>
          `environments/lab.yaml:${at(text, 'to: mock')}: routing.services.orders: MF2005 (IST0101) VirtualService lab/orders ` +
          `routes to subset ${subset} of orders.lab.svc.cluster.local, which no DestinationRule defines: those requests get 503, got a map with keys to, header; ` +
          'define the subset in the DestinationRule of the host',
      ),
    );
  });
});

describe('MF2006: a protected environment whose operators are not pinned', () => {
  test('fails for Automatic approval and for a Service Mesh operator without a startingCSV', () => {
    // GIVEN
    const text = ossmEnvironment('lab')
      .replace('name: lab\n', 'name: lab\nprotected: true\n')
      .replace('  cluster: ocp-lab\n', '  cluster: ocp-lab\n  operators:\n    kiali: { approval: Automatic }\n');
    // WHEN
    const problems = ruleProblems(fixtureRepo({ 'environments/lab.yaml': text }));
    // THEN
    expect(problems).toEqual([
      `environments/lab.yaml:${at(text, 'Automatic')}: mesh.operators.kiali.approval: MF2006 lets OLM upgrade the kiali operator of a protected environment ` +
        'to the head of channel stable without approval, got "Automatic"; remove approval (Manual is the default in a protected environment)',
      `environments/lab.yaml:${at(text, 'kiali:')}: mesh.operators.serviceMesh: MF2006 lets OLM install the head of channel stable for a protected environment, ` +
        'not the Service Mesh operator of 2.5, got nothing; set startingCSV to the ClusterServiceVersion to install, e.g. servicemeshoperator.v2.5.4 (oc get packagemanifest servicemeshoperator lists them)',
    ]);
  });

  test('is silent when pinned, and Manual approval is the default of a protected environment', () => {
    const text = ossmEnvironment('lab')
      .replace('name: lab\n', 'name: lab\nprotected: true\nmocks: { enabled: false }\n')
      .replace('  cluster: ocp-lab\n', '  cluster: ocp-lab\n  operators:\n    serviceMesh: { startingCSV: servicemeshoperator.v2.5.4 }\n');
    const root = fixtureRepo({ 'environments/lab.yaml': text });
    expect(ruleProblems(root)).toEqual([]);
    const { objects } = renderedObjects(root, 'lab');
    expect(ofKind(objects, 'Subscription').map((s) => [s.spec.name, s.spec.installPlanApproval, s.spec.startingCSV])).toEqual([
      ['kiali-ossm', 'Manual', undefined],
      ['servicemeshoperator', 'Manual', 'servicemeshoperator.v2.5.4'],
    ]);
  });

  test('is silent for an unprotected environment', () => {
    expect(ruleProblems(fixtureRepo({ 'environments/lab.yaml': ossmEnvironment('lab') }))).toEqual([]);
  });
});

describe('MF2007: a prefix rewrite that produces a double slash', () => {
  const catalog = CATALOG.replace(
    '    calls: [payments]\n',
    '    calls: [payments]\n    ingress:\n      - name: web\n        match:\n          - prefix: /orders\n        rewrite: /\n',
  );
  const text = ossmEnvironment('lab').replace(
    '  cluster: ocp-lab\n',
    '  cluster: ocp-lab\n  ingress: { gateway: shop-gateway, host: shop.example.com }\n',
  );
  const root = () => fixtureRepo({ 'environments/lab.yaml': text, 'environments/catalog/shop.yaml': catalog });

  test('matches /orders/ and the exact /orders, so /orders/x reaches the service as /x', () => {
    const { objects } = renderedObjects(root(), 'lab');
    const [vs] = ofKind(objects, 'VirtualService').filter((v) => v.spec.gateways !== undefined);
    expect(vs.spec.http.map((r: any) => [r.match, r.rewrite])).toEqual([
      [[{ uri: { prefix: '/orders/' } }, { uri: { exact: '/orders' } }], { uri: '/' }],
    ]);
    expect(ossmRuleProblems(root())).toEqual([]);
  });

  test("warns at the catalogue's rewrite when the prefix itself is rewritten to a path ending in /", () => {
    const problems = ossmRuleProblems(root(), (objects) => {
      ofKind(objects, 'VirtualService')
        .filter((v) => v.spec.gateways !== undefined)
        .forEach((v) => {
          v.spec.http[0].match = [{ uri: { prefix: '/orders' } }];
        });
      return objects;
    });
    expect(problems).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '/', 'rewrite: ')}: warning: services.orders.ingress[0].rewrite: MF2007 VirtualService istio-system/shop-gateway-ingress rewrites the prefix /orders to /: ` +
        '/orders/x reaches orders.lab.svc.cluster.local as //x, with a double slash, got "/"; match the prefix /orders/ (and the exact /orders) instead',
    ]);
  });
});

describe('MF0001: a header-scoped route no caller can trigger', () => {
  // frontend (nothing calls it: requests start there) -> orders -> payments, whose mock is reached by header
  const catalog = (propagates: string) =>
    CATALOG.replace('    calls: [payments]\n', `    calls: [payments]\n${propagates}`) + MOCKED_PAYMENTS_AND_FRONTEND;
  const env = kongEnvironment(
    'lab',
    '  frontend:',
    'routing:',
    '  services:',
    '    payments: { to: mock, header: { name: x-shop-mock, value: "1" } }',
  );

  test('warns at the routing line when the only caller does not propagate the header', () => {
    // WHEN
    const problems = ruleProblems(fixtureRepo({ 'environments/catalog/shop.yaml': catalog(''), 'environments/lab.yaml': env }));
    // THEN Envoy matches the header on orders' outbound request, which never carries it
    expect(problems).toEqual([
      `environments/lab.yaml:${at(env, '{ to: mock')}: warning: routing.services.payments: MF0001 no caller of payments can send x-shop-mock: orders does not propagate it ` +
        'from a caller that has it, and the mesh never copies headers onto outbound calls, got a map with keys to, header; ' +
        'list x-shop-mock under propagates of a calling service whose application copies it, or route from the gateway',
    ]);
  });

  test('is silent when the caller propagates the header, and ROUTING.md then draws the call to the mock', () => {
    // GIVEN
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalog('    propagates: [x-shop-mock]\n'), 'environments/lab.yaml': env });
    // WHEN
    const { routing } = synthesizeWithRouting(loadProject(root));
    // THEN
    expect(ruleProblems(root)).toEqual([]);
    const payments = routing[0].services.find((s) => s.name === 'payments')!;
    expect(headerReachText(routing[0], payments)).toBe('x-shop-mock: 1 -> mock from orders');
  });

  test('ROUTING.md says why a caller that does not propagate the header cannot reach the mock', () => {
    const { routing } = synthesizeWithRouting(
      loadProject(fixtureRepo({ 'environments/catalog/shop.yaml': catalog(''), 'environments/lab.yaml': env })),
    );
    const payments = routing[0].services.find((s) => s.name === 'payments')!;
    expect(headerReachText(routing[0], payments)).toBe('x-shop-mock: 1 -> mock, but no caller can send it (orders does not propagate x-shop-mock)');
    expect(
      mermaidGraph(routing[0])
        .split('\n')
        .filter((l) => l.includes('-->') || l.includes('-.->')),
    ).toEqual(['  frontend --> orders', '  orders --> payments']);
  });
});

describe('MF1001 on a Konnect global, which creates no allow-all TrafficPermission since 2.6 whatever the zones run', () => {
  const legacy = (global?: string) =>
    kong({
      version: '2.5.1',
      global,
      extra: ['trafficPermissions: false'],
      mesh: [
        'policies: legacy',
        `controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`,
        ...(global === undefined ? [] : ['license: { name: kong-mesh-license }']),
      ],
    });

  test('fails for a legacy 2.5 mesh on Konnect that turns traffic permissions off', () => {
    const text = legacy();
    expect(ruleHits('MF1001', text)).toEqual([
      `environments/lab.yaml:${at(text, 'false')}: trafficPermissions: MF1001 the Konnect global control plane runs 2.6 or later and creates no allow-all-default TrafficPermission for a new mesh, ` +
        'and kong-mesh 2.5.1 zones refuse every request to an mTLS inbound that no TrafficPermission allows: every call between services fails, got false; ' +
        'remove trafficPermissions: false, so that meshflip renders a TrafficPermission for each declared call',
    ]);
  });

  test('fails for a targetRef 2.5 mesh on Konnect, naming MeshTrafficPermission', () => {
    const text = legacy().replace('policies: legacy', 'policies: targetRef\n  placement: global');
    expect(ruleHits('MF1001', text)).toEqual([
      `environments/lab.yaml:${at(text, 'false')}: trafficPermissions: MF1001 the Konnect global control plane runs 2.6 or later and creates no allow-all-default TrafficPermission for a new mesh, ` +
        'and kong-mesh 2.5.1 zones refuse every request to an mTLS inbound that no MeshTrafficPermission allows: every call between services fails, got false; ' +
        'remove trafficPermissions: false, so that meshflip renders a permission for each declared call',
    ]);
  });

  test('names TrafficPermission for a legacy mesh from 2.6 on', () => {
    const text = legacy().replace('version: 2.5.1', 'version: 2.6.0');
    expect(ruleHits('MF1001', text)).toEqual([
      `environments/lab.yaml:${at(text, 'false')}: trafficPermissions: MF1001 on kong-mesh 2.6.0 a mesh with mTLS and no TrafficPermission refuses every request (no allow-all policy is created since 2.6), got false; ` +
        'remove trafficPermissions: false, so that meshflip renders a TrafficPermission for each declared call',
    ]);
  });

  test('is silent on a self-hosted 2.5 global, which still creates allow-all-default, and when permissions are rendered', () => {
    expect(ruleHits('MF1001', legacy(SELF_HOSTED + KDS_TLS))).toEqual([]);
    expect(ruleHits('MF1001', legacy().replace('trafficPermissions: false', 'trafficPermissions: true'))).toEqual([]);
  });

  test('is silent on kong-tutorial, which renders a TrafficPermission for each declared call', () => {
    const project = loadProject(REPO);
    const tutorial = project.environments.find((e) => e.name === 'kong-tutorial')!;
    const objects = synthesizeEnvironment(tutorial, project.settings).files.flatMap((f) =>
      (f.objects ?? []).map((object) => ({ file: f.path, object })),
    );
    expect(runRules(KUMA_RULES, { env: tutorial, objects }).map(formatProblem)).toEqual([]);
    // Every service something calls gets a TrafficPermission; httpie, which nothing calls, gets none and needs none.
    expect(
      objects
        .filter((o) => o.object.type === 'TrafficPermission')
        .map((o) => String(o.object.name))
        .sort(compareStrings),
    ).toEqual(['captains-log-permissions', 'crew-permissions', 'ship-info-permissions']);
  });
});

describe('MF1009: a zone token declared for open-source Kuma', () => {
  const kuma = (zoneLine: string) =>
    kong({ global: SELF_HOSTED + KDS_TLS })
      .replace('flavor: kong-mesh', 'flavor: kuma')
      .replace('      cluster: lab-mocks\n', `      cluster: lab-mocks\n${zoneLine}`);

  test('warns that nothing reads the Secret', () => {
    const text = kuma('      tokenSecret: { name: zone-token }\n');
    expect(ruleHits('MF1009', text)).toEqual([
      `environments/lab.yaml:${at(text, 'zone-token')}: warning: mesh.zones[1].tokenSecret.name: MF1009 zone mocks declares the token Secret zone-token, but open-source Kuma has no control-plane token authentication: ` +
        'nothing reads the Secret, and the global control plane accepts any zone that reaches its KDS port, got "zone-token"; ' +
        'remove tokenSecret; to authenticate zones, use Kong Mesh (flavor: kong-mesh), or restrict who can reach the KDS address',
    ]);
  });

  test('is silent for Kong Mesh, whose zones send the token, and for Kuma without one', () => {
    expect(ruleHits('MF1009', kuma('      tokenSecret: { name: zone-token }\n').replace('flavor: kuma', 'flavor: kong-mesh'))).toEqual([]);
    expect(ruleHits('MF1009', kuma(''))).toEqual([]);
  });
});

describe('MF1010: a ZoneEgress nothing routes through', () => {
  test('warns for each zone that deploys one', () => {
    const text = kong().replace('      cluster: lab-mocks\n', '      cluster: lab-mocks\n      egress: true\n');
    expect(ruleHits('MF1010', text)).toEqual([
      `environments/lab.yaml:${at(text, 'true')}: warning: mesh.zones[1].egress: MF1010 zone mocks deploys a ZoneEgress, but the default Mesh meshflip renders does not set routing.zoneEgress, ` +
        'and only then do data plane proxies send cross-zone or external traffic through it: it runs and carries nothing, got true; remove egress: true',
    ]);
  });

  test('is silent when no zone deploys one, and the rendered Mesh indeed sets no routing.zoneEgress', () => {
    const root = fixtureRepo({
      'environments/lab.yaml': kong().replace('      cluster: lab-mocks\n', '      cluster: lab-mocks\n      egress: false\n'),
    });
    expect(ruleHits('MF1010', kong())).toEqual([]);
    const meshes = synthesizeEnvironment(loadProject(root).environments[0], loadProject(root).settings)
      .files.flatMap((f) => (f.objects ?? []) as Record<string, unknown>[])
      .filter((o) => o.type === 'Mesh' || o.kind === 'Mesh');
    expect(meshes.map((m) => [m.name, m.routing ?? (m.spec as Record<string, unknown> | undefined)?.routing])).toEqual([['default', undefined]]);
  });
});

describe('a namespace or pod mesh membership set by hand', () => {
  // kuma-cp reads a pod's label, then its annotation, then the namespace's (kumahq/kuma v2.14.3
  // pkg/plugins/runtime/k8s/util/util.go, MeshOfByLabelOrAnnotation): a hand-set kuma.io/mesh would
  // move the pod to another mesh, or use the form its version ignores. The model refuses the key.
  test('is refused at load for a kuma.io/mesh label in a catalogue, so that no rule is needed', () => {
    const catalog = CATALOG.replace('    calls: [payments]\n', '    calls: [payments]\n    labels: { kuma.io/mesh: other }\n');
    expect(loadProblems(fixtureRepo({ 'environments/catalog/shop.yaml': catalog }))).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, 'kuma.io/mesh')}: services.orders.labels["kuma.io/mesh"]: is set by meshflip and cannot be overridden, got "kuma.io/mesh"`,
    ]);
  });

  test('is refused at load for a kuma.io/mesh annotation in an environment', () => {
    const text = kongEnvironment('lab').replace('  payments:\n', '  payments:\n    annotations: { kuma.io/mesh: default }\n');
    expect(loadProblems(fixtureRepo({ 'environments/lab.yaml': text }))).toEqual([
      `environments/lab.yaml:${at(text, 'kuma.io/mesh')}: services.payments.annotations["kuma.io/mesh"]: is set by meshflip and cannot be overridden, got "kuma.io/mesh"`,
    ]);
  });
});

describe('MF2008: a gateway route to a mocked service forwards paths no imposter stub matches', () => {
  // orders (mocked) is exposed through the gateway; Mountebank answers a request no stub matches
  // with the imposter's defaultResponse (mountebank src/models/imposter.js), an empty 200 unless set.
  const catalog = (ingress: string) => CATALOG.replace('    calls: [payments]\n', `    calls: [payments]\n    ingress:\n${ingress}`);
  const text = ossmEnvironment('lab').replace(
    '  cluster: ocp-lab\n',
    '  cluster: ocp-lab\n  ingress: { gateway: shop-gateway, host: shop.example.com }\n',
  );
  const stub = (predicates: object[]) => ({ predicates, responses: [{ is: { statusCode: 200 } }] });
  const imposter = (...stubs: object[]) => `${JSON.stringify({ port: 8080, protocol: 'http', stubs })}\n`;
  const problems = (ingress: string, mock: string) =>
    ossmRuleProblems(
      fixtureRepo({
        'environments/lab.yaml': text,
        'environments/catalog/shop.yaml': catalog(ingress),
        'environments/mocks/orders.imposter.json': mock,
      }),
    ).filter((p) => p.includes('MF2008'));
  const ROUTE = lines(
    '      - name: web',
    '        match:',
    '          - exact: /shop/orders',
    '          - prefix: /api',
    '        rewrite: /v2/orders',
    '',
  );

  test('warns at each match whose forwarded paths no stub matches, naming the path after the rewrite', () => {
    // GIVEN stubs for /orders/{id} and anything under /v1/
    const mock = imposter(stub([{ matches: { method: 'GET', path: '^/orders/[0-9]+$' } }]), stub([{ startsWith: { path: '/v1/' } }]));
    // WHEN
    const found = problems(ROUTE, mock);
    // THEN the exact path arrives as /v2/orders, everything under /api under /v2/orders: no stub serves either
    const hint = (path: string) => `add a stub whose predicates match ${path} to the imposter, or route the gateway only to paths the mock serves`;
    const message = (declared: string, forwarded: string) =>
      `MF2008 gateway route web forwards ${declared} to orders as ${forwarded}, ` +
      "but no stub of its mock's imposters on port 8080 (environments/mocks/orders.imposter.json) matches it: " +
      "when the routing sends gateway traffic to the mock, Mountebank answers with the imposter's defaultResponse (an empty 200 unless set)";
    const file = catalog(ROUTE);
    expect(found).toEqual([
      `environments/catalog/shop.yaml:${at(file, '/shop/orders', 'exact: ')}: warning: services.orders.ingress[0].match[0].exact: ${message('the path /shop/orders', '/v2/orders')}, got "/shop/orders"; ${hint('/v2/orders')}`,
      `environments/catalog/shop.yaml:${at(file, '/api', 'prefix: ')}: warning: services.orders.ingress[0].match[1].prefix: ${message('the paths under /api', '/v2/orders...')}, got "/api"; ${hint('/v2/orders...')}`,
    ]);
  });

  test('is silent when a stub can serve the forwarded paths: no predicates, a path under the prefix, another case, or, other fields', () => {
    expect(problems(ROUTE, imposter(stub([])))).toEqual([]);
    expect(problems(ROUTE, imposter({ responses: [{ is: { statusCode: 200 } }] }))).toEqual([]);
    // /v2/orders/17 is under the prefix; equals compares case-insensitively unless caseSensitive
    expect(problems(ROUTE, imposter(stub([{ equals: { path: '/V2/Orders' } }]), stub([{ equals: { path: '/v2/orders/17' } }])))).toEqual([]);
    expect(problems(ROUTE, imposter(stub([{ or: [{ equals: { path: '/x' } }, { matches: { path: '^/v2/orders$' } }] }])))).toEqual([]);
    // A predicate on another field leaves the path open
    expect(problems(ROUTE, imposter(stub([{ equals: { method: 'POST' } }])))).toEqual([]);
  });

  test('a regular expression anchored under the rewrite serves the prefix, not the exact path', () => {
    const found = problems(ROUTE, imposter(stub([{ matches: { path: '^/v2/orders/[0-9]+$' } }])));
    expect(found.map((p) => p.split(': warning: ')[1].split(': ')[0])).toEqual(['services.orders.ingress[0].match[0].exact']);
  });

  test('a case-sensitive predicate of another case does not serve the path', () => {
    const found = problems(ROUTE, imposter(stub([{ equals: { path: '/V2/ORDERS' }, caseSensitive: true }])));
    expect(found.map((p) => p.split(': warning: ')[1].split(': ')[0])).toEqual([
      'services.orders.ingress[0].match[0].exact',
      'services.orders.ingress[0].match[1].prefix',
    ]);
  });
});
