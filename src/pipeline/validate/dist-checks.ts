import { apiGroupOf } from '../../imports/argocd';
import { environmentMeta, field, list, PROTECTED_ANNOTATION, RenderedObject, str } from '../../meshes/effective-routing';
import { describeObject, Finding } from '../../meshes/findings';
import { familyOf, injectedImage } from '../../meshes/index';
import { MOCK_APP } from '../../meshes/mesh';
import { APPLICATION_NAME_MAX } from '../../model/derived-names';
import { IN_CLUSTER_SERVER, isInClusterAddress, normalizeServerUrl } from '../../model/cluster-identity';
import { compareStrings } from '../../model/spec-error';
import { checkKubernetesLimits } from './kubernetes-limits';
import { environmentOf, groupByEnvironment } from '../dist/read-dist';

/** The annotation naming the input an object was generated from (`auditAnnotations`). */
const SOURCE_ANNOTATION = 'meshflip.io/source';

const POD_TEMPLATE_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/**
 * Every check over dist/ as it is (hand edits included): the mesh rules, the guardrails of
 * protected environments, no Secret with data (credential-looking values are found by the
 * asynchronous secret scan, secret-checks.ts), pinned images, and an Argo CD setup in which every
 * folder has exactly one owner that is allowed to deploy where it does.
 *
 * @param objects every object of dist/ with its file and line
 * @param files every file of dist/ (paths relative to dist/)
 */
export function checkDist(objects: readonly RenderedObject[], files: readonly string[]): Finding[] {
  return [
    ...[...groupByEnvironment(objects)].sort(([a], [b]) => compareStrings(a, b)).flatMap(([env, envObjects]) => checkEnvironment(env, envObjects)),
    ...checkObjects(objects),
    ...checkArgoCd(objects, files),
  ];
}

/**
 * The checks of `checkDist` that read one environment's objects together: its mesh's rules over
 * what it renders, and no mock in a protected environment.
 */
function checkEnvironment(env: string, envObjects: readonly RenderedObject[]): Finding[] {
  const findings: Finding[] = [];
  const { mesh, protected: protectedEnv } = environmentMeta(envObjects);
  const workloads = envObjects.filter((o) => !o.file.startsWith('argocd/'));
  if (mesh !== undefined) {
    findings.push(...(familyOf(mesh) ?? familyOf('istio')!).checkRendered(env, workloads, protectedEnv));
  }
  if (protectedEnv) {
    for (const o of workloads) {
      if (POD_TEMPLATE_KINDS.has(String(o.object.kind)) && str(o.object, 'spec', 'template', 'metadata', 'labels', 'app') === MOCK_APP) {
        findings.push({ at: o, severity: 'error', message: `${describeObject(o.object)} deploys a mock in a protected environment` });
      }
    }
  }
  return findings;
}

/** The checks of `checkDist` that read one object at a time: no Secret with data, pinned images, Kubernetes' limits. */
function checkObjects(objects: readonly RenderedObject[]): Finding[] {
  return [...checkEachObject(objects), ...checkKubernetesLimits(objects)];
}

/**
 * The checks validate runs over one environment's objects (or those of no environment, `env`
 * undefined) and synthesis does not (it checks Kubernetes' limits, credentials and schemas): the
 * rules of its mesh, no mock in a protected environment, no Secret with data, pinned images. In
 * validate's order: these come first.
 */
export function validateOnlyChecks(env: string | undefined, envObjects: readonly RenderedObject[]): Finding[] {
  return [...(env === undefined ? [] : checkEnvironment(env, envObjects)), ...checkEachObject(envObjects)];
}

function checkEachObject(objects: readonly RenderedObject[]): Finding[] {
  return objects.flatMap((o) => [...checkSecrets(o), ...checkImages(o)]);
}

/**
 * What the Argo CD checks (`checkArgoCdSetup`) and the problems made of their findings read of an
 * object: its identity and its source annotation, and the whole of an Application or AppProject. A validation that goes through dist/ one environment at a time keeps
 * only this of each object for the checks across environments.
 */
export function argoCdView(o: RenderedObject): RenderedObject {
  const kind = o.object.kind;
  if (kind === 'Application' || kind === 'AppProject') {
    return o;
  }
  const object: Record<string, unknown> = {};
  for (const key of ['apiVersion', 'kind', 'type', 'name']) {
    if (o.object[key] !== undefined) {
      object[key] = o.object[key];
    }
  }
  const metadata = field(o.object, 'metadata');
  if (metadata !== undefined) {
    // The source annotation is what a problem about the object names as where it was generated from.
    const source = field(metadata, 'annotations', SOURCE_ANNOTATION);
    object.metadata = {
      name: field(metadata, 'name'),
      namespace: field(metadata, 'namespace'),
      ...(source === undefined ? {} : { annotations: { [SOURCE_ANNOTATION]: source } }),
    };
  }
  return { file: o.file, object, line: o.line };
}

/**
 * The checks of `checkDist` across environments: the Argo CD setup (see `checkArgoCd`). `objects`
 * may be `argoCdView`s of the objects, in the order of their files.
 */
export function checkArgoCdSetup(objects: readonly RenderedObject[], files: readonly string[]): Finding[] {
  return checkArgoCd(objects, files);
}

function checkSecrets(o: RenderedObject): Finding[] {
  const out: Finding[] = [];
  const what = describeObject(o.object);
  if (
    o.object.kind === 'Secret' &&
    o.object.apiVersion === 'v1' &&
    (Object.keys(field(o.object, 'data') ?? {}).length > 0 || Object.keys(field(o.object, 'stringData') ?? {}).length > 0)
  ) {
    out.push({
      at: o,
      severity: 'error',
      message: `${what} holds secret data, and dist/ is committed to git: reference a Secret created in the cluster instead`,
    });
  }
  return out;
}

function checkImages(o: RenderedObject): Finding[] {
  const out: Finding[] = [];
  for (const container of containersOf(o.object)) {
    const image = str(container, 'image') ?? '';
    const digest = image.includes('@sha256:');
    const lastSegment = image.split('/').pop() ?? '';
    const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : undefined;
    if (!digest && (tag === undefined || tag === 'latest') && !injectedImage(o.object, container as Record<string, unknown>)) {
      out.push({
        at: o,
        severity: 'error',
        message: `${describeObject(o.object)} container ${str(container, 'name')} uses image ${image}, which is not pinned by tag or digest`,
      });
    }
  }
  return out;
}

function containersOf(object: Record<string, unknown>): unknown[] {
  const spec = POD_TEMPLATE_KINDS.has(String(object.kind))
    ? field(object, 'spec', 'template', 'spec')
    : object.kind === 'Pod'
      ? field(object, 'spec')
      : undefined;
  return spec === undefined ? [] : [...list(spec, 'containers'), ...list(spec, 'initContainers')];
}

const globs = new Map<string, RegExp>();

/** Whether an AppProject destination pattern (Argo CD globs: `*`, `?`) matches. */
function globMatch(pattern: string, value: string): boolean {
  let re = globs.get(pattern);
  if (re === undefined) {
    re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    globs.set(pattern, re);
  }
  return re.test(value);
}

/** The folder of a dist/ file, relative to dist/. */
function folderOf(file: string): string {
  return file.slice(0, file.lastIndexOf('/'));
}

/**
 * Every Application's path exists, every folder of manifests is owned by exactly one
 * Application, every destination and cluster-scoped kind is permitted by the Application's
 * AppProject, and no object is deployed twice to one cluster.
 */
function checkArgoCd(objects: readonly RenderedObject[], files: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  const folders = new Set(files.filter((f) => f.endsWith('.k8s.yaml')).map(folderOf));
  const byFolder = new Map<string, RenderedObject[]>();
  for (const o of objects) {
    const folder = folderOf(o.file);
    const inFolder = byFolder.get(folder);
    if (inFolder === undefined) {
      byFolder.set(folder, [o]);
    } else {
      inFolder.push(o);
    }
  }
  const applications = objects.filter((o) => o.object.kind === 'Application' && String(o.object.apiVersion).startsWith('argoproj.io/'));
  const projects = new Map(objects.filter((o) => o.object.kind === 'AppProject').map((o) => [str(o.object, 'metadata', 'name') ?? '', o]));
  const owners = new Map<string, RenderedObject[]>();
  const distRoot = commonDistPrefix(applications);
  for (const app of applications) {
    const what = describeObject(app.object);
    const name = str(app.object, 'metadata', 'name') ?? '';
    if (name.length > APPLICATION_NAME_MAX) {
      // Argo CD writes the name into the app.kubernetes.io/instance label of what it tracks (argoproj/argo-cd util/argo/resource_tracking.go).
      findings.push({
        at: app,
        severity: 'error',
        message: `${what} has a name of ${name.length} characters: Argo CD writes it into the app.kubernetes.io/instance label, which takes at most ${APPLICATION_NAME_MAX}`,
      });
    }
    const source = field(app.object, 'spec', 'source');
    const project = projects.get(str(app.object, 'spec', 'project') ?? 'default');
    const server = str(app.object, 'spec', 'destination', 'server') ?? '';
    const namespace = str(app.object, 'spec', 'destination', 'namespace') ?? '';
    if (project === undefined) {
      findings.push({
        at: app,
        severity: 'error',
        message: `${what} uses project ${str(app.object, 'spec', 'project')}, which dist/ does not define`,
      });
    } else {
      if (
        !list(project.object, 'spec', 'destinations').some(
          (d) => globMatch(str(d, 'server') ?? '', server) && globMatch(str(d, 'namespace') ?? '', namespace),
        )
      ) {
        findings.push({
          at: app,
          severity: 'error',
          message: `${what} deploys to ${server} namespace ${namespace}, which its AppProject does not permit`,
        });
      }
      if (!list(project.object, 'spec', 'sourceRepos').some((r) => globMatch(String(r), str(source, 'repoURL') ?? ''))) {
        findings.push({ at: app, severity: 'error', message: `${what} reads ${str(source, 'repoURL')}, which its AppProject does not permit` });
      }
    }
    const path = str(source, 'path');
    if (path === undefined || str(source, 'chart') !== undefined) {
      continue;
    }
    const folder = distRoot === undefined ? path : path.slice(distRoot.length + 1);
    if (!path.startsWith(`${distRoot}/`) || !folders.has(folder)) {
      findings.push({ at: app, severity: 'error', message: `${what} syncs ${path}, which holds no manifests in dist/` });
      continue;
    }
    owners.set(folder, [...(owners.get(folder) ?? []), app]);
    if (project !== undefined) {
      findings.push(...checkFolderPermitted(byFolder.get(folder) ?? [], project, server, app));
    }
  }
  for (const folder of [...folders].sort(compareStrings)) {
    const apps = owners.get(folder) ?? [];
    if (apps.length === 0) {
      // A folder of files without objects is still one no Application owns.
      const first = byFolder.get(folder)?.[0] ?? { file: `${folder}/`, object: {}, line: 1 };
      findings.push({ at: first, severity: 'error', message: `dist/${folder} holds manifests but no Application syncs it` });
    } else if (apps.length > 1) {
      findings.push({
        at: apps[1],
        severity: 'error',
        message: `dist/${folder} is synced by ${apps.length} Applications (${apps.map((a) => str(a.object, 'metadata', 'name')).join(', ')}): they would fight`,
      });
    }
  }
  const identity = serverIdentity(applications);
  findings.push(...checkDuplicates(objects, owners, identity));
  findings.push(...checkProtectedReach(applications, projects, byFolder, distRoot, identity));
  return findings;
}

/**
 * Which API server a destination server reaches, as `ClusterSpec.identity` says: the normalised
 * URL, the root Application's cluster (where Argo CD runs) for an in-cluster address.
 */
function serverIdentity(applications: readonly RenderedObject[]): (server: string) => string {
  const root = applications.find((a) => str(a.object, 'spec', 'source', 'path')?.endsWith('/argocd'));
  const argocdNamespace = str(root?.object, 'metadata', 'namespace') ?? 'argocd';
  const rootServer = normalizeServerUrl(str(root?.object, 'spec', 'destination', 'server') ?? '');
  const argocdIdentity = rootServer === undefined || isInClusterAddress(rootServer, argocdNamespace) ? IN_CLUSTER_SERVER : rootServer;
  return (server) => {
    const normalized = normalizeServerUrl(server) ?? server;
    return isInClusterAddress(normalized, argocdNamespace) ? argocdIdentity : normalized;
  };
}

/**
 * No Application of an unprotected environment lands objects in a namespace of an API server where
 * an Application of a protected environment does (hand edits of dist/ included): the check of
 * environments/ over what Argo CD will really apply.
 */
function checkProtectedReach(
  applications: readonly RenderedObject[],
  projects: ReadonlyMap<string, RenderedObject>,
  byFolder: ReadonlyMap<string, RenderedObject[]>,
  distRoot: string | undefined,
  identity: (server: string) => string,
): Finding[] {
  type Landing = { env: string; protected: boolean; app: RenderedObject; at: RenderedObject; namespace: string; server: string };
  const landings = new Map<string, { envs: Set<string>; list: Landing[] }>();
  for (const app of applications) {
    const env = environmentOf(app.file);
    if (env === undefined) {
      continue;
    }
    const project = projects.get(str(app.object, 'spec', 'project') ?? 'default');
    const isProtected = str(project?.object, 'metadata', 'annotations', PROTECTED_ANNOTATION) === 'true';
    const server = identity(str(app.object, 'spec', 'destination', 'server') ?? '');
    const path = str(app.object, 'spec', 'source', 'path');
    const inFolder =
      path === undefined || distRoot === undefined || !path.startsWith(`${distRoot}/`) ? [] : (byFolder.get(path.slice(distRoot.length + 1)) ?? []);
    const here: [string, RenderedObject][] = inFolder.flatMap((o): [string, RenderedObject][] => {
      const namespace = o.object.kind === 'Namespace' ? str(o.object, 'metadata', 'name') : str(o.object, 'metadata', 'namespace');
      return namespace === undefined ? [] : [[namespace, o]];
    });
    const destination = str(app.object, 'spec', 'destination', 'namespace');
    if (destination !== undefined && destination !== '') {
      here.push([destination, app]);
    }
    for (const [namespace, at] of here) {
      const key = `${server} ${namespace}`;
      const landing = landings.get(key) ?? { envs: new Set<string>(), list: [] };
      if (!landing.envs.has(env)) {
        landing.envs.add(env);
        landing.list.push({ env, protected: isProtected, app, at, namespace, server });
        landings.set(key, landing);
      }
    }
  }
  const findings: Finding[] = [];
  for (const { list } of landings.values()) {
    const owner = list.find((l) => l.protected);
    if (owner === undefined) {
      continue;
    }
    for (const l of list.filter((x) => !x.protected)) {
      findings.push({
        at: l.at,
        severity: 'error',
        message:
          `${describeObject(l.at.object)} of unprotected environment ${l.env} lands in namespace ${l.namespace} of API server ${l.server} ` +
          `(synced by ${str(l.app.object, 'metadata', 'name')}), where protected environment ${owner.env} deploys (synced by ${str(owner.app.object, 'metadata', 'name')})`,
      });
    }
  }
  return findings;
}

/** Every object of one folder is permitted by the AppProject of the Application that syncs the folder. */
function checkFolderPermitted(inFolder: readonly RenderedObject[], project: RenderedObject, server: string, app: RenderedObject): Finding[] {
  const findings: Finding[] = [];
  const destinations = list(project.object, 'spec', 'destinations');
  const clusterKinds = list(project.object, 'spec', 'clusterResourceWhitelist');
  // A folder's thousands of objects are in a few namespaces: each is matched against the
  // destinations once.
  const permitted = new Map<string, boolean>();
  const namespacePermitted = (namespace: string) => {
    let answer = permitted.get(namespace);
    if (answer === undefined) {
      answer = destinations.some((d) => globMatch(str(d, 'server') ?? '', server) && globMatch(str(d, 'namespace') ?? '', namespace));
      permitted.set(namespace, answer);
    }
    return answer;
  };
  for (const o of inFolder) {
    const objectNamespace = str(o.object, 'metadata', 'namespace');
    if (objectNamespace === undefined) {
      const group = apiGroupOf(str(o.object, 'apiVersion') ?? '');
      if (!clusterKinds.some((k) => globMatch(str(k, 'group') ?? '', group) && globMatch(str(k, 'kind') ?? '', String(o.object.kind)))) {
        findings.push({
          at: o,
          severity: 'error',
          message: `${describeObject(o.object)} is cluster-scoped and its kind is not whitelisted in AppProject ${str(project.object, 'metadata', 'name')}`,
        });
      }
    } else if (!namespacePermitted(objectNamespace)) {
      findings.push({
        at: o,
        severity: 'error',
        message: `${describeObject(o.object)} is in namespace ${objectNamespace}, which AppProject ${str(project.object, 'metadata', 'name')} does not permit on ${server} (synced by ${str(app.object, 'metadata', 'name')})`,
      });
    }
  }
  return findings;
}

/** The same object (cluster, kind, namespace, name) deployed from two folders would be owned twice. */
function checkDuplicates(
  objects: readonly RenderedObject[],
  owners: ReadonlyMap<string, RenderedObject[]>,
  identity: (server: string) => string,
): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, RenderedObject>();
  // The API server of the Application that owns each folder, worked out once per folder rather
  // than once per object (a fleet has a hundred thousand objects in a few hundred folders).
  const servers = new Map<string, string | undefined>();
  const serverOf = (folder: string): string | undefined => {
    if (!servers.has(folder)) {
      const app = owners.get(folder)?.[0];
      servers.set(folder, app === undefined ? undefined : identity(str(app.object, 'spec', 'destination', 'server') ?? ''));
    }
    return servers.get(folder);
  };
  // Objects come file by file: the folder of the last file is kept.
  let file: string | undefined;
  let folder = '';
  for (const o of objects) {
    if (o.file !== file) {
      file = o.file;
      folder = folderOf(file);
    }
    const server = o.object.apiVersion === undefined ? undefined : serverOf(folder);
    if (server === undefined) {
      continue;
    }
    // The kind as a list joins it (nothing for none), whatever a hand edit made of it.
    const kind = [o.object.kind].join('');
    const key = `${server} ${apiGroupOf(str(o.object, 'apiVersion') ?? '')} ${kind} ${str(o.object, 'metadata', 'namespace') ?? ''} ${
      str(o.object, 'metadata', 'name') ?? ''
    }`;
    const before = seen.get(key);
    if (before !== undefined && before.file !== o.file) {
      findings.push({
        at: o,
        severity: 'error',
        message: `${describeObject(o.object)} is also rendered in dist/${before.file} for the same cluster: two Applications would own it`,
      });
    }
    seen.set(key, o);
  }
  return findings;
}

/** The repository folder dist/ sits at, as the Applications name it (`dist` in `dist/kong-perf/...`). */
function commonDistPrefix(applications: readonly RenderedObject[]): string | undefined {
  const root = applications.find((a) => str(a.object, 'spec', 'source', 'path')?.endsWith('/argocd'));
  const path = str(root?.object, 'spec', 'source', 'path');
  return path?.slice(0, -'/argocd'.length);
}
