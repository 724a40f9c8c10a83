import { clusterIdentities, IN_CLUSTER_SERVER, isInClusterAddress, normalizeServerUrl } from '../../src/model/cluster-identity';

describe('normalizeServerUrl', () => {
  test.each([
    ['a trailing slash', 'https://prod.example.com:6443/', 'https://prod.example.com:6443'],
    ['several trailing slashes', 'https://prod.example.com:6443///', 'https://prod.example.com:6443'],
    ['an upper-case scheme and host', 'HTTPS://PROD.Example.COM:6443', 'https://prod.example.com:6443'],
    ['a trailing dot on the host', 'https://prod.example.com.:6443', 'https://prod.example.com:6443'],
    ['the default port spelled out', 'https://prod.example.com:443', 'https://prod.example.com'],
    ['the default port with leading zeros', 'https://prod.example.com:00443/', 'https://prod.example.com'],
    ['a user name and password', 'https://admin:pw@prod.example.com:6443', 'https://prod.example.com:6443'],
    ['a query and a fragment', 'https://prod.example.com:6443/?timeout=5s#x', 'https://prod.example.com:6443'],
    ['a percent-encoded host', 'https://%70rod.example.com:6443', 'https://prod.example.com:6443'],
    ['dot segments in the path', 'https://rancher.example.com/k8s/./clusters/x/../c-1/', 'https://rancher.example.com/k8s/clusters/c-1'],
    ['an IPv6 address written out in full', 'https://[0:0:0:0:0:0:0:1]:443/', 'https://[::1]'],
    ['an IPv6 address in upper case', 'https://[FD00::A]:6443', 'https://[fd00::a]:6443'],
    ['an IPv4 address in hexadecimal', 'https://0x7f.0.0.1:6443', 'https://127.0.0.1:6443'],
    ['a Unicode host', 'https://kübe.example.com', 'https://xn--kbe-hoa.example.com'],
  ])('writes a server URL with %s in one spelling', (_, server, expected) => {
    // WHEN
    const normalized = normalizeServerUrl(server);
    // THEN
    expect(normalized).toEqual(expected);
  });

  test('keeps what tells API servers apart: the port and the path, case included', () => {
    // WHEN
    const servers = [
      'https://prod.example.com:6443',
      'https://prod.example.com:8443',
      'https://r.example.com/k8s/clusters/C-1',
      'https://r.example.com/k8s/clusters/c-1',
    ].map(normalizeServerUrl);
    // THEN
    expect(new Set(servers).size).toEqual(4);
  });

  test('returns undefined for text that is not a URL', () => {
    // WHEN
    const normalized = normalizeServerUrl('https://prod example.com:6443');
    // THEN
    expect(normalized).toBeUndefined();
  });
});

describe('isInClusterAddress', () => {
  test.each([
    ['https://kubernetes.default.svc', 'argocd', true],
    ['https://kubernetes.default', 'argocd', true],
    ['https://kubernetes.default.svc.cluster.local', 'argocd', true],
    ['https://kubernetes', 'default', true],
    ['https://kubernetes', 'argocd', false],
    ['https://kubernetes.default.svc:6443', 'argocd', false],
    ['https://kubernetes.default.svc/api', 'argocd', false],
    ['https://kubernetes.default.example.com', 'argocd', false],
  ])('%s from Argo CD in namespace %s: %s', (server, namespace, expected) => {
    // WHEN
    const inCluster = isInClusterAddress(normalizeServerUrl(server)!, namespace);
    // THEN
    expect(inCluster).toEqual(expected);
  });
});

describe('clusterIdentities', () => {
  test('gives every in-cluster spelling the identity of the cluster Argo CD runs in', () => {
    // GIVEN
    const servers = new Map([
      ['hub', 'https://hub.example.com:6443'],
      ['local', 'https://kubernetes.default.svc'],
      ['local-fqdn', 'https://KUBERNETES.default.svc.cluster.local:443/'],
      ['other', 'https://other.example.com:6443'],
    ]);
    // WHEN
    const identities = clusterIdentities(servers, 'hub', 'argocd');
    // THEN
    expect(Object.fromEntries(identities)).toEqual({
      hub: 'https://hub.example.com:6443',
      local: 'https://hub.example.com:6443',
      'local-fqdn': 'https://hub.example.com:6443',
      other: 'https://other.example.com:6443',
    });
  });

  test("names the in-cluster address when Argo CD's own cluster is written as one", () => {
    // GIVEN
    const servers = new Map([
      ['hub', 'https://kubernetes.default.svc:443/'],
      ['in', 'https://kubernetes.default'],
    ]);
    // WHEN
    const identities = clusterIdentities(servers, 'hub', 'argocd');
    // THEN
    expect(Object.fromEntries(identities)).toEqual({ hub: IN_CLUSTER_SERVER, in: IN_CLUSTER_SERVER });
  });
});
