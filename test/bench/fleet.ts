import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';

/** The shape of a synthetic fleet. */
export interface FleetOptions {
  /** Services per environment. */
  readonly services: number;
  readonly environments: number;
}

/** The name of service `i` of the fleet. */
export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

/**
 * Writes a realistic synthetic repository: one catalogue of `services` services, every one with a
 * mock and a call to the next, and `environments` environments that alternate between Kong Mesh
 * (two zones, zone-originated policies) and OpenShift Service Mesh, each running every service
 * with a third of them flipped to the mock (all, weighted or header-scoped), every seventh with
 * faults and every fifth with a circuit breaker.
 */
export function writeFleet(root: string, options: FleetOptions): void {
  const write = (file: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  };
  const clusters: Record<string, { server: string }> = { hub: { server: 'https://kubernetes.default.svc' } };
  for (let e = 0; e < options.environments; e++) {
    for (const c of ['a', 'b']) {
      clusters[`env${e}-${c}`] = { server: `https://env${e}-${c}.example.com:6443` };
    }
  }
  write('environments/meshflip.yaml', stringify({ repository: { url: 'https://git.example.com/fleet.git' }, argocd: { cluster: 'hub' }, clusters }));
  write(
    'environments/mocks/generic.json',
    JSON.stringify(
      {
        port: 8080,
        protocol: 'http',
        stubs: [
          {
            predicates: [{ equals: { method: 'GET' } }],
            responses: [{ is: { statusCode: 200, headers: { 'X-Mocked': 'true' }, body: { ok: true } } }],
          },
        ],
      },
      null,
      2,
    ),
  );
  const services: Record<string, unknown> = {};
  for (let i = 0; i < options.services; i++) {
    services[serviceName(i)] = {
      image: `registry.example.com/fleet/${serviceName(i)}:1.${i % 10}.0`,
      ports: [{ name: 'http', port: 8080 }],
      probes: { readiness: { http: { path: '/healthz', port: 'http' } } },
      env: { LOG_LEVEL: 'info', PEER_URL: `http://${serviceName((i + 1) % options.services)}:8080` },
      calls: options.services > 1 ? [serviceName((i + 1) % options.services)] : [],
      mock: { imposters: ['../mocks/generic.json'] },
    };
  }
  write('environments/catalog/fleet.yaml', stringify({ services }));
  for (let e = 0; e < options.environments; e++) {
    const kuma = e % 2 === 0;
    const routing: Record<string, unknown> = {};
    const faults: Record<string, unknown> = {};
    const circuitBreakers: Record<string, unknown> = {};
    for (let i = 0; i < options.services; i++) {
      const name = serviceName(i);
      if (i % 3 === 0) {
        routing[name] = i % 9 === 0 ? 'mock' : i % 9 === 3 ? { to: 'mock', weight: 30 } : { to: 'mock', header: { name: 'x-mock', value: 'true' } };
      }
      if (i % 7 === 0) {
        faults[name] = { delay: { value: '200ms', percent: 10 } };
      }
      if (i % 5 === 0) {
        circuitBreakers[name] = { maxConnections: 100, outlierDetection: { consecutive5xxErrors: 5, interval: '10s' } };
      }
    }
    // Istio applies faults per route: meshflip refuses faults on weighted splits there.
    if (!kuma) {
      for (const name of Object.keys(faults)) {
        const r = routing[name] as { weight?: number } | undefined;
        if (typeof r === 'object' && r.weight !== undefined) {
          delete faults[name];
        }
      }
    }
    const mesh = kuma
      ? {
          flavor: 'kong-mesh',
          version: '2.14.3',
          global: { konnect: { region: 'eu', controlPlaneId: '11111111-2222-3333-4444-555555555555' } },
          zones: [
            { name: 'a', cluster: `env${e}-a` },
            { name: 'b', cluster: `env${e}-b` },
          ],
        }
      : { flavor: 'openshift-service-mesh', version: '2.5', cluster: `env${e}-a` };
    write(
      `environments/env${e}.yaml`,
      stringify({
        name: `env${e}`,
        catalog: ['fleet'],
        namespace: 'fleet',
        mesh,
        services: Object.fromEntries(Object.keys(services).map((n) => [n, null])),
        routing: { services: routing },
        faults,
        circuitBreakers,
      }),
    );
  }
}
