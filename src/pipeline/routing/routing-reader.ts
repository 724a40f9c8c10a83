import {
  EnvironmentRouting,
  environmentMeta,
  field,
  findWorkloads,
  PROPAGATES_ANNOTATION,
  RenderedObject,
  str,
} from '../../meshes/effective-routing';
import { familyOf } from '../../meshes/index';
import { SELECTOR_LABEL } from '../../meshes/mesh';
import { compareStrings } from '../../model/spec-error';
import { manualApprovals } from './manual-approvals';
import { secretReferences } from './secret-references';
import { environmentOf, groupByEnvironment, listEnvironmentFiles, readDist, RenderedFile } from '../dist/read-dist';

/**
 * The effective routing of an environment, read from its rendered objects. The environment's
 * AppProject says which mesh it runs and whether it is protected.
 */
export function readEnvironmentRouting(name: string, objects: readonly RenderedObject[]): EnvironmentRouting {
  const meta = environmentMeta(objects);
  const mesh =
    meta.mesh ?? (objects.some((o) => (str(o.object, 'apiVersion') ?? '').startsWith('kuma.io/') || o.object.type !== undefined) ? 'kuma' : 'istio');
  const workloads = findWorkloads(objects);
  const family = familyOf(mesh) ?? familyOf('istio')!;
  const services = family.readRouting(objects, workloads);
  const controlPlanes = family.readControlPlanes?.(objects) ?? [];
  const propagates = propagatedHeaders(objects);
  const secrets = secretReferences(name, objects);
  const approvals = manualApprovals(name, objects);
  return {
    name,
    protected: meta.protected,
    mesh,
    ...(secrets.length === 0 ? {} : { secrets }),
    ...(approvals.length === 0 ? {} : { approvals }),
    ...(controlPlanes.length === 0 ? {} : { controlPlanes }),
    services: [...services]
      .map((s) => (propagates.has(`${s.namespace}/${s.name}`) ? { ...s, propagates: propagates.get(`${s.namespace}/${s.name}`) } : s))
      .sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.namespace, b.namespace)),
  };
}

/** The headers each real service's Deployment says its application propagates, by `namespace/name`. */
function propagatedHeaders(objects: readonly RenderedObject[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { object } of objects) {
    const annotation = field(object, 'metadata', 'annotations', PROPAGATES_ANNOTATION);
    const labels = (field(object, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>;
    const name = labels[SELECTOR_LABEL];
    if (object.kind === 'Deployment' && typeof annotation === 'string' && name !== undefined && labels.app === name) {
      const namespace = str(object, 'metadata', 'namespace') ?? 'default';
      out.set(
        `${namespace}/${name}`,
        annotation
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter((h) => h !== '')
          .sort(compareStrings),
      );
    }
  }
  return out;
}

/**
 * The effective routing of every environment in dist/, or of those named in `only`. `rendered`
 * is as for `readDist`: files identical to a rendering are not parsed again.
 */
export function readDistRouting(distDir: string, only?: ReadonlySet<string>, rendered?: ReadonlyMap<string, RenderedFile>): EnvironmentRouting[] {
  const include = only === undefined ? undefined : (file: string) => only.has(environmentOf(file) ?? '');
  const files = only === undefined ? undefined : listEnvironmentFiles(distDir, only);
  const byEnv = groupByEnvironment(readDist(distDir, rendered, include, files).objects);
  return [...byEnv.keys()].sort(compareStrings).map((env) => readEnvironmentRouting(env, byEnv.get(env)!));
}
