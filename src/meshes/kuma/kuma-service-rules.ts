import { isKuma } from '../../model/spec';
import { Rule } from '../rules';

/**
 * `ingress:` routes of a catalogue service on a Kuma / Kong Mesh environment. They are the routes
 * of the Istio ingress gateway (meshes/istio/istio-mesh.ts renders a Gateway and a VirtualService from them);
 * the Kuma renderer (meshes/kuma/kuma-mesh.ts) renders no edge gateway, neither a builtin MeshGateway with
 * its MeshHTTPRoute nor a delegated one, so nothing outside the mesh reaches the service through
 * them. A warning, not an error: a catalogue may serve Istio environments too, where they work.
 * The zone ingress (`mesh.zones[].ingress`) carries cross-zone traffic only.
 */
export const INGRESS_NOT_RENDERED: Rule = {
  code: 'MF1020',
  level: 'warning',
  title: 'gateway routes of a service on Kuma, where meshflip renders no gateway',
  upstream:
    'kumahq/kuma docs "Built-in gateways" (MeshGateway, MeshHTTPRoute with a MeshGateway targetRef): an edge gateway is an object of its own, ' +
    'which the Kuma renderer does not create; the zone ingress (pkg/xds/ingress) serves cross-zone traffic only',
  check({ env }, report) {
    if (!isKuma(env.mesh)) {
      return;
    }
    for (const service of env.services) {
      if (service.ingress.length > 0) {
        report(
          { file: service.definedIn.file, path: [...service.definedIn.path, 'ingress'] },
          `is not rendered on ${env.mesh.flavor}: meshflip renders no ingress gateway for Kuma and Kong Mesh, so nothing outside the mesh reaches ${service.name} through these routes`,
          'they apply to Istio environments that use this catalogue; on Kuma, expose the service through a gateway of your own ' +
            '(mesh.zones[].ingress is the zone ingress, for cross-zone traffic)',
        );
      }
    }
  },
};

/** Rules about catalogue services on Kuma / Kong Mesh. */
export const KUMA_SERVICE_RULES: readonly Rule[] = [INGRESS_NOT_RENDERED];
