import { at, CATALOG, fixtureRepo, kongEnvironment, ossmEnvironment, problemsOf } from './fixtures';
import { loadProject } from '../../src/model/load';
import { removeTempDirs } from '../util';

/**
 * Names built from several input names must fit the limit of what reads them: an environment name
 * of 40 characters (the schema's limit) with a zone name makes Argo CD Application names.
 */

afterAll(() => removeTempDirs());

/** A Kong Mesh environment file named `name` whose first zone is `zone`. */
function kong(name: string, zone: string): string {
  return kongEnvironment(name).replace('    - name: real\n', `    - name: ${zone}\n`);
}

describe('Argo CD Application names of Kuma zones (the app.kubernetes.io/instance label: k8s.io/apimachinery validation.IsValidLabelValue, 63)', () => {
  // `<env>-<zone>-control-plane` is the longest: 15 characters besides the two names.
  const env40 = `lab-${'e'.repeat(36)}`;

  test('loads an environment name of 40 characters with a zone name that brings the Application name to exactly 63', () => {
    // GIVEN
    const zone = 'z'.repeat(63 - 40 - 15);
    const root = fixtureRepo({ 'environments/lab.yaml': null, [`environments/${env40}.yaml`]: kong(env40, zone) });
    // WHEN
    const project = loadProject(root);
    // THEN
    expect(project.environments.map((e) => e.name)).toEqual([env40]);
  });

  test('fails when the environment name of 40 characters and the zone name make 64', () => {
    // GIVEN
    const zone = 'z'.repeat(64 - 40 - 15);
    const file = `environments/${env40}.yaml`;
    const text = kong(env40, zone);
    // WHEN
    const problems = problemsOf(fixtureRepo({ 'environments/lab.yaml': null, [file]: text }));
    // THEN
    expect(problems).toEqual([
      `${file}:${at(text, zone)}: mesh.zones[0].name: makes the Argo CD Application name ${env40}-${zone}-control-plane 64 characters long, over the limit of 63, got "${zone}"; shorten the environment name or the zone name: together they must leave room for the suffix (Argo CD writes an Application's name into the app.kubernetes.io/instance label)`,
    ]);
  });
});

describe('the VirtualService of the Istio ingress gateway (`<gateway>-ingress`, a DNS-1123 label)', () => {
  test('fails when the gateway name leaves no room for -ingress', () => {
    // GIVEN
    const gateway = 'g'.repeat(56);
    const text = ossmEnvironment('ossm', '').replace(
      '  cluster: ocp-lab\n',
      `  cluster: ocp-lab\n  ingress: { gateway: ${gateway}, host: shop.apps.example.com }\n`,
    );
    // WHEN
    const problems = problemsOf(fixtureRepo({ 'environments/lab.yaml': null, 'environments/ossm.yaml': text }));
    // THEN
    expect(problems).toEqual([
      `environments/ossm.yaml:${at(text, gateway)}: mesh.ingress.gateway: makes the VirtualService name ${gateway}-ingress 64 characters long, over the limit of 63, got "${gateway}"; shorten the gateway name to at most 55 characters`,
    ]);
  });

  test('loads a gateway name of 55 characters', () => {
    // GIVEN
    const text = ossmEnvironment('ossm').replace(
      '  cluster: ocp-lab\n',
      `  cluster: ocp-lab\n  ingress: { gateway: ${'g'.repeat(55)}, host: shop.apps.example.com }\n`,
    );
    // WHEN
    const project = loadProject(fixtureRepo({ 'environments/lab.yaml': null, 'environments/ossm.yaml': text }));
    // THEN
    expect(project.environments.map((e) => e.name)).toEqual(['ossm']);
  });
});

describe('legacy Kuma policies of a service with several ports (`<service>-<port>-circuit-breaker`)', () => {
  test('fails at the port that makes the name longer than 63, and only there', () => {
    // GIVEN: with port 8080 the name has exactly 63 characters, with 65535 it has 64
    const service = 's'.repeat(42);
    // The service is the last entry of the catalogue: its second port goes at the end.
    const catalog = `${CATALOG.replace(/payments/g, service)}      - name: admin\n        port: 65535\n`;
    const env = kongEnvironment('lab', 'circuitBreakers:', `  ${service}: { maxConnections: 10 }`)
      .replace(/payments/g, service)
      .replace('  version: 2.14.3\n', '  version: 2.5.1\n');
    // WHEN
    const problems = problemsOf(fixtureRepo({ 'environments/catalog/shop.yaml': catalog, 'environments/lab.yaml': env }));
    // THEN
    expect(problems).toEqual([
      `environments/catalog/shop.yaml:${at(catalog, '65535')}: services.${service}.ports[1].port: makes the legacy CircuitBreaker name ${service}-65535-circuit-breaker 64 characters long, over the limit of 63 meshflip keeps object names to (a DNS-1123 label), got 65535; shorten the service name: a service with several ports gets one legacy policy per port`,
    ]);
  });
});
