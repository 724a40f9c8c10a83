import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { SYNC_TIMEOUT_SECONDS, SYNC_TIMEOUT_VARIABLE } from '../../src/constructs/argocd-delivery';
import { HEALTH_CHECKS, OTHER_HEALTH } from '../../src/constructs/argocd-health';
import { loadProject } from '../../src/model/load';
import { readDist } from '../../src/pipeline/dist/read-dist';
import { synthesize } from '../../src/pipeline/synth/synth';
import { fixtureRepo, problemsOf, SETTINGS, at } from '../model/fixtures';
import { helmValuesOf } from '../meshes/helpers';
import { REPO, removeTempDirs } from '../util';
import { renderedDist } from '../rendered-dist';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const fengari = require('fengari');

afterAll(removeTempDirs);

const { files, objects } = readDist(renderedDist());
const applications = objects.filter((o) => o.object.kind === 'Application').map((o) => o.object as any);
const patch = (file: string) => YAML.parse(fs.readFileSync(path.join(renderedDist(), 'argocd', 'bootstrap', file), 'utf8'));

/**
 * Runs an Argo CD health script on `obj` as Argo CD does (argoproj/argo-cd `util/lua/lua.go`
 * `ExecuteHealthLua`: the object as the global `obj`, the script's returned table is the health).
 * fengari is Lua 5.3 and Argo CD's gopher-lua is 5.1: the scripts use their common subset.
 */
function runHealth(script: string, obj: unknown): { status: string; message: string } {
  const { lua, lauxlib, lualib, to_luastring: toLua } = fengari;
  const L = lauxlib.luaL_newstate();
  lualib.luaL_openlibs(L);
  const chunk = `local json = ...\nobj = json\n${script}`;
  const push = (value: unknown): void => {
    if (value === null || value === undefined) {
      lua.lua_pushnil(L);
    } else if (typeof value === 'boolean') {
      lua.lua_pushboolean(L, value);
    } else if (typeof value === 'number') {
      // JSON integers are Lua integers here, as gopher-lua prints them ("2", not "2.0").
      if (Number.isInteger(value)) {
        lua.lua_pushinteger(L, value);
      } else {
        lua.lua_pushnumber(L, value);
      }
    } else if (typeof value === 'string') {
      lua.lua_pushstring(L, toLua(value));
    } else if (Array.isArray(value)) {
      lua.lua_createtable(L, value.length, 0);
      value.forEach((v, i) => {
        push(v);
        lua.lua_rawseti(L, -2, i + 1);
      });
    } else {
      lua.lua_createtable(L, 0, 0);
      for (const [k, v] of Object.entries(value)) {
        push(v);
        lua.lua_setfield(L, -2, toLua(k));
      }
    }
  };
  if (lauxlib.luaL_loadstring(L, toLua(chunk)) !== lua.LUA_OK) {
    throw new Error(fengari.to_jsstring(lua.lua_tostring(L, -1)));
  }
  push(obj);
  if (lua.lua_pcall(L, 1, 1, 0) !== lua.LUA_OK) {
    throw new Error(fengari.to_jsstring(lua.lua_tostring(L, -1)));
  }
  lua.lua_getfield(L, -1, toLua('status'));
  const status = fengari.to_jsstring(lua.lua_tostring(L, -1));
  lua.lua_pop(L, 1);
  lua.lua_getfield(L, -1, toLua('message'));
  const message = lua.lua_isnil(L, -1) ? '' : fengari.to_jsstring(lua.lua_tostring(L, -1));
  return { status, message };
}

const check = (kind: string) => HEALTH_CHECKS.find((c) => c.kind === kind)!.check;

describe('the health checks meshflip renders for Argo CD', () => {
  test('are in both bootstrap forms, the same scripts under the keys each reader expects', () => {
    // argo-cd util/settings/settings.go reads resource.customizations.health.<group>_<kind>;
    // argocd-operator getResourceHealthChecks writes spec.resourceHealthChecks under the same key.
    const cm = patch('argocd-cm.patch.yaml');
    const gitops = patch('openshift-gitops.patch.yaml');
    for (const c of HEALTH_CHECKS) {
      expect(cm.data[`resource.customizations.health.${c.group}_${c.kind}`]).toBe(c.check);
      expect(gitops.spec.resourceHealthChecks).toContainEqual({ group: c.group, kind: c.kind, check: c.check });
    }
    expect(Object.keys(cm.data)).toHaveLength(HEALTH_CHECKS.length);
  });

  test('every kind that carries a sync wave in dist/ is assessed: by a rendered check, or built in, or ready once applied', () => {
    const rendered = new Set(HEALTH_CHECKS.map((c) => `${c.group}/${c.kind}`));
    const waved = new Set(
      objects
        .filter((o) => (o.object.metadata as any)?.annotations?.['argocd.argoproj.io/sync-wave'] !== undefined)
        .map((o) => {
          const v = String(o.object.apiVersion);
          return `${v.includes('/') ? v.split('/')[0] : ''}/${String(o.object.kind)}`;
        }),
    );
    const unassessed = [...waved].filter(
      (k) => !rendered.has(k) && OTHER_HEALTH[k] === undefined && OTHER_HEALTH[`${k.split('/')[0]}/*`] === undefined,
    );
    expect(unassessed).toEqual([]);
    // The kinds meshflip orders on are among them, so the list above is not vacuous.
    expect([...waved]).toEqual(
      expect.arrayContaining([
        'argoproj.io/Application',
        'maistra.io/ServiceMeshControlPlane',
        'maistra.io/ServiceMeshMemberRoll',
        'operators.coreos.com/Subscription',
        'sailoperator.io/Istio',
        'sailoperator.io/IstioCNI',
        'sailoperator.io/IstioRevisionTag',
        'kiali.io/Kiali',
        'kiali.io/OSSMConsole',
      ]),
    );
  });

  test('a child Application is Progressing until Argo CD has assessed it, then has its own health', () => {
    expect(runHealth(check('Application'), { metadata: {} }).status).toBe('Progressing');
    expect(runHealth(check('Application'), { status: { health: { status: 'Degraded', message: 'Back-off pulling image' } } })).toEqual({
      status: 'Degraded',
      message: 'Back-off pulling image',
    });
    expect(runHealth(check('Application'), { status: { health: { status: 'Healthy' } } }).status).toBe('Healthy');
  });

  test('a ServiceMeshControlPlane is Healthy only when Ready for its current generation, Degraded on an install error', () => {
    const smcp = (generation: number, observed: number | undefined, conditions: unknown[]) => ({
      metadata: { generation },
      status: { observedGeneration: observed, conditions },
    });
    const ready = { type: 'Ready', status: 'True', reason: 'ComponentsReady', message: 'All component deployments are Available' };
    expect(runHealth(check('ServiceMeshControlPlane'), { metadata: { generation: 1 } }).status).toBe('Progressing');
    expect(runHealth(check('ServiceMeshControlPlane'), smcp(2, 1, [ready]))).toEqual({
      status: 'Progressing',
      message: 'waiting for the operator to reconcile generation 2',
    });
    expect(
      runHealth(
        check('ServiceMeshControlPlane'),
        smcp(2, 2, [{ type: 'Ready', status: 'False', reason: 'ComponentsNotReady', message: 'istiod not ready' }]),
      ),
    ).toEqual({ status: 'Progressing', message: 'ComponentsNotReady: istiod not ready' });
    expect(
      runHealth(
        check('ServiceMeshControlPlane'),
        smcp(2, 2, [{ type: 'Reconciled', status: 'False', reason: 'ReconcileError', message: 'bad profile' }, ready]),
      ),
    ).toEqual({ status: 'Degraded', message: 'Reconciled: ReconcileError: bad profile' });
    expect(
      runHealth(check('ServiceMeshControlPlane'), smcp(2, 2, [{ type: 'Reconciled', status: 'True', reason: 'ReconcileSuccessful' }, ready])).status,
    ).toBe('Healthy');
  });

  test.each(['Istio', 'IstioCNI'])(
    'a Sail operator %s is Healthy only when Ready for its current generation, Degraded on a ReconcileError',
    (kind) => {
      // sail-operator v3.4.1 api/v1/istio_types.go, istiocni_types.go: Reconciled and Ready conditions, observedGeneration
      const sail = (generation: number, observed: number | undefined, conditions: unknown[]) => ({
        metadata: { generation },
        status: { observedGeneration: observed, conditions },
      });
      const ready = { type: 'Ready', status: 'True', reason: 'Healthy', message: '' };
      expect(runHealth(check(kind), { metadata: { generation: 1 } }).status).toBe('Progressing');
      expect(runHealth(check(kind), sail(3, 2, [ready]))).toEqual({
        status: 'Progressing',
        message: 'waiting for the operator to reconcile generation 3',
      });
      expect(
        runHealth(
          check(kind),
          sail(3, 3, [
            { type: 'Reconciled', status: 'True', reason: 'Healthy' },
            { type: 'Ready', status: 'False', reason: 'IstiodNotReady', message: 'istiod not ready' },
          ]),
        ),
      ).toEqual({ status: 'Progressing', message: 'Ready: IstiodNotReady: istiod not ready' });
      expect(
        runHealth(
          check(kind),
          sail(3, 3, [{ type: 'Reconciled', status: 'False', reason: 'ReconcileError', message: 'version not supported' }, ready]),
        ),
      ).toEqual({ status: 'Degraded', message: 'Reconciled: ReconcileError: version not supported' });
      expect(runHealth(check(kind), sail(3, 3, [{ type: 'Reconciled', status: 'True', reason: 'Healthy' }, ready])).status).toBe('Healthy');
    },
  );

  test('an IstioRevisionTag is Healthy once reconciled, Degraded when its Istio is missing or its name taken', () => {
    const tag = (conditions: unknown[]) => ({ metadata: { generation: 1 }, status: { observedGeneration: 1, conditions } });
    expect(
      runHealth(
        check('IstioRevisionTag'),
        tag([
          { type: 'Reconciled', status: 'True', reason: 'Healthy' },
          { type: 'InUse', status: 'False', reason: 'NotReferencedByAnything' },
        ]),
      ).status,
    ).toBe('Healthy');
    expect(
      runHealth(check('IstioRevisionTag'), tag([{ type: 'Reconciled', status: 'False', reason: 'RefNotFound', message: 'Istio default not found' }])),
    ).toEqual({ status: 'Degraded', message: 'Reconciled: RefNotFound: Istio default not found' });
    expect(runHealth(check('IstioRevisionTag'), tag([{ type: 'Reconciled', status: 'False', reason: 'NameAlreadyExists' }])).status).toBe('Degraded');
  });

  test("an OSSMConsole is Healthy when the Kiali operator's run succeeded, Degraded when it failed, Progressing while it runs", () => {
    expect(runHealth(check('OSSMConsole'), { metadata: {} }).status).toBe('Progressing');
    expect(runHealth(check('OSSMConsole'), { status: { conditions: [{ type: 'Running', status: 'True', reason: 'Running' }] } }).status).toBe(
      'Progressing',
    );
    expect(
      runHealth(check('OSSMConsole'), { status: { conditions: [{ type: 'Successful', status: 'True', reason: 'Successful', message: 'done' }] } }),
    ).toEqual({ status: 'Healthy', message: 'done' });
    expect(
      runHealth(check('OSSMConsole'), {
        status: {
          conditions: [
            { type: 'Successful', status: 'True' },
            { type: 'Failure', status: 'True', message: 'no Kiali' },
          ],
        },
      }),
    ).toEqual({ status: 'Degraded', message: 'no Kiali' });
  });

  test('a ServiceMeshMemberRoll is Healthy only when every member is configured', () => {
    const smmr = (configured: string[], conditions: unknown[] = []) => ({
      metadata: { generation: 1 },
      spec: { members: ['coolstore-catalog', 'coolstore-inventory'] },
      status: { observedGeneration: 1, configuredMembers: configured, conditions },
    });
    expect(runHealth(check('ServiceMeshMemberRoll'), smmr(['coolstore-catalog']))).toEqual({
      status: 'Progressing',
      message: 'members not configured yet: coolstore-inventory',
    });
    expect(runHealth(check('ServiceMeshMemberRoll'), smmr(['coolstore-inventory', 'coolstore-catalog'])).status).toBe('Healthy');
    expect(
      runHealth(check('ServiceMeshMemberRoll'), smmr([], [{ type: 'Ready', status: 'False', reason: 'ErrInvalidName', message: 'must be default' }]))
        .status,
    ).toBe('Degraded');
  });
});

/**
 * Argo CD's diff as far as ignoreDifferences goes (argoproj/argo-cd `util/argo/normalizers`
 * `ignoreNormalizer`): the JSON pointers are removed from live and desired before comparing, and
 * with RespectIgnoreDifferences a sync keeps the live value (gitops-engine `sync/sync_context.go`).
 */
function withoutPointers(obj: unknown, pointers: readonly string[]): unknown {
  const copy = JSON.parse(JSON.stringify(obj));
  for (const pointer of pointers) {
    const parts = pointer
      .split('/')
      .slice(1)
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    let at = copy;
    for (const p of parts.slice(0, -1)) {
      at = at?.[p];
    }
    if (at !== undefined && at !== null) {
      delete at[parts[parts.length - 1]];
    }
  }
  return copy;
}

describe('pausing a child Application during an incident', () => {
  const root = applications.find((a) => a.metadata.name === 'meshflip');
  const ignored = (kind: string) =>
    root.spec.ignoreDifferences.filter((d: any) => d.group === 'argoproj.io' && d.kind === kind).flatMap((d: any) => d.jsonPointers);

  test('the root does not see, nor revert, a child whose automated sync was disabled ("Disable Auto-Sync", Argo CD 3.1+)', () => {
    const child = applications.find((a) => a.metadata.name === 'coolstore-workloads');
    const paused = JSON.parse(JSON.stringify(child));
    paused.spec.syncPolicy.automated.enabled = false;
    expect(root.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    expect(withoutPointers(paused, ignored('Application'))).toEqual(withoutPointers(child, ignored('Application')));
  });

  test('a change of prune or self-heal in dist/ still reaches the child', () => {
    const child = applications.find((a) => a.metadata.name === 'kong-perf-zone-real-services');
    const changed = JSON.parse(JSON.stringify(child));
    changed.spec.syncPolicy.automated.prune = !child.spec.syncPolicy.automated.prune;
    expect(withoutPointers(changed, ignored('Application'))).not.toEqual(withoutPointers(child, ignored('Application')));
  });

  test('before Argo CD 3.1 (no automated.enabled) the root ignores the whole automated block, as the bootstrapping guide does', () => {
    const root28 = fixtureRepo({ 'environments/meshflip.yaml': SETTINGS.replace('  cluster: hub\n', '  cluster: hub\n  version: "3.0"\n') });
    const rendered = synthesize(loadProject(root28));
    const rootApp = YAML.parseAllDocuments(rendered.find((f) => f.path === 'argocd/root.k8s.yaml')!.content)
      .map((d) => d.toJS())
      .find((o) => o.kind === 'Application');
    expect(rootApp.spec.ignoreDifferences).toEqual([{ group: 'argoproj.io', kind: 'Application', jsonPointers: ['/spec/syncPolicy/automated'] }]);
    expect(rootApp.spec.syncPolicy.retry.refresh).toBeUndefined();
    const child = YAML.parseAllDocuments(rendered.find((f) => f.path === 'argocd/lab.k8s.yaml')!.content)
      .map((d) => d.toJS())
      .find((o) => o.kind === 'Application');
    expect(child.spec.syncPolicy.automated.enabled).toBeUndefined();
    const paused = JSON.parse(JSON.stringify(child));
    delete paused.spec.syncPolicy.automated; // argocd app set --sync-policy none (cmd/util/app.go)
    expect(withoutPointers(paused, rootApp.spec.ignoreDifferences[0].jsonPointers)).toEqual(
      withoutPointers(child, rootApp.spec.ignoreDifferences[0].jsonPointers),
    );
  });
});

describe('convergence and deletion', () => {
  test('retries outlast an OLM install and a control plane, and take the newest commit where Argo CD can (3.2+)', () => {
    expect(applications.length).toBeGreaterThan(0);
    for (const app of applications) {
      const { limit, backoff, refresh } = app.spec.syncPolicy.retry;
      const seconds = (d: string) => (d.endsWith('m') ? Number(d.slice(0, -1)) * 60 : Number(d.slice(0, -1)));
      let total = 0;
      for (let i = 0, wait = seconds(backoff.duration); i < limit; i++, wait = Math.min(wait * backoff.factor, seconds(backoff.maxDuration))) {
        total += wait;
      }
      expect(total).toBeGreaterThan(20 * 60);
      expect(refresh).toBe(true);
    }
    const params = patch('argocd-cmd-params-cm.patch.yaml');
    expect(Number(params.data['controller.sync.timeout.seconds'])).toBeGreaterThan(35 * 60);
  });

  test('the sync timeout reaches the application controller in both bootstrap forms, from Argo CD 2.14', () => {
    const bootstrap = (version: string) => {
      const text = SETTINGS.replace('  cluster: hub\n', `  cluster: hub\n  version: "${version}"\n`);
      const out = synthesize(loadProject(fixtureRepo({ 'environments/meshflip.yaml': text })));
      const one = (name: string) => out.find((f) => f.path === `argocd/bootstrap/${name}`);
      return { params: one('argocd-cmd-params-cm.patch.yaml'), gitops: YAML.parse(one('openshift-gitops.patch.yaml')!.content) };
    };
    // Upstream Argo CD: argocd-cmd-params-cm's controller.sync.timeout.seconds, which its StatefulSet
    // passes to the controller as SYNC_TIMEOUT_VARIABLE.
    const current = bootstrap('2.14');
    expect(YAML.parse(current.params!.content).data).toEqual({ 'controller.sync.timeout.seconds': String(SYNC_TIMEOUT_SECONDS) });
    // OpenShift GitOps: the operator builds the controller's environment from spec.controller.env
    // (argocd-operator reconcileApplicationControllerStatefulSet), not from spec.cmdParams.
    expect(SYNC_TIMEOUT_VARIABLE).toBe('ARGOCD_APPLICATION_CONTROLLER_SYNC_TIMEOUT');
    expect(current.gitops.spec.controller).toEqual({ env: [{ name: SYNC_TIMEOUT_VARIABLE, value: String(SYNC_TIMEOUT_SECONDS) }] });
    expect(current.gitops.spec.cmdParams).toBeUndefined();
    // Before 2.14 the controller has no sync timeout: neither form sets one, and the health checks stay.
    const older = bootstrap('2.13');
    expect(older.params).toBeUndefined();
    expect(Object.keys(older.gitops.spec)).toEqual(['resourceHealthChecks']);
  });

  test('deleting the root with cascade keeps every environment: projects and Applications are Delete=false', () => {
    const rootOwned = objects.filter((o) => o.file.startsWith('argocd/') && o.file !== 'argocd/root.k8s.yaml');
    expect(rootOwned.length).toBeGreaterThan(20);
    for (const o of rootOwned) {
      expect((o.object.metadata as any).annotations['argocd.argoproj.io/sync-options']).toBe('Delete=false');
    }
  });

  test('a Namespace holding a PersistentVolumeClaim is never pruned or deleted, so the claim survives a cascade', () => {
    const claimNamespaces = new Set(
      objects.filter((o) => o.object.kind === 'PersistentVolumeClaim').map((o) => (o.object.metadata as any).namespace),
    );
    expect(claimNamespaces.size).toBeGreaterThan(0);
    const namespaces = objects.filter((x) => x.object.kind === 'Namespace');
    expect(namespaces.map((o) => (o.object.metadata as any).name)).toEqual(expect.arrayContaining([...claimNamespaces]));
    for (const o of namespaces) {
      const options = (o.object.metadata as any).annotations?.['argocd.argoproj.io/sync-options'];
      expect([o.file, (o.object.metadata as any).name, options]).toEqual([
        o.file,
        (o.object.metadata as any).name,
        claimNamespaces.has((o.object.metadata as any).name) && o.file.includes('/workloads/') ? 'Prune=false,Delete=false' : undefined,
      ]);
    }
  });

  test('every Application that reads this repository regenerates only when its own folder changes', () => {
    const fromRepository = applications.filter((a) => a.spec.source.path !== undefined);
    expect(fromRepository.length).toBeGreaterThan(0);
    for (const app of fromRepository) {
      expect(app.metadata.annotations['argocd.argoproj.io/manifest-generate-paths']).toBe('.');
    }
    expect(files).toContain('argocd/bootstrap/argocd-cm.patch.yaml');
  });

  test('an Argo CD before 2.8 is refused at its field', () => {
    const text = SETTINGS.replace('  cluster: hub\n', '  cluster: hub\n  version: "2.7"\n');
    expect(problemsOf(fixtureRepo({ 'environments/meshflip.yaml': text }))).toEqual([
      `environments/meshflip.yaml:${at(text, '"2.7"')}: argocd.version: must be 2.8 or later: meshflip renders Helm values as valuesObject and keeps data with helm.sh/resource-policy, both from Argo CD 2.8, got "2.7"; upgrade Argo CD and declare the version it runs`,
    ]);
  });
});

describe('no controller fights', () => {
  const rendered = synthesize(loadProject(path.join(REPO, 'test', 'fixtures', 'repo')));
  const fixtureApps = rendered
    .filter((f) => f.path.startsWith('argocd/'))
    .flatMap((f) => (f.objects ?? []) as any[])
    .filter((o) => o.kind === 'Application');

  test('the Istio base and istiod charts: Argo CD ignores the webhook fields istiod rewrites, and keeps them live when it syncs', () => {
    // GIVEN the upstream Istio fixture environment, the only flavour whose charts meshflip installs with webhooks istiod patches
    const byChart = new Map(
      fixtureApps.filter((a) => a.spec.source.chart !== undefined && a.spec.source.repoURL.includes('istio')).map((a) => [a.spec.source.chart, a]),
    );
    // THEN
    expect(byChart.get('base').spec.ignoreDifferences).toEqual([
      {
        group: 'admissionregistration.k8s.io',
        kind: 'ValidatingWebhookConfiguration',
        jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'],
      },
    ]);
    expect(byChart.get('istiod').spec.ignoreDifferences).toEqual([
      { group: 'admissionregistration.k8s.io', kind: 'MutatingWebhookConfiguration', jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle'] },
      {
        group: 'admissionregistration.k8s.io',
        kind: 'ValidatingWebhookConfiguration',
        jqPathExpressions: ['.webhooks[]?.clientConfig.caBundle', '.webhooks[]?.failurePolicy'],
      },
    ]);
    for (const chart of ['base', 'istiod']) {
      expect(byChart.get(chart).spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    }
  });

  test('no other Application ignores anything or syncs with RespectIgnoreDifferences, but Kuma control planes whose webhook CA cert-manager injects', () => {
    // (test/meshes/kuma-control-plane.test.ts checks what those ignore)
    const certManaged = (a: any) => {
      const values = a.spec.source.chart === undefined ? {} : helmValuesOf(a);
      return (values.kuma ?? values).controlPlane?.tls?.general?.certManager?.enabled === true;
    };
    const others = fixtureApps.filter((a) => !['base', 'istiod'].includes(a.spec.source.chart) && a.metadata.name !== 'meshflip' && !certManaged(a));
    expect(others.length).toBeGreaterThan(5);
    expect(
      others
        .filter((a) => a.spec.ignoreDifferences !== undefined || a.spec.syncPolicy.syncOptions.includes('RespectIgnoreDifferences=true'))
        .map((a) => a.metadata.name),
    ).toEqual([]);
  });
});
