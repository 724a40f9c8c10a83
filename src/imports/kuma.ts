import { ApiObjectMetadata } from 'cdk8s';
import { PlainApiObject } from './plain-api-object';
import { Construct } from 'constructs';

/**
 * Hand-written typed classes for the Kuma / Kong Mesh custom resources meshflip renders
 * (kuma.io/v1alpha1, Kuma 2.x), covering the fields meshflip uses.
 *
 * @see https://kuma.io/docs/latest/policies/introduction/
 */

export const KUMA_API_VERSION = 'kuma.io/v1alpha1';

/** A targetRef of a targetRef policy. */
export interface TargetRef {
  readonly kind: 'Mesh' | 'MeshSubset' | 'MeshService' | 'MeshServiceSubset' | 'Dataplane';
  readonly name?: string;
  readonly namespace?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
}

/** @see https://kuma.io/docs/latest/policies/meshhttproute/ */
export interface MeshHTTPRouteSpec {
  readonly targetRef: TargetRef;
  readonly to: readonly {
    readonly targetRef: TargetRef;
    readonly rules: readonly {
      readonly matches: readonly {
        readonly path?: { readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression'; readonly value: string };
        readonly headers?: readonly {
          readonly type: 'Exact' | 'Present' | 'RegularExpression' | 'Absent' | 'Prefix';
          readonly name: string;
          readonly value?: string;
        }[];
      }[];
      readonly default: {
        readonly backendRefs: readonly {
          readonly kind: 'MeshService' | 'MeshServiceSubset';
          readonly name: string;
          readonly tags?: Readonly<Record<string, string>>;
          readonly weight?: number;
        }[];
      };
    }[];
  }[];
}

export interface FaultHttp {
  readonly delay?: { readonly value: string; readonly percentage: number | string };
  readonly abort?: { readonly httpStatus: number; readonly percentage: number | string };
}

/** @see https://kuma.io/docs/latest/policies/meshfaultinjection/ */
export interface MeshFaultInjectionSpec {
  readonly targetRef: TargetRef;
  readonly from: readonly { readonly targetRef: TargetRef; readonly default: { readonly http: readonly FaultHttp[] } }[];
}

/** @see https://kuma.io/docs/latest/policies/meshcircuitbreaker/ */
export interface MeshCircuitBreakerSpec {
  readonly targetRef: TargetRef;
  readonly to: readonly {
    readonly targetRef: TargetRef;
    readonly default: {
      readonly connectionLimits?: {
        readonly maxConnections?: number;
        readonly maxPendingRequests?: number;
        readonly maxRequests?: number;
        readonly maxRetries?: number;
      };
      readonly outlierDetection?: {
        readonly disabled: boolean;
        readonly interval?: string;
        readonly baseEjectionTime?: string;
        readonly maxEjectionPercent?: number;
        readonly detectors: { readonly totalFailures: { readonly consecutive: number } };
      };
    };
  }[];
}

/** @see https://kuma.io/docs/latest/policies/meshtimeout/ */
export interface MeshTimeoutSpec {
  readonly targetRef: TargetRef;
  readonly to: readonly {
    readonly targetRef: TargetRef;
    readonly default: { readonly connectionTimeout?: string; readonly idleTimeout?: string; readonly http?: { readonly requestTimeout?: string } };
  }[];
}

/** @see https://kuma.io/docs/latest/policies/meshretry/ */
export interface MeshRetrySpec {
  readonly targetRef: TargetRef;
  readonly to: readonly {
    readonly targetRef: TargetRef;
    readonly default: { readonly http: { readonly numRetries: number; readonly perTryTimeout?: string; readonly retryOn: readonly string[] } };
  }[];
}

/** @see https://kuma.io/docs/latest/policies/meshtrafficpermission/ */
export interface MeshTrafficPermissionSpec {
  readonly targetRef: TargetRef;
  readonly from: readonly { readonly targetRef: TargetRef; readonly default: { readonly action: 'Allow' | 'Deny' } }[];
}

/** The spec of the Mesh resource (the protobuf `Mesh` message). */
export interface MeshSpec {
  readonly mtls: {
    readonly enabledBackend: string;
    readonly backends: readonly {
      readonly name: string;
      readonly type: 'builtin';
      readonly dpCert: { readonly rotation: { readonly expiration: string } };
      readonly conf: { readonly caCert: { readonly RSAbits: number; readonly expiration: string } };
    }[];
  };
}

/** A selector of the legacy source/destination policies. */
export interface LegacySelector {
  readonly match: Readonly<Record<string, string>>;
}

/** The common shape of the legacy (source/destination) policies. */
export interface LegacyPolicySpec<Conf> {
  readonly sources: readonly LegacySelector[];
  readonly destinations: readonly LegacySelector[];
  readonly conf?: Conf;
}

export interface TrafficRouteConf {
  readonly split?: readonly { readonly weight: number; readonly destination: Readonly<Record<string, string>> }[];
  readonly http?: readonly {
    readonly match: { readonly headers?: Readonly<Record<string, { readonly exact: string }>> };
    readonly split: readonly { readonly weight: number; readonly destination: Readonly<Record<string, string>> }[];
  }[];
}

export interface FaultInjectionConf {
  readonly delay?: { readonly percentage: number; readonly value: string };
  readonly abort?: { readonly percentage: number; readonly httpStatus: number };
}

export interface CircuitBreakerConf {
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
  readonly detectors?: { readonly totalErrors: { readonly consecutive: number } };
  readonly thresholds?: {
    readonly maxConnections?: number;
    readonly maxPendingRequests?: number;
    readonly maxRequests?: number;
    readonly maxRetries?: number;
  };
}

export interface TimeoutConf {
  readonly connectTimeout?: string;
  readonly http?: { readonly requestTimeout?: string; readonly idleTimeout?: string };
  readonly tcp?: { readonly idleTimeout?: string };
}

export interface RetryConf {
  readonly http: { readonly numRetries: number; readonly perTryTimeout?: string; readonly retriableStatusCodes?: readonly number[] };
}

/** The kinds meshflip renders, by name, with whether they are legacy (cluster-scoped, global-only) policies. */
export const KUMA_KINDS = {
  Mesh: { legacy: true },
  TrafficRoute: { legacy: true },
  FaultInjection: { legacy: true },
  CircuitBreaker: { legacy: true },
  Timeout: { legacy: true },
  Retry: { legacy: true },
  TrafficPermission: { legacy: true },
  MeshHTTPRoute: { legacy: false },
  MeshFaultInjection: { legacy: false },
  MeshCircuitBreaker: { legacy: false },
  MeshTimeout: { legacy: false },
  MeshRetry: { legacy: false },
  MeshTrafficPermission: { legacy: false },
} as const;

export type KumaKind = keyof typeof KUMA_KINDS;

/** Props of a namespaced targetRef policy. */
export interface TargetRefPolicyProps<Spec> {
  readonly metadata: ApiObjectMetadata;
  readonly spec: Spec;
}

/** Props of a cluster-scoped legacy policy: `mesh` sits next to `spec`. */
export interface LegacyPolicyProps<Spec> {
  readonly metadata: ApiObjectMetadata;
  readonly mesh: string;
  readonly spec: Spec;
}

function targetRefPolicy<Spec>(kind: KumaKind) {
  return class extends PlainApiObject {
    public static readonly KIND = kind;
    constructor(scope: Construct, id: string, props: TargetRefPolicyProps<Spec>) {
      super(scope, id, { apiVersion: KUMA_API_VERSION, kind, ...props });
    }
  };
}

function legacyPolicy<Conf>(kind: KumaKind) {
  return class extends PlainApiObject {
    public static readonly KIND = kind;
    constructor(scope: Construct, id: string, props: LegacyPolicyProps<LegacyPolicySpec<Conf>>) {
      super(scope, id, { apiVersion: KUMA_API_VERSION, kind, ...props });
    }
  };
}

/** The Mesh resource (cluster-scoped, global control plane only). */
export class Mesh extends PlainApiObject {
  public static readonly KIND = 'Mesh';
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: MeshSpec }) {
    super(scope, id, { apiVersion: KUMA_API_VERSION, kind: 'Mesh', ...props });
  }
}

export const MeshHTTPRoute = targetRefPolicy<MeshHTTPRouteSpec>('MeshHTTPRoute');
export const MeshFaultInjection = targetRefPolicy<MeshFaultInjectionSpec>('MeshFaultInjection');
export const MeshCircuitBreaker = targetRefPolicy<MeshCircuitBreakerSpec>('MeshCircuitBreaker');
export const MeshTimeout = targetRefPolicy<MeshTimeoutSpec>('MeshTimeout');
export const MeshRetry = targetRefPolicy<MeshRetrySpec>('MeshRetry');
export const MeshTrafficPermission = targetRefPolicy<MeshTrafficPermissionSpec>('MeshTrafficPermission');

export const TrafficRoute = legacyPolicy<TrafficRouteConf>('TrafficRoute');
export const FaultInjection = legacyPolicy<FaultInjectionConf>('FaultInjection');
export const CircuitBreaker = legacyPolicy<CircuitBreakerConf>('CircuitBreaker');
export const Timeout = legacyPolicy<TimeoutConf>('Timeout');
export const Retry = legacyPolicy<RetryConf>('Retry');
export const TrafficPermission = legacyPolicy<never>('TrafficPermission');
