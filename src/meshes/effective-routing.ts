import { latencyText, renderedLatency, renderedRecording } from '../mocks/latency-readback';
import { IMPOSTERS_KEY, MOCK_APP, SELECTOR_LABEL } from './mesh';

/**
 * What the mesh will do with traffic, as read back from rendered objects (dist/), not from the
 * environment files: hand edits of dist/ show up here. `meshflip explain`, ROUTING.md, the
 * pull-request summary, the guardrails over dist/ and the cross-mesh equivalence test all use it.
 */

/** A fault as the mesh applies it. */
export interface EffectiveFault {
  readonly kind: 'delay' | 'abort';
  /** Delay duration, for delays. */
  readonly value?: string;
  /** HTTP status, for aborts. */
  readonly httpStatus?: number;
  readonly percent: number;
  /** Which requests it hits: those served by the real service, by the mock, or all of them. */
  readonly appliesTo: 'real' | 'mock' | 'all';
}

/** Where one service's traffic goes. */
export interface ServiceRouting {
  readonly name: string;
  readonly namespace: string;
  /** A mock of the service is deployed. */
  readonly hasMock: boolean;
  /** Where requests without the header go. */
  readonly default: 'real' | 'mock' | 'split';
  /** Percent of default traffic to each side; they add up to 100. */
  readonly weights: { readonly real: number; readonly mock: number };
  /** Requests carrying this header go to `to`. */
  readonly header: { readonly name: string; readonly value: string; readonly to: 'real' | 'mock' } | null;
  readonly faults: readonly EffectiveFault[];
  readonly circuitBreaker: boolean;
  readonly timeouts: boolean;
  readonly retries: boolean;
  readonly expires: string | null;
  readonly reason: string | null;
  /** The field of the environment file the routing comes from, when annotated. */
  readonly source: string | null;
  /** Services allowed to call this one (from the traffic permissions), sorted; null without permissions. */
  readonly callers: readonly string[] | null;
  /** Set when copies of the routing disagree (for example between zones). */
  readonly inconsistencies: readonly string[];
  /** HTTP headers the service's application copies onto its own calls (its Deployment's annotation). */
  readonly propagates?: readonly string[];
  /** The latency the mock adds (`50ms`, `20ms-80ms`), read from the waits of its imposters; null when it adds none. */
  readonly mockLatency?: string | null;
  /** The mock proxies to the real instances and records their answers (`to: record`), read from its imposters. */
  readonly mockRecording?: boolean;
}

/** A Secret a rendered object reads by name: it must exist in the cluster before the object syncs. */
export interface SecretReference {
  readonly name: string;
  readonly namespace: string;
  /** The Argo CD Application (or dist/ folder) that syncs what reads it. */
  readonly application: string;
  /** What reads it: `Deployment shop/orders`, `Helm values of kong-real-global-control-plane`. */
  readonly readBy: readonly string[];
}

/**
 * An operator Subscription that approves its InstallPlans by hand (`installPlanApproval: Manual`):
 * its first install and every upgrade wait for a person.
 */
export interface ManualApproval {
  readonly subscription: string;
  readonly namespace: string;
  /** The operator package (`spec.name`). */
  readonly operator: string;
  /** The Argo CD Application that syncs the Subscription. */
  readonly application: string;
  /** The version the first install is pinned to, when set. */
  readonly startingCSV?: string;
}

/** The effective routing of one environment. */
/** Which control plane serves a namespace while a mesh moves from one to another (OpenShift Service Mesh 2.6 to 3.x). */
export interface NamespaceControlPlane {
  readonly namespace: string;
  /** The control plane whose injector gives its pods their sidecars, e.g. `ServiceMeshControlPlane istio-system/basic (v2.6)`, or `none`. */
  readonly servedBy: string;
  /** Why, from the rendered labels and resources. */
  readonly because: string;
}

export interface EnvironmentRouting {
  readonly name: string;
  readonly protected: boolean;
  readonly mesh: string;
  /** Sorted by name. */
  readonly services: readonly ServiceRouting[];
  /** The Secrets the rendered objects read, sorted by namespace and name. */
  readonly secrets?: readonly SecretReference[];
  /** The operator Subscriptions waiting for a person to approve each InstallPlan, sorted. */
  readonly approvals?: readonly ManualApproval[];
  /** While two control planes run side by side: which one serves each mesh namespace, sorted by namespace. */
  readonly controlPlanes?: readonly NamespaceControlPlane[];
}

/** A rendered object, with the dist/ path of the file it is in. */
export interface RenderedObject {
  readonly file: string;
  readonly object: Record<string, unknown>;
  /** The line of the file the object starts on. */
  readonly line?: number;
}

/** Helpers for reading plain objects. */
export function field(obj: unknown, ...path: (string | number)[]): unknown {
  let value = obj;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    value = (value as Record<string | number, unknown>)[segment];
  }
  return value;
}

export function str(obj: unknown, ...path: (string | number)[]): string | undefined {
  const value = field(obj, ...path);
  return typeof value === 'string' ? value : undefined;
}

export function list(obj: unknown, ...path: (string | number)[]): unknown[] {
  const value = field(obj, ...path);
  return Array.isArray(value) ? value : [];
}

/** Percentages from relative weights, rounded to whole numbers that add up to 100. */
export function toPercent(real: number, mock: number): { real: number; mock: number } {
  const total = real + mock;
  if (total <= 0) {
    return { real: 100, mock: 0 };
  }
  const mockShare = Math.round((mock / total) * 100);
  return { real: 100 - mockShare, mock: mockShare };
}

/** The default routing of a weight pair. */
function defaultOf(weights: { real: number; mock: number }): 'real' | 'mock' | 'split' {
  return weights.mock === 0 ? 'real' : weights.real === 0 ? 'mock' : 'split';
}

/**
 * A service's routing from what a mesh reader found: whether a mock exists, the default
 * (`real`, `mock`, `split`) and the callers' order follow from it.
 */
export function serviceRouting(
  found: Omit<ServiceRouting, 'hasMock' | 'default' | 'callers'> & { mock: unknown; callers: ReadonlySet<string> | null },
): ServiceRouting {
  const { mock, callers, ...rest } = found;
  return {
    ...rest,
    hasMock: mock !== undefined,
    mockLatency: latencyText((mock as MockWorkload | undefined)?.latency),
    mockRecording: (mock as MockWorkload | undefined)?.recording ?? false,
    default: defaultOf(found.weights),
    callers: callers === null ? null : [...callers].sort(),
  };
}

/** Workloads found in the rendered objects: real services and mocks, by `<namespace>/<name>`. */
export interface Workloads {
  readonly real: ReadonlyMap<string, { name: string; namespace: string; replicas: number }>;
  readonly mocks: ReadonlyMap<string, MockWorkload>;
}

/** A mock Deployment, with the latency its imposters add (from the ConfigMap it mounts). */
export interface MockWorkload {
  readonly name: string;
  readonly namespace: string;
  readonly replicas: number;
  readonly latency?: { readonly minMs: number; readonly maxMs: number };
  readonly recording?: boolean;
}

/** Finds the real and mock Deployments, told apart by their `app` label. */
export function findWorkloads(objects: readonly RenderedObject[]): Workloads {
  const real = new Map<string, { name: string; namespace: string; replicas: number }>();
  const mocks = new Map<string, MockWorkload>();
  const configMaps = new Map(
    objects
      .filter((o) => o.object.kind === 'ConfigMap')
      .map((o) => [`${str(o.object, 'metadata', 'namespace') ?? 'default'}/${str(o.object, 'metadata', 'name')}`, o.object]),
  );
  // What each imposters document says, read once: the mocks of an environment mostly share one.
  const readBack = new Map<string | undefined, { latency: ReturnType<typeof renderedLatency>; recording: boolean }>();
  const imposters = (document: string | undefined) => {
    let found = readBack.get(document);
    if (found === undefined) {
      found = { latency: renderedLatency(document), recording: renderedRecording(document) };
      readBack.set(document, found);
    }
    return found;
  };
  for (const { object } of objects) {
    if (object.kind !== 'Deployment') {
      continue;
    }
    const labels = (field(object, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
    const name = labels[SELECTOR_LABEL];
    const namespace = str(object, 'metadata', 'namespace') ?? 'default';
    if (name === undefined) {
      continue;
    }
    const replicas = typeof field(object, 'spec', 'replicas') === 'number' ? (field(object, 'spec', 'replicas') as number) : 1;
    const key = `${namespace}/${name}`;
    const target = labels.app === MOCK_APP ? mocks : labels.app === name ? real : undefined;
    if (target === real) {
      const before = real.get(key);
      // The same service deployed to several zones counts its replicas together.
      real.set(key, { name, namespace, replicas: (before?.replicas ?? 0) + replicas });
    } else if (target === mocks) {
      const before = mocks.get(key);
      const volume = list(object, 'spec', 'template', 'spec', 'volumes').find((v) => str(v, 'name') === 'imposters');
      const configMap = configMaps.get(`${namespace}/${str(volume, 'configMap', 'name')}`);
      const document = imposters(str(configMap, 'data', IMPOSTERS_KEY));
      const latency = document.latency;
      const recording = document.recording || (before?.recording ?? false);
      const both = [before?.latency, latency].filter((l) => l !== undefined);
      mocks.set(key, {
        name,
        namespace,
        replicas: (before?.replicas ?? 0) + replicas,
        recording,
        latency: both.length === 0 ? undefined : { minMs: Math.min(...both.map((l) => l.minMs)), maxMs: Math.max(...both.map((l) => l.maxMs)) },
      });
    }
  }
  return { real, mocks };
}

/** Annotations of an environment's AppProject: the mesh flavour it runs, and whether it is protected. */
export const MESH_ANNOTATION = 'meshflip.io/mesh';
export const PROTECTED_ANNOTATION = 'meshflip.io/protected';
/** Annotation of a service's Deployment: the HTTP headers its application copies onto the requests it makes. */
export const PROPAGATES_ANNOTATION = 'meshflip.io/propagates-headers';

/** What an environment's AppProject says about it (the mesh is undefined when it says nothing). */
export function environmentMeta(objects: readonly RenderedObject[]): { mesh: string | undefined; protected: boolean } {
  const project = objects.find((o) => o.object.kind === 'AppProject')?.object;
  return {
    mesh: str(project, 'metadata', 'annotations', MESH_ANNOTATION),
    protected: str(project, 'metadata', 'annotations', PROTECTED_ANNOTATION) === 'true',
  };
}

/** Reads the meshflip audit annotations of an object. */
export function audit(obj: unknown): { expires: string | null; reason: string | null; source: string | null } {
  return {
    expires: str(obj, 'metadata', 'annotations', 'meshflip.io/expires') ?? null,
    reason: str(obj, 'metadata', 'annotations', 'meshflip.io/reason') ?? null,
    source: str(obj, 'metadata', 'annotations', 'meshflip.io/source') ?? null,
  };
}

/** One line describing where default and header traffic go: `mock`, `split 70% real / 30% mock`, ... */
export function describeDefault(s: Pick<ServiceRouting, 'default' | 'weights'>): string {
  return s.default === 'split' ? `split ${s.weights.real}% real / ${s.weights.mock}% mock` : s.default;
}

/** One line describing a fault. */
export function describeEffectiveFault(f: EffectiveFault): string {
  const what = f.kind === 'delay' ? `delay ${f.value}` : `abort ${f.httpStatus}`;
  return `${what} on ${f.percent}% (${f.appliesTo === 'all' ? 'real and mock' : f.appliesTo})`;
}
