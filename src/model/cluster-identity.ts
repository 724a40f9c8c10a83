/**
 * Which API server a cluster entry of environments/meshflip.yaml reaches. Two entries are the same
 * cluster when their server URLs are the same after normalisation, whatever they are called:
 * protection and namespace checks compare these identities, never cluster names.
 */

/** The address Argo CD calls its own cluster ("in-cluster"). */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';

/**
 * The API server URL in one spelling: the WHATWG URL parser lowercases the scheme and host,
 * compresses IPv6 addresses (kept in brackets), decodes percent-encoded and punycodes Unicode host
 * names, resolves `.` and `..` in the path and drops the scheme's default port; on top of that the
 * trailing dots of the host, the trailing slashes of the path, the query, the fragment and any
 * user name or password are dropped (none of them changes which server is reached).
 * `undefined` when the text is not a URL.
 *
 * @see https://url.spec.whatwg.org/#concept-basic-url-parser
 */
export function normalizeServerUrl(server: string): string | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/\.+$/, '');
  const port = url.port === '' ? '' : `:${url.port}`;
  const pathname = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${host}${port}${pathname}`;
}

/**
 * Whether a normalised URL is the address of the `kubernetes` Service of the cluster Argo CD runs
 * in, as resolved from an Argo CD pod: `kubernetes.default.svc` (Argo CD's in-cluster address),
 * `kubernetes.default`, `kubernetes.default.svc.<cluster domain>`, and plain `kubernetes` when
 * Argo CD itself runs in the `default` namespace (DNS search paths of a pod), all on port 443.
 *
 * @see https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services
 */
export function isInClusterAddress(normalized: string, argocdNamespace: string): boolean {
  const match = /^https:\/\/([^/:]+)$/.exec(normalized);
  if (match === null) {
    return false;
  }
  const host = match[1];
  return (
    host === 'kubernetes.default.svc' ||
    host === 'kubernetes.default' ||
    host.startsWith('kubernetes.default.svc.') ||
    (host === 'kubernetes' && argocdNamespace === 'default')
  );
}

/**
 * The identity of every cluster entry, by name: its normalised server URL, where an in-cluster
 * address stands for the cluster Argo CD runs in (`argocd.cluster`), since that is where Argo CD
 * applies what is sent to it.
 */
export function clusterIdentities(servers: ReadonlyMap<string, string>, argocdCluster: string, argocdNamespace: string): Map<string, string> {
  const normalized = (server: string) => normalizeServerUrl(server) ?? server;
  const argocdServer = servers.get(argocdCluster);
  const inCluster = (value: string) => isInClusterAddress(value, argocdNamespace);
  const argocdIdentity = argocdServer === undefined || inCluster(normalized(argocdServer)) ? IN_CLUSTER_SERVER : normalized(argocdServer);
  const out = new Map<string, string>();
  for (const [name, server] of servers) {
    const value = normalized(server);
    out.set(name, inCluster(value) ? argocdIdentity : value);
  }
  return out;
}

/**
 * Words for a message about two entries that are one cluster: nothing when they have the same
 * name, else that both reach the same API server.
 */
export function sameServerNote(a: { name: string; identity: string }, b: { name: string; identity: string }): string {
  return a.name === b.name ? '' : ` (clusters ${a.name} and ${b.name} are the same API server, ${a.identity})`;
}
