import { RenderedObject } from '../../src/meshes/effective-routing';
import { checkKubernetesLimits } from '../../src/pipeline/validate/kubernetes-limits';

/**
 * The net under the model's checks: what the API server refuses for its own limits is never
 * written. Each limit is tested at its boundary.
 */

function at(object: Record<string, unknown>): RenderedObject {
  return { file: 'lab/zone-real/x.k8s.yaml', line: 2, object };
}

function messages(object: Record<string, unknown>): string[] {
  return checkKubernetesLimits([at(object)]).map((f) => f.message);
}

const configMap = (data: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'orders-imposters', namespace: 'shop' },
  data,
});

describe('ConfigMap data (k8s.io/kubernetes ValidateConfigMap: totalSize > MaxSecretSize, 1 MiB)', () => {
  test('takes exactly 1 MiB of values', () => {
    expect(messages(configMap({ 'a.json': 'x'.repeat(1024 * 1024 - 10), 'b.json': 'y'.repeat(10) }))).toEqual([]);
  });

  test('fails at one byte more, counting every value', () => {
    expect(messages(configMap({ 'a.json': 'x'.repeat(1024 * 1024 - 10), 'b.json': 'y'.repeat(11) }))).toEqual([
      'ConfigMap shop/orders-imposters data: is 1,048,577 bytes, over the limit of 1,048,576 (ValidateConfigMap, MaxSecretSize)',
    ]);
  });
});

describe('annotations (k8s.io/apimachinery ValidateAnnotations: TotalAnnotationSizeLimitB, 256 KiB)', () => {
  const pod = (annotations: Record<string, string>) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'orders', namespace: 'shop' },
    spec: { template: { metadata: { annotations } } },
  });

  test('takes keys and values of exactly 256 KiB on a pod template', () => {
    expect(messages(pod({ a: 'x'.repeat(256 * 1024 - 1) }))).toEqual([]);
  });

  test('fails at one byte more', () => {
    expect(messages(pod({ a: 'x'.repeat(256 * 1024) }))).toEqual([
      'Deployment shop/orders spec.template.metadata.annotations: are 262,145 bytes together, over the limit of 262,144 (ValidateAnnotations, TotalAnnotationSizeLimitB)',
    ]);
  });
});

describe('labels (k8s.io/apimachinery ValidateLabels: IsQualifiedName, IsValidLabelValue)', () => {
  const labelled = (labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'orders', namespace: 'shop', labels },
  });

  test('takes a value of 63 characters, a name part of 63 and a prefix of 253', () => {
    const prefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(prefix).toHaveLength(253);
    expect(messages(labelled({ [`${prefix}/${'n'.repeat(63)}`]: 'v'.repeat(63) }))).toEqual([]);
  });

  test('fails on a value of 64 characters', () => {
    expect(messages(labelled({ team: 'v'.repeat(64) }))).toEqual([
      'ServiceAccount shop/orders metadata.labels.team: must be a label value of at most 63 characters (ValidateLabels, IsValidLabelValue), got 64 characters',
    ]);
  });

  test('fails on a name part of 64 characters', () => {
    expect(messages(labelled({ ['n'.repeat(64)]: 'v' }))).toEqual([
      `ServiceAccount shop/orders metadata.labels: key "${'n'.repeat(64)}" is not a valid label key: its name must be at most 63 letters, digits, "-", "_" or "." that start and end with a letter or digit (ValidateLabels, IsQualifiedName)`,
    ]);
  });
});

describe('names (NameIsDNSLabel for Namespaces, NameIsDNS1035Label for Services, NameIsDNSSubdomain otherwise)', () => {
  test('takes a Namespace of 63 characters and a ConfigMap of 253', () => {
    expect(messages({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n'.repeat(63) } })).toEqual([]);
    expect(messages({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c'.repeat(253) } })).toEqual([]);
  });

  test('fails on a Namespace of 64 characters, a Service of 64 and a ConfigMap of 254', () => {
    expect(messages({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n'.repeat(64) } })).toEqual([
      `Namespace ${'n'.repeat(64)} metadata.name: must be a DNS-1123 label of at most 63 characters (IsDNS1123Label), got 64 characters`,
    ]);
    expect(messages({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's'.repeat(64), namespace: 'shop' } })).toEqual([
      `Service shop/${'s'.repeat(64)} metadata.name: must be a DNS-1035 label of at most 63 characters (IsDNS1035Label), got 64 characters`,
    ]);
    expect(messages({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c'.repeat(254) } })).toEqual([
      `ConfigMap ${'c'.repeat(254)} metadata.name: must be a DNS-1123 subdomain of at most 253 characters (IsDNS1123Subdomain), got 254 characters`,
    ]);
  });

  test('leaves kumactl documents alone: they are not Kubernetes objects', () => {
    expect(messages({ type: 'MeshHTTPRoute', name: 'x'.repeat(300), mesh: 'default' })).toEqual([]);
  });
});

describe('the AppProject description (Argo CD AppProject CRD: spec.description maxLength 255)', () => {
  const project = (description: string) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: 'lab', namespace: 'argocd' },
    spec: { description },
  });

  test('takes 255 characters and fails at 256', () => {
    expect(messages(project('d'.repeat(255)))).toEqual([]);
    expect(messages(project('d'.repeat(256)))).toEqual([
      "AppProject argocd/lab spec.description: is 256 characters, over the limit of 255 (the AppProject CRD's maxLength)",
    ]);
  });
});
