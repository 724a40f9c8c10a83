import { FieldPath } from './source-file';
import { EnvironmentSpec, isKuma } from './spec';
import { Problem } from './spec-error';

/**
 * Names meshflip builds from several input names, and the check that each one fits the limit of
 * the system that reads it. The renderers build these names with the functions below, so the check
 * and the rendered name cannot drift apart.
 */

/**
 * The longest Argo CD Application name. The API server takes a DNS-1123 subdomain (253), but Argo
 * CD writes the Application name into the `app.kubernetes.io/instance` label of every object it
 * tracks by label (the default before Argo CD 3.0, and still written by `annotation+label`), and a
 * label value has at most 63 characters (k8s.io/apimachinery `validation.IsValidLabelValue`,
 * `LabelValueMaxLength`).
 *
 * @see https://argo-cd.readthedocs.io/en/stable/user-guide/resource_tracking/
 */
export const APPLICATION_NAME_MAX = 63;

/**
 * The longest name of an object whose name must be a DNS-1123 label: Services (k8s.io/kubernetes
 * pkg/apis/core/validation `ValidateServiceName` = `apimachineryvalidation.NameIsDNS1035Label`) and
 * Namespaces (`ValidateNamespaceName` = `NameIsDNSLabel`), `validation.DNS1123LabelMaxLength`.
 */
export const DNS_LABEL_MAX = 63;

/** The Kubernetes target (Argo CD Application folder) of a Kuma zone. */
export function zoneTargetName(zone: string): string {
  return `zone-${zone}`;
}

/** The Argo CD Application that applies one target folder of an environment. */
export function targetApplicationName(env: string, target: string): string {
  return `${env}-${target}`;
}

/** The Argo CD Application that installs the Helm chart of a Kuma zone control plane. */
export function zoneControlPlaneApplicationName(env: string, zone: string): string {
  return `${env}-${zone}-control-plane`;
}

/** The VirtualService that routes the ingress gateway's host. */
export function ingressVirtualServiceName(gateway: string): string {
  return `${gateway}-ingress`;
}

/** A legacy Kuma policy of one port of a service with several HTTP ports. */
export function legacyPortPolicyName(service: string, port: number, suffix: string): string {
  return `${service}-${port}-${suffix}`;
}

/** The longest suffix of a legacy per-port policy name (`CircuitBreaker`). */
const LONGEST_LEGACY_SUFFIX = 'circuit-breaker';

/**
 * Problems for every derived name of `env` that exceeds its limit, each at the input field that
 * makes it long: the longer of the names it is built from.
 */
export function derivedNameProblems(env: EnvironmentSpec): Problem[] {
  const problems: Problem[] = [];
  const file = env.source;
  const tooLong = (name: string, max: number, what: string, at: FieldPath, hint: string) => {
    if (name.length > max) {
      problems.push(file.problem(at, `makes the ${what} ${name} ${name.length} characters long, over the limit of ${max}`, { hint }));
    }
  };
  const shorten = (field: string) => `shorten the environment name or the ${field}: together they must leave room for the suffix`;
  if (isKuma(env.mesh)) {
    env.mesh.zones.forEach((zone, index) => {
      const at: FieldPath = ['mesh', 'zones', index, 'name'];
      const hint = `${shorten('zone name')} (Argo CD writes an Application's name into the app.kubernetes.io/instance label)`;
      // The zone's control-plane Application has the longer of its two names; one problem per zone.
      const longest = [zoneControlPlaneApplicationName(env.name, zone.name), targetApplicationName(env.name, zoneTargetName(zone.name))].sort(
        (a, b) => b.length - a.length,
      )[0];
      tooLong(longest, APPLICATION_NAME_MAX, 'Argo CD Application name', at, hint);
    });
    if (env.mesh.policies === 'legacy') {
      for (const service of env.services) {
        // One legacy policy per port once a service has several (kuma.ts addLegacyPolicies).
        for (const [index, port] of (service.ports.length > 1 ? service.ports : []).entries()) {
          const name = legacyPortPolicyName(service.name, port.port, LONGEST_LEGACY_SUFFIX);
          if (name.length > DNS_LABEL_MAX) {
            problems.push(
              service.definedIn.file.problem(
                [...service.definedIn.path, 'ports', index, 'port'],
                `makes the legacy CircuitBreaker name ${name} ${name.length} characters long, over the limit of ${DNS_LABEL_MAX} meshflip keeps object names to (a DNS-1123 label)`,
                { hint: 'shorten the service name: a service with several ports gets one legacy policy per port' },
              ),
            );
          }
        }
      }
    }
  } else if (env.mesh.ingress !== undefined) {
    tooLong(
      ingressVirtualServiceName(env.mesh.ingress.gateway),
      DNS_LABEL_MAX,
      'VirtualService name',
      ['mesh', 'ingress', 'gateway'],
      'shorten the gateway name to at most 55 characters',
    );
  }
  return problems;
}
