import { Version } from './version';

/**
 * The Argo CD features meshflip's rendering depends on, and the first release that has each. The
 * version comes from `argocd.version` in environments/meshflip.yaml; what a release lacks is
 * left out or worked around (README: "Minimum Argo CD versions"). Each entry names the upstream
 * code that reads the field.
 */
export const ARGOCD_FEATURES = {
  /**
   * `spec.source.helm.valuesObject` (argoproj/argo-cd `pkg/apis/application/v1alpha1/types.go`
   * `ApplicationSourceHelm.ValuesObject`, #13157 era) and `helm.sh/resource-policy: keep` honoured on
   * deletion (`controller/appcontroller.go` `shouldBeDeleted`). The oldest version meshflip supports.
   */
  valuesObject: '2.8',
  /**
   * `controller.sync.timeout.seconds` in argocd-cmd-params-cm: an operation running longer is
   * terminated (`controller/appcontroller.go` `processRequestedAppOperation`, #20816).
   */
  syncTimeout: '2.14',
  /**
   * `spec.syncPolicy.automated.enabled` (`types.go` `SyncPolicyAutomated.Enabled`, #21999): pausing
   * a child flips one field the root can ignore, while prune and self-heal still follow dist/.
   */
  automatedEnabled: '3.1',
  /**
   * `spec.syncPolicy.retry.refresh` (`types.go` `RetryStrategy.Refresh`, #23038): a retry syncs the
   * newest commit instead of the one that failed.
   */
  retryRefresh: '3.2',
  /**
   * The built-in `operators.coreos.com/Subscription` health check treats an upgrade waiting for
   * Manual approval as Healthy (`resource_customizations/operators.coreos.com/Subscription/health.lua`,
   * #25923); before, every pending upgrade is Progressing.
   */
  subscriptionManualUpgradeHealthy: '3.5',
} as const;

export type ArgoCdFeature = keyof typeof ARGOCD_FEATURES;

/** The oldest Argo CD meshflip renders for. */
export const ARGOCD_MIN_VERSION = ARGOCD_FEATURES.valuesObject;

/** Whether `version` has `feature`. */
export function argoCdHas(version: Version, feature: ArgoCdFeature): boolean {
  return version.atLeast(ARGOCD_FEATURES[feature]);
}
