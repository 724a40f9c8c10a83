import * as path from 'path';
import { rulesFor } from '../../src/meshes/index';
import { ISTIO_RULES } from '../../src/meshes/istio-rules';
import { KUMA_RULES } from '../../src/meshes/kuma-rules';
import { ruleSetProblems, runRules } from '../../src/meshes/rules';
import { loadProject } from '../../src/model/load';
import { formatProblem } from '../../src/model/spec-error';
import { synthesizeProject } from '../../src/pipeline/parallel-synth';
import { synthesizeWithRouting } from '../../src/pipeline/synth';
import { at, fixtureRepo, kongEnvironment, problemsOf as loadProblems } from '../model/fixtures';
import { removeTempDirs } from '../util';

afterAll(removeTempDirs);

const REPO = path.resolve(__dirname, '../..');

/** The formatted problems the rules of each environment of `root` report. */
function ruleProblems(root: string): string[] {
  const project = loadProject(root);
  return project.environments.flatMap((env) => runRules(rulesFor(env), { env, objects: [] })).map(formatProblem);
}

describe('the rule set', () => {
  test('every rule has a code of the MF0000 form, used once', () => {
    expect(ruleSetProblems([...KUMA_RULES, ...ISTIO_RULES])).toEqual([]);
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
      `environments/lab.yaml:${at(text, 'false')}: trafficPermissions: MF1001 on kong-mesh 2.14.3 a mesh with mTLS and no MeshTrafficPermission `
      + 'refuses every request (no allow-all policy is created since 2.6), got false; '
      + 'remove trafficPermissions: false, so that meshflip renders a permission for each declared call',
    ]);
  });

  test('is silent before 2.6, where a new mesh still gets the allow-all TrafficPermission', () => {
    const text = kongEnvironment('lab', 'trafficPermissions: false').replace('version: 2.14.3', 'version: 2.5.1');
    expect(ruleProblems(fixtureRepo({ 'environments/lab.yaml': text })).filter((p) => p.includes('MF1001'))).toEqual([]);
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
      `environments/lab.yaml:${at(text, '2.9.0')}: mesh.version: MF1002 the kong-mesh chart 2.9.0 generates a new control-plane CA and webhook caBundle each time Argo CD renders it `
      + '(Helm lookup is empty under helm template): the control planes never stay Synced, self-heal rotates the CA and running sidecars keep the old one, got "2.9.0"; '
      + 'declare mesh.controlPlaneTls.secret (a pre-created Secret and its CA bundle), or use chart 2.13 or later, where meshflip enables cert-manager',
    ]);
  });

  test('points at chartVersion when that is what selects the chart', () => {
    const text = kong({ mesh: ['chartVersion: 2.12.3'] });
    expect(ruleHits('MF1002', text).map((p) => p.split(': ').slice(0, 2).join(': '))).toEqual([`environments/lab.yaml:${at(text, '2.12.3')}: mesh.chartVersion`]);
  });

  test('is silent with a provided Secret, and from 2.13 on where cert-manager is the default', () => {
    expect(ruleHits('MF1002', kong({ version: '2.9.0', mesh: [`controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`] }))).toEqual([]);
    expect(ruleHits('MF1002', kong())).toEqual([]);
  });
});

describe('MF1003: policies Argo CD can never prune', () => {
  test('fails on a 2.6 mesh whose policies are created on the zones', () => {
    const text = kong({ version: '2.6.0', mesh: [`controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`] });
    expect(ruleHits('MF1003', text)).toEqual([
      `environments/lab.yaml:${at(text, '2.6.0')}: mesh.version: MF1003 before 2.7 kuma-cp makes the Mesh the owner of every policy it admits, and Argo CD never prunes an owned object: `
      + 'a fault, route or permission removed from the environment stays in force while Argo CD reports Synced, got "2.6.0"; '
      + 'use 2.7 or later (meshflip then sets KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE), or a Konnect global with placement: global',
    ]);
  });

  test('is silent when Konnect holds the policies, and from 2.7 on', () => {
    expect(ruleHits('MF1003', kong({ version: '2.6.0', mesh: ['placement: global'] }))).toEqual([]);
    expect(ruleHits('MF1003', kong({ version: '2.7.0', mesh: [`controlPlaneTls: { secret: { name: kuma-tls, caBundle: ${CA_BUNDLE} } }`] }))).toEqual([]);
  });
});

describe('MF1004: zones that cannot verify a self-hosted global control plane', () => {
  test('fails when neither a KDS certificate nor skipVerify is declared', () => {
    const text = kong({ global: SELF_HOSTED, mesh: ['license: { name: kong-mesh-license }'] });
    expect(ruleHits('MF1004', text)).toEqual([
      `environments/lab.yaml:${at(text, 'grpcs://')}: mesh.global.selfHosted.kdsAddress: MF1004 zones reaching grpcs://kds.example.com:5685 get the global's self-signed control-plane certificate, `
      + 'which does not name that host, and verify it against the system roots: the TLS handshake fails and no zone receives the Mesh or a policy, got "grpcs://kds.example.com:5685"; '
      + 'declare mesh.global.selfHosted.kdsTls with the Secret of a certificate for that host and the Secret of its CA, or kdsSkipVerify: true to skip verification deliberately',
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
      `environments/lab.yaml:${at(text, version)}: warning: mesh.version: MF1005 the kong-mesh chart ${version} runs its hook Jobs with ttlSecondsAfterFinished: 0, `
      + `so they are deleted before Argo CD 2.x reads their status and the sync can hang, got "${version}"; `
      + 'use chart 2.12.9, 2.13.4, 2.14.0 or later, where meshflip sets hooks.ttlSecondsAfterFinished: null',
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
      `environments/lab.yaml:${at(big, 'hub')}: warning: mesh.global.selfHosted.cluster: MF1006 the global control plane runs on the licence bundled with Kong Mesh (5 data plane proxies, 30 days), `
      + `and the environment runs 7: proxies beyond the limit are refused, got "hub"; ${hint}`,
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
