import fc from 'fast-check';
import { EnvironmentRouting, ServiceRouting } from '../../src/meshes/effective-routing';
import { headerReach, HeaderReach } from '../../src/pipeline/synth/routing-report';
import { serviceRouting } from './routing-fixtures';

// Which callers can send a header-scoped route's header, as ROUTING.md and its graph say, read back
// from the rendered objects: callers come from traffic permissions (null without them), and a
// caller that is not a service of the environment (the ingress gateway) is where requests come in.

function service(name: string, callers: readonly string[] | null, propagates: readonly string[] = [], header?: string): ServiceRouting {
  return serviceRouting({ name, callers, propagates, header: header === undefined ? null : { name: header, value: '1', to: 'mock' } });
}

const environment = (services: ServiceRouting[]): EnvironmentRouting => ({ name: 'lab', protected: false, mesh: 'istio', services });

/** The definition, run as a fixpoint over every name until nothing changes: the oracle for the worklist. */
function reachByFixpoint(routing: EnvironmentRouting, callee: ServiceRouting): HeaderReach | undefined {
  if (callee.header === null || callee.callers === null) {
    return undefined;
  }
  const header = callee.header.name;
  const byName = new Map(routing.services.map((s) => [s.name, s]));
  const sends = new Set<string>();
  const origin = (name: string) => {
    const s = byName.get(name);
    return s === undefined || (s.callers !== null && s.callers.length === 0);
  };
  for (let grew = true; grew;) {
    grew = false;
    for (const name of new Set([...routing.services.map((s) => s.name), ...routing.services.flatMap((s) => s.callers ?? [])])) {
      const s = byName.get(name);
      if (!sends.has(name) && (origin(name) || (s?.propagates?.includes(header) === true && (s.callers ?? []).some((c) => sends.has(c))))) {
        sends.add(name);
        grew = true;
      }
    }
  }
  const from = callee.callers.filter((c) => sends.has(c));
  const not = callee.callers
    .filter((c) => !sends.has(c))
    .map((caller) => ({
      caller,
      why: byName.get(caller)?.propagates?.includes(header)
        ? `${caller} propagates ${header}, but nothing that calls it sends it`
        : `${caller} does not propagate ${header}`,
    }));
  return { from, not };
}

test('follows the header from the gateway and from clients along services that propagate it, and not into a loop nothing sends it into', () => {
  // GIVEN ingress-gateway -> a -> b -> c (a and b propagate), client -> d (does not) -> e -> f (e and f call each other, propagate)
  const services = [
    service('a', ['ingress-gateway'], ['x-mock']),
    service('b', ['a'], ['x-mock']),
    service('c', ['b', 'd', 'e'], [], 'x-mock'),
    service('client', []),
    service('d', ['client']),
    service('e', ['d', 'f'], ['x-mock']),
    service('f', ['e'], ['x-mock'], 'x-mock'),
    service('g', null, ['x-mock']),
  ];
  const routing = environment(services);
  // WHEN
  const reachC = headerReach(routing, services[2]);
  const reachF = headerReach(routing, services[6]);
  // THEN
  expect(reachC).toEqual({
    from: ['b'],
    not: [
      { caller: 'd', why: 'd does not propagate x-mock' },
      { caller: 'e', why: 'e propagates x-mock, but nothing that calls it sends it' },
    ],
  });
  expect(reachF).toEqual({ from: [], not: [{ caller: 'e', why: 'e propagates x-mock, but nothing that calls it sends it' }] });
});

test('finds the same callers as the fixpoint definition on any call graph (chains, loops, repeated names, unknown callers, no permissions)', () => {
  const names = ['s0', 's1', 's2', 's3', 's4', 's5'];
  const callers = fc.option(fc.array(fc.constantFrom(...names, 'ingress-gateway'), { maxLength: 4 }), { nil: null });
  const node = fc.record({
    name: fc.constantFrom(...names),
    callers,
    propagates: fc.subarray(['x-a', 'x-b']),
    header: fc.option(fc.constantFrom('x-a', 'x-b'), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(node, { minLength: 1, maxLength: 8 }), (nodes) => {
      const services = nodes.map((n) => service(n.name, n.callers, n.propagates, n.header));
      const routing = environment(services);
      for (const callee of services) {
        expect(headerReach(routing, callee)).toEqual(reachByFixpoint(routing, callee));
      }
    }),
    { numRuns: 2000, seed: 18 },
  );
});
