import { loadProject } from '../../src/model/load';
import { removeTempDirs } from '../util';
import { at, CATALOG, fixtureRepo, imposter, kongEnvironment, ossmEnvironment, problemsOf } from './fixtures';

afterAll(removeTempDirs);

/** The fixture catalogue with the orders port declared with `protocol`. */
function catalogWith(protocol: string): string {
  return CATALOG.replace(
    '      - name: http\n        port: 8080\n    calls',
    `      - name: api\n        port: 8080\n        protocol: ${protocol}\n    calls`,
  );
}

/** The orders imposter of the fixture, with another imposter protocol. */
function ordersImposter(protocol: string): string {
  return imposter(8080).replace('"protocol": "http"', `"protocol": "${protocol}"`);
}

const IMPOSTER = 'environments/mocks/orders.imposter.json';

describe('protocol fit: a mock stands in only for a port Mountebank can serve behind the sidecar', () => {
  // Upstream: kumahq/kuma pkg/plugins/runtime/k8s/controllers/inbound_converter.go (ProtocolTagFor: appProtocol -> kuma.io/protocol)
  // and pkg/xds/generator/inbound_proxy_generator.go (envoy_clusters.Http2() for http2/grpc); istio/istio pkg/config/kube/conversion.go
  // (ConvertProtocol: appProtocol, then the port name prefix) and pilot/pkg/networking/core/cluster_builder.go (setUpstreamProtocol).

  test.each(['grpc', 'http2'])('fails when an imposter stands in for a %s port, on Kuma and on Istio', (protocol) => {
    for (const environment of [kongEnvironment('lab'), ossmEnvironment('lab')]) {
      // GIVEN
      const text = ordersImposter('http');
      const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalogWith(protocol), [IMPOSTER]: text, 'environments/lab.yaml': environment });
      // THEN
      expect(problemsOf(root)).toEqual([
        `${IMPOSTER}:${at(text, '8080')}: port: cannot stand in for port api of orders, which is ${protocol}: the sidecar speaks HTTP/2 to the application ` +
          'on an http2 or grpc port (Kuma: kuma.io/protocol tag; Istio: appProtocol or port name prefix) and Mountebank serves only HTTP/1.1 and TCP, ' +
          `got 8080; a mock cannot stand in for ${protocol} traffic: remove this imposter, and keep orders routed to real while it has an http2 or grpc port`,
      ]);
    }
  });

  test('fails when an https imposter stands in for an http port, where the sidecar hands the application plaintext', () => {
    // GIVEN an imposter file holding two imposters, the second on the http port
    const text = `${JSON.stringify(
      {
        imposters: [
          { port: 9000, protocol: 'tcp' },
          { port: 8080, protocol: 'https' },
        ],
      },
      undefined,
      2,
    )}\n`;
    const catalog = CATALOG.replace(
      '        port: 8080\n    calls',
      '        port: 8080\n      - name: raw\n        port: 9000\n        protocol: tcp\n    calls',
    );
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalog, [IMPOSTER]: text });
    // THEN the problem points at the protocol of the second imposter
    expect(problemsOf(root)).toEqual([
      `${IMPOSTER}:${at(text, '"https"')}: imposters[1].protocol: must be http to stand in for port http of orders, which is http: the sidecar ends the mesh's mTLS ` +
        'and hands the application plaintext HTTP/1.1, so an https imposter fails every TLS handshake, got "https"; set "protocol": "http"; ' +
        'the mesh already encrypts traffic between pods',
    ]);
  });

  test.each([
    ['http', 'http'],
    ['http', 'tcp'],
    ['tcp', 'tcp'],
    ['tcp', 'http'],
    ['tcp', 'https'],
  ])('accepts an imposter on a %s port with protocol %s', (portProtocol, imposterProtocol) => {
    // GIVEN orders with an http port (8080) and a second port (9000); a tcp port forwards the client's bytes unchanged,
    // so even TLS from the client reaches the imposter
    const catalog = CATALOG.replace(
      '        port: 8080\n    calls',
      `        port: 8080\n      - name: second\n        port: 9000\n        protocol: ${portProtocol}\n    calls`,
    );
    const text = `${JSON.stringify({
      imposters: [
        { port: 8080, protocol: 'http' },
        { port: 9000, protocol: imposterProtocol },
      ],
    })}\n`;
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalog, [IMPOSTER]: text });
    // THEN
    const lab = loadProject(root).environments[0];
    expect(lab.services.find((s) => s.name === 'orders')!.mock!.imposters.map((i) => i.protocol)).toEqual(['http', imposterProtocol]);
  });

  test('fails when the routing flips a service whose grpc port has no imposter, saying why no imposter can be added', () => {
    // GIVEN orders has an http port with an imposter and a grpc port without one
    const catalog = CATALOG.replace(
      '        port: 8080\n    calls',
      '        port: 8080\n      - name: rpc\n        port: 9090\n        protocol: grpc\n    calls',
    );
    const environment = kongEnvironment('lab', 'routing:', '  services:', '    orders: mock');
    const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalog, 'environments/lab.yaml': environment });
    // THEN
    expect(problemsOf(root)).toEqual([
      `environments/lab.yaml:${at(environment, 'mock', 'orders: ')}: routing.services.orders: cannot be mock: port rpc (9090) of orders is grpc, ` +
        'which Mountebank cannot serve (HTTP/1.1 and TCP only), got "mock"; keep orders routed to real',
    ]);
  });
});
