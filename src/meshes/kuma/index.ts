import { checkKuma } from './kuma-checks';
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
  // The renderer (and cdk8s with it) loads only when an environment is rendered: the commands that
  // read dist/ back need the reader, checks and rules alone.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when used; typed as the module itself
  create: (env) => new (require('./kuma-mesh') as typeof import('./kuma-mesh')).KumaMesh(env),
  readRouting: readKumaRouting,
  checkRendered: checkKuma,
  schemaPlatform: () => 'kubernetes',
};
