import { ManualApproval, RenderedObject, str } from '../../meshes/effective-routing';
import { compareStrings } from '../../model/spec-error';

/**
 * The Argo CD Application that syncs a dist/ file of an environment: `<env>/<folder>/x.yaml` is
 * synced by `<env>-<folder>`, as the rendered Applications name their paths.
 */
export function applicationOf(env: string, file: string): string {
  const folder = file.split('/').slice(0, -1).join('/');
  return folder.startsWith(`${env}/`) ? `${env}-${folder.slice(env.length + 1)}` : folder;
}

/**
 * The operator Subscriptions that wait for a person: with `installPlanApproval: Manual`, OLM
 * creates each InstallPlan (the first install included) with `spec.approved: false` and does
 * nothing until someone sets it to true (operator-framework/operator-lifecycle-manager
 * pkg/controller/operators/catalog/operator.go; api InstallPlanSpec.Approved). Argo CD cannot
 * approve it: its Subscription health check reports the wait as Progressing ("waiting for
 * approval"), and from 3.5 an upgrade waiting for approval as Healthy, so nothing in Argo CD
 * stays red. Sorted by Application, namespace and name.
 */
export function manualApprovals(env: string, objects: readonly RenderedObject[]): ManualApproval[] {
  const out: ManualApproval[] = [];
  for (const { file, object } of objects) {
    if (
      object.kind !== 'Subscription' ||
      !(str(object, 'apiVersion') ?? '').startsWith('operators.coreos.com/') ||
      str(object, 'spec', 'installPlanApproval') !== 'Manual'
    ) {
      continue;
    }
    const name = str(object, 'metadata', 'name') ?? '';
    const namespace = str(object, 'metadata', 'namespace') ?? 'default';
    const startingCSV = str(object, 'spec', 'startingCSV');
    out.push({
      subscription: name,
      namespace,
      operator: str(object, 'spec', 'name') ?? name,
      application: applicationOf(env, file),
      ...(startingCSV === undefined ? {} : { startingCSV }),
    });
  }
  return out.sort(
    (a, b) =>
      compareStrings(a.application, b.application) || compareStrings(a.namespace, b.namespace) || compareStrings(a.subscription, b.subscription),
  );
}

/**
 * The command that approves a Subscription's pending InstallPlan: OLM names the InstallPlan
 * itself (`install-xxxxx`) and records it in the Subscription's `status.installPlanRef`.
 */
export function approveCommand(a: Pick<ManualApproval, 'subscription' | 'namespace'>): string {
  return (
    `oc patch installplan "$(oc get subscription ${a.subscription} -n ${a.namespace} -o jsonpath='{.status.installPlanRef.name}')" ` +
    `-n ${a.namespace} --type merge -p '{"spec":{"approved":true}}'`
  );
}
