import { checkIstio } from './istio-checks';
import { readControlPlanes } from './istio-control-planes';
import { readIstioRouting } from './istio-reader';
import { ISTIO_RULES } from './istio-rules';
import { INJECTION_TEMPLATE_ANNOTATION } from './istio-names';
import { field, str } from '../effective-routing';
import { IstioMeshSpec, MeshFlavor, MeshSpec } from '../../model/spec';
import { MeshFamily } from '../mesh-family';

/** The Istio family: OpenShift Service Mesh and upstream Istio. */
export const ISTIO_FAMILY: MeshFamily = {
  name: 'Istio',
  flavors: [MeshFlavor.OPENSHIFT_SERVICE_MESH, MeshFlavor.ISTIO],
  rules: ISTIO_RULES,
  // The renderers (and cdk8s with them) load only when an environment is rendered: the commands
  // that read dist/ back need the readers, checks and rules alone.
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded when used; typed as the module itself */
  create: (env) =>
    !isIstioMesh(env.mesh) || env.mesh.sail === undefined
      ? new (require('./istio-mesh') as typeof import('./istio-mesh')).IstioMesh(env)
      : env.mesh.migration !== undefined
        ? new (require('./ossm-migration-mesh') as typeof import('./ossm-migration-mesh')).OpenShiftServiceMeshMigration(env)
        : new (require('./ossm3-mesh') as typeof import('./ossm3-mesh')).OpenShiftServiceMesh3(env),
  /* eslint-enable @typescript-eslint/no-require-imports */
  readRouting: readIstioRouting,
  readControlPlanes,
  checkRendered: checkIstio,
  // OpenShift Service Mesh 2.5 installs Istio CRDs of its own (alternatives/ossm-2.5-istio); 3.x
  // serves upstream Istio's, beside the Sail and Kiali operators' (alternatives/ossm-3).
  schemaPlatform: (flavor, objects) =>
    flavor !== String(MeshFlavor.OPENSHIFT_SERVICE_MESH)
      ? 'kubernetes'
      : objects.some((o) => (str(o.object, 'apiVersion') ?? '').startsWith('sailoperator.io/'))
        ? 'ossm3'
        : 'ossm',
  // A gateway deployed by gateway injection names its proxy image `auto`: the injector's gateway
  // template puts in the proxy image of the revision (Istio docs "Installing Gateways", Deploying
  // a gateway; sail-operator docs/ossm/quickstarts istioIngressGateway.yaml).
  injectedImage: (owner, container) =>
    container.name === 'istio-proxy' &&
    container.image === 'auto' &&
    field(owner, 'spec', 'template', 'metadata', 'annotations', INJECTION_TEMPLATE_ANNOTATION) !== undefined,
};

function isIstioMesh(mesh: MeshSpec): mesh is IstioMeshSpec {
  return mesh.flavor === MeshFlavor.OPENSHIFT_SERVICE_MESH || mesh.flavor === MeshFlavor.ISTIO;
}
