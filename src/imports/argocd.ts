import { ApiObjectMetadata } from 'cdk8s';
import { PlainApiObject } from './plain-api-object';
import { Construct } from 'constructs';

/**
 * Hand-written typed classes for the Argo CD resources meshflip renders (argoproj.io/v1alpha1).
 *
 * @see https://argo-cd.readthedocs.io/en/stable/operator-manual/declarative-setup/
 */

export interface ApplicationSource {
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly path?: string;
  readonly chart?: string;
  readonly directory?: { readonly recurse?: boolean; readonly include?: string; readonly exclude?: string };
  readonly helm?: { readonly releaseName: string; readonly valuesObject?: Record<string, unknown>; readonly values?: string };
}

export interface ApplicationSpec {
  readonly project: string;
  readonly source: ApplicationSource;
  readonly destination: { readonly server: string; readonly namespace?: string };
  readonly syncPolicy: {
    /** `enabled` from Argo CD 3.1 (`SyncPolicyAutomated.Enabled`). */
    readonly automated?: { readonly enabled?: boolean; readonly prune: boolean; readonly selfHeal: boolean };
    readonly syncOptions?: readonly string[];
    readonly retry?: RetryStrategy;
  };
  readonly ignoreDifferences?: readonly ResourceIgnoreDifferences[];
}

/** `spec.syncPolicy.retry` (argoproj/argo-cd `types.go` `RetryStrategy`). */
export interface RetryStrategy {
  readonly limit: number;
  readonly backoff: { readonly duration: string; readonly factor: number; readonly maxDuration: string };
  /** Argo CD 3.2+: a retry syncs the newest revision instead of the failed one. */
  readonly refresh?: boolean;
}

/** One entry of `spec.ignoreDifferences` (argoproj/argo-cd `types.go` `ResourceIgnoreDifferences`). */
export interface ResourceIgnoreDifferences {
  readonly group: string;
  readonly kind: string;
  readonly jsonPointers?: readonly string[];
  readonly jqPathExpressions?: readonly string[];
}

export class Application extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: ApplicationSpec }) {
    super(scope, id, { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...props });
  }
}

export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** The API group of an apiVersion, as a `GroupKind` names it (`''` for the core group). */
export function apiGroupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
}

export interface AppProjectSpec {
  readonly description?: string;
  readonly sourceRepos: readonly string[];
  readonly destinations: readonly { readonly server: string; readonly namespace: string }[];
  readonly clusterResourceWhitelist: readonly GroupKind[];
  readonly namespaceResourceWhitelist?: readonly GroupKind[];
  /** Warns on objects in the destination namespaces that no Application owns (`OrphanedResourcesMonitorSettings`). */
  readonly orphanedResources?: {
    readonly warn: boolean;
    readonly ignore?: readonly { readonly group: string; readonly kind: string; readonly name?: string }[];
  };
}

export class AppProject extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: AppProjectSpec }) {
    super(scope, id, { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', ...props });
  }
}
