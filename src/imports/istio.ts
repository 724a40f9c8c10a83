import { ApiObjectMetadata } from 'cdk8s';
import { PlainApiObject } from './plain-api-object';
import { Construct } from 'constructs';

/**
 * Hand-written typed classes for the Istio resources meshflip renders. The API version is chosen
 * by the mesh: `v1` on Istio 1.22 and later, `v1beta1` on OpenShift Service Mesh 2.x, which
 * serves networking.istio.io only as v1alpha3 / v1beta1.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/
 */

export type IstioApiVersion = 'v1' | 'v1beta1';

export interface Destination {
  readonly host: string;
  readonly subset?: string;
  readonly port?: { readonly number: number };
}

export interface HTTPRoute {
  readonly name?: string;
  readonly match?: readonly {
    readonly uri?: { readonly exact?: string; readonly prefix?: string };
    readonly headers?: Readonly<Record<string, { readonly exact: string }>>;
    readonly port?: number;
    /** Only requests from sidecars of pods with these labels (HTTPMatchRequest.sourceLabels). */
    readonly sourceLabels?: Readonly<Record<string, string>>;
  }[];
  readonly rewrite?: { readonly uri: string };
  readonly route: readonly { readonly destination: Destination; readonly weight?: number }[];
  readonly fault?: {
    readonly delay?: { readonly fixedDelay: string; readonly percentage: { readonly value: number } };
    readonly abort?: { readonly httpStatus: number; readonly percentage: { readonly value: number } };
  };
  readonly timeout?: string;
  readonly retries?: { readonly attempts: number; readonly perTryTimeout?: string; readonly retryOn?: string };
}

/** @see https://istio.io/latest/docs/reference/config/networking/virtual-service/ */
export interface VirtualServiceSpec {
  readonly hosts: readonly string[];
  readonly gateways?: readonly string[];
  readonly http: readonly HTTPRoute[];
}

export interface TrafficPolicy {
  readonly connectionPool?: {
    readonly tcp?: { readonly maxConnections?: number; readonly connectTimeout?: string };
    readonly http?: {
      readonly http1MaxPendingRequests?: number;
      readonly http2MaxRequests?: number;
      readonly maxRequestsPerConnection?: number;
      readonly maxRetries?: number;
      readonly idleTimeout?: string;
    };
  };
  readonly outlierDetection?: {
    readonly consecutive5xxErrors: number;
    readonly interval?: string;
    readonly baseEjectionTime?: string;
    readonly maxEjectionPercent?: number;
  };
}

/** @see https://istio.io/latest/docs/reference/config/networking/destination-rule/ */
export interface DestinationRuleSpec {
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets?: readonly { readonly name: string; readonly labels: Readonly<Record<string, string>> }[];
}

/** @see https://istio.io/latest/docs/reference/config/networking/gateway/ */
export interface GatewaySpec {
  readonly selector: Readonly<Record<string, string>>;
  readonly servers: readonly {
    readonly port: { readonly number: number; readonly name: string; readonly protocol: 'HTTP' | 'HTTPS' };
    readonly hosts: readonly string[];
  }[];
}

/** @see https://istio.io/latest/docs/reference/config/security/authorization-policy/ */
export interface AuthorizationPolicySpec {
  readonly selector: { readonly matchLabels: Readonly<Record<string, string>> };
  readonly action: 'ALLOW' | 'DENY';
  readonly rules?: readonly { readonly from: readonly { readonly source: { readonly principals: readonly string[] } }[] }[];
}

/** @see https://istio.io/latest/docs/reference/config/security/peer_authentication/ */
export interface PeerAuthenticationSpec {
  readonly mtls: { readonly mode: 'STRICT' | 'PERMISSIVE' };
}

/** @see https://istio.io/latest/docs/reference/config/telemetry/ */
export interface TelemetrySpec {
  readonly tracing: readonly { readonly providers: readonly { readonly name: string }[]; readonly randomSamplingPercentage: number }[];
}

interface IstioProps<Spec> {
  readonly apiVersion: IstioApiVersion;
  readonly metadata: ApiObjectMetadata;
  readonly spec: Spec;
}

function istioKind<Spec>(group: string, kind: string) {
  return class extends PlainApiObject {
    public static readonly GROUP = group;
    public static readonly KIND = kind;
    constructor(scope: Construct, id: string, props: IstioProps<Spec>) {
      super(scope, id, { apiVersion: `${group}/${props.apiVersion}`, kind, metadata: props.metadata, spec: props.spec });
    }
  };
}

export const VirtualService = istioKind<VirtualServiceSpec>('networking.istio.io', 'VirtualService');
export const DestinationRule = istioKind<DestinationRuleSpec>('networking.istio.io', 'DestinationRule');
export const Gateway = istioKind<GatewaySpec>('networking.istio.io', 'Gateway');
export const AuthorizationPolicy = istioKind<AuthorizationPolicySpec>('security.istio.io', 'AuthorizationPolicy');
export const PeerAuthentication = istioKind<PeerAuthenticationSpec>('security.istio.io', 'PeerAuthentication');
export const Telemetry = istioKind<TelemetrySpec>('telemetry.istio.io', 'Telemetry');
