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
      });
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
