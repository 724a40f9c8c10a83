import { ARGOCD_RULES } from './argocd-rules';
import { ISTIO_FAMILY } from './istio';
import { KUMA_FAMILY } from './kuma';
import { IMesh } from './mesh';
import { MeshFamily } from './mesh-family';
import { ROUTING_RULES } from './routing-rules';
import { Rule } from './rules';
import { EnvironmentSpec } from '../model/spec';

/** Every mesh family meshflip renders: one line per family. */
const FAMILIES: readonly MeshFamily[] = [KUMA_FAMILY, ISTIO_FAMILY];

/** The family that owns `flavor` (a `mesh.flavor` value, or the AppProject's `meshflip.io/mesh` annotation), if any. */
export function familyOf(flavor: string): MeshFamily | undefined {
  return FAMILIES.find((f) => f.flavors.includes(flavor));
}

/** The family of an environment, whose flavor the model has checked. */
function familyFor(env: EnvironmentSpec): MeshFamily {
  const family = familyOf(env.mesh.flavor);
  if (family === undefined) {
    throw new Error(`no mesh family renders flavor ${env.mesh.flavor}`);
  }
  return family;
}

/** The mesh implementation for an environment, chosen once from its spec. */
export function meshFor(env: EnvironmentSpec): IMesh {
  return familyFor(env).create(env);
}

/** The rules that check what the real mesh of `env` will do with it. */
export function rulesFor(env: EnvironmentSpec): readonly Rule[] {
  return [...ROUTING_RULES, ...familyFor(env).rules, ...ARGOCD_RULES];
}

/** Whether a family's injector replaces the image of `container` in the pod template of `owner` (no tag to pin). */
export function injectedImage(owner: Record<string, unknown>, container: Record<string, unknown>): boolean {
  return FAMILIES.some((f) => f.injectedImage?.(owner, container) ?? false);
}

/** Every rule meshflip ships, whatever the mesh: their codes are unique across all of them. */
export const ALL_RULES: readonly Rule[] = [...ROUTING_RULES, ...FAMILIES.flatMap((f) => f.rules), ...ARGOCD_RULES];
