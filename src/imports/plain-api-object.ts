import { ApiObject, ApiObjectProps, App, ImplicitTokenResolver, JsonPatch, LazyResolver, NumberStringUnionResolver } from 'cdk8s';
import { Construct } from 'constructs';

/**
 * An ApiObject whose props meshflip builds from plain data (the Kuma, Istio, Argo CD, OLM and
 * OpenShift Service Mesh 3 objects of src/imports): it renders exactly what `ApiObject.toJson()`
 * renders, in one pass.
 *
 * cdk8s's `toJson()` resolves every value of the object (`resolve` in cdk8s/lib/resolve.js: for each
 * value, the app's resolvers, a context object and a copy of the key path), copies it again with its
 * keys sorted and null values dropped (`sanitizeValue`), and applies the JSON patches. For plain data,
 * with cdk8s's own resolvers only, resolving changes nothing but makes a copy: here the data is
 * copied once, sorted and without null values, as `sanitizeValue` does. That was a tenth of the
 * work of a synthesis of a large fleet, and much of its garbage.
 *
 * Anything else goes the way of `ApiObject.toJson()` as it is: a value that is not a string,
 * number, boolean, null, list without holes or map made by a literal (a `Lazy`, an instance of a
 * class such as cdk8s-plus's `IntOrString`, a function, so any `resolve` function a resolver would
 * call, a map with a `constructor` or `__proto__` key of its own), an app with resolvers of its own,
 * a JSON patch, or `CDK8S_DISABLE_SORT` set. A test compares both renderings over every object of
 * the examples and over random props.
 */
export class PlainApiObject extends ApiObject {
  /** The props as given: what `ApiObject` keeps of them is private to it. */
  private readonly given: ApiObjectProps;
  /** Whether a JSON patch was added (the patches `ApiObject` keeps are private to it). */
  private patched = false;

  constructor(scope: Construct, id: string, props: ApiObjectProps) {
    super(scope, id, props);
    this.given = props;
  }

  public override addJsonPatch(...ops: JsonPatch[]): void {
    this.patched = true;
    super.addJsonPatch(...ops);
  }

  public override toJson(): Record<string, unknown> {
    const plain = !this.patched && !process.env.CDK8S_DISABLE_SORT && hasDefaultResolvers(App.of(this)) ? this.plainJson() : undefined;
    return plain ?? (super.toJson() as Record<string, unknown>);
  }

  /** What `ApiObject.toJson()` renders, or undefined when the props are not plain data. */
  private plainJson(): Record<string, unknown> | undefined {
    let sanitized: unknown;
    try {
      const metadata: unknown = this.metadata.toJson();
      sanitized = plainSanitized({ ...this.given, metadata });
    } catch {
      // Metadata that does not render, or props that hold themselves: ApiObject.toJson() fails
      // too, and says which object.
      return undefined;
    }
    if (sanitized === NOT_PLAIN || sanitized === undefined) {
      return undefined;
    }
    const json = sanitized as Record<string, unknown>;
    // As ApiObject.toJson: apiVersion, kind and metadata first, then the rest in (sorted) order.
    const result: Record<string, unknown> = {};
    for (const key of ['apiVersion', 'kind', 'metadata', ...Object.keys(json)]) {
      if (key in json) {
        result[key] = json[key];
      }
    }
    return result;
  }
}

/** Whether an app resolves values with cdk8s's own resolvers only (`App` adds them after any given). */
function hasDefaultResolvers(app: Construct): boolean {
  const resolvers = (app as App).resolvers;
  return (
    Array.isArray(resolvers) &&
    resolvers.length === 3 &&
    resolvers[0] instanceof LazyResolver &&
    resolvers[1] instanceof ImplicitTokenResolver &&
    resolvers[2] instanceof NumberStringUnionResolver
  );
}

const NOT_PLAIN = Symbol('not plain data');

/**
 * `sanitizeValue(resolve(value), { sortKeys: true })` for plain data: a copy with the keys of maps
 * sorted and null and undefined values of maps left out (those of lists become undefined), or
 * `NOT_PLAIN` when a resolver could change something or `sanitizeValue` would throw.
 */
function plainSanitized(value: unknown): unknown {
  if (value === null || value === undefined) {
    return undefined;
  }
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) {
        return NOT_PLAIN;
      }
      const item = plainSanitized(value[i]);
      if (item === NOT_PLAIN) {
        return NOT_PLAIN;
      }
      out[i] = item;
    }
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype || value.constructor !== Object) {
    return NOT_PLAIN;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    if (key === '__proto__') {
      return NOT_PLAIN;
    }
    const item = plainSanitized((value as Record<string, unknown>)[key]);
    if (item === NOT_PLAIN) {
      return NOT_PLAIN;
    }
    if (item !== undefined) {
      out[key] = item;
    }
  }
  return out;
}
