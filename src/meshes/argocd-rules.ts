import { Rule } from './rules';
import { ARGOCD_FEATURES, argoCdHas } from '../model/argocd-version';
import { isKuma } from '../model/spec';

/**
 * Before Argo CD 3.5 the built-in Subscription health check reports an upgrade waiting for
 * Manual approval as Progressing: the operators Application stays Progressing, and the root's
 * later waves (the control plane and workloads Applications) wait until someone approves, or the
 * sync timeout ends the operation.
 */
export const MANUAL_APPROVAL_BLOCKS_WAVES: Rule = {
  code: 'MF3001',
  level: 'warning',
  title: "Manual operator approval holds the root's later waves on an Argo CD before 3.5",
  upstream: 'argoproj/argo-cd resource_customizations/operators.coreos.com/Subscription/health.lua (#25923, v3.5.0)',
  check({ env }, report) {
    if (isKuma(env.mesh) || env.mesh.operators === undefined || argoCdHas(env.settings.argocdVersion, 'subscriptionManualUpgradeHealthy')) {
      return;
    }
    const manual = Object.entries(env.mesh.operators)
      .filter(([, op]) => op.enabled && op.approval === 'Manual')
      .map(([key]) => key);
    if (manual.length > 0) {
      report(
        { file: env.settings.file, path: ['argocd', 'version'] },
        `Argo CD ${env.settings.argocdVersion.text} shows an operator upgrade waiting for Manual approval as Progressing (${manual.join(', ')} of ${env.name}): the root's later waves wait until it is approved`,
        `approve each InstallPlan promptly (README: OpenShift Service Mesh), or run Argo CD ${ARGOCD_FEATURES.subscriptionManualUpgradeHealthy} or later and declare it`,
      );
    }
  },
};

/** The Argo CD rules, run for every environment. */
export const ARGOCD_RULES: readonly Rule[] = [MANUAL_APPROVAL_BLOCKS_WAVES];
