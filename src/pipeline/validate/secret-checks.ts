import { RenderedObject } from '../../meshes/effective-routing';
import { describeObject, Finding } from '../../meshes/findings';
import { fingerprint, redact } from '../../model/credentials';
import { Leaf, pathOf, renderedScanItems, ScanItem, scanStrings, stringsOf } from '../../model/secret-scan';
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
  // The index of the first item of each object, and of each item among its object's strings: the
  // strings already found clean are not scanned again (`renderedScanItems`).
  const starts: number[] = [];
  const leafOf: number[] = [];
  for (const o of objects) {
    starts.push(items.length);
    renderedScanItems(o.object, items, leafOf);
  }
  const leaves = new Map<number, Leaf[]>();
  const findings: Finding[] = [];
  (await scanStrings(items)).forEach((detections, i) => {
    for (const d of detections) {
      if (allowedFingerprints.has(fingerprint(d.secret))) {
        continue;
      }
      const index = objectAt(starts, i);
      const at = objects[index];
      let objectLeaves = leaves.get(index);
      if (objectLeaves === undefined) {
        objectLeaves = stringsOf(at.object);
        leaves.set(index, objectLeaves);
      }
      const field = formatPath(pathOf(objectLeaves[leafOf[i]]));
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

/** The object item `i` belongs to: the last one whose first item is at or before it (objects without strings start where the next does). */
function objectAt(starts: readonly number[], i: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= i) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}
