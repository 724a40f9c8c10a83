import * as path from 'path';
import { rulesFor } from '../../src/meshes/index';
import { ISTIO_RULES } from '../../src/meshes/istio-rules';
import { KUMA_RULES } from '../../src/meshes/kuma-rules';
import { ruleSetProblems, runRules } from '../../src/meshes/rules';
import { loadProject } from '../../src/model/load';
import { formatProblem } from '../../src/model/spec-error';
import { synthesizeProject } from '../../src/pipeline/parallel-synth';
import { synthesizeWithRouting } from '../../src/pipeline/synth';
import { at, fixtureRepo, kongEnvironment } from '../model/fixtures';
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
    expect(ruleProblems(fixtureRepo({ 'environments/lab.yaml': text }))).toEqual([]);
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
