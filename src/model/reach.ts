import { sameServerNote } from './cluster-identity';
import { NO_ENTRIES, serviceEntries } from './service-scope';
import { FieldPath, formatPath, SourceFile } from './source-file';
import { EnvironmentSpec, isKuma, KumaMeshSpec, Origin } from './spec';
import { compareStrings, Problem } from './spec-error';

/**
 * Where an environment's objects land, so that environments can be checked against each other:
 * the namespaces it deploys into, keyed by API server (not by cluster name), and, on Kuma, the
 * service identities it shares with every environment in the same mesh of the same global control
 * plane. Plain data: worker threads send it to the thread that checks all of them together.
 */
export interface EnvironmentReach {
  readonly env: string;
  readonly protected: boolean;
  readonly file: string;
  readonly namespaces: readonly NamespaceClaim[];
  readonly meshServices: readonly MeshServiceClaim[];
}

type Location = Pick<Problem, 'file' | 'line' | 'col' | 'field'>;

/**
 * A namespace of an API server that an environment deploys into: two environments claiming the
 * same one would have two Argo CD Applications fighting over the same objects, and an unprotected
 * one would reach into a protected one.
 */
export interface NamespaceClaim {
  /** API server identity and namespace. */
  readonly key: string;
  readonly namespace: string;
  /** The cluster entry the environment names. */
  readonly cluster: string;
  /** The API server it reaches (`ClusterSpec.identity`). */
  readonly server: string;
  /** Where the service or control plane that claims it is written. */
  readonly at: Location;
}

/**
 * A Kuma service (`k8s.kuma.io/service-name` and `k8s.kuma.io/namespace`, that is every
 * `kuma.io/service` `<name>_<namespace>_svc_<port>`) in a mesh of a global control plane. Every
 * zone connected to that control plane publishes the same identity for a Service of that name
 * and namespace, so instances, mocks and policies of any environment there are one service.
 */
export interface MeshServiceClaim {
  /** One key per way of naming the control plane (a self-hosted one by its cluster and by its KDS address). */
  readonly keys: readonly { readonly key: string; readonly controlPlane: string }[];
  readonly service: string;
  readonly namespace: string;
  readonly mesh: string;
  /** What an unprotected environment does to the service that a protected one may not; empty for a protected one. */
  readonly uses: readonly ProtectedOnlyUse[];
}

/** Something a protected environment may not do to a service, done by an unprotected one. */
export interface ProtectedOnlyUse {
  readonly at: Location & { readonly got?: string };
  /** `deploys a mock of orders`. */
  readonly what: string;
  /** What it would do to the protected environment's service. */
  readonly effect: string;
  readonly hint: string;
}

function locate(file: SourceFile, path: FieldPath, gotText?: string): Location & { got?: string } {
  const p = file.problem(path, '', gotText === undefined ? {} : { gotText });
  return { file: p.file, line: p.line, col: p.col, field: p.field, ...(p.got === undefined ? {} : { got: p.got }) };
}

/**
 * `item` with `at`, worked out when first read: a claim's place in its file is only shown when two
 * environments collide, and finding it reads the file's tree of positions (a large catalogue's is
 * megabytes). Plain data to the structured clone algorithm, which reads it when a worker thread
 * sends the claim.
 */
function locatedWhenRead<T extends object, L>(item: T, at: () => L): T & { readonly at: L } {
  let found: L | undefined;
  return Object.defineProperty(item, 'at', { enumerable: true, get: () => (found ??= at()) }) as T & { readonly at: L };
}

/** The namespaces and mesh service identities an environment reaches. */
export function environmentReach(env: EnvironmentSpec): EnvironmentReach {
  return { env: env.name, protected: env.protected, file: env.file, namespaces: namespaceClaims(env), meshServices: meshServiceClaims(env) };
}

/** The namespaces of API servers an environment deploys into: its services' (and mocks') and its control planes'. */
export function namespaceClaims(env: EnvironmentSpec): NamespaceClaim[] {
  const claims = new Map<string, NamespaceClaim>();
  const claim = (cluster: { name: string; identity: string }, namespace: string, path: FieldPath) => {
    const key = `${cluster.identity} ${namespace}`;
    if (!claims.has(key)) {
      claims.set(
        key,
        locatedWhenRead({ key, namespace, cluster: cluster.name, server: cluster.identity }, () => {
          const { line, col } = env.source.locate(path, true);
          return { file: env.source.path, line, col, field: formatPath(path) };
        }),
      );
    }
  };
  const mesh = env.mesh;
  for (const service of env.services) {
    const clusters = isKuma(mesh)
      ? [...service.zones, ...(env.mocks.enabled && service.mock ? [mesh.mocksZone] : [])].map(
          (zone) => mesh.zones.find((z) => z.name === zone)!.cluster,
        )
      : [mesh.cluster];
    for (const cluster of clusters) {
      claim(cluster, service.namespace, ['services', service.name]);
    }
  }
  // Control planes: a zone (and a self-hosted global) control plane per cluster, an Istio control plane namespace.
  if (isKuma(mesh)) {
    mesh.zones.forEach((zone, index) => claim(zone.cluster, mesh.systemNamespace, ['mesh', 'zones', index, 'cluster']));
    if (mesh.global.kind === 'self-hosted') {
      claim(mesh.global.cluster, mesh.systemNamespace, ['mesh', 'global', 'selfHosted', 'cluster']);
    }
  } else {
    claim(mesh.cluster, mesh.controlPlaneNamespace, ['mesh', 'cluster']);
    if (mesh.ingress !== undefined) {
      claim(mesh.cluster, mesh.gatewayNamespace, ['mesh', 'ingress']);
    }
    if (mesh.sail !== undefined) {
      claim(mesh.cluster, mesh.sail.cniNamespace, ['mesh', 'cluster']);
    }
  }
  return [...claims.values()];
}

/**
 * The ways a Kuma global control plane is named: a Konnect control plane by region and id; a
 * self-hosted one by the API server and namespace it runs in and by the KDS address its zones
 * connect to (two environments whose zones dial the same address share it, whatever cluster they
 * say it runs in).
 */
export function controlPlaneKeys(mesh: KumaMeshSpec): { key: string; controlPlane: string }[] {
  const global = mesh.global;
  if (global.kind === 'konnect') {
    return [
      {
        key: `konnect ${global.region} ${global.controlPlaneId.toLowerCase()}`,
        controlPlane: `Konnect control plane ${global.controlPlaneId} (region ${global.region})`,
      },
    ];
  }
  const kds = normalizeKdsAddress(global.kdsAddress);
  return [
    {
      key: `global ${global.cluster.identity} ${mesh.systemNamespace}`,
      controlPlane: `the global control plane in ${mesh.systemNamespace} on API server ${global.cluster.identity}`,
    },
    { key: `kds ${kds}`, controlPlane: `the global control plane at ${kds}` },
  ];
}

/** `grpcs://host:port` with the host lowercased, its trailing dots removed and the port without leading zeros. */
export function normalizeKdsAddress(address: string): string {
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/:]+)(?::(\d+))?\/*$/.exec(address);
  if (match === null) {
    return address;
  }
  const port = match[3] === undefined ? '' : `:${Number(match[3])}`;
  return `${match[1].toLowerCase()}://${match[2].toLowerCase().replace(/\.+$/, '')}${port}`;
}

/** The Kuma services of an environment, with what it does to them that a protected environment may not. */
function meshServiceClaims(env: EnvironmentSpec): MeshServiceClaim[] {
  const mesh = env.mesh;
  if (!isKuma(mesh)) {
    // Istio names a service by host (<name>.<namespace>.svc.cluster.local) within one cluster:
    // environments share one only by sharing a namespace of an API server, which namespaceClaims covers.
    return [];
  }
  const keys = controlPlaneKeys(mesh).map(({ key, controlPlane }) => ({ key: `${key} mesh ${mesh.meshName}`, controlPlane }));
  const meshHint = `give ${env.name} a mesh of its own (mesh.name) or another global control plane`;
  const entries = serviceEntries(env);
  return env.services.map((service) => {
    const uses: ProtectedOnlyUse[] = [];
    if (!env.protected) {
      const { routes, faults, circuitBreakers, timeouts, retries } = entries.get(service.name) ?? NO_ENTRIES;
      const own = <T extends { origin?: Origin }>(list: readonly T[]) => list.filter((x) => x.origin !== undefined);
      if (env.mocks.enabled && service.mock !== undefined) {
        uses.push(
          locatedWhenRead(
            {
              what: `deploys a mock of ${service.name}`,
              effect: 'the mock would become an endpoint of the protected service',
              hint: `set mocks.enabled: false in ${env.file}, or ${meshHint}`,
            },
            () => locate(env.source, ['services', service.name], 'a mock (mocks.enabled is true)'),
          ),
        );
      }
      for (const route of own(routes)) {
        if (route.mockWeight > 0 || route.header !== undefined) {
          const to =
            route.header === undefined
              ? `mock for ${route.mockWeight}% of requests`
              : `mock for requests with ${route.header.name}: ${route.header.value}`;
          uses.push(
            locatedWhenRead(
              {
                what: `routes ${service.name} to its mock`,
                effect: 'the route would apply to every caller of the protected service',
                hint: `route ${service.name} to real, or ${meshHint}`,
              },
              () => locate(route.origin!.file, route.origin!.path, JSON.stringify(to)),
            ),
          );
        }
      }
      const policies = [
        [own(faults), 'injects faults into', "the faults would hit the protected service's traffic"],
        [own(circuitBreakers), 'sets a circuit breaker on', "the policy would apply to the protected service's traffic"],
        [own(timeouts), 'sets timeouts on', "the policy would apply to the protected service's traffic"],
        [own(retries), 'sets retries on', "the policy would apply to the protected service's traffic"],
      ] as const;
      for (const [list, verb, effect] of policies) {
        for (const item of list) {
          uses.push(
            locatedWhenRead({ what: `${verb} ${service.name}`, effect, hint: `remove it, or ${meshHint}` }, () =>
              locate(item.origin.file, item.origin.path),
            ),
          );
        }
      }
    }
    return { keys, service: service.name, namespace: service.namespace, mesh: mesh.meshName, uses };
  });
}

/**
 * Problems for environments that reach the same place:
 *
 * - a namespace of an API server claimed by two environments. When one of them is protected,
 *   every unprotected one is reported (whatever the name order) as reaching into it; otherwise
 *   the later one in name order is.
 * - on Kuma, an unprotected environment that does to a service what a protected environment may
 *   not (a mock, a route to it, faults, breakers, timeouts, retries), when a protected environment
 *   in the same mesh of the same global control plane has a service of the same name and
 *   namespace: Kuma makes both one service (one `kuma.io/service`), so the protected
 *   environment's rules apply.
 */
export function reachProblems(reaches: readonly EnvironmentReach[]): Problem[] {
  const sorted = [...reaches].sort((a, b) => compareStrings(a.env, b.env));
  return [...namespaceProblems(sorted), ...meshServiceProblems(sorted)];
}

function namespaceProblems(reaches: readonly EnvironmentReach[]): Problem[] {
  const byKey = new Map<string, { reach: EnvironmentReach; claim: NamespaceClaim }[]>();
  for (const reach of reaches) {
    for (const claim of reach.namespaces) {
      const list = byKey.get(claim.key);
      if (list === undefined) {
        byKey.set(claim.key, [{ reach, claim }]);
      } else {
        list.push({ reach, claim });
      }
    }
  }
  const problems: Problem[] = [];
  for (const claims of byKey.values()) {
    // Claims are unique per environment and key.
    if (claims.length < 2) {
      continue;
    }
    const owner = claims.find((c) => c.reach.protected) ?? claims[0];
    for (const { reach, claim } of claims) {
      if (reach.env === owner.reach.env) {
        continue;
      }
      if (owner.reach.protected && !reach.protected) {
        problems.push({
          ...claim.at,
          message:
            `deploys into namespace ${claim.namespace} of API server ${claim.server}, where protected environment ${owner.reach.env} ` +
            `deploys (${owner.reach.file}, cluster ${owner.claim.cluster}): an unprotected environment must not reach a protected environment's namespaces`,
          got: `cluster ${claim.cluster}`,
          hint: `give ${reach.env} namespaces of its own or another cluster, or make it protected`,
        });
      } else {
        const note = sameServerNote({ name: claim.cluster, identity: claim.server }, { name: owner.claim.cluster, identity: owner.claim.server });
        problems.push({
          ...claim.at,
          message: `deploys into namespace ${claim.namespace} of cluster ${claim.cluster}, which environment ${owner.reach.env} already uses${note}`,
          hint: 'give each environment its own namespaces or clusters, so their Argo CD Applications do not fight',
        });
      }
    }
  }
  return problems;
}

function meshServiceProblems(reaches: readonly EnvironmentReach[]): Problem[] {
  const protectedServices = new Map<string, { env: string; file: string; controlPlane: string }>();
  for (const reach of reaches.filter((r) => r.protected)) {
    for (const claim of reach.meshServices) {
      for (const { key, controlPlane } of claim.keys) {
        const serviceKey = `${key} service ${claim.namespace} ${claim.service}`;
        if (!protectedServices.has(serviceKey)) {
          protectedServices.set(serviceKey, { env: reach.env, file: reach.file, controlPlane });
        }
      }
    }
  }
  const problems: Problem[] = [];
  for (const reach of reaches.filter((r) => !r.protected)) {
    for (const claim of reach.meshServices) {
      const owner = claim.keys
        .map(({ key }) => protectedServices.get(`${key} service ${claim.namespace} ${claim.service}`))
        .find((o) => o !== undefined);
      if (owner === undefined) {
        continue;
      }
      for (const use of claim.uses) {
        problems.push({
          file: use.at.file,
          line: use.at.line,
          col: use.at.col,
          field: use.at.field,
          message:
            `${use.what}, and protected environment ${owner.env} (${owner.file}) has service ${claim.service} in namespace ${claim.namespace} ` +
            `in mesh ${claim.mesh} of ${owner.controlPlane}: Kuma makes both one service (kuma.io/service ${claim.service}_${claim.namespace}_svc_<port>), ` +
            `so ${use.effect}`,
          ...(use.at.got === undefined ? {} : { got: use.at.got }),
          hint: use.hint,
        });
      }
    }
  }
  return problems;
}
