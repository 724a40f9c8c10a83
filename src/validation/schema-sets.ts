import * as fs from 'fs';
import * as path from 'path';

/** How a problem about an object whose kind has no schema opens (`SchemaStore.validate`). */
export const NO_SCHEMA = 'no schema for';

/** The schema paths to load for each target platform. */
export interface SchemaSets {
  /** Upstream Kubernetes with upstream Istio: every top-level folder except `alternatives/`. */
  readonly kubernetes: string[];

  /**
   * OpenShift with OpenShift Service Mesh 2.5: every top-level folder except `alternatives/` and `istio/`, plus
   * `alternatives/ossm-2.5-istio/`, the Istio CRDs that Service Mesh 2.5 installs instead.
   */
  readonly ossm: string[];

  /** OpenShift with OpenShift Service Mesh 3: every top-level folder except `alternatives/`, plus `alternatives/ossm-3/` (Sail and Kiali operators). */
  readonly ossm3: string[];
}

/** The folder of schema sets that replace another folder for one platform. */
export const ALTERNATIVES_DIR = 'alternatives';

/** The alternative to `istio/` on OpenShift Service Mesh 2.5. */
export const OSSM_ISTIO_DIR = 'ossm-2.5-istio';

/** The operators' CRDs added to `istio/` on OpenShift Service Mesh 3. */
export const OSSM3_DIR = 'ossm-3';

/**
 * The paths to pass to `SchemaStore.load` for each platform, from a schema folder laid out like `shared/crds`
 * (see its SOURCES.md): a folder per product, and `alternatives/` with sets that replace one of them and must not
 * be loaded together with it.
 */
export function schemaSets(crdsRoot: string): SchemaSets {
  const folders = fs
    .readdirSync(crdsRoot)
    .filter((name) => !name.startsWith('.') && fs.statSync(path.join(crdsRoot, name)).isDirectory())
    .sort();
  const common = folders.filter((name) => name !== ALTERNATIVES_DIR);
  return {
    kubernetes: common.map((name) => path.join(crdsRoot, name)),
    ossm: [
      ...common.filter((name) => name !== 'istio').map((name) => path.join(crdsRoot, name)),
      // A schema folder filled from a cluster may have no alternatives at all.
      ...(fs.existsSync(path.join(crdsRoot, ALTERNATIVES_DIR, OSSM_ISTIO_DIR)) ? [path.join(crdsRoot, ALTERNATIVES_DIR, OSSM_ISTIO_DIR)] : []),
    ],
    ossm3: [
      ...common.map((name) => path.join(crdsRoot, name)),
      ...(fs.existsSync(path.join(crdsRoot, ALTERNATIVES_DIR, OSSM3_DIR)) ? [path.join(crdsRoot, ALTERNATIVES_DIR, OSSM3_DIR)] : []),
    ],
  };
}
