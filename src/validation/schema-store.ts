import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import type { CelRule } from './cel';
import { CompiledSchema, SchemaCompiler, SchemaDialect, SchemaIssue, renderValue, validateValue } from './structural-validator';
import { NO_SCHEMA } from './schema-sets';

/** Whether objects of a kind live in a namespace. */
export type ResourceScope = 'Namespaced' | 'Cluster';

/** Options for `SchemaStore.validate`. */
export interface ValidateOptions {
  /**
   * Whether an object of a kind without a schema is an error (`true`) or a warning (`false`).
   *
   * @default true
   */
  readonly strict?: boolean;
}

/** What a `SchemaStore` loaded, for a summary line. */
export interface SchemaStoreSummary {
  /** Schema files read. */
  readonly files: number;
  /** Kinds that can be validated, counting each served version (`apps/v1 Deployment`) once. */
  readonly kinds: number;
  /** Legacy Kuma kinds whose `spec` is also checked against its protobuf schema. */
  readonly legacySpecSchemas: number;
  /** CEL rules (`x-kubernetes-validations`) in the loaded schemas, each served version counted. */
  readonly celRules: number;
  /** CEL rules that are evaluated. */
  readonly celRulesEvaluated: number;
  /** Transition rules (they compare with `oldSelf`, the stored object, which a render does not have): skipped. */
  readonly celTransitionRules: number;
  /** CEL rules that cannot be evaluated (see `SchemaStore.unevaluableCelRules`): reported, not checked. */
  readonly celRulesNotEvaluable: number;
  /** `pattern`s that have no JavaScript equivalent; they are not checked. */
  readonly patternsSkipped: number;
}

/** The folder that holds the legacy Kuma spec schemas, `<Kind>.json` each. */
export const LEGACY_SPEC_SCHEMA_DIR = 'legacy-spec-schemas';

/** The name of a Kubernetes swagger definitions file. */
export const SWAGGER_DEFINITIONS_FILE = '_definitions.json';

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const SCHEMA_FILES_HINT = 'export them with kubectl get crd -o yaml, kubectl get --raw /openapi/v2 (swagger.json) or /openapi/v3/<group-version>';
const KUMA_GROUP = 'kuma.io';

/**
 * Built-in kinds that are cluster-scoped, by `group/kind` (core kinds have an empty group). The swagger definitions
 * do not say which kinds are namespaced.
 *
 * @see https://kubernetes.io/docs/reference/kubernetes-api/
 */
const CLUSTER_SCOPED_BUILTINS: ReadonlySet<string> = new Set([
  '/ComponentStatus',
  '/Namespace',
  '/Node',
  '/PersistentVolume',
  'admissionregistration.k8s.io/MutatingWebhookConfiguration',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicy',
  'admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding',
  'admissionregistration.k8s.io/ValidatingWebhookConfiguration',
  'apiextensions.k8s.io/CustomResourceDefinition',
  'apiregistration.k8s.io/APIService',
  'authentication.k8s.io/SelfSubjectReview',
  'authentication.k8s.io/TokenReview',
  'authorization.k8s.io/SelfSubjectAccessReview',
  'authorization.k8s.io/SelfSubjectRulesReview',
  'authorization.k8s.io/SubjectAccessReview',
  'certificates.k8s.io/CertificateSigningRequest',
  'certificates.k8s.io/ClusterTrustBundle',
  'flowcontrol.apiserver.k8s.io/FlowSchema',
  'flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration',
  'internal.apiserver.k8s.io/StorageVersion',
  'networking.k8s.io/ClusterCIDR',
  'networking.k8s.io/IngressClass',
  'networking.k8s.io/IPAddress',
  'node.k8s.io/RuntimeClass',
  'rbac.authorization.k8s.io/ClusterRole',
  'rbac.authorization.k8s.io/ClusterRoleBinding',
  'resource.k8s.io/ResourceClass',
  'scheduling.k8s.io/PriorityClass',
  'storage.k8s.io/CSIDriver',
  'storage.k8s.io/CSINode',
  'storage.k8s.io/StorageClass',
  'storage.k8s.io/VolumeAttachment',
]);

/**
 * A schema file or folder that cannot be used: missing, unreadable, not a schema, or defining a
 * kind that another file of the same set defines too. `file` is the path as given or found.
 */
export class SchemaLoadError extends Error {
  /**
   * @param detail what is wrong with `file`, without naming it
   * @param position where in the file, when known (1-based)
   */
  public constructor(
    public readonly file: string,
    public readonly detail: string,
    public readonly hint?: string,
    public readonly position?: { readonly line: number; readonly col: number },
  ) {
    super(`${file}${position === undefined ? '' : `:${position.line}:${position.col}`}: ${detail}`);
    this.name = 'SchemaLoadError';
  }
}

/** Options for `SchemaStore.load`. */
export interface SchemaLoadOptions {
  /**
   * Paths read after the others whose kinds replace theirs: the schemas of one cluster over those
   * common to every cluster. Within `overrides`, a kind defined twice is still an error.
   *
   * @default - none
   */
  readonly overrides?: readonly string[];
  /**
   * YAML schema files as parsed by earlier runs: parsing the YAML of the CRDs is most of loading
   * them (the `yaml` package reads a few MB a second), and the files rarely change.
   *
   * @default - every file is parsed
   */
  readonly keptDocuments?: KeptDocuments;
}

/** The documents of YAML schema files as parsed before, by the files' bytes (the pipeline keeps them between runs). */
export interface KeptDocuments {
  /** The documents parsed from exactly `bytes` before, or undefined. */
  get(bytes: Uint8Array): unknown[] | undefined;
  /** Keeps the documents parsed from `bytes` (valid YAML only). */
  keep(bytes: Uint8Array, documents: readonly unknown[]): void;
}

/** Where a kind's schema came from: a CRD, or an OpenAPI document the API server publishes (swagger v2, OpenAPI v3). */
type SchemaOrigin = 'crd' | 'openapi';

/** A claim on a kind: which file defines it, read in which layer (0: common, 1: overrides), from what. */
interface Claim {
  readonly source: string;
  readonly layer: number;
  readonly origin: SchemaOrigin;
}

/** One kind at one served version. */
interface KindEntry {
  readonly scope: ResourceScope;
  /** The file it came from, for messages about duplicates. */
  readonly source: string;
  readonly schema: CompiledSchema;
}

/** A CRD version read from a file, compiled once every file is read (metadata needs ObjectMeta). */
interface PendingKind {
  readonly key: string;
  readonly scope: ResourceScope;
  readonly source: string;
  readonly schema: unknown;
  readonly preserveUnknownFields: boolean;
  /** The CRD's name and the version: `destinationrules.networking.istio.io v1`. */
  readonly origin: string;
}

/**
 * Schemas of Kubernetes kinds, read from CustomResourceDefinitions, the Kubernetes swagger definitions and the
 * legacy Kuma spec schemas, to validate manifests offline as strictly as the API server's strict field validation.
 *
 * @example
 * const store = SchemaStore.load(schemaSets(process.env.MESHFLIP_CRDS!).ossm);
 * const issues = store.validate(manifest, { strict: true });
 */
export class SchemaStore {
  /**
   * Reads every schema in `paths`. Each path is a file or a folder, searched recursively, in YAML (`*.yaml`,
   * `*.yml`) or JSON (`*.json`): CustomResourceDefinitions, alone, several to a file, or in a `List` as
   * `kubectl get crd -o yaml` (or `-o json`) prints them; the Kubernetes OpenAPI v2 document (`swagger.json`, as
   * `kubectl get --raw /openapi/v2` prints it, or its `definitions` alone in `_definitions.json`); OpenAPI v3
   * documents (`kubectl get --raw /openapi/v3/apis/apps/v1`); and `<Kind>.json` in a folder named
   * `legacy-spec-schemas`. In folders, other files are ignored.
   *
   * A kind several OpenAPI documents define is taken from the first (they come from the same API server), and a
   * CRD's schema wins over the OpenAPI form of the same kind (which the API server derives from it, lossily).
   *
   * Throws a `SchemaLoadError` if a path does not exist, a file cannot be parsed, or two CRDs define the same kind
   * and version (such as `istio/` loaded together with an alternative of it).
   */
  public static load(paths: readonly string[], options: SchemaLoadOptions = {}): SchemaStore {
    // The same files, unchanged, compile to the same schemas: a process that checks several times
    // (a test run, a command that validates twice) reads and compiles them once. Each store keeps
    // its own record of what it reported.
    const key = loadKey(paths, options.overrides ?? []);
    let loaded = key === undefined ? undefined : LOADED.get(key);
    if (loaded === undefined) {
      const loader = new Loader(options.keptDocuments);
      for (const given of paths) {
        loader.add(given);
      }
      loader.layer = 1;
      for (const given of options.overrides ?? []) {
        loader.add(given);
      }
      loaded = loader.finish();
      if (key !== undefined) {
        LOADED.set(key, loaded);
        for (const old of [...LOADED.keys()].slice(0, Math.max(0, LOADED.size - LOADED_KEPT))) {
          LOADED.delete(old);
        }
      }
    } else {
      // Most recently used last.
      LOADED.delete(key!);
      LOADED.set(key!, loaded);
    }
    return new SchemaStore(loaded);
  }

  /** What was loaded, for a summary line. */
  public readonly summary: SchemaStoreSummary;

  private readonly kinds: ReadonlyMap<string, KindEntry>;
  private readonly legacySpecs: ReadonlyMap<string, CompiledSchema>;
  private readonly objectMeta: CompiledSchema | undefined;
  private readonly celRules: readonly CelRule[];
  /** CEL rules that cannot be evaluated and have been reported already: each is reported once per store. */
  private readonly reportedCelRules = new Set<CelRule>();

  private constructor(loaded: LoadedSchemas) {
    this.kinds = loaded.kinds;
    this.legacySpecs = loaded.legacySpecs;
    this.objectMeta = loaded.objectMeta;
    this.summary = loaded.summary;
    this.celRules = loaded.celRules;
  }

  /**
   * CEL rules that cannot be evaluated (an unknown function, a parse error), each with its location (CRD, version,
   * schema path) and the reason. Validation reports each as a warning on the first object that reaches it; strict
   * mode does not make it an error: the object is not at fault, meshflip's CEL libraries are.
   */
  public unevaluableCelRules(): readonly CelRule[] {
    return this.celRules.filter((rule) => rule.problem !== undefined);
  }

  /** Transition rules (`oldSelf`): skipped, since a rendered object has no stored version to compare with. */
  public transitionCelRules(): readonly CelRule[] {
    return this.celRules.filter((rule) => rule.transition);
  }

  /** Whether objects of `apiVersion` and `kind` can be validated. */
  public has(apiVersion: string, kind: string): boolean {
    return this.kinds.has(kindKey(apiVersion, kind));
  }

  /**
   * Whether objects of `apiVersion` and `kind` live in a namespace.
   *
   * @returns the scope, or `undefined` for a kind without a schema
   */
  public scopeOf(apiVersion: string, kind: string): ResourceScope | undefined {
    return this.kinds.get(kindKey(apiVersion, kind))?.scope;
  }

  /** Every kind that can be validated, as `<apiVersion> <kind>`, sorted. */
  public listKinds(): string[] {
    return [...this.kinds.keys()].sort();
  }

  /**
   * The summary as one line: `175 kinds (16 with a legacy Kuma spec schema) from 82 files; 411 CEL rules evaluated;
   * not checked: 3 CEL transition rules, 0 CEL rules not evaluable, 0 patterns`.
   */
  public summaryLine(): string {
    const s = this.summary;
    const legacy = s.legacySpecSchemas > 0 ? ` (${s.legacySpecSchemas} with a legacy Kuma spec schema)` : '';
    return (
      `${s.kinds} kinds${legacy} from ${s.files} files; ${s.celRulesEvaluated} CEL rules evaluated; not checked: ` +
      `${s.celTransitionRules} CEL transition rules, ${s.celRulesNotEvaluable} CEL rules not evaluable, ${s.patternsSkipped} patterns`
    );
  }

  /**
   * Validates one Kubernetes object (a parsed manifest document) and returns every issue, in document order.
   *
   * Beyond its schema: `apiVersion` and `kind` must be strings, `metadata` must be a valid ObjectMeta with a
   * `name` (or `generateName`), a cluster-scoped kind must not have `metadata.namespace`, and the `spec` of a legacy
   * Kuma kind must match its protobuf schema. A kind without a schema is an error in strict mode, a warning
   * otherwise.
   */
  public validate(object: unknown, options: ValidateOptions = {}): SchemaIssue[] {
    const strict = options.strict ?? true;
    if (!isRecord(object)) {
      return [error('', `must be an object, got ${renderValue(object)}`)];
    }
    const issues: SchemaIssue[] = [];
    for (const field of ['apiVersion', 'kind']) {
      const value = object[field];
      if (value === undefined) {
        issues.push(error(field, 'is required'));
      } else if (typeof value !== 'string' || value === '') {
        issues.push(error(field, `must be a non-empty string, got ${renderValue(value)}`));
      }
    }
    if (issues.length > 0) {
      return issues;
    }
    const apiVersion = object.apiVersion as string;
    const kind = object.kind as string;
    const entry = this.kinds.get(kindKey(apiVersion, kind));
    if (entry === undefined) {
      issues.push({ path: '', message: `${NO_SCHEMA} ${apiVersion} ${kind}`, severity: strict ? 'error' : 'warning' });
      if (this.objectMeta !== undefined && object.metadata !== undefined) {
        issues.push(...validateValue(this.objectMeta, object.metadata, { path: 'metadata' }));
      }
    } else {
      issues.push(...validateValue(entry.schema, object, { reportedCelRules: this.reportedCelRules }));
    }
    // Only what the schema has not already said about metadata as a whole.
    if (!issues.some((issue) => issue.path === 'metadata')) {
      issues.push(...this.checkMetadata(object.metadata, entry?.scope, kind));
    }
    const legacySpec = groupOf(apiVersion) === KUMA_GROUP ? this.legacySpecs.get(kind) : undefined;
    if (entry !== undefined && legacySpec !== undefined && object.spec !== undefined && object.spec !== null) {
      issues.push(...validateValue(legacySpec, object.spec, { path: 'spec' }));
    }
    return issues;
  }

  private checkMetadata(metadata: unknown, scope: ResourceScope | undefined, kind: string): SchemaIssue[] {
    if (metadata === undefined) {
      return [error('metadata.name', 'is required')];
    }
    if (!isRecord(metadata)) {
      return [error('metadata', `must be an object, got ${renderValue(metadata)}`)];
    }
    const issues: SchemaIssue[] = [];
    if (metadata.name === undefined && metadata.generateName === undefined) {
      issues.push(error('metadata.name', 'is required'));
    }
    if (scope === 'Cluster' && metadata.namespace !== undefined) {
      issues.push(error('metadata.namespace', `must not be set: ${kind} is cluster-scoped, got ${renderValue(metadata.namespace)}`));
    }
    return issues;
  }
}

/** Everything a `SchemaStore` is made of. */
/** Schemas compiled in this process, by `loadKey`; the last few are kept. */
const LOADED = new Map<string, LoadedSchemas>();
const LOADED_KEPT = 4;

/**
 * What identifies the schemas `paths` and `overrides` hold: each path with the path, size and
 * modification time of every file below it. Undefined when a path cannot be listed (loading then
 * reports it).
 */
function loadKey(paths: readonly string[], overrides: readonly string[]): string | undefined {
  const parts: string[] = [];
  const walk = (file: string): boolean => {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) {
      return false;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(file).sort()) {
        if (!walk(path.join(file, entry))) {
          return false;
        }
      }
    } else {
      parts.push(`${file}\0${stat.size}\0${stat.mtimeMs}`);
    }
    return true;
  };
  for (const [layer, list] of [paths, overrides].entries()) {
    for (const given of list) {
      parts.push(`${layer}\0${path.resolve(given)}`);
      if (!walk(path.resolve(given))) {
        return undefined;
      }
    }
  }
  return parts.join('\n');
}

interface LoadedSchemas {
  readonly kinds: ReadonlyMap<string, KindEntry>;
  readonly legacySpecs: ReadonlyMap<string, CompiledSchema>;
  readonly objectMeta: CompiledSchema | undefined;
  readonly summary: SchemaStoreSummary;
  readonly celRules: readonly CelRule[];
}

/** Reads schema files into kinds, then compiles them. */
class Loader {
  private readonly pending: PendingKind[] = [];
  /** Which file defines each kind, to refuse a second definition. */
  private readonly claimed = new Map<string, Claim>();
  /** The layer of the paths being added: 0 for the common ones, 1 for overrides. */
  public layer = 0;
  private readonly legacyFiles = new Map<string, { source: string; document: Record<string, unknown> }>();
  private readonly kinds = new Map<string, KindEntry>();
  private swagger: SchemaCompiler | undefined;
  private readonly compilers: SchemaCompiler[] = [];
  private files = 0;

  constructor(private readonly keptDocuments?: KeptDocuments) {}

  public add(given: string): void {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch {
      throw new SchemaLoadError(given, 'cannot load schemas: no such file or folder');
    }
    if (stat.isDirectory()) {
      this.addFolder(given);
    } else if (!this.addFile(given)) {
      throw new SchemaLoadError(
        given,
        'cannot load schemas: it holds no CustomResourceDefinition, OpenAPI document or ' + `${LEGACY_SPEC_SCHEMA_DIR}/<Kind>.json schema`,
        SCHEMA_FILES_HINT,
      );
    }
  }

  public finish(): LoadedSchemas {
    const objectMeta = this.swagger?.hasDefinition(OBJECT_META) === true ? this.swagger.compileDefinition(OBJECT_META) : undefined;
    const crds = new SchemaCompiler({ dialect: SchemaDialect.STRUCTURAL, objectMeta });
    const openCrds = new SchemaCompiler({ dialect: SchemaDialect.STRUCTURAL, objectMeta, preserveUnknownFields: true });
    this.compilers.push(crds, openCrds);
    for (const kind of this.pending) {
      const compiler = kind.preserveUnknownFields ? openCrds : crds;
      this.kinds.set(kind.key, { scope: kind.scope, source: kind.source, schema: compiler.compileResource(kind.schema, kind.origin) });
    }
    const legacySpecs = new Map<string, CompiledSchema>();
    for (const [kind, { document }] of this.legacyFiles) {
      const compiler = new SchemaCompiler({ dialect: SchemaDialect.PROTOBUF, definitions: recordOr(document.definitions) });
      this.compilers.push(compiler);
      legacySpecs.set(kind, compiler.compile(document));
    }
    const kumaKinds = new Set([...this.kinds.keys()].filter((key) => key.startsWith(`${KUMA_GROUP}/`)).map((key) => key.split(' ')[1]));
    const celRules = this.compilers.flatMap((compiler) => compiler.celRules);
    const summary: SchemaStoreSummary = {
      files: this.files,
      kinds: this.kinds.size,
      legacySpecSchemas: [...legacySpecs.keys()].filter((kind) => kumaKinds.has(kind)).length,
      celRules: celRules.length,
      celRulesEvaluated: celRules.filter((rule) => rule.evaluable).length,
      celTransitionRules: celRules.filter((rule) => rule.transition).length,
      celRulesNotEvaluable: celRules.filter((rule) => rule.problem !== undefined).length,
      patternsSkipped: this.compilers.reduce((sum, compiler) => sum + compiler.skippedPatterns, 0),
    };
    return { kinds: this.kinds, legacySpecs, objectMeta, summary, celRules };
  }

  private addFolder(folder: string): void {
    const entries = fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) {
        continue;
      }
      const full = path.join(folder, entry.name);
      if (entry.isDirectory() || (entry.isSymbolicLink() && fs.statSync(full).isDirectory())) {
        this.addFolder(full);
      } else {
        this.addFile(full);
      }
    }
  }

  /** Reads one file if it is a schema file; returns whether it was. */
  private addFile(file: string): boolean {
    const name = path.basename(file);
    let read: boolean;
    if (name.endsWith('.json') && path.basename(path.dirname(file)) === LEGACY_SPEC_SCHEMA_DIR) {
      this.addLegacySpec(file, readJson(file));
      read = true;
    } else if (name.endsWith('.json')) {
      read = this.addDocument(file, readJson(file), name === SWAGGER_DEFINITIONS_FILE);
    } else if (name.endsWith('.yaml') || name.endsWith('.yml')) {
      read = this.addYaml(file);
    } else {
      read = false;
    }
    if (read) {
      this.files += 1;
    }
    return read;
  }

  /**
   * Reads one parsed document if it is a schema: a CRD, a list of them, an OpenAPI v2 or v3
   * document, or (`definitionsOnly`) the bare `definitions` of a swagger document. Returns whether it was.
   */
  private addDocument(file: string, document: unknown, definitionsOnly = false): boolean {
    if (!isRecord(document)) {
      return false;
    }
    if (isCrd(document)) {
      this.addCrd(file, document);
      return true;
    }
    if (Array.isArray(document.items) && typeof document.kind === 'string' && document.kind.endsWith('List')) {
      // kubectl get crd -o yaml: `kind: List` (or CustomResourceDefinitionList) with the CRDs as items.
      const crds = document.items.filter((item): item is Record<string, unknown> => isRecord(item) && isCrd(item));
      for (const crd of crds) {
        this.addCrd(file, crd);
      }
      return crds.length > 0;
    }
    if (isRecord(document.definitions) && (typeof document.swagger === 'string' || definitionsOnly)) {
      this.addSwagger(file, document.definitions);
      return true;
    }
    if (
      typeof document.openapi === 'string' &&
      document.openapi.startsWith('3.') &&
      isRecord(document.components) &&
      isRecord(document.components.schemas)
    ) {
      this.addSwagger(file, openApiV3Definitions(document.components.schemas));
      return true;
    }
    return false;
  }

  private addSwagger(file: string, definitions: Record<string, unknown>): void {
    const compiler = new SchemaCompiler({ dialect: SchemaDialect.SWAGGER, definitions });
    this.compilers.push(compiler);
    if (this.swagger === undefined || (!this.swagger.hasDefinition(OBJECT_META) && compiler.hasDefinition(OBJECT_META))) {
      this.swagger = compiler;
    }
    for (const [name, definition] of Object.entries(definitions)) {
      const gvks = isRecord(definition) ? definition['x-kubernetes-group-version-kind'] : undefined;
      // DeleteOptions, WatchEvent, Status and friends carry a kind for every group, and `*List` kinds are
      // responses; none of them is an object the API server stores.
      if (!Array.isArray(gvks) || name.startsWith('io.k8s.apimachinery.pkg.apis.meta.v1.') || name.endsWith('List')) {
        continue;
      }
      let schema: CompiledSchema | undefined;
      for (const gvk of gvks) {
        if (!isRecord(gvk) || typeof gvk.version !== 'string' || typeof gvk.kind !== 'string') {
          continue;
        }
        const group = typeof gvk.group === 'string' ? gvk.group : '';
        const scope: ResourceScope = CLUSTER_SCOPED_BUILTINS.has(`${group}/${gvk.kind}`) ? 'Cluster' : 'Namespaced';
        const key = kindKey(group === '' ? gvk.version : `${group}/${gvk.version}`, gvk.kind);
        if (this.claim(key, file, 'openapi')) {
          schema ??= compiler.compileDefinition(name);
          this.kinds.set(key, { scope, source: file, schema });
        }
      }
    }
  }

  private addLegacySpec(file: string, document: Record<string, unknown>): void {
    const kind = path.basename(file, '.json');
    const earlier = this.legacyFiles.get(kind);
    if (earlier !== undefined) {
      throw new SchemaLoadError(file, `defines the legacy spec schema of ${kind}, which ${earlier.source} defines too`);
    }
    this.legacyFiles.set(kind, { source: file, document });
  }

  /** Reads the documents of a YAML file; returns whether any was a schema. */
  private addYaml(file: string): boolean {
    let bytes: Buffer;
    let documents;
    try {
      bytes = fs.readFileSync(file);
      const kept = this.keptDocuments?.get(bytes);
      if (kept !== undefined) {
        return kept.reduce((read: boolean, value) => this.addDocument(file, value) || read, false);
      }
      documents = parseAllDocuments(bytes.toString('utf8'));
    } catch (e) {
      if (e instanceof SchemaLoadError) {
        throw e;
      }
      throw new SchemaLoadError(file, `cannot be read: ${(e as Error).message}`);
    }
    const values: unknown[] = [];
    for (const document of Array.isArray(documents) ? documents : [documents]) {
      if (document.errors.length > 0) {
        const [first] = document.errors;
        throw new SchemaLoadError(
          file,
          `is not valid YAML: ${first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`,
          undefined,
          first.linePos?.[0],
        );
      }
      values.push(document.toJS({ maxAliasCount: -1 }));
    }
    // Kept as parsed, before anything reads them.
    this.keptDocuments?.keep(bytes, values);
    return values.reduce((read: boolean, value) => this.addDocument(file, value) || read, false);
  }

  private addCrd(file: string, crd: Record<string, unknown>): void {
    const spec = recordOr(crd.spec);
    const names = recordOr(spec.names);
    const crdName = isRecord(crd.metadata) ? String(crd.metadata.name) : '?';
    if (typeof spec.group !== 'string' || typeof names.kind !== 'string') {
      throw new SchemaLoadError(file, `CustomResourceDefinition ${crdName} has no spec.group or spec.names.kind`);
    }
    const scope: ResourceScope = spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced';
    // apiextensions.k8s.io/v1beta1 had one schema for all versions and kept unknown fields unless told otherwise.
    const v1beta1 = crd.apiVersion === 'apiextensions.k8s.io/v1beta1';
    const preserveUnknownFields = spec.preserveUnknownFields === true || (v1beta1 && spec.preserveUnknownFields !== false);
    const sharedSchema = recordOr(spec.validation).openAPIV3Schema;
    const versions = Array.isArray(spec.versions) ? spec.versions : typeof spec.version === 'string' ? [{ name: spec.version, served: true }] : [];
    for (const version of versions) {
      if (!isRecord(version) || version.served !== true || typeof version.name !== 'string') {
        continue;
      }
      const schema = recordOr(version.schema).openAPIV3Schema ?? sharedSchema ?? { 'x-kubernetes-preserve-unknown-fields': true };
      const key = kindKey(`${spec.group}/${version.name}`, names.kind);
      if (!this.claim(key, file, 'crd')) {
        continue;
      }
      this.pending.push({ key, scope, source: file, schema, preserveUnknownFields, origin: `${crdName} ${version.name}` });
    }
  }

  /**
   * Records that `source` defines `key`, and says whether to take its schema: a later layer replaces an earlier
   * one, a CRD replaces an OpenAPI form of the same kind, an OpenAPI form never replaces anything. Two CRDs of
   * one layer defining a kind is an error, also within one file.
   */
  private claim(key: string, source: string, origin: SchemaOrigin): boolean {
    const earlier = this.claimed.get(key);
    if (earlier !== undefined && earlier.layer === this.layer) {
      if (origin === 'openapi') {
        return false;
      }
      if (earlier.origin === 'crd') {
        throw new SchemaLoadError(
          source,
          `${key} is defined twice: ${earlier.source === source ? 'in this file' : `here and in ${earlier.source}`}`,
          "keep one CustomResourceDefinition of each kind in a schema set: one folder per cluster, each with that cluster's CRDs",
        );
      }
    }
    if (earlier !== undefined) {
      this.kinds.delete(key);
      const index = this.pending.findIndex((kind) => kind.key === key);
      if (index >= 0) {
        this.pending.splice(index, 1);
      }
    }
    this.claimed.set(key, { source, layer: this.layer, origin });
    return true;
  }
}

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

function error(fieldPath: string, message: string): SchemaIssue {
  return { path: fieldPath, message, severity: 'error' };
}

function readJson(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SchemaLoadError(file, `cannot be read: ${(e as Error).message}`);
  }
  if (!isRecord(parsed)) {
    throw new SchemaLoadError(file, 'cannot be read: expected a JSON object');
  }
  return parsed;
}

function isCrd(document: Record<string, unknown>): boolean {
  return (
    document.kind === 'CustomResourceDefinition' && typeof document.apiVersion === 'string' && document.apiVersion.startsWith('apiextensions.k8s.io/')
  );
}

/**
 * The `components.schemas` of an OpenAPI v3 document as swagger definitions: references point into
 * `#/definitions/`, and a reference wrapped as `allOf: [{$ref}]` (how v3 gives a referenced field a
 * default or a description) is the reference alone, as swagger reads a `$ref` with siblings.
 */
function openApiV3Definitions(schemas: Record<string, unknown>): Record<string, unknown> {
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) {
      return value.map(convert);
    }
    if (!isRecord(value)) {
      return value;
    }
    if (Array.isArray(value.allOf) && value.allOf.length === 1 && isRecord(value.allOf[0]) && typeof value.allOf[0].$ref === 'string') {
      return convert(value.allOf[0]);
    }
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) {
      out[key] = key === '$ref' && typeof child === 'string' ? child.replace(/^#\/components\/schemas\//, '#/definitions/') : convert(child);
    }
    return out;
  };
  return convert(schemas) as Record<string, unknown>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function recordOr(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}
