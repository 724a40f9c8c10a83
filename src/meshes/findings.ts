import { field, RenderedObject, str } from './effective-routing';

/** Something wrong with a rendered object, found by the checks over dist/. */
export interface Finding {
  /** The object it is about (its file and line locate it). */
  readonly at: RenderedObject;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** `Kind/name` (or `Kind namespace/name`) of a rendered object, for messages. */
export function describeObject(object: Record<string, unknown>): string {
  const kind = str(object, 'kind') ?? str(object, 'type') ?? 'object';
  const name = str(object, 'metadata', 'name') ?? str(object, 'name') ?? '?';
  const namespace = str(object, 'metadata', 'namespace');
  return namespace === undefined ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
}

/** The dist/ folder (target) an object is in: `kong-perf/zone-real-services/x.k8s.yaml` is in `zone-real-services`. */
export function targetOf(o: RenderedObject): string {
  return o.file.split('/')[1] ?? '';
}

/** The labels of an object. */
export function labelsOf(object: unknown): Record<string, string> {
  return (field(object, 'metadata', 'labels') ?? {}) as Record<string, string>;
}
