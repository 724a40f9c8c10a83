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
import * as fs from 'fs';
import * as path from 'path';
import { groupFilesByEnvironment, isObjectFile, listEnvironmentFiles, listFiles, objectsOfText, RenderedFile } from '../dist/read-dist';
import { StringPool } from '../dist/fast-yaml';
import { outputsDigestOf } from '../dist/outputs-digest';
import { digestFiles, SeenFiles } from '../dist/seen-files';

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

/** Routing kept by the digest of the files it was read from (`RoutingCache` keeps it between runs). */
export interface KeptRoutingByFiles {
  /** The routing of `env` read back from files with the digest `outputs` (`outputsDigest`), when it was kept. */
  get(env: string, outputs: string): EnvironmentRouting | undefined;
  /** Keeps the routing of `env` read back from files with the digest `outputs`. */
  set(env: string, outputs: string, routing: EnvironmentRouting): void;
}

/**
 * The effective routing of every environment in dist/, or of those named in `only`. `rendered`
 * is as for `readDist`: files identical to a rendering are not parsed again. With `kept`, an
 * environment whose files (every path and byte) are those a kept routing was read from is not
 * parsed at all, and what is read is kept; with `seen` too, its files are not even read when
 * lstat says each is the file last read or written (`SeenFiles`).
 */
export function readDistRouting(
  distDir: string,
  only?: ReadonlySet<string>,
  rendered?: ReadonlyMap<string, RenderedFile>,
  kept?: KeptRoutingByFiles,
  seen?: SeenFiles,
): EnvironmentRouting[] {
  const files = only === undefined ? listFiles(distDir) : listEnvironmentFiles(distDir, only);
  const out: EnvironmentRouting[] = [];
  const strings: StringPool = new Map();
  const groups = groupFilesByEnvironment(files);
  for (const env of [...groups.keys()].sort(compareStrings)) {
    if (env === '') {
      continue;
    }
    const group = groups.get(env)!;
    // The bytes of the files read to be digested: the others are read only if they must be parsed.
    const bytesRead = new Map<string, Buffer>();
    const digests = kept === undefined ? undefined : digestFiles(seen, distDir, env, group, (file, bytes) => bytesRead.set(file, bytes));
    const outputs = digests === undefined ? undefined : outputsDigestOf(digests);
    const known = outputs === undefined ? undefined : kept!.get(env, outputs);
    if (known !== undefined) {
      out.push(known);
      continue;
    }
    const objects = group
      .filter(isObjectFile)
      .flatMap((file) =>
        objectsOfText(file, bytesRead.get(file)?.toString('utf8') ?? fs.readFileSync(path.join(distDir, file), 'utf8'), rendered?.get(file), strings),
      );
    if (objects.length === 0) {
      continue;
    }
    const routing = readEnvironmentRouting(env, objects);
    if (outputs !== undefined) {
      kept!.set(env, outputs, routing);
    }
    out.push(routing);
  }
  return out;
}
