import { chartVersion, gatewayClassRendered, hookTtl, ownerReferenceSkippable } from './kuma-names';
import { Rule } from '../rules';
import { EnvironmentSpec, isKuma, KumaMeshSpec, MeshFlavor } from '../../model/spec';
import { field } from '../effective-routing';
import { FieldPath } from '../../model/source-file';

/** The Kuma mesh of `env`, or undefined for other meshes. */
function kumaOf(env: EnvironmentSpec): KumaMeshSpec | undefined {
  return isKuma(env.mesh) ? env.mesh : undefined;
}

/** The field that sets the chart version: `mesh.chartVersion` when declared, else `mesh.version`. */
function chartVersionField(env: EnvironmentSpec): ['mesh', string] {
  return env.source.has(['mesh', 'chartVersion']) ? ['mesh', 'chartVersion'] : ['mesh', 'version'];
}

/**
 * Kuma 2.6 stopped creating the allow-all TrafficPermission for a new Mesh, and meshflip's meshes
 * always have mTLS on: without a permission every inbound request is refused by RBAC. A Konnect
 * global runs 2.6 or later, so a mesh it creates has no allow-all policy whatever the zones run,
 * and a 2.5 zone refuses an inbound no TrafficPermission allows as well.
 */
export const DENY_ALL_MESH: Rule = {
  code: 'MF1001',
  level: 'error',
  title: 'mTLS mesh without traffic permissions denies everything',
  upstream:
    'kumahq/kuma v2.14.3 pkg/plugins/policies/meshtrafficpermission/plugin/v1alpha1/plugin.go (denyRules); pkg/config/app/kuma-cp/config.go (CreateMeshRoutingResources: false); ' +
    'UPGRADE.md "Upgrade to 2.6.x"; release-2.5 pkg/defaults/mesh/mesh.go (the allow-all default 2.5 created), pkg/xds/envoy/listeners/v3/network_rbac_configurer.go (createRbacRule: no TrafficPermission, no allowed source)',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh === undefined || env.trafficPermissions) {
      return;
    }
    const hint = `remove trafficPermissions: false, so that meshflip renders a${mesh.policies === 'legacy' ? ' TrafficPermission' : ' permission'} for each declared call`;
    const kind = mesh.policies === 'legacy' ? 'TrafficPermission' : 'MeshTrafficPermission';
    if (mesh.version.atLeast('2.6')) {
      report(
        ['trafficPermissions'],
        `on ${mesh.flavor} ${mesh.version} a mesh with mTLS and no ${kind} refuses every request (no allow-all policy is created since 2.6)`,
        hint,
      );
    } else if (mesh.global.kind === 'konnect') {
      report(
        ['trafficPermissions'],
        `the Konnect global control plane runs 2.6 or later and creates no allow-all-${mesh.meshName} TrafficPermission for a new mesh, ` +
          `and ${mesh.flavor} ${mesh.version} zones refuse every request to an mTLS inbound that no ${kind} allows: every call between services fails`,
        hint,
      );
    }
  },
};

/**
 * Without cert-manager or a provided Secret, the chart keeps its TLS Secret only through Helm
 * `lookup`, which is empty under `helm template` (how Argo CD renders): every render generates a
 * new CA, Secret and webhook caBundle.
 */
export const CERTIFICATE_CHURN: Rule = {
  code: 'MF1002',
  level: 'error',
  title: 'control-plane certificate regenerated on every Argo CD render',
  upstream: 'kumahq/kuma v2.14.3 deployments/charts/kuma/templates/cp-webhooks-and-secrets.yaml (lookup, else genCA); kumahq/kuma#2023',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh !== undefined && mesh.controlPlaneTls === undefined) {
      report(
        chartVersionField(env),
        `the ${mesh.chart.name} chart ${mesh.chart.version} generates a new control-plane CA and webhook caBundle each time Argo CD renders it ` +
          '(Helm lookup is empty under helm template): the control planes never stay Synced, self-heal rotates the CA and running sidecars keep the old one',
        'declare mesh.controlPlaneTls.secret (a pre-created Secret and its CA bundle), or use chart 2.13 or later, where meshflip enables cert-manager',
      );
    }
  },
};

/**
 * kuma-cp's webhook makes the Mesh the owner of every mesh-scoped object it admits, and Argo CD
 * prunes only objects without owner references: a policy removed from git stays in force. From
 * 2.7 meshflip sets KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE; before, nothing can.
 */
export const POLICIES_NEVER_PRUNED: Rule = {
  code: 'MF1003',
  level: 'error',
  title: 'removed policies are never pruned (Mesh owner references)',
  upstream:
    'kumahq/kuma v2.14.3 pkg/plugins/runtime/k8s/webhooks/owner_reference_mutator.go (SkipMeshOwnerReference, 2.7+); argoproj/gitops-engine pkg/cache/cluster.go (GetManagedLiveObjs skips objects with owner references); argoproj/argo-cd#4764',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh === undefined || ownerReferenceSkippable(mesh)) {
      return;
    }
    const onKubernetes = mesh.global.kind === 'self-hosted' || mesh.placement === 'zone';
    if (onKubernetes) {
      report(
        chartVersionField(env),
        `before 2.7 kuma-cp makes the Mesh the owner of every policy it admits, and Argo CD never prunes an owned object: ` +
          'a fault, route or permission removed from the environment stays in force while Argo CD reports Synced',
        'use 2.7 or later (meshflip then sets KUMA_RUNTIME_KUBERNETES_SKIP_MESH_OWNER_REFERENCE), or a Konnect global with placement: global',
      );
    }
  },
};

/**
 * A self-hosted global serves KDS with its general control-plane certificate unless told
 * otherwise, which is self-signed and does not name the external host; zones verify against the
 * system roots when no CA is given, so the handshake fails.
 */
export const KDS_UNVERIFIABLE: Rule = {
  code: 'MF1004',
  level: 'error',
  title: 'zones cannot verify a self-hosted global control plane',
  upstream:
    'kumahq/kuma v2.14.3 pkg/core/bootstrap/autoconfig.go (KDS server falls back to the general certificate); pkg/kds/mux/client.go (tlsConfig: system roots when no CA file)',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh !== undefined && mesh.global.kind === 'self-hosted' && mesh.global.kdsTls === undefined && !mesh.kdsSkipVerify) {
      report(
        ['mesh', 'global', 'selfHosted', 'kdsAddress'],
        `zones reaching ${mesh.global.kdsAddress} get the global's self-signed control-plane certificate, which does not name that host, ` +
          'and verify it against the system roots: the TLS handshake fails and no zone receives the Mesh or a policy',
        'declare mesh.global.selfHosted.kdsTls with the Secret of a certificate for that host and the Secret of its CA, or kdsSkipVerify: true to skip verification deliberately',
      );
    }
  },
};

/** Charts 2.12.0 to 2.12.8 and 2.13.0 to 2.13.3 delete hook Jobs as soon as they finish, before Argo CD 2.x sees them finish. */
export const HOOKS_VANISH: Rule = {
  code: 'MF1005',
  level: 'warning',
  title: 'Helm hook Jobs vanish before Argo CD sees them finish',
  upstream:
    'kumahq/kuma v2.14.3 UPGRADE.md "Helm: Configurable hook job TTL and annotations" (PR #16084); deployments/charts/kuma/templates/pre-upgrade-install-crds-job.yaml',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh !== undefined && hookTtl(mesh) === 'zero') {
      report(
        chartVersionField(env),
        `the ${mesh.chart.name} chart ${mesh.chart.version} runs its hook Jobs with ttlSecondsAfterFinished: 0, so they are deleted before Argo CD 2.x reads their status and the sync can hang`,
        'use chart 2.12.9, 2.13.4, 2.14.0 or later, where meshflip sets hooks.ttlSecondsAfterFinished: null',
      );
    }
  },
};

/** Data plane proxies an environment runs: every replica of every service in every zone, and the mocks. */
export function dataPlaneProxies(env: EnvironmentSpec): number {
  const services = env.services.reduce((sum, s) => sum + s.replicas * Math.max(1, s.zones.length), 0);
  const mocks = env.mocks.enabled ? env.services.reduce((sum, s) => sum + (s.mock?.replicas ?? 0), 0) : 0;
  return services + mocks;
}

/** The licence bundled with Kong Mesh allows 5 data plane proxies for 30 days. */
export const BUNDLED_LICENSE_PROXIES = 5;

/** A self-hosted Kong Mesh global without a licence runs on the bundled one. */
export const NO_LICENSE: Rule = {
  code: 'MF1006',
  level: 'warning',
  title: 'Kong Mesh global control plane without a licence',
  upstream: 'Kong Mesh docs "Licensing" (default licence: 5 data plane proxies, 30 days; KMESH_LICENSE_INLINE)',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh === undefined || mesh.flavor !== MeshFlavor.KONG_MESH || mesh.global.kind !== 'self-hosted' || mesh.license !== undefined) {
      return;
    }
    const proxies = dataPlaneProxies(env);
    const over = proxies > BUNDLED_LICENSE_PROXIES;
    report(
      ['mesh', 'global', 'selfHosted', 'cluster'],
      `the global control plane runs on the licence bundled with Kong Mesh (${BUNDLED_LICENSE_PROXIES} data plane proxies, 30 days)` +
        `${over ? `, and the environment runs ${proxies}: proxies beyond the limit are refused` : ''}`,
      'create a Secret with the licence in the control-plane namespace and declare it as mesh.license',
    );
  },
};

/**
 * A zone chart renders a cluster-scoped GatewayClass when the cluster serves the Gateway API; an
 * AppProject that does not allow it makes Argo CD refuse the whole sync.
 */
export const GATEWAY_CLASS_REFUSED: Rule = {
  code: 'MF1007',
  level: 'error',
  title: 'zone control plane renders a GatewayClass its AppProject refuses',
  upstream: 'kumahq/kuma v2.14.3 deployments/charts/kuma/templates/gateway-class.yaml; argoproj/argo-cd AppProject clusterResourceWhitelist',
  check({ env, objects }, report) {
    const mesh = kumaOf(env);
    if (mesh === undefined || !gatewayClassRendered(mesh)) {
      return;
    }
    const project = objects.find((o) => o.object.kind === 'AppProject' && field(o.object, 'metadata', 'name') === env.name);
    if (project === undefined) {
      return;
    }
    const allowed = (field(project.object, 'spec', 'clusterResourceWhitelist') as { group: string; kind: string }[] | undefined) ?? [];
    if (!allowed.some((k) => (k.group === 'gateway.networking.k8s.io' || k.group === '*') && (k.kind === 'GatewayClass' || k.kind === '*'))) {
      report(
        ['mesh', 'zones'],
        `zone control planes of ${mesh.chart.name} ${chartVersion(mesh)} create a GatewayClass on clusters that serve the Gateway API, and the AppProject ${env.name} does not allow it: Argo CD refuses the sync`,
        'allow gateway.networking.k8s.io/GatewayClass in the AppProject',
      );
    }
  },
};

/**
 * Konnect's global control plane runs 2.6+, which creates no `route-all-<mesh>` for a new mesh;
 * a 2.5 zone gives an outbound without a TrafficRoute no route, so every call fails.
 */
export const NO_ROUTE_ALL: Rule = {
  code: 'MF1008',
  level: 'error',
  title: 'legacy mesh on Konnect without a route-all TrafficRoute',
  upstream:
    'kumahq/kuma release-2.5 pkg/xds/topology/outbound.go (outbounds without a TrafficRoute get no route); UPGRADE.md "Upgrade to 2.6.x" (no default policies for new meshes)',
  check({ env, objects }, report) {
    const mesh = kumaOf(env);
    if (mesh === undefined || mesh.policies !== 'legacy' || mesh.global.kind !== 'konnect' || objects.length === 0) {
      return;
    }
    const routesAll = objects.some(
      (o) =>
        o.object.type === 'TrafficRoute' &&
        field(o.object, 'mesh') === mesh.meshName &&
        ((field(o.object, 'destinations') as unknown[] | undefined) ?? []).some((d) => field(d, 'match', 'kuma.io/service') === '*'),
    );
    if (!routesAll) {
      report(
        ['mesh', 'policies'],
        `the Konnect global control plane runs 2.6 or later and creates no route-all-${mesh.meshName} TrafficRoute for a new mesh, ` +
          `and ${mesh.flavor} ${mesh.version} zones give an outbound without a TrafficRoute no route: every call between services fails`,
        `apply a TrafficRoute route-all-${mesh.meshName} (meshflip renders one in dist/${env.name}/konnect/mesh.kumactl.yaml)`,
      );
    }
  },
};

/**
 * Zone control planes authenticate to the global with a control-plane token only in Kong Mesh:
 * Kuma's KDS server has no authentication, so a token Secret declared for Kuma is never read and
 * suggests a protection that does not exist.
 */
export const TOKEN_WITHOUT_AUTH: Rule = {
  code: 'MF1009',
  level: 'warning',
  title: 'zone token declared for open-source Kuma, which has no KDS authentication',
  upstream:
    'kumahq/kuma v2.14.3 pkg/config/multizone/kds.go (no authentication settings); pkg/kds/context/context.go (DefaultContext sets no ServerStreamInterceptors); ' +
    'pkg/kds/mux/client.go (the zone sends no token); Kong Mesh docs "Multi-zone authentication" (KMESH_MULTIZONE_ZONE_KDS_AUTH_CP_TOKEN_INLINE)',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh === undefined || mesh.flavor !== MeshFlavor.KUMA) {
      return;
    }
    mesh.zones.forEach((zone, index) => {
      const at: FieldPath = ['mesh', 'zones', index, 'tokenSecret', 'name'];
      if (env.source.has(at)) {
        report(
          at,
          `zone ${zone.name} declares the token Secret ${zone.tokenSecret.name}, but open-source Kuma has no control-plane token authentication: ` +
            'nothing reads the Secret, and the global control plane accepts any zone that reaches its KDS port',
          'remove tokenSecret; to authenticate zones, use Kong Mesh (flavor: kong-mesh), or restrict who can reach the KDS address',
        );
      }
    });
  },
};

/**
 * Data plane proxies send traffic through a ZoneEgress only when the Mesh sets
 * `routing.zoneEgress`, which the Mesh meshflip renders never does (and it renders no
 * ExternalService): a deployed ZoneEgress runs and takes resources, and carries nothing.
 */
export const UNUSED_ZONE_EGRESS: Rule = {
  code: 'MF1010',
  level: 'warning',
  title: 'ZoneEgress deployed where nothing routes through it',
  upstream:
    'kumahq/kuma v2.14.3 pkg/core/resources/apis/mesh/mesh_helpers.go (ZoneEgressEnabled reads the Mesh routing.zoneEgress); ' +
    'pkg/plugins/policies/core/xds/meshroute/endpoints.go, pkg/xds/context/mesh_context_builder.go (egress used only when it is set)',
  check({ env }, report) {
    const mesh = kumaOf(env);
    if (mesh === undefined) {
      return;
    }
    mesh.zones.forEach((zone, index) => {
      if (zone.egress) {
        report(
          ['mesh', 'zones', index, 'egress'],
          `zone ${zone.name} deploys a ZoneEgress, but the ${mesh.meshName} Mesh meshflip renders does not set routing.zoneEgress, ` +
            'and only then do data plane proxies send cross-zone or external traffic through it: it runs and carries nothing',
          'remove egress: true',
        );
      }
    });
  },
};

/** The rules of Kuma and Kong Mesh environments. */
export const KUMA_RULES: readonly Rule[] = [
  DENY_ALL_MESH,
  CERTIFICATE_CHURN,
  POLICIES_NEVER_PRUNED,
  KDS_UNVERIFIABLE,
  HOOKS_VANISH,
  NO_LICENSE,
  GATEWAY_CLASS_REFUSED,
  NO_ROUTE_ALL,
  TOKEN_WITHOUT_AUTH,
  UNUSED_ZONE_EGRESS,
];
