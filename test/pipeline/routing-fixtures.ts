import { ServiceRouting } from '../../src/meshes/effective-routing';

/** The routing of one service as read back from dist/: orders in shop, with a mock, on its real instances, and nothing else set. */
export function serviceRouting(overrides: Partial<ServiceRouting> = {}): ServiceRouting {
  return {
    name: 'orders',
    namespace: 'shop',
    hasMock: true,
    default: 'real',
    weights: { real: 100, mock: 0 },
    header: null,
    faults: [],
    circuitBreaker: false,
    timeouts: false,
    retries: false,
    expires: null,
    reason: null,
    source: null,
    callers: null,
    inconsistencies: [],
    ...overrides,
  };
}
