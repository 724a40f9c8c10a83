import * as fs from 'fs';
import * as path from 'path';
import { loadProject } from '../../src/model/load';
import { synthesize } from '../../src/pipeline/synth/synth';
import { parseYamlDocuments, REPO, removeTempDirs, snapshotTree } from '../util';
import { renderedDist } from '../rendered-dist';

afterAll(removeTempDirs);

/** The rendered dist/ files of an environment, parsed. */
function dist(file: string): any[] {
  return parseYamlDocuments(fs.readFileSync(path.join(renderedDist(), file), 'utf8'));
}

/** Renders the repository with one environment file's text replaced. */
function renderWith(envFile: string, edit: (text: string) => string): Record<string, string> {
  const text = fs.readFileSync(path.join(REPO, envFile), 'utf8');
  const project = loadProject(REPO, { overrides: new Map([[envFile, edit(text)]]) });
  return Object.fromEntries(synthesize(project).map((f) => [f.path, f.content]));
}

function changedFiles(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((f) => a[f] !== b[f]).sort();
}

describe('the Kong Mesh mocking tutorial (kong-perf)', () => {
  test('serves captains-log from the mock zone under the same mesh identity, told apart by app: mountebank', () => {
    const real = dist('kong-perf/zone-real-services/captains-log.k8s.yaml');
    const mock = dist('kong-perf/zone-mock-services/captains-log.mock.k8s.yaml');
    const realService = real.find((o) => o.kind === 'Service');
    const mockService = mock.find((o) => o.kind === 'Service');
    // Same name, namespace and port: both zones publish kuma.io/service captains-log_my-services_svc_5000.
    expect([mockService.metadata.namespace, mockService.metadata.name, mockService.spec.ports]).toEqual([
      realService.metadata.namespace,
      realService.metadata.name,
      realService.spec.ports,
    ]);
    expect(realService.spec.ports).toEqual([{ appProtocol: 'http', name: 'http', port: 5000, protocol: 'TCP', targetPort: 5000 }]);
    expect(real.find((o) => o.kind === 'Deployment').spec.template.metadata.labels.app).toBe('captains-log');
    expect(mock.find((o) => o.kind === 'Deployment').spec.template.metadata.labels.app).toBe('mountebank');
    expect(real.find((o) => o.kind === 'Deployment').spec.template.spec.containers[0].image).toBe('kong/blog:captains-log');
  });

  test('routes every call to captains-log to the mock in both zones, and delays only the real instances by 1 s', () => {
    for (const zone of ['zone-real-services', 'zone-mock-services']) {
      const [route] = dist(`kong-perf/${zone}/captains-log.routing.k8s.yaml`).filter((o) => o.kind === 'MeshHTTPRoute');
      expect(route.spec.to[0].rules.flatMap((r: any) => r.default.backendRefs)).toEqual([
        { kind: 'MeshServiceSubset', name: 'captains-log_my-services_svc_5000', tags: { app: 'mountebank' }, weight: 100 },
      ]);
    }
    const faults = dist('kong-perf/zone-real-services/captains-log.routing.k8s.yaml').filter((o) => o.kind === 'MeshFaultInjection');
    expect(faults).toHaveLength(1);
    expect(faults[0].spec.targetRef.tags.app).toBe('captains-log');
    expect(faults[0].spec.from[0].default.http).toEqual([{ delay: { percentage: 100, value: '1s' } }]);
    // The mock zone has no real captains-log, so no fault there.
    expect(dist('kong-perf/zone-mock-services/captains-log.routing.k8s.yaml').filter((o) => o.kind === 'MeshFaultInjection')).toEqual([]);
  });

  test('labels every workload namespace for sidecar injection and enables builtin mTLS on the default mesh', () => {
    for (const zone of ['zone-real-services', 'zone-mock-services']) {
      expect(dist(`kong-perf/${zone}/namespaces.k8s.yaml`).map((n) => [n.metadata.name, n.metadata.labels['kuma.io/sidecar-injection']])).toEqual([
        ['my-services', 'enabled'],
      ]);
    }
    const [mesh] = dist('kong-perf/konnect/mesh.kumactl.yaml');
    expect(mesh).toMatchObject({ type: 'Mesh', name: 'default', mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] } });
  });

  test('never renders the zone token, only a reference to its Secret', () => {
    const argo = fs.readFileSync(path.join(renderedDist(), 'argocd/kong-perf.k8s.yaml'), 'utf8');
    expect(argo).toContain('Secret: cp-token');
    const everything = Object.values(snapshotTree(renderedDist())).join('\n');
    expect(everything).not.toMatch(/^kind: Secret$/m);
  });

  test("reverting is deleting the line: only captains-log's routing files and the routing table change, and no mock policy is left", () => {
    // GIVEN the environment as committed, and with the routing line deleted
    const flipped = renderWith('environments/kong-perf.yaml', (t) => t);
    const reverted = renderWith('environments/kong-perf.yaml', (t) => t.replace('routing:\n  services:\n    captains-log: mock\n', ''));
    // THEN
    // (and INPUTS.sha256, which records the edited environment file)
    expect(changedFiles(flipped, reverted)).toEqual([
      'kong-perf/INPUTS.sha256',
      'kong-perf/ROUTING.md',
      'kong-perf/zone-mock-services/captains-log.routing.k8s.yaml',
      'kong-perf/zone-real-services/captains-log.routing.k8s.yaml',
    ]);
    const route = parseYamlDocuments(reverted['kong-perf/zone-real-services/captains-log.routing.k8s.yaml']).find(
      (o) => o.kind === 'MeshHTTPRoute',
    ) as any;
    expect(route.spec.to[0].rules.flatMap((r: any) => r.default.backendRefs.map((b: any) => b.tags.app))).toEqual(['captains-log']);
    expect(reverted['kong-perf/zone-real-services/captains-log.routing.k8s.yaml']).not.toContain('mountebank');
  });
});

describe('the tutorial as published (kong-tutorial: Kong Mesh 2.5, legacy policies on Konnect)', () => {
  test("renders the tutorial's TrafficRoute and FaultInjection for kumactl, sourcing from every service", () => {
    const [route, fault] = dist('kong-tutorial/konnect/captains-log.routing.kumactl.yaml');
    expect(route).toEqual({
      type: 'TrafficRoute',
      name: 'captains-log-route',
      mesh: 'default',
      sources: [{ match: { 'kuma.io/service': '*' } }],
      destinations: [{ match: { 'kuma.io/service': 'captains-log_my-services_svc_5000' } }],
      conf: { split: [{ weight: 100, destination: { 'kuma.io/service': 'captains-log_my-services_svc_5000', app: 'mountebank' } }] },
    });
    expect(fault).toEqual({
      type: 'FaultInjection',
      name: 'captains-log-faults',
      mesh: 'default',
      sources: [{ match: { 'kuma.io/service': '*' } }],
      destinations: [{ match: { 'kuma.io/service': 'captains-log_my-services_svc_5000', 'kuma.io/protocol': 'http', app: 'captains-log' } }],
      conf: { delay: { percentage: 100, value: '1s' } },
    });
  });

  test('applies no legacy policy on a zone, and reverting changes only the kumactl routing file and the table', () => {
    const zoneFiles = Object.keys(snapshotTree(path.join(renderedDist(), 'kong-tutorial'))).filter((f) => f.startsWith('zone-'));
    expect(zoneFiles.length).toBeGreaterThan(0);
    for (const f of zoneFiles) {
      expect(`${f}: ${fs.readFileSync(path.join(renderedDist(), 'kong-tutorial', f), 'utf8')}`).not.toMatch(/kind: (TrafficRoute|FaultInjection)/);
    }
    const flipped = renderWith('environments/kong-tutorial.yaml', (t) => t);
    const reverted = renderWith('environments/kong-tutorial.yaml', (t) => t.replace('routing:\n  services:\n    captains-log: mock\n', ''));
    expect(changedFiles(flipped, reverted)).toEqual([
      'kong-tutorial/INPUTS.sha256',
      'kong-tutorial/ROUTING.md',
      'kong-tutorial/konnect/captains-log.routing.kumactl.yaml',
    ]);
  });
});
