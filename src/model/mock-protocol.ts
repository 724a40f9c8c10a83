import { FieldPath, SourceFile } from './source-file';
import { ImposterSpec, PortSpec } from './spec';
import { Problem } from './spec-error';

/**
 * Protocol fit: whether a Mountebank imposter can answer the traffic the sidecar hands it on the
 * port it stands in for.
 *
 * A port's `protocol` is rendered as the Service port's `appProtocol`, which is what both mesh
 * families read to decide how the sidecar talks to the application:
 *
 * - Kuma / Kong Mesh turn `appProtocol` (or the `<port>.service.kuma.io/protocol` annotation) into
 *   the inbound's `kuma.io/protocol` tag (kumahq/kuma `pkg/plugins/runtime/k8s/controllers/inbound_converter.go`,
 *   `ProtocolTagFor`); the inbound cluster to the application speaks HTTP/2 for `http2` and `grpc`
 *   (`pkg/xds/generator/inbound_proxy_generator.go`, `envoy_clusters.Http2()`).
 * - Istio takes `appProtocol` first and the port name prefix (`http-`, `grpc-`, ...) only without it
 *   (istio/istio `pkg/config/kube/conversion.go`, `ConvertProtocol`; unnamed, unprefixed ports are
 *   sniffed); the inbound cluster speaks HTTP/2 when the protocol is HTTP/2-based
 *   (`pilot/pkg/networking/core/cluster_builder.go`, `setUpstreamProtocol`).
 *
 * On an `http`, `http2` or `grpc` port the sidecar ends the mesh's mTLS and hands the application
 * plaintext. Mountebank (2.9) serves HTTP/1.1 (`http`), HTTP/1.1 over TLS (`https`) and raw TCP
 * (`tcp`), never HTTP/2 or h2c, so:
 *
 * - no imposter can stand in for an `http2` or `grpc` port;
 * - an `https` imposter cannot stand in for an `http` port (every TLS handshake fails on plaintext).
 *
 * A `tcp` port forwards the client's bytes as they are, so any imposter may stand in for it: what
 * it gets is what the client sends.
 */
export function protocolFitProblems(
  file: SourceFile,
  imposters: readonly ImposterSpec[],
  paths: readonly FieldPath[],
  service: string,
  ports: readonly PortSpec[],
): Problem[] {
  const problems: Problem[] = [];
  imposters.forEach((imposter, index) => {
    const at = paths[index];
    for (const port of ports.filter((p) => p.targetPort === imposter.port)) {
      if (port.protocol === 'http2' || port.protocol === 'grpc') {
        problems.push(
          file.problem(
            [...at, 'port'],
            `cannot stand in for port ${port.name} of ${service}, which is ${port.protocol}: the sidecar speaks HTTP/2 to the application on an ` +
              'http2 or grpc port (Kuma: kuma.io/protocol tag; Istio: appProtocol or port name prefix) and Mountebank serves only HTTP/1.1 and TCP',
            {
              hint: `a mock cannot stand in for ${port.protocol} traffic: remove this imposter, and keep ${service} routed to real while it has an http2 or grpc port`,
            },
          ),
        );
      } else if (port.protocol === 'http' && imposter.protocol === 'https') {
        problems.push(
          file.problem(
            [...at, 'protocol'],
            `must be http to stand in for port ${port.name} of ${service}, which is http: the sidecar ends the mesh's mTLS and hands the application ` +
              'plaintext HTTP/1.1, so an https imposter fails every TLS handshake',
            {
              hint: 'set "protocol": "http"; the mesh already encrypts traffic between pods',
            },
          ),
        );
      }
    }
  });
  return problems;
}
