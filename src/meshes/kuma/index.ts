import { checkKuma } from './kuma-checks';
import { KumaMesh } from './kuma-mesh';
import { readKumaRouting } from './kuma-reader';
import { KUMA_RULES } from './kuma-rules';
import { KUMA_SERVICE_RULES } from './kuma-service-rules';
import { MeshFlavor } from '../../model/spec';
import { MeshFamily } from '../mesh-family';

/** The Kuma family: Kong Mesh and Kuma. */
export const KUMA_FAMILY: MeshFamily = {
  name: 'Kuma',
  flavors: [MeshFlavor.KONG_MESH, MeshFlavor.KUMA],
  rules: [...KUMA_RULES, ...KUMA_SERVICE_RULES],
  create: (env) => new KumaMesh(env),
  readRouting: readKumaRouting,
  checkRendered: checkKuma,
  schemaPlatform: () => 'kubernetes',
};
