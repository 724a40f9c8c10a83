import { field, RenderedObject, str } from '../../meshes/effective-routing';
import { describeObject, Finding } from '../../meshes/findings';
import { formatBytes, MAX_CONFIGMAP_BYTES } from '../../model/limits';

/**
 * The limits the Kubernetes API server enforces on every object, checked over rendered objects
 * before anything is written (synth) and over dist/ as it is (validate). The model reports what it
 * can at the input field first; this is the net under it, so that no object the API server refuses
 * is ever written with exit 0.
 *
 * Each limit names the Go function of k8s.io/apimachinery or k8s.io/kubernetes it comes from.
 */

/** k8s.io/apimachinery pkg/util/validation `DNS1123LabelMaxLength`. */
const DNS1123_LABEL_MAX = 63;
/** k8s.io/apimachinery pkg/util/validation `DNS1123SubdomainMaxLength`. */
const DNS1123_SUBDOMAIN_MAX = 253;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** k8s.io/apimachinery pkg/util/validation `IsQualifiedName`: name part (`qualifiedNameMaxLength` 63). */
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** k8s.io/apimachinery pkg/util/validation `IsValidLabelValue` (`LabelValueMaxLength` 63). */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** k8s.io/apimachinery pkg/api/validation `TotalAnnotationSizeLimitB`: 256 KiB per object, keys and values together. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_B = 256 * 1024;
/** Argo CD's AppProject CRD: `spec.description` has `maxLength: 255`. */
export const APPPROJECT_DESCRIPTION_MAX = 255;

/**
 * Why a name is not a DNS-1123 label / DNS-1035 label / DNS-1123 subdomain, as the kind requires:
 * Namespaces `ValidateNamespaceName` (NameIsDNSLabel), Services `ValidateServiceName`
 * (NameIsDNS1035Label), everything else `NameIsDNSSubdomain` (k8s.io/kubernetes pkg/apis/core/validation,
 * and apiextensions-apiserver for custom resources).
 */
function nameProblem(kind: string, name: string): string | undefined {
  if (kind === 'Namespace') {
    return name.length > DNS1123_LABEL_MAX || !DNS1123_LABEL.test(name)
      ? `must be a DNS-1123 label of at most ${DNS1123_LABEL_MAX} characters (IsDNS1123Label)`
      : undefined;
  }
  if (kind === 'Service') {
    return name.length > DNS1123_LABEL_MAX || !DNS1035_LABEL.test(name)
      ? `must be a DNS-1035 label of at most ${DNS1123_LABEL_MAX} characters (IsDNS1035Label)`
      : undefined;
  }
  return name.length > DNS1123_SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(name)
    ? `must be a DNS-1123 subdomain of at most ${DNS1123_SUBDOMAIN_MAX} characters (IsDNS1123Subdomain)`
    : undefined;
}

/** Why a label or annotation key is not a qualified name (`IsQualifiedName`), or undefined. */
export function qualifiedNameProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const [prefix, name] = slash === -1 ? [undefined, key] : [key.slice(0, slash), key.slice(slash + 1)];
  if (prefix !== undefined && (prefix.length > DNS1123_SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(prefix))) {
    return `its prefix must be a DNS-1123 subdomain of at most ${DNS1123_SUBDOMAIN_MAX} characters`;
  }
  if (name.length > DNS1123_LABEL_MAX || !QUALIFIED_NAME_PART.test(name)) {
    return `its name must be at most ${DNS1123_LABEL_MAX} letters, digits, "-", "_" or "." that start and end with a letter or digit`;
  }
  return undefined;
}

/** `qualifiedNameProblem` of the keys seen so far: objects repeat the same few label and annotation keys. */
const keyProblems = new Map<string, string | undefined>();

function cachedKeyProblem(key: string): string | undefined {
  if (keyProblems.has(key)) {
    return keyProblems.get(key);
  }
  const problem = qualifiedNameProblem(key);
  if (keyProblems.size < 10_000) {
    keyProblems.set(key, problem);
  }
  return problem;
}

/** `metadata.labels` and `metadata.annotations` of an object or pod template (ValidateObjectMeta). */
function metadataFindings(o: RenderedObject, metadata: unknown, where: string): Finding[] {
  const out: Finding[] = [];
  const what = () => describeObject(o.object);
  const labels = (metadata as { labels?: unknown } | undefined)?.labels;
  for (const [key, value] of Object.entries(labels !== null && typeof labels === 'object' ? labels : {})) {
    const keyProblem = cachedKeyProblem(key);
    if (keyProblem !== undefined) {
      out.push({
        at: o,
        severity: 'error',
        message: `${what()} ${where}labels: key ${JSON.stringify(key.slice(0, 80))} is not a valid label key: ${keyProblem} (ValidateLabels, IsQualifiedName)`,
      });
    } else if (typeof value !== 'string' || value.length > DNS1123_LABEL_MAX || !LABEL_VALUE.test(value)) {
      out.push({
        at: o,
        severity: 'error',
        message: `${what()} ${where}labels.${key}: must be a label value of at most ${DNS1123_LABEL_MAX} characters (ValidateLabels, IsValidLabelValue), got ${String(value).length} characters`,
      });
    }
  }
  const annotations = (metadata as { annotations?: unknown } | undefined)?.annotations;
  let total = 0;
  for (const [key, value] of Object.entries(annotations !== null && typeof annotations === 'object' ? annotations : {})) {
    const keyProblem = cachedKeyProblem(key.toLowerCase());
    if (keyProblem !== undefined) {
      out.push({
        at: o,
        severity: 'error',
        message: `${what()} ${where}annotations: key ${JSON.stringify(key.slice(0, 80))} is not a valid annotation key: ${keyProblem} (ValidateAnnotations, IsQualifiedName)`,
      });
    }
    total += Buffer.byteLength(key, 'utf8') + Buffer.byteLength(String(value), 'utf8');
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_B) {
    out.push({
      at: o,
      severity: 'error',
      message: `${what()} ${where}annotations: are ${formatBytes(total)} bytes together, over the limit of ${formatBytes(TOTAL_ANNOTATION_SIZE_LIMIT_B)} (ValidateAnnotations, TotalAnnotationSizeLimitB)`,
    });
  }
  return out;
}

/** Every finding about `objects` that the API server would refuse for its limits. */
export function checkKubernetesLimits(objects: readonly RenderedObject[]): Finding[] {
  const findings: Finding[] = [];
  for (const o of objects) {
    // kumactl documents (universal format) are not Kubernetes objects.
    if (o.object.apiVersion === undefined) {
      continue;
    }
    const kind = String(o.object.kind);
    const what = () => describeObject(o.object);
    const name = str(o.object, 'metadata', 'name');
    const problem = name === undefined ? undefined : nameProblem(kind, name);
    if (problem !== undefined) {
      findings.push({ at: o, severity: 'error', message: `${what()} metadata.name: ${problem}, got ${name!.length} characters` });
    }
    findings.push(...metadataFindings(o, field(o.object, 'metadata'), 'metadata.'));
    const template = field(o.object, 'spec', 'template', 'metadata');
    if (template !== undefined) {
      findings.push(...metadataFindings(o, template, 'spec.template.metadata.'));
    }
    if (kind === 'ConfigMap' && o.object.apiVersion === 'v1') {
      // ValidateConfigMap (k8s.io/kubernetes pkg/apis/core/validation): len(value) of data and binaryData together.
      let total = 0;
      for (const bag of ['data', 'binaryData']) {
        for (const value of Object.values((field(o.object, bag) ?? {}) as Record<string, unknown>)) {
          total += Buffer.byteLength(String(value), 'utf8');
        }
      }
      if (total > MAX_CONFIGMAP_BYTES) {
        findings.push({
          at: o,
          severity: 'error',
          message: `${what()} data: is ${formatBytes(total)} bytes, over the limit of ${formatBytes(MAX_CONFIGMAP_BYTES)} (ValidateConfigMap, MaxSecretSize)`,
        });
      }
    }
    if (kind === 'AppProject' && (str(o.object, 'apiVersion') ?? '').startsWith('argoproj.io/')) {
      const description = str(o.object, 'spec', 'description');
      if (description !== undefined && description.length > APPPROJECT_DESCRIPTION_MAX) {
        findings.push({
          at: o,
          severity: 'error',
          message: `${what()} spec.description: is ${description.length} characters, over the limit of ${APPPROJECT_DESCRIPTION_MAX} (the AppProject CRD's maxLength)`,
        });
      }
    }
  }
  return findings;
}
