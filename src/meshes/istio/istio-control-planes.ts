import { MAISTRA_IGNORE_NAMESPACE, REVISION_LABEL } from './istio-names';
import { field, list, NamespaceControlPlane, RenderedObject, str } from '../effective-routing';
import { compareStrings } from '../../model/spec-error';

type Labels = Record<string, string>;

/**
 * Which control plane injects the sidecars of each mesh namespace while an OpenShift Service Mesh
 * 2.6 ServiceMeshControlPlane and a 3.x `Istio` run side by side, read from the rendered objects;
 * empty unless both are rendered.
 *
 * - 2.6 (MultiTenant) injects in the namespaces of its member roll, unless the namespace carries
 *   `maistra.io/ignore-namespace: "true"` (sail-operator docs/ossm/ossm2-migration/multi-tenancy).
 * - 3.x injects where `istio.io/rev` names its active revision (`<name>`, InPlace; `<name>-<version
 *   with dashes>`, RevisionBased: sail-operator controllers/istio/istio_controller.go
 *   getActiveRevisionName), or where `istio-injection: enabled` is set and the revision or a tag
 *   is `default` (istio/istio manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml).
 */
export function readControlPlanes(objects: readonly RenderedObject[]): NamespaceControlPlane[] {
  const ofKind = (kind: string) => objects.map((o) => o.object).filter((o) => o.kind === kind);
  const [smcp] = ofKind('ServiceMeshControlPlane');
  const [istio] = ofKind('Istio');
  if (smcp === undefined || istio === undefined) {
    return [];
  }
  const members = new Set(ofKind('ServiceMeshMemberRoll').flatMap((r) => list(r, 'spec', 'members').map(String)));
  const name = str(istio, 'metadata', 'name') ?? 'default';
  const version = str(istio, 'spec', 'version') ?? '';
  const revision = str(istio, 'spec', 'updateStrategy', 'type') === 'RevisionBased' ? `${name}-${version.replace(/\./g, '-')}` : name;
  const defaultTag = revision === 'default' || ofKind('IstioRevisionTag').some((t) => str(t, 'metadata', 'name') === 'default');
  const selectors = list(istio, 'spec', 'values', 'meshConfig', 'discoverySelectors') as { matchLabels?: Labels }[];
  const discovered = (labels: Labels) =>
    selectors.length === 0 || selectors.some((s) => Object.entries(s.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
  const old = `ServiceMeshControlPlane ${str(smcp, 'metadata', 'namespace')}/${str(smcp, 'metadata', 'name')} (${str(smcp, 'spec', 'version')})`;
  const next = `Istio ${name} (revision ${revision}, ${version})`;
  const out: NamespaceControlPlane[] = [];
  for (const ns of ofKind('Namespace')) {
    const namespace = str(ns, 'metadata', 'name') ?? '';
    const labels = (field(ns, 'metadata', 'labels') ?? {}) as Labels;
    const member = members.has(namespace);
    if (!member && !discovered(labels)) {
      continue;
    }
    const ignored = labels[MAISTRA_IGNORE_NAMESPACE] === 'true';
    const byRevision = labels[REVISION_LABEL] === revision;
    const byDefault = labels['istio-injection'] === 'enabled' && defaultTag;
    if (member && !ignored) {
      out.push({
        namespace,
        servedBy: old,
        because: `a member of its member roll${byRevision || byDefault ? '; also labelled for 3.x, which 2.6 would inject first' : ''}`,
      });
    } else if (byRevision || byDefault) {
      out.push({
        namespace,
        servedBy: next,
        because: `${byRevision ? `${REVISION_LABEL}: ${revision}` : 'istio-injection: enabled'}${ignored ? `, and ${MAISTRA_IGNORE_NAMESPACE} keeps 2.6 out` : ''}`,
      });
    } else if (discovered(labels) && !member) {
      continue;
    } else {
      out.push({
        namespace,
        servedBy: 'none',
        because: `${MAISTRA_IGNORE_NAMESPACE} keeps 2.6 out and no 3.x injection label is set: new pods get no sidecar`,
      });
    }
  }
  return out.sort((a, b) => compareStrings(a.namespace, b.namespace));
}
