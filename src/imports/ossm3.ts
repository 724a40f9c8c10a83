import { ApiObjectMetadata } from 'cdk8s';
import { PlainApiObject } from './plain-api-object';
import { Construct } from 'constructs';

/**
 * Hand-written typed classes for the resources of OpenShift Service Mesh 3: the Sail operator's
 * control plane (sailoperator.io/v1, cluster-scoped), Kiali through its operator
 * (kiali.io/v1alpha1), and the Prometheus operator's monitors of OpenShift user-workload
 * monitoring (monitoring.coreos.com/v1). Only the fields meshflip renders.
 */

/** A label selector, as Istio's `meshConfig.discoverySelectors` and Kubernetes take it. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
}

/**
 * The Helm values of the Istio charts the Sail operator installs, where meshflip sets them.
 *
 * @see https://github.com/openshift-service-mesh/sail-operator/blob/v3.4.1/docs/api-reference/sailoperator.io.md
 */
export interface SailValues {
  readonly meshConfig?: {
    /** Namespaces istiod watches: only those whose labels match one selector are in the mesh. */
    readonly discoverySelectors?: readonly LabelSelector[];
    readonly extensionProviders?: readonly { readonly name: string; readonly opentelemetry: { readonly service: string; readonly port: number } }[];
  };
}

/** @see openshift-service-mesh/sail-operator v3.4.1 api/v1/istio_types.go (IstioSpec) */
export interface IstioSpec {
  readonly version: string;
  readonly namespace: string;
  readonly updateStrategy: {
    readonly type: 'InPlace' | 'RevisionBased';
    readonly inactiveRevisionDeletionGracePeriodSeconds?: number;
    readonly updateWorkloads?: boolean;
  };
  readonly values: SailValues;
}

/** The Istio control plane; cluster-scoped, named after its revision(s). */
export class Istio extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: IstioSpec }) {
    super(scope, id, { apiVersion: 'sailoperator.io/v1', kind: 'Istio', ...props });
  }
}

/** The Istio CNI node agent; cluster-scoped, one per cluster, named `default`. */
export class IstioCNI extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: { readonly version: string; readonly namespace: string } }) {
    super(scope, id, { apiVersion: 'sailoperator.io/v1', kind: 'IstioCNI', ...props });
  }
}

/** A stable name for a revision: the tag `default` serves the `istio-injection: enabled` namespace label. */
export class IstioRevisionTag extends PlainApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: { metadata: ApiObjectMetadata; spec: { readonly targetRef: { readonly kind: 'Istio' | 'IstioRevision'; readonly name: string } } },
  ) {
    super(scope, id, { apiVersion: 'sailoperator.io/v1', kind: 'IstioRevisionTag', ...props });
  }
}

/** @see kiali/kiali-operator v2.29.0 crd-docs/crd/kiali.io_kialis.yaml */
export interface KialiSpec {
  readonly istio_namespace: string;
  readonly deployment: { readonly cluster_wide_access: boolean; readonly discovery_selectors?: { readonly default: readonly LabelSelector[] } };
  readonly external_services: {
    readonly prometheus: {
      readonly auth: { readonly type: 'bearer'; readonly use_kiali_token: boolean };
      readonly thanos_proxy: { readonly enabled: boolean };
      readonly url: string;
    };
    readonly grafana: { readonly enabled: boolean };
    readonly tracing: { readonly enabled: boolean };
  };
}

export class Kiali extends PlainApiObject {
  constructor(scope: Construct, id: string, props: { metadata: ApiObjectMetadata; spec: KialiSpec }) {
    super(scope, id, { apiVersion: 'kiali.io/v1alpha1', kind: 'Kiali', ...props });
  }
}

/** The OpenShift console plugin of Kiali. */
export class OSSMConsole extends PlainApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: { metadata: ApiObjectMetadata; spec: { readonly kiali: { readonly serviceName: string; readonly serviceNamespace: string } } },
  ) {
    super(scope, id, { apiVersion: 'kiali.io/v1alpha1', kind: 'OSSMConsole', ...props });
  }
}

/** An endpoint of a ServiceMonitor or PodMonitor. */
export interface MonitorEndpoint {
  readonly port?: string;
  readonly path?: string;
  readonly interval: string;
  readonly relabelings?: readonly Record<string, unknown>[];
}

/** @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor */
export class ServiceMonitor extends PlainApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: ApiObjectMetadata;
      spec: { readonly selector: LabelSelector; readonly targetLabels?: readonly string[]; readonly endpoints: readonly MonitorEndpoint[] };
    },
  ) {
    super(scope, id, { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', ...props });
  }
}

/** @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PodMonitor */
export class PodMonitor extends PlainApiObject {
  constructor(
    scope: Construct,
    id: string,
    props: {
      metadata: ApiObjectMetadata;
      spec: {
        readonly selector: { readonly matchExpressions: readonly { readonly key: string; readonly operator: 'DoesNotExist' | 'Exists' }[] };
        readonly podMetricsEndpoints: readonly MonitorEndpoint[];
      };
    },
  ) {
    super(scope, id, { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', ...props });
  }
}
