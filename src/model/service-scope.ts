import { groupBy } from './group-by';
import { SourceFile } from './source-file';
import { EnvironmentSpec } from './spec';

/**
 * The lists of an environment whose entries each belong to one service: its routing line, fault,
 * circuit breaker, timeout and retry policy. A flip edits only these.
 */
export const SERVICE_LISTS = ['routes', 'faults', 'circuitBreakers', 'timeouts', 'retries'] as const;

type ServiceList = (typeof SERVICE_LISTS)[number];
/** One service's own entries of each of `SERVICE_LISTS`, in the environment's order. */
export type ServiceEntries = { readonly [L in ServiceList]: EnvironmentSpec[L] };

/** The entries of a service that has none. */
export const NO_ENTRIES: ServiceEntries = { routes: [], faults: [], circuitBreakers: [], timeouts: [], retries: [] };

/**
 * An environment as the code that renders one service at a time sees it.
 *
 * `env` is the environment itself, except that while `within(service, ...)` runs, its service
 * lists (`SERVICE_LISTS`) hold only that service's entries. What a service renders then cannot
 * depend on another service's routing, faults or policies, whatever the code reads: that is what
 * lets an edit of one service's entries re-render that service alone (`editedServices`).
 */
export class ServiceScopes {
  public readonly env: EnvironmentSpec;
  private active: string | undefined;
  private readonly entries: ReadonlyMap<string, ServiceEntries>;

  constructor(env: EnvironmentSpec) {
    this.entries = serviceEntries(env);
    const lists: ReadonlySet<PropertyKey> = new Set(SERVICE_LISTS);
    this.env = new Proxy(env, {
      get: (target, property, receiver) => {
        if (this.active !== undefined && lists.has(property)) {
          return this.entriesOf(this.active)[property as ServiceList];
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
  }

  /** A service's own entries (`serviceEntries`). */
  public entriesOf(service: string): ServiceEntries {
    return this.entries.get(service) ?? NO_ENTRIES;
  }

  /** The service being rendered, or undefined for the environment as a whole. */
  public get current(): string | undefined {
    return this.active;
  }

  /** Runs `build` with the service lists of `env` narrowed to `service`'s entries. */
  public within<T>(service: string, build: () => T): T {
    if (this.active !== undefined) {
      throw new Error(`service ${service} rendered within service ${this.active}`);
    }
    this.active = service;
    try {
      return build();
    } finally {
      this.active = undefined;
    }
  }
}

/**
 * The services whose own entries (`SERVICE_LISTS`) differ between two versions of one environment,
 * when nothing else about it differs; undefined when anything else does (its services, mesh,
 * mocks, settings, or an entry's place in the file), which only a rendering of everything answers.
 *
 * Values are compared as data: where each was written is compared by file and field, never by line,
 * since no rendered file holds a line of its input.
 */
export function editedServices(before: EnvironmentSpec, after: EnvironmentSpec): ReadonlySet<string> | undefined {
  // Asked twice of a flip (may only its environment be loaded, then what to render): answered once.
  let answers = edits.get(before);
  if (answers === undefined) {
    answers = new WeakMap();
    edits.set(before, answers);
  }
  if (!answers.has(after)) {
    answers.set(after, compareServices(before, after));
  }
  return answers.get(after);
}

/** What `editedServices` answered, by the two versions of an environment. */
const edits = new WeakMap<EnvironmentSpec, WeakMap<EnvironmentSpec, ReadonlySet<string> | undefined>>();

function compareServices(before: EnvironmentSpec, after: EnvironmentSpec): ReadonlySet<string> | undefined {
  if (!sameData({ ...before, ...NO_ENTRIES }, { ...after, ...NO_ENTRIES })) {
    return undefined;
  }
  const was = serviceEntries(before);
  const now = serviceEntries(after);
  const edited = new Set<string>();
  for (const service of new Set([...was.keys(), ...now.keys()])) {
    if (!sameData(was.get(service) ?? NO_ENTRIES, now.get(service) ?? NO_ENTRIES)) {
      edited.add(service);
    }
  }
  return edited;
}

/** Each service's own entries of `SERVICE_LISTS`, by service name: each list indexed once, not searched per service. */
export function serviceEntries(env: EnvironmentSpec): Map<string, ServiceEntries> {
  const out = new Map<string, ServiceEntries>();
  for (const list of SERVICE_LISTS) {
    for (const [service, entries] of groupBy<{ readonly service: string }, string>(env[list], (e) => e.service)) {
      out.set(service, { ...(out.get(service) ?? NO_ENTRIES), [list]: entries });
    }
  }
  return out;
}

/** A text that is equal for equal data: a source file as its path, maps and sets as their entries in order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof SourceFile) {
      return { sourceFile: v.path };
    }
    if (v instanceof Map) {
      return { map: [...v] };
    }
    if (v instanceof Set) {
      return { set: [...v] };
    }
    return v;
  });
}

/**
 * Whether two values are the same data: true only when their `canonical` texts are equal, found
 * without writing them (an environment of a fleet is megabytes of text, written twice a flip).
 * It may answer false for data whose texts are equal, where JSON writes different values alike (an
 * undefined and a null in a list, NaN and null): that only renders more.
 */
export function sameData(a: unknown, b: unknown): boolean {
  if (a === b) {
    // The same value writes the same text (a value JSON cannot write throws in neither).
    return typeof a !== 'bigint';
  }
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) {
    return false;
  }
  if (hasToJson(a) || hasToJson(b)) {
    // What JSON writes of such a value is whatever its toJSON makes of it.
    return canonical(a) === canonical(b);
  }
  if (a instanceof SourceFile || b instanceof SourceFile) {
    return a instanceof SourceFile && b instanceof SourceFile && a.path === b.path;
  }
  if (a instanceof Map || b instanceof Map || a instanceof Set || b instanceof Set) {
    const kind = (v: object) => (v instanceof Map ? 'map' : v instanceof Set ? 'set' : 'object');
    return kind(a) === kind(b) && sameData([...(a as Iterable<unknown>)], [...(b as Iterable<unknown>)]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) {
      return false;
    }
    for (let i = 0; i < a.length; i++) {
      if (!sameData(a[i], b[i])) {
        return false;
      }
    }
    return true;
  }
  // As JSON writes a map: its own enumerable string keys in order, but those whose value it leaves out.
  const keysA = writtenKeys(a as Record<string, unknown>);
  const keysB = writtenKeys(b as Record<string, unknown>);
  if (keysA.length !== keysB.length) {
    return false;
  }
  for (let i = 0; i < keysA.length; i++) {
    if (keysA[i] !== keysB[i] || !sameData((a as Record<string, unknown>)[keysA[i]], (b as Record<string, unknown>)[keysB[i]])) {
      return false;
    }
  }
  return true;
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

/** The keys JSON writes of a map: not those whose value is undefined, a function or a symbol. */
function writtenKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((key) => {
    const v = value[key];
    return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
  });
}
