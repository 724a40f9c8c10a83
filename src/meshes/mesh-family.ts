import type { NamespaceControlPlane, RenderedObject, ServiceRouting, Workloads } from './effective-routing';
import type { Finding } from './findings';
import type { IMesh } from './mesh';
import type { Rule } from './rules';
import type { EnvironmentSpec } from '../model/spec';

/**
 * The schema set an environment's objects are validated against (a key of `SchemaSets`,
 * src/validation/schema-sets.ts).
 */
export type SchemaPlatform = 'kubernetes' | 'ossm' | 'ossm3';

/**
 * One mesh family (Kuma, Istio): everything that renders, reads back and checks the flavours it
 * owns. A family lives in its own folder (`meshes/kuma/`, `meshes/istio/`) and is registered with
 * one line in `meshes/index.ts`; nothing outside its folder knows its kinds.
 */
export interface MeshFamily {
  /** The family's name, for messages. */
  readonly name: string;
  /** The `mesh.flavor` values it renders (also the AppProject's `meshflip.io/mesh` annotation). */
  readonly flavors: readonly string[];
  /** Every rule of the family; each decides itself whether an environment is one it is about. */
  readonly rules: readonly Rule[];
  /** The mesh implementation of an environment of one of `flavors`. */
  create(env: EnvironmentSpec): IMesh;
  /** The effective routing of every real service, read from the rendered objects of one environment. */
  readRouting(objects: readonly RenderedObject[], workloads: Workloads): ServiceRouting[];
  /**
   * While two control planes of the family run side by side (a migration), which one serves each
   * mesh namespace, read from the rendered objects of one environment.
   *
   * @default - one control plane: nothing to say
   */
  readControlPlanes?(objects: readonly RenderedObject[]): NamespaceControlPlane[];
  /** Checks over the rendered objects of one environment (hand edits of dist/ included). */
  checkRendered(env: string, objects: readonly RenderedObject[], protectedEnv: boolean): Finding[];
  /** The schema set the rendered objects of one environment of `flavor` are validated against. */
  schemaPlatform(flavor: string, objects: readonly RenderedObject[]): SchemaPlatform;
  /**
   * Whether the image of `container` in the pod template of `owner` is a placeholder the mesh's
   * injector replaces when it creates the pod (so it needs no tag of its own).
   *
   * @default - never
   */
  injectedImage?(owner: Record<string, unknown>, container: Record<string, unknown>): boolean;
}
