import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { apiGroupOf, AppProject, Application, ApplicationSpec, GroupKind, ResourceIgnoreDifferences, RetryStrategy } from '../imports/argocd';
import { MESH_ANNOTATION, PROTECTED_ANNOTATION } from '../meshes/effective-routing';
import { commonLabels, HelmApplicationPlan, SYNC_OPTIONS_ANNOTATION, TargetFormat } from '../meshes/mesh';
import { argoCdHas } from '../model/argocd-version';
import { targetApplicationName } from '../model/derived-names';
import { SettingsSpec } from '../model/spec';
import { compareStrings } from '../model/spec-error';
import { HEALTH_CHECKS } from './argocd-health';
import { ManifestChart, RenderedDocuments } from './manifest-chart';
import { MeshEnvironment } from './mesh-environment';

/** The folder of dist/ that holds the Argo CD objects; the root Application syncs it. */
export const ARGOCD_FOLDER = 'argocd';
/** Name of the root (app-of-apps) Application and its AppProject. */
export const ROOT_NAME = 'meshflip';
const FINALIZER = 'resources-finalizer.argocd.argoproj.io';
/** The folder of dist/ with what the bootstrap applies once by hand (not synced by any Application). */
export const BOOTSTRAP_FOLDER = `${ARGOCD_FOLDER}/bootstrap`;
/** Paths a git Application's manifests are generated from, relative to its source path (argoproj/argo-cd `reposerver/repository`, 2.11+ without webhooks). */
export const MANIFEST_GENERATE_PATHS = 'argocd.argoproj.io/manifest-generate-paths';

/**
 * Retries of a failed sync: 15 s doubling to 5 min, 10 attempts, about 33 minutes in all (an OLM
 * install and an OSSM control plane take 5 to 15). Argo CD does not auto-sync a commit again once
 * its sync has failed (`controller/appcontroller.go` `autoSync`, "Skipping auto-sync: failed previous
 * sync attempt"); from 3.2, `refresh` makes each retry take the newest commit, so a fix pushed
 * while an operation retries is what the next retry applies.
 */
export function retryStrategy(settings: SettingsSpec): RetryStrategy {
  return {
    limit: 10,
    backoff: { duration: '15s', factor: 2, maxDuration: '5m' },
    ...(argoCdHas(settings.argocdVersion, 'retryRefresh') ? { refresh: true } : {}),
  };
}

/**
 * `controller.sync.timeout.seconds`: an operation still running after an hour (a child stuck
 * Progressing, an InstallPlan waiting for approval) is terminated, so the next commit's sync can
 * start. Longer than the whole retry budget, which it includes.
 */
export const SYNC_TIMEOUT_SECONDS = 3600;

/**
 * The variable the application controller reads its sync timeout from (argoproj/argo-cd
 * `cmd/argocd-application-controller/commands/argocd_application_controller.go`, the default of
 * `--sync-timeout`); upstream's StatefulSet fills it from `controller.sync.timeout.seconds` in
 * argocd-cmd-params-cm. The OpenShift GitOps operator copies `spec.cmdParams` into that ConfigMap
 * but wires only `controller.resource.health.persist` into its controller StatefulSet
 * (argoproj-labs/argocd-operator `controllers/argocd/statefulset.go`), so there the timeout goes
 * in `spec.controller.env`, which the operator merges into the controller's environment.
 */
export const SYNC_TIMEOUT_VARIABLE = 'ARGOCD_APPLICATION_CONTROLLER_SYNC_TIMEOUT';

/** The sync options that keep an object when its Application is deleted with cascade. */
const KEEP_ON_CASCADE = 'Delete=false';

/** Properties for `ArgoCdDelivery`. */
export interface ArgoCdDeliveryProps {
  readonly environment: MeshEnvironment;
  readonly settings: SettingsSpec;
  /**
   * What each target renders, read from its rendered objects (`targetContents`).
   *
   * @default - read from the environment's constructs
   */
  readonly contents?: TargetContents;
}

/** What each target of an environment renders, by target: the namespaces it writes to and the cluster-scoped kinds it creates. */
export type TargetContents = ReadonlyMap<string, { readonly namespaces: ReadonlySet<string>; readonly clusterKinds: readonly GroupKind[] }>;

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
    const contents = props.contents ?? scanObjects(environment);

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
          // Deleting the root with cascade leaves the environment's project and Applications in place.
          [SYNC_OPTIONS_ANNOTATION]: KEEP_ON_CASCADE,
        },
        // Projects are only deleted once no Application uses them.
        finalizers: ['resources-finalizer.argocd.argoproj.io'],
      },
      spec: {
        description: env.description ?? `meshflip environment ${env.name}`,
        sourceRepos: [...new Set([settings.repoURL, ...helmApps.map((a) => a.repoURL)])].sort(compareStrings),
        destinations: [...destinations.values()].sort((a, b) => compareStrings(a.server, b.server) || compareStrings(a.namespace, b.namespace)),
        clusterResourceWhitelist: [...clusterKinds.values()].sort((a, b) => compareStrings(a.group, b.group) || compareStrings(a.kind, b.kind)),
        // Objects in a destination namespace that no Application owns (a removed object a protected
        // environment does not prune) show as an OrphanedResourceWarning on the Application.
        orphanedResources: { warn: true },
      },
    });

    const automatedEnabled = argoCdHas(settings.argocdVersion, 'automatedEnabled');
    const syncPolicy = (options: readonly string[]): ApplicationSpec['syncPolicy'] => ({
      ...(env.delivery.automated
        ? { automated: { ...(automatedEnabled ? { enabled: true } : {}), prune: env.delivery.prune, selfHeal: env.delivery.selfHeal } }
        : {}),
      syncOptions: [...new Set(['PruneLast=true', ...options])].sort(compareStrings),
      retry: retryStrategy(settings),
    });
    const metadata = (name: string, wave: number, description: string, generatePaths: boolean) => ({
      name,
      namespace: settings.argocdNamespace,
      labels,
      annotations: {
        'argocd.argoproj.io/sync-wave': String(wave),
        'meshflip.io/description': description,
        [SYNC_OPTIONS_ANNOTATION]: KEEP_ON_CASCADE,
        ...(generatePaths ? { [MANIFEST_GENERATE_PATHS]: '.' } : {}),
      },
      // Deleting an Application deletes what it deployed, except in protected environments.
      ...(env.protected ? {} : { finalizers: [FINALIZER] }),
    });

    const applications: Application[] = [];
    for (const app of helmApps) {
      const ignoring = (app.ignoreDifferences ?? []).length > 0;
      applications.push(
        helmApplication(
          this.chart,
          env.name,
          app,
          metadata(app.name, app.wave, app.description, false),
          syncPolicy(['CreateNamespace=true', 'ServerSideApply=true', ...(ignoring ? ['RespectIgnoreDifferences=true'] : [])]),
        ),
      );
    }
    for (const target of kubernetesTargets) {
      const name = targetApplicationName(env.name, target.name);
      applications.push(
        new Application(this.chart, `Target-${target.name}`, {
          metadata: metadata(name, target.wave, target.description, true),
          spec: {
            project: env.name,
            source: {
              repoURL: settings.repoURL,
              targetRevision: settings.revision,
              path: `${settings.distPath}/${env.name}/${target.name}`,
              directory: { include: '*.k8s.yaml' },
            },
            destination: { server: target.cluster!.server, namespace: target.namespace },
            syncPolicy: syncPolicy(target.syncOptions),
          },
        }),
      );
    }
    this.applications = applications;
  }
}

function helmApplication(
  chart: ManifestChart,
  project: string,
  app: HelmApplicationPlan,
  metadata: Record<string, unknown>,
  syncPolicy: ApplicationSpec['syncPolicy'],
): Application {
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
      ...((app.ignoreDifferences ?? []).length > 0
        ? {
            ignoreDifferences: app.ignoreDifferences!.map((f): ResourceIgnoreDifferences => ({
              group: f.group,
              kind: f.kind,
              jqPathExpressions: f.jqPathExpressions,
            })),
          }
        : {}),
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
  return Object.fromEntries(
    Object.keys(value)
      .sort(compareStrings)
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/**
 * `TargetContents` from an environment's rendered files: the objects of each manifest file
 * (`<env>/<target>/<file>.k8s.yaml`), as `scanObjects` finds them in the constructs.
 */
export function targetContents(files: readonly { readonly path: string; readonly objects?: readonly Record<string, unknown>[] }[]): TargetContents {
  const out = new Map<string, { namespaces: Set<string>; clusterKinds: GroupKind[] }>();
  for (const file of files) {
    const [, target, rest] = file.path.split('/');
    if (target === undefined || rest === undefined || !file.path.endsWith('.k8s.yaml')) {
      continue;
    }
    const entry = out.get(target) ?? { namespaces: new Set<string>(), clusterKinds: [] };
    out.set(target, entry);
    for (const obj of file.objects ?? []) {
      const namespace = (obj.metadata as { namespace?: string } | undefined)?.namespace;
      if (namespace === undefined) {
        entry.clusterKinds.push({ group: apiGroupOf(String(obj.apiVersion)), kind: String(obj.kind) });
      } else {
        entry.namespaces.add(namespace);
      }
    }
  }
  return out;
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
        entry.clusterKinds.push({ group: apiGroupOf(obj.apiVersion), kind: obj.kind });
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
        namespaceResourceWhitelist: [
          { group: 'argoproj.io', kind: 'AppProject' },
          { group: 'argoproj.io', kind: 'Application' },
        ],
      },
    });
    new Application(this.chart, 'Application', {
      metadata: { name: ROOT_NAME, namespace: settings.argocdNamespace, labels, annotations: { [MANIFEST_GENERATE_PATHS]: '.' } },
      spec: {
        project: ROOT_NAME,
        source: {
          repoURL: settings.repoURL,
          targetRevision: settings.revision,
          path: `${settings.distPath}/${ARGOCD_FOLDER}`,
          directory: { include: '*.k8s.yaml' },
        },
        destination: { server, namespace: settings.argocdNamespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: true },
          syncOptions: ['PruneLast=true', 'RespectIgnoreDifferences=true'],
          retry: retryStrategy(settings),
        },
        ignoreDifferences: [childPauseField(settings)],
      },
    });
    new ArgoCdBootstrap(this, 'Bootstrap', { settings });
  }
}

/**
 * What the root leaves to people on its children: whether a child syncs automatically, so that a
 * child can be paused during an incident without the root turning it back on (Argo CD's
 * cluster-bootstrapping guide). From 3.1 that is `automated.enabled` alone (what the "Disable
 * Auto-Sync" action of 3.5 sets), and changes to prune and self-heal still reach the children;
 * before, it is the whole `automated` block.
 */
export function childPauseField(settings: SettingsSpec): ResourceIgnoreDifferences {
  const pointer = argoCdHas(settings.argocdVersion, 'automatedEnabled') ? '/spec/syncPolicy/automated/enabled' : '/spec/syncPolicy/automated';
  return { group: 'argoproj.io', kind: 'Application', jsonPointers: [pointer] };
}

/** Properties for `ArgoCdBootstrap`. */
export interface ArgoCdBootstrapProps {
  readonly settings: SettingsSpec;
}

/**
 * The Argo CD configuration meshflip's ordering depends on, in `dist/argocd/bootstrap/`, applied
 * once by hand with the root (README "dist/ and Argo CD"): the health checks of `HEALTH_CHECKS` as a
 * patch of `argocd-cm` (upstream Argo CD) and of the `ArgoCD` resource (OpenShift GitOps, whose
 * operator rewrites argocd-cm from `spec.resourceHealthChecks`), and the sync timeout in the form
 * each reads (`SYNC_TIMEOUT_VARIABLE`).
 */
export class ArgoCdBootstrap extends Construct {
  constructor(scope: Construct, id: string, props: ArgoCdBootstrapProps) {
    super(scope, id);
    const { settings } = props;
    const dir = `${settings.distPath}/${BOOTSTRAP_FOLDER}`;
    const ns = settings.argocdNamespace;
    const sources = [settings.file.path];
    const checks = [...HEALTH_CHECKS].sort((a, b) => compareStrings(a.group, b.group) || compareStrings(a.kind, b.kind));

    const cm = new RenderedDocuments(this, 'ArgoCdCm', {
      path: `${BOOTSTRAP_FOLDER}/argocd-cm.patch.yaml`,
      sources,
      header: [
        'Upstream Argo CD: health checks sync waves wait on. Apply once (a merge keeps every other key):',
        `kubectl -n ${ns} patch configmap argocd-cm --type merge --patch-file ${dir}/argocd-cm.patch.yaml`,
      ],
    });
    cm.add({ data: Object.fromEntries(checks.map((c) => [`resource.customizations.health.${c.group}_${c.kind}`, c.check])) });

    const syncTimeout = argoCdHas(settings.argocdVersion, 'syncTimeout');
    const gitops = new RenderedDocuments(this, 'OpenShiftGitOps', {
      path: `${BOOTSTRAP_FOLDER}/openshift-gitops.patch.yaml`,
      sources,
      header: syncTimeout
        ? [
            'OpenShift GitOps: the same health checks and sync timeout for the ArgoCD resource, whose operator writes argocd-cm',
            'and restarts the controller. Apply once (this replaces spec.resourceHealthChecks and spec.controller.env: add any',
            'entries of your own to these lists first):',
            `oc -n ${ns} patch argocd openshift-gitops --type merge --patch-file ${dir}/openshift-gitops.patch.yaml`,
          ]
        : [
            'OpenShift GitOps: the same health checks for the ArgoCD resource, whose operator writes argocd-cm.',
            'Apply once (this replaces spec.resourceHealthChecks: add any checks of your own to this list first):',
            `oc -n ${ns} patch argocd openshift-gitops --type merge --patch-file ${dir}/openshift-gitops.patch.yaml`,
          ],
    });
    gitops.add({
      spec: {
        resourceHealthChecks: checks.map((c) => ({ group: c.group, kind: c.kind, check: c.check })),
        ...(syncTimeout ? { controller: { env: [{ name: SYNC_TIMEOUT_VARIABLE, value: String(SYNC_TIMEOUT_SECONDS) }] } } : {}),
      },
    });

    if (syncTimeout) {
      const params = new RenderedDocuments(this, 'ArgoCdCmdParamsCm', {
        path: `${BOOTSTRAP_FOLDER}/argocd-cmd-params-cm.patch.yaml`,
        sources,
        header: [
          'Upstream Argo CD: end a sync operation that runs longer than an hour. Apply once, then restart the controller:',
          `kubectl -n ${ns} patch configmap argocd-cmd-params-cm --type merge --patch-file ${dir}/argocd-cmd-params-cm.patch.yaml`,
          `kubectl -n ${ns} rollout restart statefulset argocd-application-controller`,
        ],
      });
      params.add({ data: { 'controller.sync.timeout.seconds': String(SYNC_TIMEOUT_SECONDS) } });
    }
  }
}
