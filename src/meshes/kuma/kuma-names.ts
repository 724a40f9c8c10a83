import { KumaMeshSpec, PortSpec, ServiceSpec } from '../../model/spec';
import { Version } from '../../model/version';

// Names and version facts of Kuma that the readers, checks and rules share with the renderer
// (kuma-mesh.ts): here, so that reading dist/ back does not load the renderer and cdk8s.

/** The `kuma.io/service` of one port of a service on Kubernetes: `<name>_<namespace>_svc_<port>`. */
export function kumaServiceName(service: Pick<ServiceSpec, 'name' | 'namespace'>, port: Pick<PortSpec, 'port'>): string {
  return `${service.name}_${service.namespace}_svc_${port.port}`;
}

/** The service, namespace and port a `kuma.io/service` of a Kubernetes service names, or undefined. */
export function parseKumaServiceName(value: unknown): { name: string; namespace: string; port: number } | undefined {
  const match = typeof value === 'string' ? /^(.+)_([^_]+)_svc_(\d+)$/.exec(value) : null;
  return match === null ? undefined : { name: match[1], namespace: match[2], port: Number(match[3]) };
}

/**
 * Whether a zone chart renders its GatewayClass on clusters serving the Gateway API: from 2.7 on
 * unconditionally; before, only with experimental.gatewayAPI, which meshflip never sets
 * (kumahq/kuma deployments/charts/kuma/templates/gateway-class.yaml).
 */
export function gatewayClassRendered(mesh: KumaMeshSpec): boolean {
  return chartVersion(mesh).atLeast('2.7');
}

/** The version of the kuma chart the control planes are installed from (which sets their image). */
export function chartVersion(mesh: KumaMeshSpec): Version {
  return Version.parse(mesh.chart.version);
}

/** The Helm hook Job TTL became a value (`hooks.ttlSecondsAfterFinished`) in 2.12.9, 2.13.4 and 2.14.0; 2.12.0 to those hard-code 0. */
export function hookTtl(mesh: KumaMeshSpec): 'configurable' | 'zero' | 'none' {
  const v = chartVersion(mesh);
  if (!v.atLeast('2.12')) {
    return 'none';
  }
  if (v.atLeast('2.14') || (v.major === 2 && v.minor === 13 && v.atLeast('2.13.4')) || (v.major === 2 && v.minor === 12 && v.atLeast('2.12.9'))) {
    return 'configurable';
  }
  return v.major === 2 && (v.minor === 12 || v.minor === 13) ? 'zero' : 'configurable';
}

/** Whether kuma-cp can be told not to set the Mesh owner reference (kumahq/kuma#9794, 2.7.0). */
export function ownerReferenceSkippable(mesh: KumaMeshSpec): boolean {
  return chartVersion(mesh).atLeast('2.7');
}
