import { EnvironmentSpec, isKuma } from '../model/spec';
import { IstioMesh } from './istio';
import { KumaMesh } from './kuma';
import { IMesh } from './mesh';

/** The mesh implementation for an environment, chosen once from its spec. */
export function meshFor(env: EnvironmentSpec): IMesh {
  return isKuma(env.mesh) ? new KumaMesh(env) : new IstioMesh(env);
}
