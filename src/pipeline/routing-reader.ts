import * as fs from 'fs';
import * as path from 'path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { EnvironmentRouting, environmentMeta, field, findWorkloads, PROPAGATES_ANNOTATION, RenderedObject, str } from '../meshes/effective-routing';
import { familyOf } from '../meshes/index';
import { SELECTOR_LABEL } from '../meshes/mesh';
import { compareStrings } from '../model/spec-error';
import { manualApprovals } from './manual-approvals';
import { secretReferences } from './secret-references';
import type { RenderedFile } from './synth';
import { listFiles } from './write-dist';

/** The environment a dist/ file belongs to (`argocd/<env>.k8s.yaml` belongs to `<env>`; the root app to none). */
export function environmentOf(file: string): string | undefined {
  const [first, second] = file.split('/');
  if (first === 'argocd') {
    const env = (second ?? '').replace(/\.k8s\.yaml$/, '');
    return env === 'root' ? undefined : env;
  }
  return first;
}

/** A patch (dist/argocd/bootstrap/*.patch.yaml) is part of an object, not one: no check over objects reads it. */
export function isPatchFile(file: string): boolean {
  return /\.patch\.ya?ml$/.test(file);
}

/**
 * Every file of dist/ and every object in its YAML files, with file and line.
 *
 * `rendered` may hold what a fresh synthesis produced: a file on disk whose text is byte for byte
 * the rendered text has exactly the rendered objects (the emitter writes what the yaml package
 * reads back, a test compares both ways over the examples), so those are used instead of parsing
 * it again. Any other file, a hand edit included, is parsed.
 */
export function readDist(
  distDir: string,
  rendered?: ReadonlyMap<string, RenderedFile>,
  include: (file: string) => boolean = () => true,
): { files: string[]; objects: RenderedObject[] } {
  const files = listFiles(distDir);
  const objects: RenderedObject[] = [];
  for (const file of files) {
    if (!/\.ya?ml$/.test(file) || isPatchFile(file) || !include(file)) {
      continue;
    }
    const text = fs.readFileSync(path.join(distDir, file), 'utf8');
    const known = rendered?.get(file);
    if (known?.objects !== undefined && known.lines !== undefined && known.content === text) {
      known.objects.forEach((object, i) => {
        if (object !== null && typeof object === 'object' && !Array.isArray(object)) {
          objects.push({ file, object, line: known.lines![i] });
        }
      });
      continue;
    }
    const lineCounter = new LineCounter();
    for (const doc of parseAllDocuments(text, { lineCounter })) {
      const object: unknown = doc.toJS();
      if (object !== null && typeof object === 'object' && !Array.isArray(object)) {
        const start = doc.contents?.range?.[0] ?? doc.range[0];
        objects.push({ file, object: object as Record<string, unknown>, line: lineCounter.linePos(start).line });
      }
    }
  }
  return { files, objects };
}

/** Objects grouped by environment (`argocd/<env>.k8s.yaml` counts for `<env>`; the root Application for none). */
export function groupByEnvironment(objects: readonly RenderedObject[]): Map<string, RenderedObject[]> {
  const out = new Map<string, RenderedObject[]>();
  for (const o of objects) {
    const env = environmentOf(o.file);
    if (env !== undefined) {
      const group = out.get(env);
      if (group === undefined) {
        out.set(env, [o]);
      } else {
        group.push(o);
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
  const meta = environmentMeta(objects);
  const mesh = meta.mesh
    ?? (objects.some((o) => (str(o.object, 'apiVersion') ?? '').startsWith('kuma.io/') || o.object.type !== undefined) ? 'kuma' : 'istio');
  const workloads = findWorkloads(objects);
  const services = (familyOf(mesh) ?? familyOf('istio')!).readRouting(objects, workloads);
  const propagates = propagatedHeaders(objects);
  const secrets = secretReferences(name, objects);
  const approvals = manualApprovals(name, objects);
  return {
    name,
    protected: meta.protected,
    mesh,
    ...(secrets.length === 0 ? {} : { secrets }),
    ...(approvals.length === 0 ? {} : { approvals }),
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
      out.set(`${namespace}/${name}`, annotation.split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '').sort(compareStrings));
    }
  }
  return out;
}

/** The names of the environments that have files in dist/. */
export function distEnvironments(distDir: string): string[] {
  const names = new Set(listFiles(distDir).map(environmentOf).filter((e): e is string => e !== undefined));
  return [...names].sort(compareStrings);
}

/**
 * The effective routing of every environment in dist/, or of those named in `only`. `rendered`
 * is as for `readDist`: files identical to a rendering are not parsed again.
 */
export function readDistRouting(distDir: string, only?: ReadonlySet<string>, rendered?: ReadonlyMap<string, RenderedFile>): EnvironmentRouting[] {
  const include = only === undefined ? undefined : (file: string) => only.has(environmentOf(file) ?? '');
  const byEnv = groupByEnvironment(readDist(distDir, rendered, include).objects);
  return [...byEnv.keys()].sort(compareStrings).map((env) => readEnvironmentRouting(env, byEnv.get(env)!));
}
