import { Rule } from './rules';
import { isKuma } from '../model/spec';

/**
 * Kuma 2.6 stopped creating the allow-all TrafficPermission for a new Mesh, and meshflip's meshes
 * always have mTLS on: without a MeshTrafficPermission every inbound request is refused by RBAC.
 */
export const DENY_ALL_MESH: Rule = {
  code: 'MF1001',
  level: 'error',
  title: 'mTLS mesh without traffic permissions denies everything',
  upstream: 'kumahq/kuma v2.14.3 pkg/plugins/policies/meshtrafficpermission/plugin/v1alpha1/plugin.go (denyRules); UPGRADE.md "Upgrade to 2.6.x"',
  check({ env }, report) {
    if (isKuma(env.mesh) && env.mesh.version.atLeast('2.6') && !env.trafficPermissions) {
      report(['trafficPermissions'], `on ${env.mesh.flavor} ${env.mesh.version} a mesh with mTLS and no MeshTrafficPermission refuses every request (no allow-all policy is created since 2.6)`,
        'remove trafficPermissions: false, so that meshflip renders a permission for each declared call');
    }
  },
};

/** The rules of Kuma and Kong Mesh environments. */
export const KUMA_RULES: readonly Rule[] = [DENY_ALL_MESH];
