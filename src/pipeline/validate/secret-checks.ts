import { RenderedObject } from '../../meshes/effective-routing';
import { describeObject, Finding } from '../../meshes/findings';
import { fingerprint, redact } from '../../model/credentials';
import { Leaf, pathOf, ScanItem, scanStrings, stringsOf } from '../../model/secret-scan';
import { formatPath } from '../../model/source-file';

/**
 * The second line of defence: the same secret scan over every string of the rendered objects, so
 * that a credential put together by a renderer, or written into dist/ by hand, is caught before it
 * is committed. Synth runs it on what it is about to write, validate on dist/ as it is.
 *
 * The rules about names apply to container env entries only: elsewhere in rendered objects names
 * are those of the upstream formats (a Kuma Helm value `secrets: [{Secret: <name>}]`, the
 * annotation `kuma.io/service-account-token-volume`), not the user's, and say nothing about the value.
 *
 * @param allowedFingerprints secrets that `allowedSecrets` allows in the input
 */
export async function checkRenderedSecrets(objects: readonly RenderedObject[], allowedFingerprints: ReadonlySet<string>): Promise<Finding[]> {
  const items: ScanItem[] = [];
  const places: { at: RenderedObject; leaf: Leaf }[] = [];
  for (const o of objects) {
    for (const leaf of stringsOf(o.object)) {
      const env = leaf.at.segment === 'value' && leaf.at.up?.up?.segment === 'env';
      items.push({ value: leaf.value, name: leaf.name, names: env });
      places.push({ at: o, leaf });
    }
  }
  const findings: Finding[] = [];
  (await scanStrings(items)).forEach((detections, i) => {
    for (const d of detections) {
      if (allowedFingerprints.has(fingerprint(d.secret))) {
        continue;
      }
      const { at, leaf } = places[i];
      const field = formatPath(pathOf(leaf));
      findings.push({
        at,
        severity: 'error',
        message:
          `${describeObject(at.object)} ${field} holds what looks like ${d.what}, got ${redact(d.secret)}: dist/ is committed to git; ` +
          'keep credentials in Secrets created in the cluster and reference them (secretKeyRef)',
      });
    }
  });
  return findings;
}
