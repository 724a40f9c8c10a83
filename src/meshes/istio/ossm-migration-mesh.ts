import { MAISTRA_IGNORE_NAMESPACE, REVISION_LABEL } from './istio-names';
import { OpenShiftServiceMesh3 } from './ossm3-mesh';
import { MigrationSpec } from '../../model/spec';
import { PodMeshSettings } from '../mesh';

/**
 * The pod template annotation naming the control plane a workload's sidecar belongs to: its value
 * changes when the namespace moves, so the Deployment rolls and the new pods get the 3.x sidecar
 * (Red Hat's procedure restarts the workloads by hand: `oc rollout restart`).
 */
export const CONTROL_PLANE_ANNOTATION = 'meshflip.io/control-plane';

/**
 * OpenShift Service Mesh 2.6 moving to 3.x, side by side as Red Hat documents it ("Migrating from
 * Service Mesh 2 to Service Mesh 3"; sail-operator docs/ossm/ossm2-migration/multi-tenancy):
 *
 * - both operators; the 2.6 ServiceMeshControlPlane in the pre-migration shape (no addons, no
 *   gateways, no NetworkPolicies) and its member roll, which keeps every namespace until 2.6 is
 *   removed; the 3.x `Istio` and `IstioCNI` in the same control plane namespace (one mesh CA);
 * - the 3.x discoverySelectors match every mesh namespace, moved or not: a migrated sidecar must
 *   see the endpoints of the services still on 2.6 ("all data plane namespaces you are planning
 *   to migrate from 2.6 must be matched");
 * - a migrated namespace carries `istio.io/rev: <3.x revision>` and `maistra.io/ignore-namespace:
 *   "true"`, so the 2.6 injector leaves its pods to the 3.x one; the others carry neither;
 * - the ingress gateway is injected by the 3.x revision from the start (the 2.6 one deploys none).
 *
 * Routing, resilience and permissions stay in the v1beta1 APIs both control planes read.
 */
export class OpenShiftServiceMeshMigration extends OpenShiftServiceMesh3 {
  private get migration(): MigrationSpec {
    return this.mesh.migration!;
  }

  /** Whether `namespace` is served by the 3.x control plane (the gateway's always is). */
  public migrated(namespace: string): boolean {
    return (
      this.migration.migrated.includes(namespace) ||
      (namespace === this.mesh.gatewayNamespace && !this.env.services.some((s) => s.namespace === namespace))
    );
  }

  public override podSettings(namespace: string): PodMeshSettings {
    const controlPlane = this.migrated(namespace) ? `${this.mesh.sail!.name} (revision ${this.migration.revision})` : `${this.mesh.smcp!.name} (2.6)`;
    return { labels: {}, annotations: { 'sidecar.istio.io/inject': 'true', [CONTROL_PLANE_ANNOTATION]: controlPlane }, openshiftRestricted: true };
  }

  protected override meshLabels(namespace: string): Record<string, string> {
    const { key, value } = this.mesh.sail!.discoveryLabel;
    return this.migrated(namespace)
      ? { [key]: value, [REVISION_LABEL]: this.migration.revision, [MAISTRA_IGNORE_NAMESPACE]: 'true' }
      : { [key]: value };
  }
}
