import * as fs from 'fs';
import * as path from 'path';
import { environmentMeta, RenderedObject } from '../meshes/effective-routing';
import { MeshFlavor } from '../model/spec';
import { Finding } from '../meshes/findings';
import { SchemaStore, schemaSets } from '../validation';
import { environmentOf, groupByEnvironment } from './routing-reader';

/** The folder in the repository that users fill with the CRDs of their clusters. */
export const REPOSITORY_CRDS_DIR = 'environments/crds';

/**
 * The schema folder to validate against: the flag, else $MESHFLIP_CRDS, else environments/crds
 * when it holds anything. Undefined when there is none.
 */
export function resolveCrdsRoot(root: string, flag: string | undefined): string | undefined {
  const chosen = flag ?? (process.env.MESHFLIP_CRDS === '' ? undefined : process.env.MESHFLIP_CRDS);
  if (chosen !== undefined) {
    return path.resolve(root, chosen);
  }
  const local = path.join(root, REPOSITORY_CRDS_DIR);
  return fs.existsSync(local) && fs.readdirSync(local).some((f) => !f.startsWith('.') && f !== 'README.md') ? local : undefined;
}

/** The platform schema set an environment is validated against. */
function platformOf(objects: readonly RenderedObject[]): 'kubernetes' | 'ossm' {
  return environmentMeta(objects).mesh === MeshFlavor.OPENSHIFT_SERVICE_MESH ? 'ossm' : 'kubernetes';
}

/**
 * A Kuma resource in kumactl's universal format, as the Kubernetes object the same schema
 * describes: targetRef policies keep their `spec`; legacy policies and the Mesh have their fields
 * at top level.
 */
export function universalToKubernetes(doc: Record<string, unknown>): Record<string, unknown> {
  const { type, name, mesh, spec, labels, ...rest } = doc;
  const metadata = { name, ...(labels === undefined ? {} : { labels }) };
  if (type === 'Mesh') {
    return { apiVersion: 'kuma.io/v1alpha1', kind: 'Mesh', metadata, spec: rest };
  }
  if (spec !== undefined) {
    return { apiVersion: 'kuma.io/v1alpha1', kind: type, metadata: { ...metadata, labels: { 'kuma.io/mesh': mesh, ...(labels as object ?? {}) } }, spec };
  }
  return { apiVersion: 'kuma.io/v1alpha1', kind: type, mesh, metadata, spec: rest };
}

/**
 * Strict schema validation of rendered objects against the CRDs and Kubernetes definitions in
 * `crdsRoot` (laid out like the shared schema folder: a folder per product, `alternatives/` for
 * platform-specific replacements). OpenShift Service Mesh environments use the OSSM set.
 * Unknown fields are errors; a kind with no schema is an error in strict mode, a warning otherwise.
 */
export function schemaChecker(crdsRoot: string, strict: boolean): (objects: readonly RenderedObject[]) => Finding[] {
  const sets = schemaSets(crdsRoot);
  const stores = new Map<string, SchemaStore>();
  const store = (platform: 'kubernetes' | 'ossm') => {
    let loaded = stores.get(platform);
    if (loaded === undefined) {
      loaded = SchemaStore.load(sets[platform]);
      stores.set(platform, loaded);
    }
    return loaded;
  };
  return (objects) => {
    const findings: Finding[] = [];
    const platforms = new Map([...groupByEnvironment(objects)].map(([env, envObjects]) => [env, platformOf(envObjects)]));
    for (const o of objects) {
      const env = environmentOf(o.file);
      const platform = env === undefined ? 'kubernetes' : platforms.get(env) ?? 'kubernetes';
      const object = o.object.apiVersion === undefined && typeof o.object.type === 'string' ? universalToKubernetes(o.object) : o.object;
      for (const issue of store(platform).validate(object, { strict })) {
        findings.push({ at: o, severity: issue.severity, message: issue.path === '' ? issue.message : `${issue.path}: ${issue.message}` });
      }
    }
    return findings;
  };
}
