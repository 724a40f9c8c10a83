import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { AppProject, Application, ApplicationSpec, GroupKind } from '../imports/argocd';
import { MESH_ANNOTATION, PROTECTED_ANNOTATION } from '../meshes/effective-routing';
import { commonLabels, HelmApplicationPlan, TargetFormat } from '../meshes/mesh';
import { targetApplicationName } from '../model/derived-names';
import { SettingsSpec } from '../model/spec';
import { compareStrings } from '../model/spec-error';
import { ManifestChart } from './manifest-chart';
import { MeshEnvironment } from './mesh-environment';

/** The folder of dist/ that holds the Argo CD objects; the root Application syncs it. */
export const ARGOCD_FOLDER = 'argocd';
/** Name of the root (app-of-apps) Application and its AppProject. */
export const ROOT_NAME = 'meshflip';
const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
const RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } };

/** Properties for `ArgoCdDelivery`. */
export interface ArgoCdDeliveryProps {
  readonly environment: MeshEnvironment;
  readonly settings: SettingsSpec;
}

/**
 * The Argo CD objects of one environment, in `dist/argocd/<env>.k8s.yaml`: an AppProject that
 * limits where the environment may deploy, one Application per target folder, and one per
 * control plane installed from a Helm chart. Sync waves order them: control planes first, then the
 * mesh configuration, then the zones' workloads and policies.
 */
export class ArgoCdDelivery extends Construct {
  public readonly chart: ManifestChart;
  public readonly project: AppProject;
  public readonly applications: readonly Application[];

  constructor(scope: Construct, id: string, props: ArgoCdDeliveryProps) {
    super(scope, id);
    const { environment, settings } = props;
    const env = environment.env;
    this.chart = new ManifestChart(this, 'Chart', {
      path: `${ARGOCD_FOLDER}/${env.name}.k8s.yaml`,
      sources: [env.file, settings.file.path],
    });
    const labels = commonLabels(env);
    const kubernetesTargets = environment.mesh.targets.filter((t) => t.format === TargetFormat.KUBERNETES);
    const helmApps = environment.mesh.controlPlaneApplications();
    const contents = scanObjects(environment);

    const destinations = new Map<string, { server: string; namespace: string }>();
    const addDestination = (server: string, namespace: string) => destinations.set(`${server} ${namespace}`, { server, namespace });
    const clusterKinds = new Map<string, GroupKind>();
    const addKind = (k: GroupKind) => clusterKinds.set(`${k.group}/${k.kind}`, k);
    for (const target of kubernetesTargets) {
      const found = contents.get(target.name);
      addDestination(target.cluster!.server, target.namespace);
      found?.namespaces.forEach((ns) => addDestination(target.cluster!.server, ns));
      found?.clusterKinds.forEach(addKind);
    }
    for (const app of helmApps) {
      addDestination(app.cluster.server, app.namespace);
      app.clusterKinds.forEach(addKind);
      addKind({ group: '', kind: 'Namespace' });
    }

    this.project = new AppProject(this.chart, 'Project', {
      metadata: {
        name: env.name,
        namespace: settings.argocdNamespace,
        labels,
        annotations: {
          'argocd.argoproj.io/sync-wave': '-10',
          // Read back by meshflip explain and the guardrails over dist/.
          [MESH_ANNOTATION]: env.mesh.flavor,
          [PROTECTED_ANNOTATION]: String(env.protected),
        },
        // Projects are only deleted once no Application uses them.
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        description: env.description ?? `meshflip environment ${env.name}`,
        sourceRepos: [...new Set([settings.repoURL, ...helmApps.map((a) => a.repoURL)])].sort(compareStrings),
        destinations: [...destinations.values()].sort((a, b) => compareStrings(a.server, b.server) || compareStrings(a.namespace, b.namespace)),
        clusterResourceWhitelist: [...clusterKinds.values()].sort((a, b) => compareStrings(a.group, b.group) || compareStrings(a.kind, b.kind)),
      },
    });

    const syncPolicy = (options: readonly string[]): ApplicationSpec['syncPolicy'] => ({
      ...(env.delivery.automated ? { automated: { prune: env.delivery.prune, selfHeal: env.delivery.selfHeal } } : {}),
      syncOptions: [...new Set(['PruneLast=true', ...options])].sort(compareStrings),
      retry: RETRY,
    });
    const metadata = (name: string, wave: number, description: string) => ({
      name,
      namespace: settings.argocdNamespace,
      labels,
      annotations: { 'argocd.argoproj.io/sync-wave': String(wave), 'meshflip.io/description': description },
      // Deleting an Application deletes what it deployed, except in protected environments.
      ...(env.protected ? {} : { finalizers: [FINALIZER] }),
    });

    const applications: Application[] = [];
    for (const app of helmApps) {
      applications.push(helmApplication(this.chart, env.name, app, metadata(app.name, app.wave, app.description), syncPolicy(['CreateNamespace=true', 'ServerSideApply=true'])));
    }
    for (const target of kubernetesTargets) {
      const name = targetApplicationName(env.name, target.name);
      applications.push(new Application(this.chart, `Target-${target.name}`, {
        metadata: metadata(name, target.wave, target.description),
        spec: {
          project: env.name,
          source: { repoURL: settings.repoURL, targetRevision: settings.revision, path: `${settings.distPath}/${env.name}/${target.name}`, directory: { include: '*.k8s.yaml' } },
          destination: { server: target.cluster!.server, namespace: target.namespace },
          syncPolicy: syncPolicy(target.syncOptions),
        },
      }));
    }
    this.applications = applications;
  }
}

function helmApplication(chart: ManifestChart, project: string, app: HelmApplicationPlan, metadata: Record<string, unknown>, syncPolicy: ApplicationSpec['syncPolicy']): Application {
  return new Application(chart, `Helm-${app.name}`, {
    metadata,
    spec: {
      project,
      source: {
        repoURL: app.repoURL,
        chart: app.chart,
        targetRevision: app.version,
        helm: { releaseName: app.releaseName, ...helmValues(app.values) },
      },
      destination: { server: app.cluster.server, namespace: app.namespace },
      syncPolicy,
    },
  });
}

/**
 * Helm values as an Application carries them: `valuesObject`, or the `values` text when a value is
 * null. A null removes a chart default, but Argo CD drops nulls from `valuesObject`
 * (argoproj/argo-cd#16312) and reads `values` only when there is no `valuesObject`.
 */
export function helmValues(values: Record<string, unknown>): { valuesObject: Record<string, unknown> } | { values: string } {
  return hasNull(values) ? { values: YAML.stringify(sortKeys(values), { version: '1.1', lineWidth: 0 }) } : { valuesObject: values };
}

function hasNull(value: unknown): boolean {
  return value === null || (typeof value === 'object' && Object.values(value).some(hasNull));
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(sortKeys);
  }
  return Object.fromEntries(Object.keys(value).sort(compareStrings).map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}

/** What each target of an environment renders: the namespaces it writes to and the cluster-scoped kinds it creates. */
function scanObjects(environment: MeshEnvironment): Map<string, { namespaces: Set<string>; clusterKinds: GroupKind[] }> {
  const out = new Map<string, { namespaces: Set<string>; clusterKinds: GroupKind[] }>();
  for (const chart of environment.manifestCharts()) {
    const target = chart.path.split('/')[1];
    const entry = out.get(target) ?? { namespaces: new Set<string>(), clusterKinds: [] };
    out.set(target, entry);
    for (const obj of chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)) {
      const namespace = obj.metadata.namespace;
      if (namespace === undefined) {
        const group = obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : '';
        entry.clusterKinds.push({ group, kind: obj.kind });
      } else {
        entry.namespaces.add(namespace);
      }
    }
  }
  return out;
}

/** Properties for `RootApplication`. */
export interface RootApplicationProps {
  readonly settings: SettingsSpec;
}

/**
 * The app of apps, in `dist/argocd/root.k8s.yaml`: applied once by hand, it syncs `dist/argocd/`
 * (the environments' AppProjects and Applications, and itself) from then on.
 */
export class RootApplication extends Construct {
  public readonly chart: ManifestChart;

  constructor(scope: Construct, id: string, props: RootApplicationProps) {
    super(scope, id);
    const { settings } = props;
    const server = settings.clusters.get(settings.argocdCluster)!.server;
    this.chart = new ManifestChart(this, 'Chart', { path: `${ARGOCD_FOLDER}/root.k8s.yaml`, sources: [settings.file.path] });
    const labels = { 'app.kubernetes.io/managed-by': 'meshflip' };
    new AppProject(this.chart, 'Project', {
      metadata: { name: ROOT_NAME, namespace: settings.argocdNamespace, labels, annotations: { 'argocd.argoproj.io/sync-wave': '-20' } },
      spec: {
        description: 'meshflip: the Argo CD objects of every environment',
        sourceRepos: [settings.repoURL],
        destinations: [{ server, namespace: settings.argocdNamespace }],
        clusterResourceWhitelist: [],
        namespaceResourceWhitelist: [{ group: 'argoproj.io', kind: 'AppProject' }, { group: 'argoproj.io', kind: 'Application' }],
      },
    });
    new Application(this.chart, 'Application', {
      metadata: { name: ROOT_NAME, namespace: settings.argocdNamespace, labels },
      spec: {
        project: ROOT_NAME,
        source: { repoURL: settings.repoURL, targetRevision: settings.revision, path: `${settings.distPath}/${ARGOCD_FOLDER}`, directory: { include: '*.k8s.yaml' } },
        destination: { server, namespace: settings.argocdNamespace },
        syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['PruneLast=true'], retry: RETRY },
      },
    });
  }
}
