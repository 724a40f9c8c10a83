import { rulesFor } from '../../src/meshes/index';
import { runRules } from '../../src/meshes/rules';
import { loadProject } from '../../src/model/load';
import { formatProblem } from '../../src/model/spec-error';
import { at, CATALOG, fixtureRepo, kongEnvironment, lines, MOCKED_PAYMENTS_AND_FRONTEND, ossmEnvironment } from '../model/fixtures';
import { removeTempDirs } from '../util';

afterAll(removeTempDirs);

/** The formatted problems of every mesh rule (Argo CD rules aside) over each environment of `root`. */
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

describe('MF1020: gateway routes of a catalogue service on Kuma, where meshflip renders no gateway', () => {
  // payments is exposed through the ingress gateway; orders calls it and does not propagate headers.
  const catalog = CATALOG + lines('    ingress:', '      - name: payments-api', '        match: [{ prefix: /pay }]');
  const HINT =
    'they apply to Istio environments that use this catalogue; on Kuma, expose the service through a gateway of your own ' +
    '(mesh.zones[].ingress is the zone ingress, for cross-zone traffic)';

  test('warns at the ingress field of the catalogue for a Kong Mesh environment', () => {
    // GIVEN
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalog });
    // WHEN
    const problems = ruleProblems(root);
    // THEN
    expect(problems).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '- name: payments-api')}: warning: services.payments.ingress: MF1020 is not rendered on kong-mesh: ` +
        'meshflip renders no ingress gateway for Kuma and Kong Mesh, so nothing outside the mesh reaches payments through these routes, ' +
        `got a list of 1 item; ${HINT}`,
    ]);
  });

  test('is silent for an OpenShift Service Mesh environment of the same catalogue, which renders the routes', () => {
    // GIVEN
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalog, 'environments/lab.yaml': ossmEnvironment('lab') });
    // WHEN
    const problems = ruleProblems(root);
    // THEN
    expect(problems).toEqual([]);
  });

  test('gives a header-scoped route no sender on Kuma: MF0001 warns as if there were no gateway routes', () => {
    // GIVEN a header route to payments' mock; frontend (a client) -> orders -> payments, and only the gateway sends the header on Istio
    const mocked = catalog + MOCKED_PAYMENTS_AND_FRONTEND;
    const header = ['  frontend:', 'routing:', '  services:', '    payments: { to: mock, header: { name: x-shop-mock, value: "1" } }'];
    const kong = kongEnvironment('lab', ...header);
    // WHEN
    const onKuma = ruleProblems(fixtureRepo({ 'environments/catalog/shop.yaml': mocked, 'environments/lab.yaml': kong }));
    const onIstio = ruleProblems(
      fixtureRepo({ 'environments/catalog/shop.yaml': mocked, 'environments/lab.yaml': ossmEnvironment('lab', ...header) }),
    );
    // THEN
    expect(onKuma.filter((p) => p.includes('MF0001'))).toEqual([
      `environments/lab.yaml:${at(kong, '{ to: mock')}: warning: routing.services.payments: MF0001 no caller of payments can send x-shop-mock: orders does not propagate it ` +
        'from a caller that has it, and the mesh never copies headers onto outbound calls, got a map with keys to, header; ' +
        'list x-shop-mock under propagates of a calling service whose application copies it, or route from the gateway',
    ]);
    expect(onIstio).toEqual([]);
  });
});
