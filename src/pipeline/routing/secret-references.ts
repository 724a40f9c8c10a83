import { parse as parseYaml } from 'yaml';
import { field, RenderedObject, SecretReference, str } from '../../meshes/effective-routing';
import { compareStrings } from '../../model/spec-error';

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job']);

/** The Secret names a pod spec reads: env and envFrom, volumes, image pull Secrets. */
function podSecrets(pod: unknown): string[] {
  const out: string[] = [];
  const containers = [...((field(pod, 'containers') ?? []) as unknown[]), ...((field(pod, 'initContainers') ?? []) as unknown[])];
  for (const c of containers) {
    for (const e of (field(c, 'env') ?? []) as unknown[]) {
      const name = field(e, 'valueFrom', 'secretKeyRef', 'name');
      if (typeof name === 'string' && field(e, 'valueFrom', 'secretKeyRef', 'optional') !== true) {
        out.push(name);
      }
    }
    for (const e of (field(c, 'envFrom') ?? []) as unknown[]) {
      const name = field(e, 'secretRef', 'name');
      if (typeof name === 'string' && field(e, 'secretRef', 'optional') !== true) {
        out.push(name);
      }
    }
  }
  for (const v of (field(pod, 'volumes') ?? []) as unknown[]) {
    const name = field(v, 'secret', 'secretName');
    if (typeof name === 'string' && field(v, 'secret', 'optional') !== true) {
      out.push(name);
    }
  }
  for (const p of (field(pod, 'imagePullSecrets') ?? []) as unknown[]) {
    const name = field(p, 'name');
    if (typeof name === 'string') {
      out.push(name);
    }
  }
  return out;
}

/**
 * Secret names in a Helm chart's values: `secretName` and `*SecretName` keys, and the
 * kong-mesh/kuma chart's `controlPlane.secrets[].Secret` (Secrets mounted as environment variables).
 */
function valuesSecrets(values: unknown, out: string[]): void {
  if (Array.isArray(values)) {
    values.forEach((v) => valuesSecrets(v, out));
  } else if (values !== null && typeof values === 'object') {
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === 'string' && value !== '' && (key === 'Secret' || /^(.*S|s)ecretName$/.test(key))) {
        out.push(value);
      } else {
        valuesSecrets(value, out);
      }
    }
  }
}

/**
 * The Secrets an environment's rendered objects read by name: what must exist in the cluster
 * before Argo CD syncs them (dist/ holds no Secret values). Secrets meshflip renders itself, and
 * optional references, are left out.
 */
export function secretReferences(env: string, objects: readonly RenderedObject[]): SecretReference[] {
  const rendered = new Set(
    objects
      .filter((o) => o.object.kind === 'Secret')
      .map((o) => `${str(o.object, 'metadata', 'namespace') ?? ''}/${str(o.object, 'metadata', 'name') ?? ''}`),
  );
  const found = new Map<string, { name: string; namespace: string; application: string; readBy: Set<string> }>();
  const add = (name: string, namespace: string, application: string, readBy: string) => {
    if (rendered.has(`${namespace}/${name}`)) {
      return;
    }
    const key = `${namespace}\u0000${name}\u0000${application}`;
    const entry = found.get(key) ?? { name, namespace, application, readBy: new Set<string>() };
    entry.readBy.add(readBy);
    found.set(key, entry);
  };
  for (const { file, object } of objects) {
    const namespace = str(object, 'metadata', 'namespace') ?? 'default';
    const name = str(object, 'metadata', 'name') ?? '';
    if (WORKLOAD_KINDS.has(String(object.kind))) {
      const folder = file.split('/').slice(0, -1).join('/');
      const application = folder.startsWith(`${env}/`) ? `${env}-${folder.slice(env.length + 1)}` : folder;
      for (const secret of podSecrets(field(object, 'spec', 'template', 'spec'))) {
        add(secret, namespace, application, `${String(object.kind)} ${namespace}/${name}`);
      }
    } else if (object.kind === 'Application') {
      const helm = field(object, 'spec', 'source', 'helm');
      const names: string[] = [];
      valuesSecrets(field(helm, 'valuesObject'), names);
      const text = field(helm, 'values');
      if (typeof text === 'string') {
        try {
          valuesSecrets(parseYaml(text), names);
        } catch {
          // Values text that does not parse is reported by validate; nothing to list from it.
        }
      }
      const destination = str(object, 'spec', 'destination', 'namespace') ?? 'default';
      for (const secret of names) {
        add(secret, destination, name, `Helm values of ${name}`);
      }
    }
  }
  return [...found.values()]
    .map((e) => ({ name: e.name, namespace: e.namespace, application: e.application, readBy: [...e.readBy].sort(compareStrings) }))
    .sort((a, b) => compareStrings(a.application, b.application) || compareStrings(a.namespace, b.namespace) || compareStrings(a.name, b.name));
}
