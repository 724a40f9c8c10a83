import { ARGOCD_RULES } from '../../src/meshes/argocd-rules';
import { ISTIO_RULES } from '../../src/meshes/istio/istio-rules';
import { KUMA_RULES } from '../../src/meshes/kuma/kuma-rules';
import { ruleSetProblems } from '../../src/meshes/rules';
import { loadProject } from '../../src/model/load';
import { formatProblem } from '../../src/model/spec-error';
import { synthesizeWithRouting } from '../../src/pipeline/synth/synth';
import { at, fixtureRepo, ossmEnvironment, SETTINGS } from '../model/fixtures';
import { removeTempDirs } from '../util';

afterAll(removeTempDirs);

/** The formatted problems the rules report when `root` is synthesized, with `code` in them. */
function ruleProblems(root: string, code: string): string[] {
  return synthesizeWithRouting(loadProject(root))
    .problems.map(formatProblem)
    .filter((p) => p.includes(code));
}

const withVersion = (version: string) => SETTINGS.replace('  cluster: hub\n', `  cluster: hub\n  version: "${version}"\n`);

test('the Argo CD rules have codes of their own beside the mesh rules', () => {
  expect(ruleSetProblems([...KUMA_RULES, ...ISTIO_RULES, ...ARGOCD_RULES])).toEqual([]);
});

describe('MF3001: Manual approval holds later waves before Argo CD 3.5', () => {
  const protectedOssm = ossmEnvironment('lab', 'protected: true', 'mesh:').replace('protected: true\nmesh:\n', 'protected: true\n');

  test('warns at argocd.version when a protected OSSM environment approves operators by hand on Argo CD 3.4', () => {
    const settings = withVersion('3.4');
    const problems = ruleProblems(fixtureRepo({ 'environments/meshflip.yaml': settings, 'environments/lab.yaml': protectedOssm }), 'MF3001');
    expect(problems).toEqual([
      `environments/meshflip.yaml:${at(settings, '"3.4"')}: warning: argocd.version: MF3001 Argo CD 3.4 shows an operator upgrade waiting for Manual approval as Progressing ` +
        '(kiali, serviceMesh of lab): the root\'s later waves wait until it is approved, got "3.4"; ' +
        'approve each InstallPlan promptly (README: OpenShift Service Mesh), or run Argo CD 3.5 or later and declare it',
    ]);
  });

  test('is silent from Argo CD 3.5, whose Subscription health check counts such an upgrade Healthy', () => {
    expect(ruleProblems(fixtureRepo({ 'environments/meshflip.yaml': withVersion('3.5'), 'environments/lab.yaml': protectedOssm }), 'MF3001')).toEqual(
      [],
    );
  });
});
