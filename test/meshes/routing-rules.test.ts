import fc from 'fast-check';
import { headerSenders, UNREACHABLE_HEADER_ROUTE } from '../../src/meshes/routing-rules';
import { RuleLocation } from '../../src/meshes/rules';
import { EnvironmentSpec, isKuma, MeshFlavor, Origin, ServiceSpec } from '../../src/model/spec';

/** The fields of a service MF0001 reads: its name, what it calls, the headers it propagates, its gateway routes. */
interface Node {
  readonly name: string;
  readonly calls: readonly string[];
  readonly propagates: readonly string[];
  readonly ingress: boolean;
}

/** An environment holding only what MF0001 reads; the routes' origins are plain markers the rule hands back as they are. */
function environment(flavor: MeshFlavor, nodes: readonly Node[], routes: readonly { service: string; header?: string }[] = []): EnvironmentSpec {
  const services = nodes.map((n) => ({ name: n.name, calls: n.calls, propagates: n.propagates, ingress: n.ingress ? [{}] : [] }));
  const routeSpecs = routes.map((r, i) => ({
    service: r.service,
    mockWeight: 0,
    ...(r.header === undefined ? {} : { header: { name: r.header, value: '1' } }),
    origin: { path: ['routing', 'services', `${r.service}#${i}`] } as unknown as Origin,
  }));
  return { name: 'lab', mesh: { flavor }, services, routes: routeSpecs } as unknown as EnvironmentSpec;
}

/** The definition, run as a fixpoint over every service until nothing changes: the oracle for the indexed computation. */
function sendersByFixpoint(env: EnvironmentSpec, header: string): Set<string> {
  const callers = (name: string) => env.services.filter((s) => s.calls.includes(name)).map((s) => s.name);
  const gateway = (s: ServiceSpec) => !isKuma(env.mesh) && s.ingress.length > 0;
  const sends = new Set<string>();
  for (let grew = true; grew;) {
    grew = false;
    for (const s of env.services) {
      const entry = gateway(s) || callers(s.name).length === 0;
      if (!sends.has(s.name) && (entry || (s.propagates.includes(header) && callers(s.name).some((c) => sends.has(c))))) {
        sends.add(s.name);
        grew = true;
      }
    }
  }
  return sends;
}

/** What MF0001 reports for each route, from the fixpoint definition. */
function reportsByFixpoint(env: EnvironmentSpec): unknown[] {
  const out: unknown[] = [];
  for (const route of env.routes) {
    const service = env.services.find((s) => s.name === route.service);
    if (route.header === undefined || route.origin === undefined || service === undefined || (!isKuma(env.mesh) && service.ingress.length > 0)) {
      continue;
    }
    const callers = env.services.filter((s) => s.calls.includes(service.name));
    const sends = sendersByFixpoint(env, route.header.name);
    if (callers.length > 0 && !callers.some((c) => sends.has(c.name))) {
      const names = callers.map((c) => c.name).join(', ');
      out.push([
        route.origin,
        `no caller of ${service.name} can send ${route.header.name}: ${names} ${callers.length === 1 ? 'does' : 'do'} not propagate it from a caller that has it, and the mesh never copies headers onto outbound calls`,
        `list ${route.header.name} under propagates of a calling service whose application copies it, or route from the gateway`,
      ]);
    }
  }
  return out;
}

function reports(env: EnvironmentSpec): unknown[] {
  const out: unknown[] = [];
  UNREACHABLE_HEADER_ROUTE.check({ env, objects: [] }, (at: RuleLocation, message: string, hint?: string) => out.push([at, message, hint]));
  return out;
}

const node = (name: string, calls: string[], propagates: string[] = [], ingress = false): Node => ({ name, calls, propagates, ingress });

describe('which services can send a header (MF0001)', () => {
  // client -> a -> b -> c -> d -> e: a, b and c propagate x-mock, d does not.
  // p <-> q call each other and propagate x-mock, but only r, which does not, calls into the loop.
  // gw is called by b but also has gateway routes; it calls g2, which propagates x-mock.
  const nodes = [
    node('client', ['a', 'r']),
    node('a', ['b'], ['x-mock']),
    node('b', ['c', 'gw'], ['x-mock']),
    node('c', ['d'], ['x-mock', 'x-other']),
    node('d', ['e']),
    node('e', [], ['x-mock']),
    node('r', ['p']),
    node('p', ['q'], ['x-mock']),
    node('q', ['p'], ['x-mock']),
    node('gw', ['g2'], [], true),
    node('g2', [], ['x-mock']),
  ];

  test('follows a propagation chain from where requests come in and stops at the first service that drops the header', () => {
    expect([...headerSenders(environment(MeshFlavor.KONG_MESH, nodes), 'x-mock')].sort()).toEqual(['a', 'b', 'c', 'client']);
    expect([...headerSenders(environment(MeshFlavor.KONG_MESH, nodes), 'x-other')].sort()).toEqual(['client']);
  });

  test('counts a service with gateway routes as an entry on Istio, which renders them, and not on Kuma, which does not', () => {
    expect([...headerSenders(environment(MeshFlavor.OPENSHIFT_SERVICE_MESH, nodes), 'x-mock')].sort()).toEqual(['a', 'b', 'c', 'client', 'g2', 'gw']);
  });

  test('names the callers of every route that no caller can trigger, a loop entered only from a service that drops the header included', () => {
    const routes = ['e', 'd', 'p', 'g2', 'b', 'client', 'nobody'].map((service) => ({ service, header: 'x-mock' }));
    const env = environment(MeshFlavor.KONG_MESH, nodes, [...routes, { service: 'e' }]);
    expect(reports(env).map((r) => (r as string[])[1].split(':')[0])).toEqual([
      'no caller of e can send x-mock',
      'no caller of p can send x-mock',
      'no caller of g2 can send x-mock',
    ]);
    expect((reports(env)[1] as string[])[1]).toContain(': r, q do not propagate it');
  });

  const names = ['s0', 's1', 's2', 's3', 's4', 's5', 's6', 's7'];
  const headers = ['x-a', 'x-b'];
  const graph = fc.array(
    fc.record({
      name: fc.constantFrom(...names),
      calls: fc.array(fc.constantFrom(...names, 'outside'), { maxLength: 4 }),
      propagates: fc.subarray(headers),
      ingress: fc.boolean(),
    }),
    { minLength: 1, maxLength: 9 },
  );
  const routes = fc.array(fc.record({ service: fc.constantFrom(...names), header: fc.option(fc.constantFrom(...headers), { nil: undefined }) }), {
    maxLength: 6,
  });
  const flavor = fc.constantFrom(MeshFlavor.KONG_MESH, MeshFlavor.OPENSHIFT_SERVICE_MESH);

  test('finds the same senders and reports the same routes as the fixpoint definition, on any call graph (chains, loops, duplicates)', () => {
    fc.assert(
      fc.property(flavor, graph, routes, (f, list, rs) => {
        const env = environment(f, list, rs);
        for (const header of headers) {
          expect([...headerSenders(env, header)].sort()).toEqual([...sendersByFixpoint(env, header)].sort());
        }
        expect(reports(env)).toEqual(reportsByFixpoint(env));
      }),
      { numRuns: 2000, seed: 18 },
    );
  });
});
