import * as path from 'path';
import { GATEWAY_CLASS_REFUSED, NO_ROUTE_ALL } from '../../src/meshes/kuma/kuma-rules';
import { runRules } from '../../src/meshes/rules';
import { loadProject } from '../../src/model/load';
import { formatProblem } from '../../src/model/spec-error';
import { routingText } from '../../src/pipeline/synth/routing-report';
import { synthesize, synthesizeWithRouting } from '../../src/pipeline/synth/synth';
import { RenderedFile } from '../../src/pipeline/dist/read-dist';
import { at, fixtureRepo, kongEnvironment, problemsOf as loadProblems } from '../model/fixtures';
import { removeTempDirs } from '../util';
import { helmValuesOf } from './helpers';

afterAll(removeTempDirs);

const REPO = path.resolve(__dirname, '../..');

/** The Helm Applications of the rendered control planes, with their values, by name. */
function controlPlanes(files: readonly RenderedFile[]): Map<string, { app: any; values: any }> {
  const out = new Map<string, { app: any; values: any }>();
  for (const file of files.filter((f) => f.path.startsWith('argocd/'))) {
    for (const app of (file.objects ?? []) as any[]) {
      if (app.kind === 'Application' && app.spec.source.chart !== undefined) {
        const values = helmValuesOf(app);
        out.set(app.metadata.name, { app, values: values.kuma ?? values });
      }
    }
  }
  return out;
}

/**
 * What the chart's cp-webhooks-and-secrets.yaml (kumahq/kuma v2.14.3, release-2.5) does with
 * these values: `genCA` a new CA on each `helm template` when neither a Secret nor cert-manager is
 * given (Helm `lookup` is empty under Argo CD), and fail when only one of secretName / caBundle is.
 */
function chartCertificateSource(values: any): 'generated' | 'cert-manager' | 'secret' | 'chart fails' {
  const general = values.controlPlane?.tls?.general ?? {};
  if (general.certManager?.enabled === true) {
    return general.secretName || general.caBundle ? 'chart fails' : 'cert-manager';
  }
  if (Boolean(general.secretName) !== Boolean(general.caBundle)) {
    return 'chart fails';
  }
  return general.secretName ? 'secret' : 'generated';
}

/** Whether kuma-cp's OwnerReferenceMutator makes the Mesh the owner of a policy it admits (owner_reference_mutator.go, Handle). */
function meshBecomesOwner(values: any): boolean {
  return values.controlPlane?.envVars?.KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE !== 'true';
}

describe('control planes under Argo CD', () => {
  const examples = synthesize(loadProject(REPO));

  test('render identically twice, with a stable certificate source and no key material', () => {
    // WHEN
    const again = synthesize(loadProject(REPO));
    // THEN
    const first = controlPlanes(examples);
    expect(first.size).toBe(7);
    const argocd = (files: readonly RenderedFile[]) => files.filter((f) => f.path.startsWith('argocd/kong')).map((f) => f.content);
    expect(argocd(again)).toEqual(argocd(examples));
    for (const [name, { values }] of first) {
      expect([name, chartCertificateSource(values)]).toEqual([name, expect.stringMatching(/^(cert-manager|secret)$/)]);
    }
    expect(argocd(examples).join('\n')).not.toMatch(/PRIVATE KEY|tls\.key/);
    const bundles = [...first.values()].map(({ values }) => values.controlPlane.tls.general.caBundle).filter((b) => b !== undefined);
    expect(bundles.length).toBe(2);
    for (const bundle of bundles) {
      expect(Buffer.from(bundle, 'base64').toString()).toMatch(/^-----BEGIN CERTIFICATE-----\n[^]*-----END CERTIFICATE-----\n$/);
    }
  });

  test("leave the webhooks' caBundle to cert-manager's CA injector where the chart asks it to fill it in", () => {
    // GIVEN the control planes whose certificates come from cert-manager, and those with a provided Secret
    const planes = [...controlPlanes(examples).values()];
    const injected = planes.filter(({ values }) => chartCertificateSource(values) === 'cert-manager');
    const provided = planes.filter(({ values }) => chartCertificateSource(values) === 'secret');
    expect([injected.length, provided.length]).toEqual([5, 2]);
    // THEN Argo CD ignores the field the injector writes, when it compares and when it syncs, so
    // self-heal does not strip the CA the API server needs to call the webhooks ...
    for (const { app } of injected) {
      expect(app.spec.ignoreDifferences).toEqual(
        ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'].map((kind) => ({
          group: 'admissionregistration.k8s.io',
          kind,
          jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'],
        })),
      );
      expect(app.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    }
    // ... and where meshflip renders the CA itself, Argo CD keeps comparing it
    for (const { app } of provided) {
      expect(app.spec.ignoreDifferences).toBeUndefined();
    }
  });

  test('keep hook Jobs until Argo CD has seen them finish, as a null that Argo CD does not drop', () => {
    const { app, values } = controlPlanes(examples).get('kong-real-global-control-plane')!;
    // Argo CD drops nulls from valuesObject (argoproj/argo-cd#16312), so the values travel as text.
    expect(app.spec.source.helm.valuesObject).toBeUndefined();
    expect(values.hooks).toEqual({ ttlSecondsAfterFinished: null, annotations: { 'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation' } });
  });

  test('let zones verify the self-hosted global against the declared CA, and authenticate with their token', () => {
    const planes = controlPlanes(examples);
    expect(planes.get('kong-real-global-control-plane')!.values.controlPlane).toMatchObject({
      tls: { kdsGlobalServer: { secretName: 'kds-server-tls' } },
      envVars: { KMESH_MULTIZONE_GLOBAL_KDS_AUTH_TYPE: 'cpToken' },
      secrets: [{ Env: 'KMESH_LICENSE_INLINE', Secret: 'kong-mesh-license', Key: 'license.json' }],
    });
    expect(planes.get('kong-real-real-services-control-plane')!.values.controlPlane.tls.kdsZoneClient).toEqual({ secretName: 'kds-ca' });
    expect(planes.get('kong-real-real-services-control-plane')!.values.egress).toEqual({ enabled: false });
  });

  test('let the AppProject of a 2.7+ zone accept the GatewayClass its chart renders', () => {
    const project = (examples.find((f) => f.path === 'argocd/kong-perf.k8s.yaml')!.objects as any[]).find((o) => o.kind === 'AppProject');
    expect(project.spec.clusterResourceWhitelist).toContainEqual({ group: 'gateway.networking.k8s.io', kind: 'GatewayClass' });
  });
});

describe('a fault removed from an environment', () => {
  test('disappears from dist/, and no control plane makes the Mesh own the policies Argo CD must prune', () => {
    // GIVEN an environment with a fault, then the same without it (what revert-expired does)
    const withFault = kongEnvironment('lab', 'faults:', '  payments:', '    delay: { value: 1s, percent: 100 }');
    const before = synthesize(loadProject(fixtureRepo({ 'environments/lab.yaml': withFault })));
    const after = synthesize(loadProject(fixtureRepo({ 'environments/lab.yaml': kongEnvironment('lab') })));
    const faults = (files: readonly RenderedFile[]) =>
      files.flatMap((f) => ((f.objects ?? []) as any[]).filter((o) => o.kind === 'MeshFaultInjection').map(() => f.path));
    // THEN
    expect(faults(before)).toEqual(['lab/zone-real/payments.routing.k8s.yaml']);
    expect(faults(after)).toEqual([]);
    // kuma-cp sets no owner reference on the zone where it lived, so Argo CD sees it as its own and prunes it.
    const planes = controlPlanes(after);
    expect([...planes.keys()]).toEqual(['lab-real-control-plane', 'lab-mocks-control-plane']);
    for (const [name, { values }] of planes) {
      expect([name, meshBecomesOwner(values)]).toEqual([name, false]);
    }
  });
});

describe('MF1007: a GatewayClass the AppProject refuses', () => {
  test('fails when the rendered AppProject does not allow it', () => {
    // GIVEN the rendered objects with GatewayClass taken out of the project
    const root = fixtureRepo();
    const project = loadProject(root);
    const [env] = project.environments;
    const objects = synthesize(project)
      .flatMap((f) => ((f.objects ?? []) as any[]).map((object) => ({ file: f.path, object })))
      .map((o) =>
        o.object.kind === 'AppProject'
          ? {
              ...o,
              object: {
                ...o.object,
                spec: {
                  ...o.object.spec,
                  clusterResourceWhitelist: o.object.spec.clusterResourceWhitelist.filter((k: any) => k.kind !== 'GatewayClass'),
                },
              },
            }
          : o,
      );
    // WHEN
    const problems = runRules([GATEWAY_CLASS_REFUSED], { env, objects }).map(formatProblem);
    // THEN
    const text = kongEnvironment('lab');
    expect(problems).toEqual([
      `environments/lab.yaml:${at(text, '- name: real')}: mesh.zones: MF1007 zone control planes of kong-mesh 2.14.3 create a GatewayClass on clusters that serve the Gateway API, ` +
        'and the AppProject lab does not allow it: Argo CD refuses the sync, got a list of 2 items; allow gateway.networking.k8s.io/GatewayClass in the AppProject',
    ]);
    expect(
      runRules([GATEWAY_CLASS_REFUSED], {
        env,
        objects: synthesize(project).flatMap((f) => ((f.objects ?? []) as any[]).map((object) => ({ file: f.path, object }))),
      }),
    ).toEqual([]);
  });
});

describe('a provided control-plane certificate', () => {
  test('is refused when its CA bundle carries a private key', () => {
    // GIVEN a bundle holding a key as well as the certificate
    const bundle = Buffer.from(
      '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    ).toString('base64');
    const text = kongEnvironment('lab').replace('  zones:\n', `  controlPlaneTls:\n    secret: { name: kuma-tls, caBundle: ${bundle} }\n  zones:\n`);
    // THEN
    expect(loadProblems(fixtureRepo({ 'environments/lab.yaml': text }))).toEqual([
      `environments/lab.yaml:${at(text, bundle)}: mesh.controlPlaneTls.secret.caBundle: must be the base64 of PEM certificates only (a private key must never be in git); base64 -w0 ca.crt`,
    ]);
  });
});

describe('a service whose traffic permissions allow no caller', () => {
  test('is reported as receiving no traffic by ROUTING.md and explain, whatever its routes say', () => {
    // GIVEN orders, which nothing declares as calling it, so its MeshTrafficPermission denies every caller
    const { files, routing } = synthesizeWithRouting(loadProject(fixtureRepo()));
    const permission = files
      .flatMap((f) => (f.objects ?? []) as any[])
      .find((o) => o.kind === 'MeshTrafficPermission' && o.metadata.name === 'orders-permissions');
    expect(permission.spec.from).toEqual([{ targetRef: { kind: 'Mesh' }, default: { action: 'Deny' } }]);
    // THEN
    const table = files.find((f) => f.path === 'lab/ROUTING.md')!.content.split('\n');
    expect(table.filter((l) => l.startsWith('| orders') || l.startsWith('| payments'))).toEqual([
      '| orders | lab | none: the permissions deny every caller (routes: real) | - | - | - | - | - |',
      '| payments (no mock) | lab | real | - | - | - | - | - |',
    ]);
    expect(routingText(routing[0], 'orders')).toEqual([
      'lab (kong-mesh)',
      '  orders',
      '    default traffic: none: the permissions deny every caller (routes: real)',
      '    header traffic:  -',
      '    callers:         none allowed',
    ]);
  });
});

describe('a legacy (2.5) mesh on Konnect', () => {
  const legacy = (extra = '') =>
    kongEnvironment('lab')
      .replace('version: 2.14.3', 'version: 2.5.1')
      .replace(
        '  zones:\n',
        `  policies: legacy\n  controlPlaneTls:\n    secret: { name: kuma-tls, caBundle: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')} }\n${extra}  zones:\n`,
      );

  test('gets the route-all TrafficRoute a 2.6+ global no longer creates, and namespaces select the mesh by annotation', () => {
    const files = synthesize(loadProject(fixtureRepo({ 'environments/lab.yaml': legacy() })));
    const konnect = files.find((f) => f.path === 'lab/konnect/mesh.kumactl.yaml')!.objects as any[];
    expect(konnect.map((o) => `${o.type} ${o.name}`)).toEqual(['Mesh default', 'TrafficRoute route-all-default']);
    expect(konnect[1]).toMatchObject({
      sources: [{ match: { 'kuma.io/service': '*' } }],
      destinations: [{ match: { 'kuma.io/service': '*' } }],
      conf: { destination: { 'kuma.io/service': '*' } },
    });
    // Before 2.9 kuma-cp reads a namespace's mesh from its annotation only (pkg/plugins/runtime/k8s/util/util.go, MeshOfByAnnotation).
    const namespaces = files.flatMap((f) => ((f.objects ?? []) as any[]).filter((o) => o.kind === 'Namespace'));
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      expect([ns.metadata.annotations['kuma.io/mesh'], ns.metadata.labels['kuma.io/mesh']]).toEqual(['default', undefined]);
    }
  });

  test('MF1008 fails when the rendered objects hold no route-all TrafficRoute', () => {
    const text = legacy();
    const project = loadProject(fixtureRepo({ 'environments/lab.yaml': text }));
    const objects = synthesize(project).flatMap((f) => ((f.objects ?? []) as any[]).map((object) => ({ file: f.path, object })));
    const without = objects.filter((o) => o.object.type !== 'TrafficRoute' || o.object.name !== 'route-all-default');
    expect(runRules([NO_ROUTE_ALL], { env: project.environments[0], objects: without }).map(formatProblem)).toEqual([
      `environments/lab.yaml:${at(text, 'legacy')}: mesh.policies: MF1008 the Konnect global control plane runs 2.6 or later and creates no route-all-default TrafficRoute for a new mesh, ` +
        'and kong-mesh 2.5.1 zones give an outbound without a TrafficRoute no route: every call between services fails, got "legacy"; ' +
        'apply a TrafficRoute route-all-default (meshflip renders one in dist/lab/konnect/mesh.kumactl.yaml)',
    ]);
    expect(runRules([NO_ROUTE_ALL], { env: project.environments[0], objects })).toEqual([]);
  });
});
