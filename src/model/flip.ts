import { KeyOrder, setYamlValue as setValue, setYamlValueAt } from './edit-yaml';
import { EnvironmentSchema, EXPIRY, RoutingSchema } from './schema';
import { expiryInstant, isValidExpiry } from './expiry';
import { EnvironmentSpec } from './spec';

/** New keys go where the schema lists them: `routing` after `services` and `mocks`, `default` before `services`. */
const SCHEMA_ORDER: KeyOrder = (parent) => {
  if (parent.length === 0) {
    return Object.keys(EnvironmentSchema.shape);
  }
  return parent.length === 1 && parent[0] === 'routing' ? Object.keys(RoutingSchema.shape) : [];
};

function setYamlValue(text: string, path: readonly string[], value: unknown): string {
  return setValue(text, path, value, SCHEMA_ORDER);
}

/** What `meshflip flip` was asked to do. */
export interface FlipRequest {
  /** The service to flip; undefined flips every service that has a mock (`routing.default`). */
  readonly service?: string;
  /** `record`: through the mock, which proxies to the real service and records its answers. */
  readonly to: 'mock' | 'real' | 'record';
  readonly weight?: number;
  readonly header?: { readonly name: string; readonly value: string };
  /** An ISO date or date-time. */
  readonly expires?: string;
  readonly reason?: string;
}

/**
 * Applies a flip to the text of an environment file and returns the new text. Flipping to the
 * mock writes one line (`captains-log: mock`, or a one-line map with the options); flipping back
 * deletes that line, unless the environment's default is the mock, where it writes the exception.
 */
export function applyFlip(text: string, env: EnvironmentSpec, request: FlipRequest): string {
  const { path, value } = flipEdit(env, request);
  return setYamlValue(text, path, value);
}

/** The value a flip sets at a path of the environment file (undefined: the key is deleted). */
function flipEdit(env: EnvironmentSpec, request: FlipRequest): { path: string[]; value: unknown } {
  const options = {
    ...(request.weight === undefined ? {} : { weight: request.weight }),
    ...(request.header === undefined ? {} : { header: { name: request.header.name, value: request.header.value } }),
    ...(request.expires === undefined ? {} : { expires: request.expires }),
    ...(request.reason === undefined ? {} : { reason: request.reason }),
  };
  const value = Object.keys(options).length === 0 ? request.to : { to: request.to, ...options };
  if (request.service === undefined) {
    // The whole environment: back to real drops the routing overlay altogether.
    return request.to === 'real' && Object.keys(options).length === 0
      ? { path: ['routing'], value: undefined }
      : { path: ['routing', 'default'], value };
  }
  const path = ['routing', 'services', request.service];
  if (value === 'real') {
    const defaultIntent = env.source.valueAt(['routing', 'default']);
    const defaultTo = typeof defaultIntent === 'string' ? defaultIntent : (defaultIntent as { to?: string } | undefined)?.to;
    return { path, value: defaultTo === 'mock' ? 'real' : undefined };
  }
  return { path, value };
}

/**
 * `applyFlip` spliced at the offsets the environment's parse found (`setYamlValueAt`), when `text`
 * is what was parsed and the edit is one that can be: the new text, and the data it must parse to
 * (the caller checks, and makes the edit with `applyFlip` when it does not). Undefined otherwise.
 */
export function applyFlipAt(text: string, env: EnvironmentSpec, request: FlipRequest): { text: string; data: unknown } | undefined {
  const { path, value } = flipEdit(env, request);
  const parent = path.slice(0, -1);
  // Where the keys of the map have an order of their own, a new key is not simply added at the end.
  if (SCHEMA_ORDER(parent).length > 0 || !isPlainMap(env.source.valueAt(parent))) {
    return undefined;
  }
  const edited = setYamlValueAt(text, env.source, path, value);
  if (edited === undefined) {
    return undefined;
  }
  const data = structuredClone(env.source.data) as Record<string, unknown>;
  let map = data;
  for (const segment of parent) {
    map = map[segment] as Record<string, unknown>;
  }
  if (value === undefined) {
    delete map[path[path.length - 1]];
  } else {
    map[path[path.length - 1]] = structuredClone(value);
  }
  return { text: edited, data };
}

function isPlainMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The longest duration `--expires` takes: a flip meant to last longer is better reviewed with a
 * date written out.
 */
export const MAX_EXPIRY_DAYS = 366;

/**
 * Resolves `--expires`: a date, a date-time, or a duration from now (`90m`, `12h`, `3d`, `2w`) of
 * 1 minute to `MAX_EXPIRY_DAYS`; undefined for anything else.
 */
export function resolveExpiry(text: string, now: Date): string | undefined {
  if (EXPIRY.test(text)) {
    return isValidExpiry(text) ? text : undefined;
  }
  const match = /^(\d+)(m|h|d|w)$/.exec(text);
  if (match === null) {
    return undefined;
  }
  const minutes = Number(match[1]) * { m: 1, h: 60, d: 1440, w: 10080 }[match[2] as 'm' | 'h' | 'd' | 'w'];
  // Checked on the number of minutes: `99999999w` lands past the end of JavaScript dates.
  if (!(minutes >= 1 && minutes <= MAX_EXPIRY_DAYS * 1440)) {
    return undefined;
  }
  return new Date(now.getTime() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Reverts every flip and fault of `env` whose expiry has passed: mock routes go back to real (the
 * line is deleted), expired faults are removed. Returns the new text and what was reverted.
 */
export function revertExpired(text: string, env: EnvironmentSpec, now: Date): { text: string; reverted: string[] } {
  const reverted: string[] = [];
  let next = text;
  const done = new Set<string>();
  for (const route of env.routes) {
    if (route.expires === undefined || route.origin === undefined || expiryInstant(route.expires) > now) {
      continue;
    }
    const key = route.origin.path.join('.');
    if (done.has(key)) {
      continue;
    }
    done.add(key);
    if (route.origin.path[1] === 'default') {
      next = setYamlValue(next, ['routing', 'default'], undefined);
      reverted.push(`routing.default (expired ${route.expires})`);
    } else {
      next = setYamlValue(next, ['routing', 'services', route.service], undefined);
      reverted.push(`routing of ${route.service} (expired ${route.expires})`);
    }
  }
  for (const fault of env.faults) {
    if (fault.expires !== undefined && expiryInstant(fault.expires) <= now) {
      next = setYamlValue(next, ['faults', fault.service], undefined);
      reverted.push(`faults of ${fault.service} (expired ${fault.expires})`);
    }
  }
  return { text: next, reverted };
}
