import { ApiObject, App, Chart } from 'cdk8s';
import * as fs from 'fs';
import * as path from 'path';
import { ManifestChart } from '../../src/constructs/manifest-chart';
import { loadProject } from '../../src/model/load';
import { buildApp, environmentRouting, renderApp, synthesize, synthesizeEnvironment } from '../../src/pipeline/synth/synth';
import { renderCharts } from '../../src/pipeline/synth/render-charts';
import { fixtureProject } from '../constructs/helpers';
import { removeTempDirs, tempDir } from '../util';

afterAll(removeTempDirs);

test("renders every chart to the same objects as cdk8s's chart.toJson()", () => {
  // GIVEN the fixture app
  const { app } = buildApp(fixtureProject());
  const charts = app.node.findAll().filter((n): n is ManifestChart => ManifestChart.isManifestChart(n));
  // WHEN rendered in one pass
  const rendered = renderCharts(app, charts);
  // THEN each chart's objects are what cdk8s renders for it
  expect(charts.length).toBeGreaterThan(50);
  for (const chart of charts) {
    expect(rendered.get(chart)).toEqual(chart.toJson());
  }
});

test("orders the objects of a chart with dependencies between them as cdk8s's chart.toJson() does", () => {
  // GIVEN a chart whose first object depends on the two after it, the last of which depends on the second
  const app = new App();
  const chart = new Chart(app, 'ordered');
  const [first, second, third] = ['first', 'second', 'third'].map(
    (name) => new ApiObject(chart, name, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }),
  );
  first.addDependency(third, second);
  third.addDependency(second);
  // WHEN rendered in one pass
  const rendered = renderCharts(app, [chart]);
  // THEN in cdk8s's order: what an object depends on comes before it
  expect(rendered.get(chart)).toEqual(chart.toJson());
  expect(rendered.get(chart)!.map((o) => (o.metadata as { name: string }).name)).toEqual(['second', 'third', 'first']);
});

test('writes files whose manifests are byte-identical to a plain cdk8s App.synth() of the same constructs', () => {
  // GIVEN the same constructs, synthesized by cdk8s itself into a folder
  const outdir = tempDir();
  const { app } = buildApp(fixtureProject(), outdir);
  app.synth();
  const plain = fs
    .readdirSync(outdir)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .map((f) => fs.readFileSync(path.join(outdir, f), 'utf8'))
    .sort();
  // WHEN meshflip renders them (without its header comment)
  const ours = renderApp(buildApp(fixtureProject()).app)
    .filter((f) => f.path.endsWith('.k8s.yaml'))
    .map((f) => f.content.replace(/^# Generated from .*\n/, ''))
    .sort();
  // THEN
  expect(ours).toEqual(plain);
});

test('renders each environment on its own exactly as one app holding every environment does', () => {
  // GIVEN the fixture project
  const project = fixtureProject();
  // WHEN rendered environment by environment (how meshflip synthesizes) and as one app
  const separately = synthesize(project)
    .filter((f) => !f.path.endsWith('ROUTING.md') && !f.path.endsWith('INPUTS.sha256'))
    .map((f) => [f.path, f.content]);
  const together = renderApp(buildApp(project).app).map((f) => [f.path, f.content]);
  // THEN
  expect(separately).toEqual(together);
});

test('reads back the same routing from the objects alone as from a full rendering of each environment (flip compares with it)', () => {
  // GIVEN the example environments: Kuma and Kong Mesh zones, OpenShift Service Mesh 2 and 3, a migration between them
  const project = loadProject(path.resolve(__dirname, '../..'));
  expect(new Set(project.environments.map((e) => e.mesh.flavor)).size).toBeGreaterThan(1);
  for (const env of project.environments) {
    // WHEN
    const routing = environmentRouting(env, project.settings);
    // THEN
    expect(routing).toEqual(synthesizeEnvironment(env, project.settings).routing);
    expect(routing.services.length).toBe(env.services.length);
  }
});
