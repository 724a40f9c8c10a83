import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { schemaSets } from '../../src/validation/schema-sets';
import { crds, describeWithCrds } from '../util';

describeWithCrds('schemaSets of the upstream schemas', () => {
  test('loads istio/ for kubernetes and its OpenShift Service Mesh alternative for ossm', () => {
    // WHEN
    const sets = schemaSets(crds());
    // THEN
    expect(sets.kubernetes.map((p) => path.relative(crds(), p))).toEqual(['argocd', 'istio', 'kubernetes', 'kuma', 'maistra', 'olm', 'openshift']);
    expect(sets.ossm.map((p) => path.relative(crds(), p))).toEqual([
      'argocd',
      'kubernetes',
      'kuma',
      'maistra',
      'olm',
      'openshift',
      path.join('alternatives', 'ossm-2.5-istio'),
    ]);
    // OpenShift Service Mesh 3 serves upstream Istio's APIs: istio/ stays, the operators' CRDs are added
    expect(sets.ossm3.map((p) => path.relative(crds(), p))).toEqual([
      'argocd',
      'istio',
      'kubernetes',
      'kuma',
      'maistra',
      'olm',
      'openshift',
      path.join('alternatives', 'ossm-3'),
    ]);
  });
});

describe('schemaSets', () => {
  test('takes every top-level folder, ignoring files and hidden folders', () => {
    // GIVEN
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-sets-'));
    for (const dir of ['istio', 'gateway-api', '.cache', 'alternatives/ossm-2.5-istio']) {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
    }
    fs.writeFileSync(path.join(root, 'SOURCES.md'), '# sources\n');
    try {
      // WHEN
      const sets = schemaSets(root);
      // THEN
      expect(sets).toEqual({
        kubernetes: [path.join(root, 'gateway-api'), path.join(root, 'istio')],
        ossm: [path.join(root, 'gateway-api'), path.join(root, 'alternatives', 'ossm-2.5-istio')],
        // no alternatives/ossm-3 in this folder: the common folders alone
        ossm3: [path.join(root, 'gateway-api'), path.join(root, 'istio')],
      });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
