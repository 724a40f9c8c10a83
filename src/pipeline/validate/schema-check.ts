import * as fs from 'fs';
import * as path from 'path';
import { environmentMeta, RenderedObject } from '../../meshes/effective-routing';
import { Finding } from '../../meshes/findings';
import { familyOf } from '../../meshes/index';
import { SchemaPlatform } from '../../meshes/mesh-family';
import { ENVIRONMENTS_DIR, SETTINGS_FILE } from '../../model/load';
import { SettingsSchema } from '../../model/schema';
import { SourceFile } from '../../model/source-file';
import { Problem, SpecError } from '../../model/spec-error';
import { parseWithSchema } from '../../model/zod-problems';
import { ALTERNATIVES_DIR, schemaSets } from '../../validation/schema-sets';
import type { SchemaStore } from '../../validation/schema-store';
import { environmentOf, groupByEnvironment } from '../dist/read-dist';
import { defaultSchemaDocuments } from './schema-documents';

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
export function schemaPlatformOf(objects: readonly RenderedObject[]): SchemaPlatform {
  const { mesh } = environmentMeta(objects);
  return mesh === undefined ? 'kubernetes' : (familyOf(mesh)?.schemaPlatform(mesh, objects) ?? 'kubernetes');
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
    return {
      apiVersion: 'kuma.io/v1alpha1',
      kind: type,
      metadata: { ...metadata, labels: { 'kuma.io/mesh': mesh, ...((labels as object) ?? {}) } },
      spec,
    };
  }
  return { apiVersion: 'kuma.io/v1alpha1', kind: type, mesh, metadata, spec: rest };
}

/** The clusters of environments/meshflip.yaml, as the schema check needs them. */
export interface SchemaClusters {
  /** Cluster names, by the server URL Argo CD Applications name. */
  readonly byServer: ReadonlyMap<string, string>;
  readonly names: ReadonlySet<string>;
  /** The cluster Argo CD runs in: the objects of dist/argocd/ go there. */
  readonly argocd: string;
  /** repository.path: Applications name their folder `<path>/<env>/<target>`. */
  readonly distPath: string;
}

/**
 * The clusters `clusters:` of environments/meshflip.yaml names; undefined when the file cannot be
 * read (loading the project reports why).
 */
export function readSchemaClusters(root: string): SchemaClusters | undefined {
  const repoPath = `${ENVIRONMENTS_DIR}/${SETTINGS_FILE}`;
  let text: Buffer;
  try {
    text = fs.readFileSync(path.join(root, repoPath));
  } catch {
    return undefined;
  }
  const file = SourceFile.parse(repoPath, text);
  const value = file.problems.length > 0 ? undefined : parseWithSchema(file, SettingsSchema).value;
  if (value === undefined) {
    return undefined;
  }
  const clusters = Object.entries(value.clusters);
  return {
    byServer: new Map(clusters.map(([name, cluster]) => [cluster.server, name])),
    names: new Set(clusters.map(([name]) => name)),
    argocd: value.argocd.cluster,
    distPath: value.repository.path ?? 'dist',
  };
}

/**
 * How a schema folder is laid out. `clusters`: a top-level folder is named after a cluster of
 * meshflip.yaml, and holds that cluster's schemas (environments/crds/<cluster>/); the other
 * top-level folders and files are common to every cluster. `products`: a folder per product, as
 * `meshflip crds fetch` fills it, with `alternatives/` for OpenShift Service Mesh.
 */
export function schemaLayout(
  crdsRoot: string,
  clusters: SchemaClusters | undefined,
): { kind: 'products' } | { kind: 'clusters'; clusters: string[]; common: string[] } {
  const entries = fs
    .readdirSync(crdsRoot, { withFileTypes: true })
    .filter((e) => !e.name.startsWith('.'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const isFolder = (name: string) => fs.statSync(path.join(crdsRoot, name)).isDirectory();
  const perCluster = entries.filter((e) => clusters?.names.has(e.name) === true && isFolder(e.name)).map((e) => e.name);
  if (perCluster.length === 0) {
    return { kind: 'products' };
  }
  const common = entries
    .filter((e) => !perCluster.includes(e.name) && e.name !== ALTERNATIVES_DIR && (isFolder(e.name) || /\.(json|ya?ml)$/.test(e.name)))
    .map((e) => path.join(crdsRoot, e.name));
  return { kind: 'clusters', clusters: perCluster, common };
}

/**
 * The cluster each rendered file goes to, from the Argo CD Applications among `objects`: an
 * Application syncs the folder of its `source.path` to its `destination`. dist/argocd/ goes to
 * the cluster Argo CD runs in.
 */
function clusterOfFiles(objects: readonly RenderedObject[], clusters: SchemaClusters): (file: string) => string | undefined {
  const folders: [string, string][] = [];
  const prefix = `${clusters.distPath.replace(/\/+$/, '')}/`;
  for (const { object } of objects) {
    if (object.kind !== 'Application' || !isRecord(object.spec)) {
      continue;
    }
    const destination = isRecord(object.spec.destination) ? object.spec.destination : {};
    const cluster =
      typeof destination.server === 'string'
        ? clusters.byServer.get(destination.server)
        : typeof destination.name === 'string' && clusters.names.has(destination.name)
          ? destination.name
          : undefined;
    const sources = [object.spec.source, ...(Array.isArray(object.spec.sources) ? (object.spec.sources as unknown[]) : [])];
    for (const source of sources) {
      if (cluster !== undefined && isRecord(source) && typeof source.path === 'string' && source.path.startsWith(prefix)) {
        folders.push([`${source.path.slice(prefix.length).replace(/\/+$/, '')}/`, cluster]);
      }
    }
  }
  // The longest folder first: a nested folder is its own Application's.
  folders.sort((a, b) => b[0].length - a[0].length || (a[0] < b[0] ? -1 : 1));
  return (file) => (file.startsWith('argocd/') ? clusters.argocd : folders.find(([folder]) => file.startsWith(folder))?.[1]);
}

/** Options for `schemaChecker`. */
export interface SchemaCheckerOptions {
  /** The repository root: schema files inside it are shown relative to it, and it has environments/meshflip.yaml. */
  readonly root?: string;
  /** @default - read from `root` */
  readonly clusters?: SchemaClusters;
}

/**
 * Strict schema validation of rendered objects against the CRDs and Kubernetes definitions in
 * `crdsRoot`. Laid out per cluster (see `schemaLayout`), each object is checked against the
 * schemas of the cluster its Argo CD Application syncs it to, over the common ones; laid out per
 * product, OpenShift Service Mesh environments use the OSSM set. Unknown fields are errors; a kind
 * with no schema is an error in strict mode, a warning otherwise. A schema file that cannot be used
 * is a `SpecError` at that file. The checker takes the objects to check and, when they are only
 * part of their environments' objects, all of those (what selects an environment's schema set).
 */
export function schemaChecker(
  crdsRoot: string,
  strict: boolean,
  options: SchemaCheckerOptions = {},
): (objects: readonly RenderedObject[], environments?: readonly RenderedObject[]) => Finding[] {
  const clusters = options.clusters ?? (options.root === undefined ? undefined : readSchemaClusters(options.root));
  const layout = schemaLayout(crdsRoot, clusters);
  const stores = new Map<string, SchemaStore>();
  const load = (key: string, paths: readonly string[], overrides: readonly string[] = []) => {
    let loaded = stores.get(key);
    if (loaded === undefined) {
      loaded = loadStore(paths, overrides, options.root);
      stores.set(key, loaded);
    }
    return loaded;
  };
  if (layout.kind === 'clusters') {
    return (objects) => {
      const clusterOf = clusterOfFiles(objects, clusters!);
      return checkAll(objects, strict, (o) => {
        const cluster = clusterOf(o.file);
        return cluster !== undefined && layout.clusters.includes(cluster)
          ? load(`cluster:${cluster}`, layout.common, [path.join(crdsRoot, cluster)])
          : load('common', layout.common);
      });
    };
  }
  const sets = schemaSets(crdsRoot);
  return (objects, environments = objects) => {
    const platforms = new Map([...groupByEnvironment(environments)].map(([env, envObjects]) => [env, schemaPlatformOf(envObjects)]));
    return checkAll(objects, strict, (o) => {
      const env = environmentOf(o.file);
      const platform = env === undefined ? 'kubernetes' : (platforms.get(env) ?? 'kubernetes');
      return load(platform, sets[platform]);
    });
  };
}

function checkAll(objects: readonly RenderedObject[], strict: boolean, storeOf: (o: RenderedObject) => SchemaStore): Finding[] {
  const findings: Finding[] = [];
  for (const o of objects) {
    const object = o.object.apiVersion === undefined && typeof o.object.type === 'string' ? universalToKubernetes(o.object) : o.object;
    for (const issue of storeOf(o).validate(object, { strict })) {
      findings.push({ at: o, severity: issue.severity, message: issue.path === '' ? issue.message : `${issue.path}: ${issue.message}` });
    }
  }
  return findings;
}

/** Loads a schema store; a schema file that cannot be used is a problem at that file, not a crash. */
function loadStore(paths: readonly string[], overrides: readonly string[], root: string | undefined): SchemaStore {
  // The validator (CEL, RE2, the schema compiler) loads with the first schemas: a command that
  // checks none (synth, flip and validate without a schema folder) never loads it.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load; the type is the module's own
  const { SchemaStore, SchemaLoadError } = require('../../validation/schema-store') as typeof import('../../validation/schema-store');
  try {
    const keptDocuments = defaultSchemaDocuments();
    return SchemaStore.load(paths, { overrides, ...(keptDocuments === undefined ? {} : { keptDocuments }) });
  } catch (e) {
    if (!(e instanceof SchemaLoadError)) {
      throw e;
    }
    const shown = (file: string) => {
      const relative = root === undefined ? file : path.relative(root, file);
      return (relative.startsWith('..') || path.isAbsolute(relative) ? file : relative).split(path.sep).join('/');
    };
    // The other file a duplicate names, shown the same way.
    const detail = root === undefined ? e.detail : e.detail.split(`${root}${path.sep}`).join('').split(path.sep).join('/');
    const problem: Problem = {
      file: shown(e.file),
      line: e.position?.line ?? 1,
      col: e.position?.col ?? 1,
      field: '(file)',
      message: detail,
      hint: e.hint ?? 'see environments/crds/README.md for the files and layouts meshflip reads',
    };
    throw new SpecError([problem]);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
