import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { compareStrings } from '../../model/spec-error';
import { readYamlDocuments } from '../dist/fast-yaml';
import { environmentOf } from '../dist/read-dist';
import type { RenderedFile } from '../dist/read-dist';
import { listFiles } from '../dist/read-dist';

/** How one rendered object changed, in lines a reviewer reads: `path: before -> after`. */
export interface ObjectChange {
  /** `Kind namespace/name` (`Type mesh/name` for kumactl resources). */
  readonly object: string;
  readonly lines: readonly string[];
}

/** What changed in the objects of one Argo CD Application (or the kumactl files for Konnect). */
export interface ApplicationChange {
  /** The Argo CD Application's name, or `konnect (kumactl)`, or `argocd` for the Applications themselves. */
  readonly application: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly ObjectChange[];
  /**
   * Removed objects that Argo CD's automated sync leaves running, and why: the Application does
   * not prune automatically (`syncPolicy.automated.prune` not true, as in a protected
   * environment), or the object itself says `Prune=false`. Absent when there are none.
   */
  readonly leftRunning?: readonly LeftRunning[];
}

/** A removed object that stays live after Argo CD syncs, with what removes it. */
export interface LeftRunning {
  readonly object: string;
  /** `application`: its Application does not prune automatically; `annotation`: the object says `Prune=false`. */
  readonly by: 'application' | 'annotation';
  /** What removes it: the prune command of its Application, or the kubectl delete of the object. */
  readonly remove: string;
}

/**
 * Kinds whose effect the routing summary already states (where each service's traffic goes):
 * their field changes are left out here, their addition or removal is not.
 */
const ROUTING_KINDS = new Set(['MeshHTTPRoute', 'TrafficRoute', 'VirtualService', 'HTTPRoute']);

/** At most this many changed fields per object; the rest are counted. */
const MAX_FIELDS = 20;

type Obj = Record<string, unknown>;

/** The value of a named list item's own path in `flatten`. */
const ITEM = '\u0000item';

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `Kind namespace/name`, or for kumactl's universal format `Type mesh/name`. */
function identity(o: Obj): string | undefined {
  if (typeof o.kind === 'string' && isObj(o.metadata) && typeof o.metadata.name === 'string') {
    const ns = typeof o.metadata.namespace === 'string' ? `${o.metadata.namespace}/` : '';
    return `${o.kind} ${ns}${o.metadata.name}`;
  }
  if (typeof o.type === 'string' && typeof o.name === 'string') {
    return `${o.type} ${typeof o.mesh === 'string' ? `${o.mesh}/` : ''}${o.name}`;
  }
  return undefined;
}

/** Every scalar leaf of a value by path; list items with a `name` are addressed by it, so a reorder is no change. */
function flatten(value: unknown, prefix: string, out: Map<string, string>): void {
  if (Array.isArray(value)) {
    const named = value.every((v) => isObj(v) && typeof v.name === 'string') && new Set(value.map((v) => (v as Obj).name)).size === value.length;
    value.forEach((item, i) => {
      const at = `${prefix}[${named ? String((item as Obj).name) : i}]`;
      if (named) {
        // Marks the item, so that one added or removed is one line, not one per field.
        out.set(at, ITEM);
      }
      flatten(item, at, out);
    });
    if (value.length === 0) {
      out.set(prefix, '[]');
    }
  } else if (isObj(value)) {
    const keys = Object.keys(value);
    for (const key of keys) {
      const child = value[key];
      // Helm values rendered as text are read as the values they are.
      if (key === 'values' && typeof child === 'string' && prefix.endsWith('.helm')) {
        let parsed: unknown;
        try {
          parsed = parseYaml(child);
        } catch {
          parsed = child;
        }
        flatten(parsed, `${prefix}.values`, out);
      } else {
        flatten(child, prefix === '' ? key : `${prefix}.${key}`, out);
      }
    }
    if (keys.length === 0) {
      out.set(prefix, '{}');
    }
  } else {
    out.set(prefix, value === undefined ? 'null' : typeof value === 'string' ? value : JSON.stringify(value));
  }
}

/** A short line for a changed field: images, replicas and chart versions in words, the rest as `path: before -> after`. */
function describe(o: Obj, field: string, before: string | undefined, after: string | undefined): string {
  const was = before ?? '(unset)';
  const is = after ?? '(unset)';
  const container = /^spec\.template\.spec\.(?:initC|c)ontainers\[([^\]]+)\]\.image$/.exec(field);
  if (container !== null) {
    return `image of ${container[1]}: ${was} -> ${is}`;
  }
  if (field === 'spec.replicas') {
    return `replicas: ${was} -> ${is}`;
  }
  if (
    o.kind === 'Application' &&
    field === 'spec.source.targetRevision' &&
    isObj((o.spec as Obj)?.source) &&
    typeof ((o.spec as Obj).source as Obj).chart === 'string'
  ) {
    return `chart ${String(((o.spec as Obj).source as Obj).chart)} version: ${was} -> ${is}`;
  }
  if (o.kind === 'Application' && field.startsWith('spec.source.helm.values')) {
    return `Helm value ${field.slice('spec.source.helm.values.'.length) || '(all)'}: ${was} -> ${is}`;
  }
  return `${field}: ${was} -> ${is}`;
}

/** The changed fields of an object present in both revisions. */
function fieldChanges(before: Obj, after: Obj): string[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  flatten(before, '', a);
  flatten(after, '', b);
  const fields = [...new Set([...a.keys(), ...b.keys()])].sort(compareStrings);
  const lines: string[] = [];
  let whole: string | undefined;
  for (const f of fields) {
    if (whole !== undefined && (f.startsWith(`${whole}.`) || f.startsWith(`${whole}[`))) {
      continue;
    }
    whole = undefined;
    if (a.get(f) === ITEM || b.get(f) === ITEM) {
      if (a.get(f) !== b.get(f)) {
        whole = f;
        lines.push(`${f} ${a.has(f) ? 'removed' : 'added'}`);
      }
    } else if (a.get(f) !== b.get(f)) {
      lines.push(describe(after, f, a.get(f), b.get(f)));
    }
  }
  return lines.length > MAX_FIELDS ? [...lines.slice(0, MAX_FIELDS), `…and ${lines.length - MAX_FIELDS} more fields`] : lines;
}

/** The objects of a YAML text. */
function objectsOf(text: string): Obj[] {
  return readYamlDocuments(text).documents.filter(isObj);
}

/** Which Application a dist/ file's objects belong to: the one whose source path is the file's folder. */
function applicationOf(file: string, object: Obj, byPath: ReadonlyMap<string, string>, distPath: string): string {
  const parts = file.split('/');
  if (parts[0] === 'argocd') {
    return object.kind === 'Application' && isObj(object.metadata) ? String(object.metadata.name) : 'argocd';
  }
  if (file.endsWith('.kumactl.yaml')) {
    return 'konnect (kumactl)';
  }
  const folder = parts.slice(0, -1).join('/');
  return byPath.get(`${distPath}/${folder}`) ?? folder.replace('/', '-');
}

/** Application name by the dist/ folder it syncs (`spec.source.path`). */
function applicationPaths(objects: readonly Obj[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of objects) {
    const source = isObj(o.spec) && isObj(o.spec.source) ? o.spec.source : undefined;
    if (o.kind === 'Application' && typeof source?.path === 'string' && isObj(o.metadata)) {
      out.set(source.path, String(o.metadata.name));
    }
  }
  return out;
}

/**
 * What changed in the rendered objects between dist/ at the base (`baseDir`) and a fresh
 * rendering, per environment and Argo CD Application: objects added and removed, and the fields
 * of the others (image, replicas, chart version and Helm values in words). Files identical in both
 * are not parsed.
 */
export function diffObjects(baseDir: string, head: readonly RenderedFile[], distPath: string): Map<string, ApplicationChange[]> {
  const base = new Map<string, string | undefined>(listFiles(baseDir).map((f) => [f, undefined]));
  return diffObjectTexts((file) => fs.readFileSync(path.join(baseDir, file), 'utf8'), [...base.keys()], head, distPath);
}

/**
 * `diffObjects` with the base given as its YAML paths and a reader of their text (which may say
 * that a file is the head's by returning the head's text).
 */
export function diffObjectTexts(
  baseText: (file: string) => string,
  basePaths: readonly string[],
  head: readonly RenderedFile[],
  distPath: string,
): Map<string, ApplicationChange[]> {
  const headByPath = new Map(head.filter((f) => /\.ya?ml$/.test(f.path)).map((f) => [f.path, f]));
  const inBase = new Set(basePaths.filter((f) => /\.ya?ml$/.test(f)));
  const paths = [...new Set([...inBase, ...headByPath.keys()])].sort(compareStrings);
  const perEnv = new Map<string, Map<string, { added: string[]; removed: string[]; changed: ObjectChange[] }>>();
  const changedFiles: { file: string; before: Obj[]; after: Obj[] }[] = [];
  for (const file of paths) {
    const before_ = inBase.has(file) ? baseText(file) : undefined;
    const headFile = headByPath.get(file);
    if (before_ !== undefined && headFile !== undefined && before_ === headFile.content) {
      continue;
    }
    const after = headFile === undefined ? [] : (headFile.objects?.filter(isObj) ?? objectsOf(headFile.content));
    changedFiles.push({ file, before: before_ === undefined ? [] : objectsOf(before_), after });
  }
  // Applications of both revisions, so that an object of a removed Application is still placed.
  const allArgo = [
    ...changedFiles.filter((c) => c.file.startsWith('argocd/')).flatMap((c) => [...c.before, ...c.after]),
    ...head.filter((f) => f.path.startsWith('argocd/')).flatMap((f) => f.objects?.filter(isObj) ?? objectsOf(f.content)),
  ];
  const byPath = applicationPaths(allArgo);
  const entry = (env: string, app: string) => {
    let apps = perEnv.get(env);
    if (apps === undefined) {
      apps = new Map();
      perEnv.set(env, apps);
    }
    let e = apps.get(app);
    if (e === undefined) {
      e = { added: [], removed: [], changed: [] };
      apps.set(app, e);
    }
    return e;
  };
  // An object may move between files of one Application (a file renamed): compare by Application and identity.
  const before = new Map<string, { env: string; app: string; object: Obj }>();
  const after = new Map<string, { env: string; app: string; object: Obj }>();
  for (const { file, before: b, after: a } of changedFiles) {
    const env = environmentOf(file);
    if (env === undefined) {
      continue;
    }
    for (const [list, into] of [
      [b, before],
      [a, after],
    ] as const) {
      for (const object of list) {
        const id = identity(object);
        if (id !== undefined) {
          const app = applicationOf(file, object, byPath, distPath);
          into.set(`${env}\u0000${app}\u0000${id}`, { env, app, object });
        }
      }
    }
  }
  const headApps = headApplications(head);
  const left = new Map<string, LeftRunning[]>();
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort(compareStrings)) {
    const b = before.get(key);
    const a = after.get(key);
    const { env, app } = (a ?? b)!;
    const id = key.split('\u0000')[2];
    if (b === undefined) {
      entry(env, app).added.push(id);
    } else if (a === undefined) {
      entry(env, app).removed.push(id);
      const running = leftRunning(b.object, id, headApps.get(app));
      if (running !== undefined) {
        left.set(`${env}\u0000${app}`, [...(left.get(`${env}\u0000${app}`) ?? []), running]);
      }
    } else if (!ROUTING_KINDS.has(String(a.object.kind ?? a.object.type))) {
      const lines = fieldChanges(b.object, a.object);
      if (lines.length > 0) {
        entry(env, app).changed.push({ object: id, lines });
      }
    }
  }
  const out = new Map<string, ApplicationChange[]>();
  for (const env of [...perEnv.keys()].sort(compareStrings)) {
    const apps = perEnv.get(env)!;
    out.set(
      env,
      [...apps.keys()].sort(compareStrings).map((application) => {
        const running = left.get(`${env}\u0000${application}`);
        return { application, ...apps.get(application)!, ...(running === undefined ? {} : { leftRunning: running }) };
      }),
    );
  }
  return out;
}

/** The Applications of the head revision by name (what the next sync runs with). */
function headApplications(head: readonly RenderedFile[]): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const f of head.filter((x) => x.path.startsWith('argocd/') && /\.ya?ml$/.test(x.path))) {
    for (const o of f.objects?.filter(isObj) ?? objectsOf(f.content)) {
      if (o.kind === 'Application' && isObj(o.metadata) && typeof o.metadata.name === 'string') {
        out.set(o.metadata.name, o);
      }
    }
  }
  return out;
}

/**
 * Whether Argo CD leaves a removed object running after the next sync: gitops-engine
 * (pkg/sync/sync_context.go, pruneObject) prunes an object no longer in Git only when the sync
 * prunes ("ignored (requires pruning)" otherwise; an automated sync prunes only with
 * `syncPolicy.automated.prune: true`), and never one whose live copy says `Prune=false` in
 * `argocd.argoproj.io/sync-options` ("ignored (no prune)"), not even `argocd app sync --prune`.
 * Undefined when the Application is gone from the head (the root prunes it) or prunes itself.
 */
function leftRunning(object: Obj, id: string, application: Obj | undefined): LeftRunning | undefined {
  const meta = isObj(object.metadata) ? object.metadata : {};
  const options = isObj(meta.annotations) ? meta.annotations['argocd.argoproj.io/sync-options'] : undefined;
  if (typeof options === 'string' && options.split(',').some((o) => o.trim() === 'Prune=false')) {
    const ns = typeof meta.namespace === 'string' ? ` -n ${meta.namespace}` : '';
    return { object: id, by: 'annotation', remove: `kubectl delete ${String(object.kind).toLowerCase()}${ns} ${String(meta.name)}` };
  }
  if (application === undefined || !isObj(application.metadata)) {
    return undefined;
  }
  const policy = isObj(application.spec) && isObj(application.spec.syncPolicy) ? application.spec.syncPolicy : undefined;
  const automated = isObj(policy?.automated) ? policy.automated : undefined;
  if (automated !== undefined && automated.prune === true && automated.enabled !== false) {
    return undefined;
  }
  return { object: id, by: 'application', remove: `argocd app sync ${String(application.metadata.name)} --prune` };
}

/** The object changes as indented text lines (`+` added, `-` removed, `~` changed). */
export function objectChangeLines(apps: readonly ApplicationChange[], indent = '  '): string[] {
  const lines: string[] = [];
  for (const app of apps) {
    lines.push(`${indent}${app.application}:`);
    lines.push(...app.added.map((o) => `${indent}  + ${o}`), ...app.removed.map((o) => `${indent}  - ${o}`));
    for (const c of app.changed) {
      lines.push(`${indent}  ~ ${c.object}`, ...c.lines.map((l) => `${indent}      ${l}`));
    }
    lines.push(...leftRunningLines(app).map((l) => `${indent}  ! ${l}`));
  }
  return lines;
}

/**
 * What a reviewer must do about the removed objects Argo CD leaves running, one line each: the
 * Application's prune command (or Sync with Prune in the UI), or deleting an object that says
 * `Prune=false` by hand.
 */
export function leftRunningLines(app: ApplicationChange): string[] {
  const running = app.leftRunning ?? [];
  const byApp = running.filter((r) => r.by === 'application');
  const lines: string[] = [];
  if (byApp.length > 0) {
    lines.push(
      `Argo CD leaves running ${byApp.map((r) => r.object).join(', ')}: ${app.application} does not prune automatically; ` +
        `after the sync, prune by hand with ${byApp[0].remove} (or Sync with Prune checked in the Argo CD UI)`,
    );
  }
  for (const r of running.filter((x) => x.by === 'annotation')) {
    lines.push(`Argo CD never prunes ${r.object} (Prune=false), not even with --prune: delete it by hand when it is no longer needed: ${r.remove}`);
  }
  return lines;
}
