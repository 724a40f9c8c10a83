import { EnvironmentSpec, isKuma } from '../model/spec';
import { ARGOCD_RULES } from './argocd-rules';
import { IstioMesh } from './istio';
import { ISTIO_RULES } from './istio-rules';
import { KumaMesh } from './kuma';
import { KUMA_RULES } from './kuma-rules';
import { KUMA_SERVICE_RULES } from './kuma-service-rules';
import { IMesh } from './mesh';
import { ROUTING_RULES } from './routing-rules';
import { Rule } from './rules';

/** The mesh implementation for an environment, chosen once from its spec. */
export function meshFor(env: EnvironmentSpec): IMesh {
  return isKuma(env.mesh) ? new KumaMesh(env) : new IstioMesh(env);
}

/** The rules that check what the real mesh of `env` will do with it. */
export function rulesFor(env: EnvironmentSpec): readonly Rule[] {
  return [...ROUTING_RULES, ...(isKuma(env.mesh) ? [...KUMA_RULES, ...KUMA_SERVICE_RULES] : ISTIO_RULES), ...ARGOCD_RULES];
}

/** Every rule meshflip ships, whatever the mesh: their codes are unique across all of them. */
export const ALL_RULES: readonly Rule[] = [...ROUTING_RULES, ...KUMA_RULES, ...KUMA_SERVICE_RULES, ...ISTIO_RULES, ...ARGOCD_RULES];
