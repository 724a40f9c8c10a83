import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { EnvironmentRouting, findWorkloads, RenderedObject } from '../meshes/effective-routing';
import { readIstioRouting } from '../meshes/istio-reader';
import { readKumaRouting } from '../meshes/kuma-reader';
import { compareStrings } from '../model/spec-error';
import { listFiles } from './write-dist';

const KUMA_FLAVORS = new Set(['kong-mesh', 'kuma']);

/** The rendered objects of dist/, grouped by environment (`argocd/<env>.k8s.yaml` counts for `<env>`). */
export function readDistObjects(distDir: string): Map<string, RenderedObject[]> {
  const out = new Map<string, RenderedObject[]>();
  for (const file of listFiles(distDir)) {
    if (!/\.ya?ml$/.test(file)) {
      continue;
    }
    const [first, second] = file.split('/');
    const env = first === 'argocd' ? second.replace(/\.k8s\.yaml$/, '') : first;
    if (first === 'argocd' && env === 'root') {
      continue;
    }
    const objects = out.get(env) ?? [];
    out.set(env, objects);
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(distDir, file), 'utf8'))) {
      const object = doc.toJS();
      if (object !== null && typeof object === 'object' && !Array.isArray(object)) {
        objects.push({ file, object: object as Record<string, unknown> });
      }
    }
  }
  return out;
}

/**
 * The effective routing of an environment, read from its rendered objects. The environment's
 * AppProject says which mesh it runs and whether it is protected.
 */
export function readEnvironmentRouting(name: string, objects: readonly RenderedObject[]): EnvironmentRouting {
  const project = objects.find((o) => o.object.kind === 'AppProject')?.object;
  const annotations = ((project?.metadata as Record<string, unknown> | undefined)?.annotations ?? {}) as Record<string, string>;
  const mesh = annotations['meshflip.io/mesh']
    ?? (objects.some((o) => String(o.object.apiVersion ?? '').startsWith('kuma.io/') || o.object.type !== undefined) ? 'kuma' : 'istio');
  const workloads = findWorkloads(objects);
  const services = KUMA_FLAVORS.has(mesh) ? readKumaRouting(objects, workloads) : readIstioRouting(objects, workloads);
  return {
    name,
    protected: annotations['meshflip.io/protected'] === 'true',
    mesh,
    services: [...services].sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.namespace, b.namespace)),
  };
}

/** The effective routing of every environment in dist/. */
export function readDistRouting(distDir: string): EnvironmentRouting[] {
  const byEnv = readDistObjects(distDir);
  return [...byEnv.keys()].sort(compareStrings).map((env) => readEnvironmentRouting(env, byEnv.get(env)!));
}
