import { checkIstio } from './istio-checks';
import { IstioMesh } from './istio-mesh';
import { readIstioRouting } from './istio-reader';
import { ISTIO_RULES } from './istio-rules';
import { MeshFlavor } from '../../model/spec';
import { MeshFamily } from '../mesh-family';

/** The Istio family: OpenShift Service Mesh and upstream Istio. */
export const ISTIO_FAMILY: MeshFamily = {
  name: 'Istio',
  flavors: [MeshFlavor.OPENSHIFT_SERVICE_MESH, MeshFlavor.ISTIO],
  rules: ISTIO_RULES,
  create: (env) => new IstioMesh(env),
  readRouting: readIstioRouting,
  checkRendered: checkIstio,
  // OpenShift Service Mesh 2.5 installs its own Istio CRDs (alternatives/ossm-2.5-istio).
  schemaPlatform: (flavor) => (flavor === String(MeshFlavor.OPENSHIFT_SERVICE_MESH) ? 'ossm' : 'kubernetes'),
};
