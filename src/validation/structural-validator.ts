import { performance } from 'perf_hooks';
import { CelRule, escapeCelName, meteredList, meteredMap, ruleText } from './cel';
import { type GoRegExp, compileGoRegExp } from './go-regexp';
import { credentialByName, findCredentials, redact } from '../model/credentials';

/** One problem found while validating a value against a schema. */
export interface SchemaIssue {
  /**
   * Where the problem is, in the words of the manifest: keys joined by dots, list indexes in brackets, keys
   * that are not plain words in quotes (`spec.to[0].rules[0].default.backendRefs[0].kind`,
   * `metadata.labels["app.kubernetes.io/name"]`). Empty for the object as a whole.
   */
  readonly path: string;

  /** What is wrong and what is allowed, lowercase, without a trailing period: `must be an integer, got "two"`. */
  readonly message: string;

  /** `error` if the API server would reject the object; `warning` if it could not be checked. */
  readonly severity: 'error' | 'warning';
}

/** How a schema document is read. */
export enum SchemaDialect {
  /**
   * The `openAPIV3Schema` of a CustomResourceDefinition: a structural schema with the Kubernetes `x-kubernetes-*`
   * extensions. Objects are closed unless they preserve unknown fields or declare `additionalProperties`.
   *
   * @see https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
   */
  STRUCTURAL = 'structural',

  /** A definition of the Kubernetes swagger document (`_definitions.json`): objects with properties are closed. */
  SWAGGER = 'swagger',

  /**
   * JSON Schema draft-04 generated from protobuf messages, read with protobuf JSON rules: an object with properties
   * is closed whatever `additionalProperties` says, a field also answers to its lowerCamelCase or snake_case name,
   * and integers may be written as decimal strings.
   *
   * @see https://protobuf.dev/programming-guides/json/
   */
  PROTOBUF = 'protobuf',
}

/** Properties for `SchemaCompiler`. */
export interface SchemaCompilerProps {
  /** How the schemas are read. */
  readonly dialect: SchemaDialect;

  /**
   * The definitions that `$ref: '#/definitions/<name>'` points into.
   *
   * @default - `$ref` is not resolved and accepts any value
   */
  readonly definitions?: Readonly<Record<string, unknown>>;

  /**
   * The schema of `metadata` (Kubernetes ObjectMeta) for resources and embedded resources.
   *
   * @default - `metadata` must be an object; its fields are not checked
   */
  readonly objectMeta?: CompiledSchema;

  /**
   * Whether every object keeps unknown fields, as an `apiextensions.k8s.io/v1beta1` CustomResourceDefinition with
   * `preserveUnknownFields` (its default) does.
   *
   * @default false
   */
  readonly preserveUnknownFields?: boolean;
}

/** Options for `validateValue`. */
export interface ValidateValueOptions {
  /**
   * The path of the value inside its document, put in front of every issue path (`spec`).
   *
   * @default - the value is the document
   */
  readonly path?: string;

  /**
   * CEL rules already reported as not evaluable. Each such rule is reported (as a warning) the first time a value
   * reaches it, then added here, so that a caller validating many objects hears of it once.
   *
   * @default - reported for every value that reaches it
   */
  readonly reportedCelRules?: Set<CelRule>;
}

type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
type ValueKind = JsonType | 'null';

/** A compiled schema node. Mutable only while it is compiled. */
class Node {
  public types: ReadonlySet<JsonType> | undefined = undefined;
  public typeLabel = '';
  public nullable = false;
  /** The schema's `default` (structural dialect; `null` counts as none, as `Default.Object == nil` upstream). */
  public defaultValue: unknown = undefined;
  /**
   * What the API server does to nulls and absent fields of this object or list before validating it (structural
   * dialect only): `prune` drops non-nullable nulls without a default and fills in defaults; `default` only fills in.
   */
  public nulls: 'prune' | 'default' | undefined = undefined;
  public intStrings = false;
  public format: 'int32' | 'int64' | 'date-time' | 'byte' | undefined = undefined;
  public enumValues: EnumValues | undefined = undefined;
  public pattern: GoRegExp | undefined = undefined;
  public patternMessage = '';
  public minLength: number | undefined = undefined;
  public maxLength: number | undefined = undefined;
  public minimum: number | undefined = undefined;
  public maximum: number | undefined = undefined;
  public exclusiveMinimum = false;
  public exclusiveMaximum = false;
  public multipleOf: number | undefined = undefined;
  public minItems: number | undefined = undefined;
  public maxItems: number | undefined = undefined;
  public uniqueItems = false;
  public listMapKeys: readonly string[] | undefined = undefined;
  public items: Node | undefined = undefined;
  public properties: Map<string, Node> | undefined = undefined;
  public aliases: Map<string, string> | undefined = undefined;
  public required: readonly string[] | undefined = undefined;
  /** `true`: unknown fields are kept; `false`: they are errors; a node: the schema of every other field (a map). */
  public additional: Node | boolean = true;
  public minProperties: number | undefined = undefined;
  public maxProperties: number | undefined = undefined;
  public allOf: readonly Node[] | undefined = undefined;
  public anyOf: readonly Node[] | undefined = undefined;
  public oneOf: readonly Node[] | undefined = undefined;
  public not: Node | undefined = undefined;
  /** CEL rules (`x-kubernetes-validations`) on this node; evaluated with `self` bound to the value. */
  public rules: readonly CelRule[] | undefined = undefined;
  /** Whether this is the root of a Kubernetes object: CEL sees only `name` and `generateName` of its metadata. */
  public resourceRoot = false;
  /** Set when every `anyOf` branch only requires one field: the fields, for a readable message. */
  public anyOfFields: readonly string[] | undefined = undefined;
  /** Set when the `oneOf` branches only require one field each, optionally with a "none of them" branch. */
  public oneOfFields: { readonly fields: readonly string[]; readonly atMostOne: boolean } | undefined = undefined;
  /** Set when `not` can be said in words: where (relative path) and what is forbidden. */
  public forbidden: Forbidden | undefined = undefined;
}

interface Forbidden {
  readonly path: readonly string[];
  readonly message: string;
}

class EnumValues {
  private readonly primitives = new Set<unknown>();
  private readonly composites = new Set<string>();

  constructor(public readonly values: readonly unknown[]) {
    for (const value of values) {
      if (value !== null && typeof value === 'object') {
        this.composites.add(canonicalJson(value));
      } else {
        this.primitives.add(value);
      }
    }
  }

  public get onlyNull(): boolean {
    return this.values.length === 1 && this.values[0] === null;
  }

  public has(value: unknown): boolean {
    if (value !== null && typeof value === 'object') {
      return this.composites.size > 0 && this.composites.has(canonicalJson(value));
    }
    return this.primitives.has(value);
  }

  public describe(): string {
    // Plain words are listed as they are; anything that could be misread as JSON.
    const shown = this.values
      .slice(0, MAX_ENUM_SHOWN)
      .map((value) => (typeof value === 'string' && PLAIN_VALUE.test(value) ? value : renderValue(value)));
    return shown.join(', ') + (this.values.length > MAX_ENUM_SHOWN ? `, ... (${this.values.length} values)` : '');
  }
}

/** A schema compiled for validation with `validateValue`. Build one with `SchemaCompiler`. */
export class CompiledSchema {
  /** @internal */
  constructor(public readonly _node: Node) {}
}

const MAX_ENUM_SHOWN = 20;
const MAX_RENDERED = 60;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
// 2^63: the first integer past int64, exactly representable as a double (2^63 - 1 is not).
const INT64_LIMIT = 2 ** 63;

/** The Kubernetes resource.Quantity syntax, as CRDs generated by controller-gen spell it. */
export const QUANTITY_PATTERN =
  '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$';

/** Patterns that have a readable name; the message then says what the value must be instead of the expression. */
const PATTERN_MESSAGES: ReadonlyMap<string, string> = new Map([[QUANTITY_PATTERN, 'must be a quantity such as 500m, 2 or 1Gi']]);

/** Loosely RFC 3339, as the `date-time` format of Kubernetes (kube-openapi strfmt) accepts it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL_INTEGER = /^-?\d+$/;
const PLAIN_KEY = /^[\w$-]+$/;
const PLAIN_VALUE = /^[^\s,"][^,"]*(?<!\s)$/;

const TYPE_NAMES: Readonly<Record<JsonType, string>> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
};

/**
 * Compiles schema documents of one dialect into `CompiledSchema`s, once per schema node.
 *
 * What cannot be checked offline is skipped and counted: CEL rules (`x-kubernetes-validations`) and patterns that
 * are not valid RE2 syntax.
 */
export class SchemaCompiler {
  /** The dialect this compiler reads. */
  public readonly dialect: SchemaDialect;

  private readonly definitions: Readonly<Record<string, unknown>>;
  private readonly objectMeta: Node | undefined;
  private readonly preserveUnknownFields: boolean;
  private readonly nodes = new WeakMap<object, Node>();
  private readonly branchNodes = new WeakMap<object, Node>();
  private readonly refs = new Map<string, Node>();
  private readonly rules: CelRule[] = [];
  /** Names the resource being compiled, for the location of its CEL rules. */
  private origin = '';
  private patternsSkipped = 0;

  constructor(props: SchemaCompilerProps) {
    this.dialect = props.dialect;
    this.definitions = props.definitions ?? {};
    this.objectMeta = props.objectMeta?._node;
    this.preserveUnknownFields = props.preserveUnknownFields ?? false;
  }

  /**
   * Every CEL rule (`x-kubernetes-validations`) met while compiling, in schema order. Each is compiled once; see
   * `CelRule.evaluable`, `transition` and `problem` for which of them are evaluated.
   */
  public get celRules(): readonly CelRule[] {
    return this.rules;
  }

  /** Number of CEL rules that are not evaluated: transition rules (`oldSelf`) and rules that cannot be compiled. */
  public get celRulesSkipped(): number {
    return this.rules.filter((rule) => !rule.evaluable).length;
  }

  /** Number of `pattern`s that are not valid RE2 syntax (Go's regexp.Compile fails); they are not checked. */
  public get skippedPatterns(): number {
    return this.patternsSkipped;
  }

  /** Compiles one schema node (and everything below it). */
  public compile(schema: unknown): CompiledSchema {
    return new CompiledSchema(this.node(schema, false));
  }

  /** Whether `#/definitions/<name>` exists. */
  public hasDefinition(name: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.definitions, name);
  }

  /** Compiles `#/definitions/<name>`. Throws if there is no such definition. */
  public compileDefinition(name: string): CompiledSchema {
    if (!this.hasDefinition(name)) {
      throw new Error(`no definition named ${name}`);
    }
    return new CompiledSchema(this.ref(name, false));
  }

  /**
   * Compiles the root schema of a Kubernetes resource: `apiVersion` and `kind` are strings and `metadata` is
   * checked against ObjectMeta (plus whatever the schema itself declares for it), whether or not the schema
   * declares them.
   */
  public compileResource(schema: unknown, origin = ''): CompiledSchema {
    this.origin = origin;
    const root = new Node();
    Object.assign(root, this.node(schema, false));
    root.resourceRoot = true;
    root.types ??= new Set<JsonType>(['object']);
    root.typeLabel ||= TYPE_NAMES.object;
    this.addResourceFields(root, propertyOf(schema, 'metadata'), false);
    return new CompiledSchema(root);
  }

  /** `at` is where the schema is inside the resource's schema, for the location of CEL rules: `spec.ports[]`. */
  private node(schema: unknown, branch: boolean, at = ''): Node {
    if (!isRecord(schema)) {
      // `true`, `{}` and anything unreadable accept every value.
      return new Node();
    }
    const ref = schema.$ref;
    if (typeof ref === 'string' && this.dialect !== SchemaDialect.STRUCTURAL) {
      // Draft-04 and swagger ignore every keyword next to $ref.
      return this.ref(ref.replace(/^#\/definitions\//, ''), branch);
    }
    const cache = branch ? this.branchNodes : this.nodes;
    const cached = cache.get(schema);
    if (cached !== undefined) {
      return cached;
    }
    const node = new Node();
    cache.set(schema, node);
    this.fill(node, schema, branch, at);
    return node;
  }

  private ref(name: string, branch: boolean): Node {
    const key = `${branch ? 'branch:' : ''}${name}`;
    const cached = this.refs.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const node = new Node();
    this.refs.set(key, node);
    if (this.dialect === SchemaDialect.SWAGGER && name.endsWith('.util.intstr.IntOrString')) {
      setTypes(node, ['integer', 'string']);
    } else if (this.dialect === SchemaDialect.SWAGGER && name.endsWith('.api.resource.Quantity')) {
      setTypes(node, ['string', 'number']);
      this.setPattern(node, QUANTITY_PATTERN);
    } else if (this.hasDefinition(name)) {
      Object.assign(node, this.node(this.definitions[name], branch));
    }
    return node;
  }

  private fill(node: Node, schema: Record<string, unknown>, branch: boolean, at: string): void {
    const dialect = this.dialect;
    if (schema['x-kubernetes-int-or-string'] === true || schema.format === 'int-or-string') {
      setTypes(node, ['integer', 'string']);
    } else if (typeof schema.type === 'string' || Array.isArray(schema.type)) {
      setTypes(node, ([] as unknown[]).concat(schema.type).filter(isJsonType));
    }
    node.nullable = schema.nullable === true;
    if (dialect === SchemaDialect.STRUCTURAL && !branch) {
      node.defaultValue = schema.default ?? undefined;
      // customresource_handler.go only prunes nulls when the CRD does not preserve unknown fields; defaulting always runs.
      node.nulls = this.preserveUnknownFields ? 'default' : 'prune';
    }
    node.intStrings = dialect === SchemaDialect.PROTOBUF && !branch && node.types?.has('integer') === true;
    if (schema.format === 'int32' || schema.format === 'int64' || schema.format === 'date-time' || schema.format === 'byte') {
      node.format = schema.format;
    }
    if (Array.isArray(schema.enum)) {
      node.enumValues = new EnumValues(schema.enum);
    }
    if (typeof schema.pattern === 'string') {
      this.setPattern(node, schema.pattern);
    }
    node.minLength = numberOrUndefined(schema.minLength);
    node.maxLength = numberOrUndefined(schema.maxLength);
    node.minimum = numberOrUndefined(schema.minimum);
    node.maximum = numberOrUndefined(schema.maximum);
    node.exclusiveMinimum = schema.exclusiveMinimum === true;
    node.exclusiveMaximum = schema.exclusiveMaximum === true;
    node.multipleOf = numberOrUndefined(schema.multipleOf);
    node.minItems = numberOrUndefined(schema.minItems);
    node.maxItems = numberOrUndefined(schema.maxItems);
    node.minProperties = numberOrUndefined(schema.minProperties);
    node.maxProperties = numberOrUndefined(schema.maxProperties);
    const listType = schema['x-kubernetes-list-type'];
    node.uniqueItems = schema.uniqueItems === true || listType === 'set';
    const mapKeys = schema['x-kubernetes-list-map-keys'];
    if (listType === 'map' && Array.isArray(mapKeys) && mapKeys.length > 0) {
      node.listMapKeys = mapKeys.map(String);
    }
    const validations = schema['x-kubernetes-validations'];
    // The API server refuses x-kubernetes-validations inside allOf/anyOf/oneOf/not (a structural schema keeps
    // extensions out of value validations), so there are none in branches to evaluate.
    if (Array.isArray(validations) && !branch) {
      const where = `${this.origin === '' ? '' : `${this.origin} `}${at === '' ? '(root)' : at}`;
      node.rules = validations.map((entry, i) => CelRule.compile(entry, `${where} x-kubernetes-validations[${i}]`));
      this.rules.push(...node.rules);
    }
    if (isRecord(schema.items)) {
      node.items = this.node(schema.items, branch, `${at}[]`);
    }
    if (Array.isArray(schema.required)) {
      node.required = schema.required.filter((name): name is string => typeof name === 'string');
    }
    if (isRecord(schema.properties)) {
      node.properties = new Map();
      for (const [name, sub] of Object.entries(schema.properties)) {
        node.properties.set(name, this.node(sub, branch, at === '' ? name : `${at}.${name}`));
      }
      if (dialect === SchemaDialect.PROTOBUF && !branch) {
        node.aliases = protobufAliases(node.properties);
      }
    }
    node.additional = this.additional(node, schema, branch, at);
    if (Array.isArray(schema.allOf)) {
      node.allOf = schema.allOf.map((sub) => this.node(sub, true));
    }
    if (Array.isArray(schema.anyOf)) {
      node.anyOf = schema.anyOf.map((sub) => this.node(sub, true));
      node.anyOfFields = singleRequiredFields(schema.anyOf);
    }
    if (Array.isArray(schema.oneOf)) {
      node.oneOf = schema.oneOf.map((sub) => this.node(sub, true));
      node.oneOfFields = oneOfFields(schema.oneOf);
    }
    if (isRecord(schema.not)) {
      node.not = this.node(schema.not, true);
      node.forbidden = describeForbidden(schema.not, []);
    }
    if (schema['x-kubernetes-embedded-resource'] === true) {
      node.types ??= new Set<JsonType>(['object']);
      node.typeLabel ||= TYPE_NAMES.object;
      this.addResourceFields(node, propertyOf(schema, 'metadata'), true);
      node.resourceRoot = true;
    }
  }

  private additional(node: Node, schema: Record<string, unknown>, branch: boolean, at: string): Node | boolean {
    const declared = schema.additionalProperties;
    if (isRecord(declared) && (node.properties === undefined || this.dialect !== SchemaDialect.PROTOBUF)) {
      return this.node(declared, branch, `${at}{}`);
    }
    // Value constraints (branches of allOf/anyOf/oneOf/not) never close an object.
    if (branch || this.preserveUnknownFields || schema['x-kubernetes-preserve-unknown-fields'] === true) {
      return true;
    }
    switch (this.dialect) {
      case SchemaDialect.STRUCTURAL:
        return declared === true || !(node.properties !== undefined || node.types?.has('object') === true);
      case SchemaDialect.SWAGGER:
        // RawExtension, FieldsV1 and friends are objects without properties that hold anything.
        return node.properties === undefined;
      case SchemaDialect.PROTOBUF:
        // Protobuf JSON rejects unknown fields; `additionalProperties: true` is only generator noise. Objects
        // without properties are google.protobuf.Struct.
        return node.properties === undefined;
    }
  }

  private setPattern(node: Node, pattern: string): void {
    const regexp = compileGoRegExp(pattern);
    if (regexp === undefined) {
      this.patternsSkipped += 1;
      return;
    }
    node.pattern = regexp;
    node.patternMessage = PATTERN_MESSAGES.get(pattern) ?? `must match the pattern ${pattern}`;
  }

  /** Adds what every Kubernetes object has: `apiVersion`, `kind` and a `metadata` that is an ObjectMeta. */
  private addResourceFields(node: Node, declaredMetadata: unknown, requireTypeMeta: boolean): void {
    const properties = new Map(node.properties ?? []);
    for (const name of ['apiVersion', 'kind']) {
      if (!properties.has(name)) {
        const field = new Node();
        setTypes(field, ['string']);
        properties.set(name, field);
      }
    }
    properties.set('metadata', this.metadataNode(declaredMetadata));
    node.properties = properties;
    if (requireTypeMeta) {
      node.required = [...new Set(['apiVersion', 'kind', ...(node.required ?? [])])];
    }
  }

  private metadataNode(declared: unknown): Node {
    // CRDs declare metadata as `type: object` at most with a few constraints on name; the API server checks it
    // as an ObjectMeta.
    const constraints =
      isRecord(declared) && Object.keys(declared).some((key) => key !== 'type' && key !== 'description') ? this.node(declared, true) : undefined;
    let base = this.objectMeta;
    if (base === undefined) {
      base = new Node();
      setTypes(base, ['object']);
    }
    if (constraints === undefined) {
      return base;
    }
    const node = new Node();
    setTypes(node, ['object']);
    node.allOf = [base, constraints];
    return node;
  }
}

/**
 * Validates `value` against a compiled schema and returns every problem found, in document order.
 *
 * Checks: types (an integer must be whole; int32/int64 ranges), `nullable`, `enum`, `pattern`, lengths, bounds,
 * item and property counts, `uniqueItems`, `x-kubernetes-list-type` set/map keys, `required`, unknown fields of
 * closed objects, `allOf`/`anyOf`/`oneOf`/`not`, `date-time` and `byte` formats. A structural schema validates the value
 * as the API server decodes it: non-nullable nulls without a default dropped, defaults filled in (`asDecoded`).
 */
export function validateValue(schema: CompiledSchema, value: unknown, options: ValidateValueOptions = {}): SchemaIssue[] {
  const ctx = new Context(Infinity, new WeakMap());
  ctx.celTargets = [];
  const base = options.path === undefined || options.path === '' ? undefined : new PathSegment(undefined, options.path, true);
  check(schema._node, value, base, ctx);
  // As the API server (customresource/strategy.go, hasBlockingErr): CEL rules run on an object that has the shape
  // its schema promises. An object with schema errors is already refused; its rules are checked once they are fixed.
  if (ctx.celTargets.length > 0 && !ctx.issues.some((issue) => issue.severity === 'error')) {
    const start = performance.now();
    for (const target of ctx.celTargets) {
      evaluateRules(target, ctx, options.reportedCelRules);
    }
    celStats.ms += performance.now() - start;
    celStats.values += ctx.celTargets.length;
  }
  return ctx.issues;
}

/** Time spent evaluating CEL rules in this process, for the benchmark. */
const celStats = { ms: 0, values: 0 };

/** How long CEL rule evaluation has taken in this process so far, and on how many values (each with its rules). */
export function celEvaluationStats(): { readonly ms: number; readonly values: number } {
  return { ...celStats };
}

/** A value whose schema node has CEL rules, found while validating. */
interface CelTarget {
  readonly node: Node;
  readonly value: unknown;
  readonly path: PathSegment | undefined;
}

/**
 * Evaluates the rules of one node with `self` bound to the value (validation.go, `validateExpressions`). A failed
 * rule is an error at its `fieldPath`; a rule that cannot be evaluated is a warning, once per rule when `reported`
 * is given; a transition rule (`oldSelf`) is skipped: a render has no stored object to compare with.
 */
function evaluateRules(target: CelTarget, ctx: Context, reported: Set<CelRule> | undefined): void {
  const rules = target.node.rules as readonly CelRule[];
  let self: unknown;
  for (const rule of rules) {
    if (rule.problem !== undefined) {
      if (reported === undefined || !reported.has(rule)) {
        reported?.add(rule);
        ctx.issues.push({
          path: renderPath(target.path),
          message: `CEL rule not evaluated, ${rule.problem}: ${JSON.stringify(ruleText(rule.rule))} at ${rule.location}`,
          severity: 'warning',
        });
      }
      continue;
    }
    if (!rule.evaluable) {
      continue;
    }
    self ??= toCel(target.node, target.value);
    const failure = rule.evaluate(self);
    if (failure !== undefined) {
      const path = failure.fieldPath.reduce<PathSegment | undefined>((parent, key) => new PathSegment(parent, key), target.path);
      ctx.fail(path, failure.message);
    }
  }
}

/**
 * A JSON value as Kubernetes gives it to CEL (k8s.io/apiserver/pkg/cel/common/values.go): `integer` is int, `number`
 * is double, int-or-string is whichever it holds; declared properties keep their escaped names and unknown ones are
 * left out; maps (`additionalProperties`) keep their keys; of the metadata of an object only `name` and
 * `generateName` are there. Lists and maps charge their iteration to the rule's cost budget.
 */
function toCel(node: Node | undefined, value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isInteger(value) && (node?.types === undefined || node.types.has('integer') || !node.types.has('number'))) {
        return BigInt(value);
      }
      return value;
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null) {
    return null;
  }
  const decoded = node?.nulls === undefined ? value : asDecoded(node, value);
  if (Array.isArray(decoded)) {
    return meteredList(decoded.map((item) => toCel(node?.items, item)));
  }
  const record = decoded as Record<string, unknown>;
  const entries = new Map<string, unknown>();
  for (const [key, field] of Object.entries(record)) {
    const property = node?.properties?.get(key);
    if (node?.resourceRoot === true && key === 'metadata') {
      entries.set(key, metadataForCel(field));
    } else if (property !== undefined) {
      const name = escapeCelName(key);
      if (name !== undefined) {
        entries.set(name, toCel(property, field));
      }
    } else if (node?.additional instanceof Node) {
      entries.set(key, toCel(node.additional, field));
    } else if (node?.properties === undefined) {
      // An object kept whole (x-kubernetes-preserve-unknown-fields without properties): its fields as they are.
      entries.set(key, toCel(undefined, field));
    }
  }
  return meteredMap(entries);
}

function metadataForCel(metadata: unknown): unknown {
  const entries = new Map<string, unknown>();
  if (isRecord(metadata)) {
    for (const key of ['name', 'generateName']) {
      if (typeof metadata[key] === 'string') {
        entries.set(key, metadata[key]);
      }
    }
  }
  return meteredMap(entries);
}

/** The path of a value, built from its parent only when an issue needs it. */
class PathSegment {
  constructor(
    public readonly parent: PathSegment | undefined,
    public readonly key: string | number,
    public readonly verbatim = false,
  ) {}
}

function renderPath(path: PathSegment | undefined): string {
  const parts: string[] = [];
  for (let segment = path; segment !== undefined; segment = segment.parent) {
    const key = segment.key;
    if (typeof key === 'number') {
      parts.push(`[${key}]`);
    } else if (segment.verbatim) {
      parts.push(key);
    } else if (PLAIN_KEY.test(key)) {
      parts.push(segment.parent === undefined ? key : `.${key}`);
    } else {
      parts.push(`[${JSON.stringify(key)}]`);
    }
  }
  return parts.reverse().join('');
}

/**
 * Where issues go. `max` is how many are wanted: all of them, the first one (to explain a failed branch), or none
 * (to learn whether a branch matches). Whether an object or array matches a node is remembered in `memo` for the
 * whole validation, so nested combinators cost one pass per node and value instead of one per path through them.
 */
class Context {
  public readonly issues: SchemaIssue[] = [];
  /** Where values with CEL rules are collected, in the validation of a whole value only (not in probes). */
  public celTargets: CelTarget[] | undefined = undefined;
  private failures = 0;
  private probe: Context | undefined;

  constructor(
    public readonly max: number,
    public readonly memo: WeakMap<object, Map<Node, boolean>>,
  ) {}

  /** Whether messages should be short: explaining a branch does not explain the branches inside it. */
  public get brief(): boolean {
    return this.max !== Infinity;
  }

  /** Whether enough has been found to stop. */
  public get full(): boolean {
    return this.failures > 0 && this.failures >= this.max;
  }

  public fail(path: PathSegment | undefined, message: string): false {
    this.failures += 1;
    if (this.issues.length < this.max) {
      this.issues.push({ path: renderPath(path), message, severity: 'error' });
    }
    return false;
  }

  /** Whether `value` matches `node`, without reporting anything. */
  public matches(node: Node, value: unknown): boolean {
    const probe = (this.probe ??= this.max === 0 ? this : new Context(0, this.memo));
    const failures = probe.failures;
    probe.failures = 0;
    const ok = check(node, value, undefined, probe);
    probe.failures = failures;
    return ok;
  }

  /** The first issue of `value` against `node`, with a path relative to the value. */
  public firstIssue(node: Node, value: unknown): SchemaIssue | undefined {
    const ctx = new Context(1, this.memo);
    check(node, value, undefined, ctx);
    return ctx.issues[0];
  }
}

function check(node: Node, given: unknown, path: PathSegment | undefined, ctx: Context): boolean {
  const kind = kindOf(given);
  if (kind === 'null') {
    if (!node.nullable && node.types !== undefined) {
      return ctx.fail(path, 'must not be null');
    }
  } else if (node.types !== undefined && !matchesType(node, kind, given)) {
    return ctx.fail(path, `must be ${node.typeLabel}, got ${renderValue(given, fieldName(path))}`);
  }
  const value = node.nulls !== undefined && (kind === 'object' || kind === 'array') ? asDecoded(node, given as object) : given;
  if (node.rules !== undefined && ctx.celTargets !== undefined && kind !== 'null') {
    ctx.celTargets.push({ node, value, path });
  }
  const memo = ctx.max === 0 && (kind === 'object' || kind === 'array') ? ctx.memo : undefined;
  if (memo !== undefined) {
    const known = memo.get(value as object)?.get(node);
    if (known !== undefined) {
      return known;
    }
  }
  const ok = checkValue(node, kind, value, path, ctx);
  if (memo !== undefined) {
    let answers = memo.get(value as object);
    if (answers === undefined) {
      answers = new Map();
      memo.set(value as object, answers);
    }
    answers.set(node, ok);
  }
  return ok;
}

/** `asDecoded` answers by value and node: the same object checked twice against a node gets the same copy (and memo). */
const DECODED = new WeakMap<object, Map<Node, object>>();

/**
 * An object or list of a custom resource as the API server validates it, after it decoded the request: non-nullable
 * nulls without a default are dropped (k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/prunenulls.go,
 * `PruneNonNullableNullsWithoutDefaults`, called from customresource_handler.go when the CRD does not preserve unknown
 * fields), then defaults fill absent fields and non-nullable nulls (defaulting/algorithm.go, `Default`). Both look at
 * declared properties and `additionalProperties`; in a list a null item is never dropped, only replaced by the items'
 * default, so without one it is still refused ("must not be null"). Returns `value` itself when nothing changes.
 */
function asDecoded(node: Node, value: object): object {
  let answers = DECODED.get(value);
  const known = answers?.get(node);
  if (known !== undefined) {
    return known;
  }
  const decoded = Array.isArray(value) ? decodedList(node, value) : decodedObject(node, value as Record<string, unknown>);
  if (answers === undefined) {
    answers = new Map();
    DECODED.set(value, answers);
  }
  answers.set(node, decoded);
  return decoded;
}

function decodedList(node: Node, value: readonly unknown[]): readonly unknown[] {
  const items = node.items;
  if (items === undefined || items.nullable || items.defaultValue === undefined || !value.includes(null)) {
    return value;
  }
  return value.map((item) => (item === null ? items.defaultValue : item));
}

function decodedObject(node: Node, value: Record<string, unknown>): Record<string, unknown> {
  let decoded: Record<string, unknown> | undefined;
  for (const [key, field] of Object.entries(value)) {
    const schema = node.properties?.get(key) ?? (node.additional instanceof Node ? node.additional : undefined);
    if (field !== null || schema === undefined || schema.nullable) {
      continue;
    }
    if (schema.defaultValue !== undefined) {
      decoded ??= { ...value };
      decoded[key] = schema.defaultValue;
    } else if (node.nulls === 'prune') {
      decoded ??= { ...value };
      delete decoded[key];
    }
  }
  for (const [key, property] of node.properties ?? []) {
    if (property.defaultValue !== undefined && !Object.prototype.hasOwnProperty.call(value, key)) {
      decoded ??= { ...value };
      decoded[key] = property.defaultValue;
    }
  }
  return decoded ?? value;
}

function checkValue(node: Node, kind: ValueKind, value: unknown, path: PathSegment | undefined, ctx: Context): boolean {
  let ok = true;
  if (node.enumValues !== undefined && !node.enumValues.has(value)) {
    // `enum: [null]` is how OpenShift's Route says "not set" in a value constraint.
    const allowed = node.enumValues.onlyNull ? 'must not be set' : `must be one of ${node.enumValues.describe()}`;
    ok = ctx.fail(path, `${allowed}, got ${renderValue(value, fieldName(path))}`);
    if (ctx.full) {
      return false;
    }
  }
  switch (kind) {
    case 'string':
      ok = checkString(node, value as string, path, ctx) && ok;
      break;
    case 'integer':
    case 'number':
      ok = checkNumber(node, value as number, path, ctx) && ok;
      break;
    case 'array':
      ok = checkArray(node, value as unknown[], path, ctx) && ok;
      break;
    case 'object':
      ok = checkObject(node, value as Record<string, unknown>, path, ctx) && ok;
      break;
    default:
      break;
  }
  if (ctx.full) {
    return false;
  }
  return checkCombinators(node, kind, value, path, ctx) && ok;
}

function checkString(node: Node, value: string, path: PathSegment | undefined, ctx: Context): boolean {
  let ok = true;
  if (node.minLength !== undefined || node.maxLength !== undefined) {
    const length = countCharacters(value);
    if (node.minLength !== undefined && length < node.minLength) {
      ok = ctx.fail(path, `must be at least ${plural(node.minLength, 'character')} long, got ${renderValue(value, fieldName(path))}`);
    }
    if (node.maxLength !== undefined && length > node.maxLength) {
      ok = ctx.fail(path, `must be at most ${plural(node.maxLength, 'character')} long, got ${renderValue(value, fieldName(path))}`);
    }
  }
  if (node.pattern !== undefined && !node.pattern.test(value)) {
    ok = ctx.fail(path, `${node.patternMessage}, got ${renderValue(value, fieldName(path))}`);
  }
  if (node.format === 'date-time' && !DATE_TIME.test(value)) {
    ok = ctx.fail(path, `must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z, got ${renderValue(value, fieldName(path))}`);
  } else if (node.format === 'byte' && !BASE64.test(value.replace(/[\r\n]/g, ''))) {
    ok = ctx.fail(path, `must be base64-encoded, got ${renderValue(value, fieldName(path))}`);
  }
  return ok;
}

function checkNumber(node: Node, value: number, path: PathSegment | undefined, ctx: Context): boolean {
  let ok = true;
  if (node.format === 'int32' && (value < INT32_MIN || value > INT32_MAX)) {
    ok = ctx.fail(path, `must be a 32-bit integer (${INT32_MIN} to ${INT32_MAX}), got ${renderValue(value)}`);
  } else if (node.format === 'int64' && Math.abs(value) > INT64_LIMIT) {
    ok = ctx.fail(path, `must be a 64-bit integer, got ${renderValue(value)}`);
  }
  if (node.minimum !== undefined && (node.exclusiveMinimum ? value <= node.minimum : value < node.minimum)) {
    ok = ctx.fail(path, `must be ${node.exclusiveMinimum ? 'greater than' : 'at least'} ${node.minimum}, got ${renderValue(value)}`);
  }
  if (node.maximum !== undefined && (node.exclusiveMaximum ? value >= node.maximum : value > node.maximum)) {
    ok = ctx.fail(path, `must be ${node.exclusiveMaximum ? 'less than' : 'at most'} ${node.maximum}, got ${renderValue(value)}`);
  }
  if (node.multipleOf !== undefined && node.multipleOf > 0 && !Number.isInteger(value / node.multipleOf)) {
    ok = ctx.fail(path, `must be a multiple of ${node.multipleOf}, got ${renderValue(value)}`);
  }
  return ok;
}

function checkArray(node: Node, value: readonly unknown[], path: PathSegment | undefined, ctx: Context): boolean {
  let ok = true;
  if (node.minItems !== undefined && value.length < node.minItems) {
    ok = ctx.fail(path, `must have at least ${plural(node.minItems, 'item')}, got ${value.length}`);
  }
  if (node.maxItems !== undefined && value.length > node.maxItems) {
    ok = ctx.fail(path, `must have at most ${plural(node.maxItems, 'item')}, got ${value.length}`);
  }
  if (ctx.full) {
    return false;
  }
  if (node.uniqueItems || node.listMapKeys !== undefined) {
    const seen = new Map<string, number>();
    const keys = node.listMapKeys;
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      let identity: unknown = item;
      if (keys !== undefined) {
        if (!isRecord(item)) {
          continue;
        }
        identity = keys.length === 1 ? (item[keys[0]] ?? null) : Object.fromEntries(keys.map((key) => [key, item[key] ?? null]));
      }
      const canonical = canonicalJson(identity);
      const first = seen.get(canonical);
      if (first === undefined) {
        seen.set(canonical, i);
        continue;
      }
      const same = keys === undefined ? '' : ` ${keys.join(' and ')}`;
      ok = ctx.fail(new PathSegment(path, i), `duplicate entry, same${same} as [${first}], got ${renderValue(identity)}`);
      if (ctx.full) {
        return false;
      }
    }
  }
  if (node.items !== undefined) {
    for (let i = 0; i < value.length; i++) {
      ok = check(node.items, value[i], new PathSegment(path, i), ctx) && ok;
      if (ctx.full) {
        return false;
      }
    }
  }
  return ok;
}

function checkObject(node: Node, value: Record<string, unknown>, path: PathSegment | undefined, ctx: Context): boolean {
  let ok = true;
  const keys = Object.keys(value);
  if (node.minProperties !== undefined && keys.length < node.minProperties) {
    ok = ctx.fail(path, `must have at least ${plural(node.minProperties, 'field')}, got ${keys.length}`);
  }
  if (node.maxProperties !== undefined && keys.length > node.maxProperties) {
    ok = ctx.fail(path, `must have at most ${plural(node.maxProperties, 'field')}, got ${keys.length}`);
  }
  if (node.required !== undefined) {
    for (const name of node.required) {
      if (!Object.prototype.hasOwnProperty.call(value, name)) {
        ok = ctx.fail(new PathSegment(path, name), 'is required');
      }
    }
  }
  if (ctx.full) {
    return false;
  }
  const properties = node.properties;
  const aliases = node.aliases;
  let given: Map<string, string> | undefined;
  for (const key of keys) {
    let property = properties?.get(key);
    if (aliases !== undefined) {
      const name = property === undefined ? aliases.get(key) : key;
      if (name !== undefined) {
        property ??= properties?.get(name);
        given ??= new Map();
        const earlier = given.get(name);
        if (earlier !== undefined) {
          ok = ctx.fail(new PathSegment(path, key), `duplicate field, also given as ${JSON.stringify(earlier)}`);
          if (ctx.full) {
            return false;
          }
          continue;
        }
        given.set(name, key);
      }
    }
    if (property !== undefined) {
      ok = check(property, value[key], new PathSegment(path, key), ctx) && ok;
    } else if (node.additional === false) {
      ok = ctx.fail(new PathSegment(path, key), `unknown field, got ${JSON.stringify(key)}`);
    } else if (node.additional !== true) {
      ok = check(node.additional, value[key], new PathSegment(path, key), ctx) && ok;
    }
    if (ctx.full) {
      return false;
    }
  }
  return ok;
}

function checkCombinators(node: Node, kind: ValueKind, value: unknown, path: PathSegment | undefined, ctx: Context): boolean {
  let ok = true;
  if (node.allOf !== undefined) {
    for (const branch of node.allOf) {
      ok = check(branch, value, path, ctx) && ok;
      if (ctx.full) {
        return false;
      }
    }
  }
  if (node.anyOf !== undefined && !node.anyOf.some((branch) => ctx.matches(branch, value))) {
    ok = ctx.max === 0 ? false : ctx.fail(path, describeAnyOf(node, node.anyOf, value, ctx));
    if (ctx.full) {
      return false;
    }
  }
  if (node.oneOf !== undefined) {
    let matched = 0;
    for (const branch of node.oneOf) {
      if (ctx.matches(branch, value) && ++matched > 1) {
        break;
      }
    }
    if (matched !== 1) {
      ok = ctx.max === 0 ? false : ctx.fail(path, describeOneOf(node, node.oneOf, kind, value, matched, ctx));
      if (ctx.full) {
        return false;
      }
    }
  }
  if (node.not !== undefined && ctx.matches(node.not, value)) {
    if (ctx.max === 0) {
      return false;
    }
    const forbidden = node.forbidden;
    if (forbidden === undefined) {
      ok = ctx.fail(path, 'must not match the schema under "not"');
    } else {
      ok = ctx.fail(
        forbidden.path.reduce<PathSegment | undefined>((parent, key) => new PathSegment(parent, key), path),
        forbidden.message,
      );
    }
  }
  return ok;
}

function describeAnyOf(node: Node, branches: readonly Node[], value: unknown, ctx: Context): string {
  if (node.anyOfFields !== undefined) {
    return `must set at least one of ${node.anyOfFields.join(', ')}`;
  }
  if (ctx.brief) {
    return `must match at least one of ${branches.length} alternatives`;
  }
  return `must match at least one of: ${describeBranches(branches, value, ctx)}`;
}

function describeOneOf(node: Node, branches: readonly Node[], kind: ValueKind, value: unknown, matched: number, ctx: Context): string {
  const fields = node.oneOfFields;
  if (fields !== undefined && kind === 'object') {
    const present = fields.fields.filter((field) => Object.prototype.hasOwnProperty.call(value, field));
    const got = present.length === 0 ? 'none' : present.join(', ');
    return `must set ${fields.atMostOne ? 'at most' : 'exactly'} one of ${fields.fields.join(', ')}, got ${got}`;
  }
  if (matched === 0) {
    return ctx.brief
      ? `must match exactly one of ${branches.length} alternatives, matched none`
      : `must match exactly one of: ${describeBranches(branches, value, ctx)}`;
  }
  return `must match exactly one of ${branches.length} alternatives, matched more than one`;
}

function describeBranches(branches: readonly Node[], value: unknown, ctx: Context): string {
  return branches
    .map((branch) => {
      const issue = ctx.firstIssue(branch, value);
      return issue === undefined ? '?' : issue.path === '' ? issue.message : `${issue.path} ${issue.message}`;
    })
    .join('; or ');
}

function kindOf(value: unknown): ValueKind {
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return value === null ? 'null' : Array.isArray(value) ? 'array' : 'object';
    default:
      // undefined, functions, bigints: nothing a YAML or JSON document holds.
      return 'null';
  }
}

function matchesType(node: Node, kind: ValueKind, value: unknown): boolean {
  const types = node.types as ReadonlySet<JsonType>;
  if (types.has(kind as JsonType)) {
    return true;
  }
  if (kind === 'integer' && types.has('number')) {
    return true;
  }
  return node.intStrings && kind === 'string' && DECIMAL_INTEGER.test(value as string);
}

function setTypes(node: Node, types: readonly JsonType[]): void {
  if (types.length === 0) {
    return;
  }
  node.types = new Set(types);
  node.typeLabel = types.map((type) => TYPE_NAMES[type]).join(' or ');
}

function isJsonType(value: unknown): value is JsonType {
  return typeof value === 'string' && value in TYPE_NAMES;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function propertyOf(schema: unknown, name: string): unknown {
  return isRecord(schema) && isRecord(schema.properties) ? schema.properties[name] : undefined;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** Fields named in a list of branches that each only require one field, such as `[{required: [a]}, {required: [b]}]`. */
function singleRequiredFields(branches: readonly unknown[]): string[] | undefined {
  const fields: string[] = [];
  for (const branch of branches) {
    const field = singleRequiredField(branch);
    if (field === undefined) {
      return undefined;
    }
    fields.push(field);
  }
  return fields.length > 0 ? fields : undefined;
}

function singleRequiredField(branch: unknown): string | undefined {
  if (!isRecord(branch) || !Object.keys(branch).every((key) => key === 'required' || key === 'description')) {
    return undefined;
  }
  const required = branch.required;
  return Array.isArray(required) && required.length === 1 && typeof required[0] === 'string' ? required[0] : undefined;
}

/**
 * Recognizes the shape protoc-gen-openapi gives a protobuf `oneof` (Istio): `oneOf: [{not: {anyOf: [{required: [a]},
 * {required: [b]}]}}, {required: [a]}, {required: [b]}]` allows at most one of a and b; without the `not` branch,
 * exactly one.
 */
function oneOfFields(branches: readonly unknown[]): { fields: string[]; atMostOne: boolean } | undefined {
  const fields: string[] = [];
  let none: string[] | undefined;
  for (const branch of branches) {
    const field = singleRequiredField(branch);
    if (field !== undefined) {
      fields.push(field);
      continue;
    }
    const inner = isRecord(branch) && Object.keys(branch).length === 1 && isRecord(branch.not) ? branch.not : undefined;
    const listed =
      inner !== undefined && Object.keys(inner).length === 1 && Array.isArray(inner.anyOf) ? singleRequiredFields(inner.anyOf) : undefined;
    if (listed === undefined || none !== undefined) {
      return undefined;
    }
    none = listed;
  }
  if (fields.length === 0 || (none !== undefined && canonicalJson([...none].sort()) !== canonicalJson([...fields].sort()))) {
    return undefined;
  }
  return { fields, atMostOne: none !== undefined };
}

/**
 * Says in words what a `not` forbids, when it is a chain of single properties ending in an `enum`, an empty
 * `maxLength` or a `required`: `not: {properties: {tls: {properties: {termination: {enum: [passthrough]}}}}}`.
 */
function describeForbidden(schema: Record<string, unknown>, path: readonly string[]): Forbidden | undefined {
  const keys = Object.keys(schema).filter((key) => key !== 'description' && key !== 'type');
  if (keys.length !== 1) {
    return undefined;
  }
  const [key] = keys;
  if (key === 'properties' && isRecord(schema.properties)) {
    const entries = Object.entries(schema.properties);
    return entries.length === 1 && isRecord(entries[0][1]) ? describeForbidden(entries[0][1], [...path, entries[0][0]]) : undefined;
  }
  if (key === 'enum' && Array.isArray(schema.enum) && schema.enum.length > 0) {
    const values = new EnumValues(schema.enum).describe();
    return { path, message: schema.enum.length === 1 ? `must not be ${values}` : `must not be one of ${values}` };
  }
  if (key === 'maxLength' && schema.maxLength === 0) {
    return { path, message: 'must not be empty' };
  }
  if (key === 'required' && Array.isArray(schema.required) && schema.required.length === 1) {
    return { path: [...path, String(schema.required[0])], message: 'must not be set' };
  }
  if (key === 'anyOf' && Array.isArray(schema.anyOf)) {
    const fields = singleRequiredFields(schema.anyOf);
    return fields === undefined ? undefined : { path, message: `must not set any of ${fields.join(', ')}` };
  }
  return undefined;
}

/** The other names protobuf JSON accepts for each field: lowerCamelCase for snake_case and back. */
function protobufAliases(properties: ReadonlyMap<string, Node>): Map<string, string> | undefined {
  const aliases = new Map<string, string>();
  for (const name of properties.keys()) {
    const camel = name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    for (const alias of [camel, snake]) {
      if (alias !== name && !properties.has(alias)) {
        aliases.set(alias, name);
      }
    }
  }
  return aliases;
}

/** Length in Unicode code points, as Kubernetes counts `minLength` / `maxLength`. */
function countCharacters(value: string): number {
  let surrogates = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff) {
      surrogates += 1;
    }
  }
  return value.length - surrogates;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * A value as JSON for a message, shortened when long. A value that fails a schema may be a secret
 * in the wrong place (a token where a name belongs), and the message reaches logs and pull-request
 * comments: every credential the secret scan would find is shown redacted, as the scan shows it,
 * and so is every value held by a credential name (`name`, the field the value is in, or a key of
 * an object inside it).
 */
export function renderValue(value: unknown, name?: string): string {
  const json = value === undefined ? 'undefined' : JSON.stringify(withoutSecrets(value, name));
  return json.length > MAX_RENDERED ? `${json.slice(0, MAX_RENDERED - 3)}...` : json;
}

function withoutSecrets(value: unknown, name: string | undefined): unknown {
  if (typeof value === 'string') {
    if (name !== undefined && credentialByName(name, value) !== undefined) {
      return `<redacted ${redact(value)}>`;
    }
    let shown = value;
    for (const found of findCredentials(value).reverse()) {
      shown = `${shown.slice(0, found.offset)}<redacted ${redact(found.secret)}>${shown.slice(found.offset + found.secret.length)}`;
    }
    return shown;
  }
  if (Array.isArray(value)) {
    return value.map((item) => withoutSecrets(item, name));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withoutSecrets(item, key)]));
  }
  return value;
}

/** The field name a value is held by, for `renderValue`: the nearest key of its path that is a name. */
function fieldName(path: PathSegment | undefined): string | undefined {
  for (let segment = path; segment !== undefined; segment = segment.parent) {
    if (typeof segment.key === 'string' && !segment.verbatim) {
      return segment.key;
    }
  }
  return undefined;
}

/** JSON with object keys sorted, so equal values give equal strings. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
