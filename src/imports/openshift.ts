import { ApiObjectMetadata } from 'cdk8s';
import { PlainApiObject } from './plain-api-object';
import { Construct } from 'constructs';

/**
 * Hand-written typed classes for the OpenShift-side resources meshflip renders: OLM operators
 * (operators.coreos.com), OpenShift Service Mesh 2.x (maistra.io) and Routes (route.openshift.io).
 */

/** @see https://olm.operatorframework.io/docs/concepts/crds/subscription/ */
export interface SubscriptionSpec {
  readonly channel: string;
  readonly installPlanApproval: 'Automatic' | 'Manual';
  readonly name: string;
  readonly source: string;
  readonly sourceNamespace: string;
  readonly startingCSV?: string;
}

export class Subscription extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: SubscriptionSpec }) {
    super(scope, id, { apiVersion: 'operators.coreos.com/v1alpha1', kind: 'Subscription', ...props });
  }
}

/** An OperatorGroup; an empty spec selects all namespaces. */
export class OperatorGroup extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: { readonly targetNamespaces?: readonly string[] } }) {
    super(scope, id, { apiVersion: 'operators.coreos.com/v1', kind: 'OperatorGroup', ...props });
  }
}

/** @see https://docs.openshift.com/container-platform/4.15/service_mesh/v2x/ossm-reference-smcp.html */
export interface ServiceMeshControlPlaneSpec {
  readonly version: string;
  readonly mode: 'MultiTenant';
  readonly security: {
    readonly dataPlane: { readonly mtls: boolean; readonly automtls: boolean };
    readonly controlPlane: { readonly mtls: boolean };
    /** `Kubernetes` (first-party JWT, the `base` profile's default) or `ThirdParty` (a projected `istio-token`). */
    readonly identity: { readonly type: 'Kubernetes' | 'ThirdParty' };
    /** Off before a migration to OpenShift Service Mesh 3, which manages no NetworkPolicies. */
    readonly manageNetworkPolicy?: boolean;
  };
  readonly tracing: { readonly type: 'Jaeger' | 'None'; readonly sampling: number };
  readonly policy: { readonly type: 'Istiod' };
  readonly telemetry: { readonly type: 'Istiod' };
  readonly gateways: {
    /** false: the operator deploys no gateway at all. */
    readonly enabled?: boolean;
    readonly openshiftRoute: { readonly enabled: boolean };
    readonly ingress?: { readonly enabled: boolean; readonly routeConfig: { readonly enabled: boolean } };
    readonly egress?: { readonly enabled: boolean };
  };
  readonly addons: {
    readonly grafana: { readonly enabled: boolean };
    readonly kiali: { readonly enabled: boolean };
    readonly prometheus: { readonly enabled: boolean };
    readonly jaeger?: { readonly name: string; readonly install: { readonly storage: { readonly type: 'Memory' } } };
  };
}

export class ServiceMeshControlPlane extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: ServiceMeshControlPlaneSpec }) {
    super(scope, id, { apiVersion: 'maistra.io/v2', kind: 'ServiceMeshControlPlane', ...props });
  }
}

/** The member roll must be named `default` and live in the control plane namespace. */
export class ServiceMeshMemberRoll extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: { readonly members: readonly string[] } }) {
    super(scope, id, { apiVersion: 'maistra.io/v1', kind: 'ServiceMeshMemberRoll', ...props });
  }
}

/** @see https://docs.openshift.com/container-platform/4.15/networking/routes/route-configuration.html */
export interface RouteSpec {
  readonly host?: string;
  readonly to: { readonly kind: 'Service'; readonly name: string; readonly weight: number };
  readonly port: { readonly targetPort: string | number };
  readonly wildcardPolicy: 'None';
}

export class Route extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: RouteSpec }) {
    super(scope, id, { apiVersion: 'route.openshift.io/v1', kind: 'Route', ...props });
  }
}
