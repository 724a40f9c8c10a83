/**
 * Kubernetes CEL validation rules (`x-kubernetes-validations`), compiled once per schema node and evaluated with
 * `@bufbuild/cel` (conformance-tested against cel-spec; RE2 regular expressions) plus the Kubernetes CEL libraries
 * the rules can use.
 *
 * What the API server does is in k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel/validation.go (evaluation,
 * messages, `fieldPath`, `reason`), k8s.io/apiserver/pkg/cel/common/values.go (how a JSON value becomes a CEL value)
 * and k8s.io/apiserver/pkg/cel/library/ (the libraries).
 */
import {
  CelScalar,
  type CelEnv,
  type CelFunc,
  type CelValue,
  celEnv,
  celFunc,
  celMethod,
  isCelError,
  isCelList,
  isCelMap,
  listType,
  mapType,
  objectType,
  parse,
  plan,
} from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { type DescMessage, create, createFileRegistry, createRegistry } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { RE2JS } from '@bufbuild/re2';
import { type GoRegExp, compileGoRegExp } from './go-regexp';

/**
 * Iterations over the elements of the rule's input one rule evaluation may make. The API server charges at least one
 * cost unit per iteration and stops a rule at 1,000,000 units (`celconfig.PerCallLimit` in
 * k8s.io/apiserver/pkg/apis/cel/config.go), so a rule that needs more would be rejected there too.
 */
export const CEL_PER_CALL_LIMIT = 1_000_000;

/** One entry of `x-kubernetes-validations`, as written in a CRD. */
export interface CelRuleSource {
  readonly rule: string;
  readonly message?: string;
  readonly messageExpression?: string;
  readonly fieldPath?: string;
  readonly reason?: string;
  readonly optionalOldSelf?: boolean;
}

/** What a failed rule says, relative to the value the rule is on. */
export interface CelFailure {
  /** `fieldPath` of the rule, split into keys and indexes: `['spec', 'ports', 0]`. Empty for the value itself. */
  readonly fieldPath: readonly (string | number)[];
  readonly message: string;
}

type Program = ReturnType<typeof plan>;

/** The rule text for a message: on one line, shortened when long. */
export function ruleText(rule: string, max = 100): string {
  const flat = rule.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

/** A compiled `x-kubernetes-validations` entry. */
export class CelRule {
  /** Compiles one entry; never throws: what cannot be compiled is said in `problem`. */
  public static compile(source: unknown, location: string): CelRule {
    if (!isRecord(source) || typeof source.rule !== 'string') {
      return new CelRule({ rule: String(isRecord(source) ? source.rule : source) }, location, { problem: 'the entry has no rule text' });
    }
    const entry: CelRuleSource = {
      rule: source.rule,
      message: typeof source.message === 'string' ? source.message : undefined,
      messageExpression: typeof source.messageExpression === 'string' ? source.messageExpression : undefined,
      fieldPath: typeof source.fieldPath === 'string' ? source.fieldPath : undefined,
      reason: typeof source.reason === 'string' ? source.reason : undefined,
      optionalOldSelf: source.optionalOldSelf === true,
    };
    const compiled = compileExpression(entry.rule);
    if (typeof compiled === 'string') {
      return new CelRule(entry, location, { problem: compiled });
    }
    if (compiled.transition) {
      return new CelRule(entry, location, { transition: true });
    }
    let messageProgram: Program | undefined;
    if (entry.messageExpression !== undefined) {
      const message = compileExpression(entry.messageExpression);
      if (typeof message === 'string') {
        return new CelRule(entry, location, { problem: `messageExpression: ${message}` });
      }
      messageProgram = message.program;
    }
    let fieldPath: (string | number)[] = [];
    if (entry.fieldPath !== undefined) {
      const parsed = parseFieldPath(entry.fieldPath);
      if (parsed === undefined) {
        return new CelRule(entry, location, {
          problem: `fieldPath ${JSON.stringify(entry.fieldPath)} is not a path such as .spec.ports[0] or ['key']`,
        });
      }
      fieldPath = parsed;
    }
    return new CelRule(entry, location, { program: compiled.program, messageProgram, fieldPath });
  }

  /** The rule expression as written. */
  public readonly rule: string;
  /** Where the rule is: the CRD, version and schema path (`destinationrules.networking.istio.io v1 spec.host`). */
  public readonly location: string;
  /** Why the rule cannot be evaluated (an unknown function, a parse error); `undefined` when it can. */
  public readonly problem: string | undefined;
  /** Whether the rule compares with `oldSelf`: it needs the stored object, which a render does not have. */
  public readonly transition: boolean;

  private readonly source: CelRuleSource;
  private readonly program: Program | undefined;
  private readonly messageProgram: Program | undefined;
  private readonly fieldPath: readonly (string | number)[];

  private constructor(
    source: CelRuleSource,
    location: string,
    compiled: { program?: Program; messageProgram?: Program; fieldPath?: (string | number)[]; problem?: string; transition?: boolean },
  ) {
    this.source = source;
    this.rule = source.rule;
    this.location = location;
    this.program = compiled.program;
    this.messageProgram = compiled.messageProgram;
    this.fieldPath = compiled.fieldPath ?? [];
    this.problem = compiled.problem;
    this.transition = compiled.transition === true;
  }

  /** Whether `evaluate` can run the rule. */
  public get evaluable(): boolean {
    return this.program !== undefined;
  }

  /**
   * Evaluates the rule with `self` bound to `self` (a value from `toCelValue`-style conversion) and returns the
   * failure, or `undefined` when the rule holds (or cannot be evaluated; see `problem` and `transition`).
   */
  public evaluate(self: unknown): CelFailure | undefined {
    if (this.program === undefined) {
      return undefined;
    }
    const result = metered(() => this.program!({ self: self as CelValue }));
    if (result.exceeded) {
      // validation.go: "no further validation rules will be run due to call cost exceeds limit for rule".
      return this.failure(`exceeds the cost limit of ${CEL_PER_CALL_LIMIT} iterations, as the API server's per-call limit would`);
    }
    const value = result.value;
    if (isCelError(value)) {
      // validation.go: "<error> evaluating rule: <rule>".
      return this.failure(`cannot be evaluated: ${value.message}`);
    }
    if (typeof value !== 'boolean') {
      return this.failure(`must evaluate to a boolean, got ${celTypeName(value)}`);
    }
    if (value) {
      return undefined;
    }
    return { fieldPath: this.fieldPath, message: `${this.message(self)} (rule: ${ruleText(this.rule)})` };
  }

  /**
   * The message of a failed rule: `messageExpression` when it gives a non-empty string on one line, else `message`,
   * else `failed rule: <rule>` (validation.go, `ruleMessageOrDefault`).
   */
  private message(self: unknown): string {
    if (this.messageProgram !== undefined) {
      const result = metered(() => this.messageProgram!({ self: self as CelValue }));
      const text = result.value;
      if (!result.exceeded && typeof text === 'string' && text.trim() !== '' && !/[\r\n]/.test(text)) {
        return withReason(this.source.reason, text);
      }
    }
    return withReason(this.source.reason, this.source.message?.trim() || `failed rule: ${ruleText(this.rule)}`);
  }

  private failure(detail: string): CelFailure {
    return { fieldPath: [], message: `rule ${JSON.stringify(ruleText(this.rule))} ${detail}` };
  }
}

/** `reason` changes the kind of field error the API server reports (Invalid value, Forbidden, Required value, ...). */
function withReason(reason: string | undefined, message: string): string {
  switch (reason) {
    case 'FieldValueForbidden':
      return `forbidden: ${message}`;
    case 'FieldValueRequired':
      return `required: ${message}`;
    case 'FieldValueDuplicate':
      return `duplicate: ${message}`;
    default:
      return message;
  }
}

/**
 * Escapes a property name the way Kubernetes makes it a CEL identifier (k8s.io/apiserver/pkg/cel/escaping.go,
 * `Escape`): reserved words become `__word__`, and `__`, `.`, `-`, `/` become `__underscores__`, `__dot__`,
 * `__dash__`, `__slash__`. Returns `undefined` for a name CEL cannot reach (the property is left out).
 */
export function escapeCelName(name: string): string | undefined {
  if (name === '' || (name[0] >= '0' && name[0] <= '9')) {
    return undefined;
  }
  if (CEL_RESERVED.has(name)) {
    return `__${name}__`;
  }
  if (/[^a-zA-Z0-9_./-]/.test(name)) {
    return undefined;
  }
  return name.replace(/__|[./-]/g, (s) => ESCAPES[s]);
}

const CEL_RESERVED: ReadonlySet<string> = new Set([
  'true',
  'false',
  'null',
  'in',
  'as',
  'break',
  'const',
  'continue',
  'else',
  'for',
  'function',
  'if',
  'import',
  'let',
  'loop',
  'package',
  'namespace',
  'return',
  'var',
  'void',
  'while',
]);
const ESCAPES: Readonly<Record<string, string>> = { __: '__underscores__', '.': '__dot__', '-': '__dash__', '/': '__slash__' };

// ---------------------------------------------------------------------------------------------------------------
// Cost guard: lists and maps given to a rule charge every element a comprehension walks over.

class CostExceeded extends Error {}

let budget = Infinity;

function metered<T>(run: () => T): { value: T | undefined; exceeded: boolean } {
  budget = CEL_PER_CALL_LIMIT;
  try {
    const value = run();
    return { value, exceeded: budget < 0 };
  } catch (e) {
    if (e instanceof CostExceeded || budget < 0) {
      return { value: undefined, exceeded: true };
    }
    throw e;
  } finally {
    budget = Infinity;
  }
}

function charge(): void {
  budget -= 1;
  if (budget < 0) {
    throw new CostExceeded('cost limit exceeded');
  }
}

/** A list for `self` whose iteration is charged against the rule's budget. */
export function meteredList(items: unknown[]): unknown[] {
  const values = items.values.bind(items);
  Object.defineProperty(items, 'values', {
    enumerable: false,
    value: function* meteredValues() {
      for (const item of values()) {
        charge();
        yield item;
      }
    },
  });
  return items;
}

/** A map (or object) for `self` whose iteration is charged against the rule's budget. */
export function meteredMap(entries: Map<string, unknown>): Map<string, unknown> {
  const keys = entries.keys.bind(entries);
  Object.defineProperty(entries, 'keys', {
    enumerable: false,
    value: function* meteredKeys() {
      for (const key of keys()) {
        charge();
        yield key;
      }
    },
  });
  return entries;
}

// ---------------------------------------------------------------------------------------------------------------
// The environment: CEL standard library, the strings extension, and the Kubernetes libraries.

/** Kubernetes' URL type (k8s.io/apiserver/pkg/cel/url.go), as a message so that it has a type of its own. */
const URL_DESC: DescMessage = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'kubernetes/url.proto',
    package: 'kubernetes',
    syntax: 'proto3',
    messageType: [{ name: 'URL', field: [{ name: 'raw', number: 1, type: 9, label: 1, jsonName: 'raw' }] }],
  }),
  () => undefined,
).getMessage('kubernetes.URL') as DescMessage;
const URL_TYPE = objectType(URL_DESC);

/** Go's url.URL parts that the library reads, parsed once per `url()` call. */
interface ParsedUrl {
  readonly scheme: string;
  readonly host: string;
  readonly path: string;
  readonly rawQuery: string;
}

function urlOf(message: unknown): ParsedUrl {
  const raw = (message as { get(field: unknown): string }).get(URL_DESC.fields[0]);
  const parsed = parseGoUrl(raw, false);
  if (typeof parsed === 'string') {
    throw new Error(parsed);
  }
  return parsed;
}

/** k8s.io/apiserver/pkg/cel/library/urls.go: url, isURL and the URL getters. */
const URLS: CelFunc[] = [
  celFunc('url', [CelScalar.STRING], URL_TYPE, (s) => {
    // stringToUrl: ParseRequestURI must accept it, then Parse (which also splits the fragment) reads it.
    const request = parseGoUrl(s, true);
    if (typeof request === 'string') {
      throw new Error(`URL parse error during conversion from string: ${request}`);
    }
    return create(URL_DESC, { raw: s });
  }),
  celFunc('isURL', [CelScalar.STRING], CelScalar.BOOL, (s) => typeof parseGoUrl(s, true) !== 'string'),
  celMethod('getScheme', URL_TYPE, [], CelScalar.STRING, function getScheme() {
    return urlOf(this).scheme;
  }),
  celMethod('getHost', URL_TYPE, [], CelScalar.STRING, function getHost() {
    return urlOf(this).host;
  }),
  celMethod('getHostname', URL_TYPE, [], CelScalar.STRING, function getHostname() {
    return splitHostPort(urlOf(this).host).hostname;
  }),
  celMethod('getPort', URL_TYPE, [], CelScalar.STRING, function getPort() {
    return splitHostPort(urlOf(this).host).port;
  }),
  celMethod('getEscapedPath', URL_TYPE, [], CelScalar.STRING, function getEscapedPath() {
    return urlOf(this).path.replace(/%[0-9A-Fa-f]{2}|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]/g, (c) => (c.length === 3 ? c : encodeURIComponent(c)));
  }),
  celMethod('getQuery', URL_TYPE, [], mapType(CelScalar.STRING, listType(CelScalar.STRING)), function getQuery() {
    const query = new Map<string, string[]>();
    for (const [key, value] of new URLSearchParams(urlOf(this).rawQuery)) {
      query.set(key, [...(query.get(key) ?? []), value]);
    }
    return query;
  }),
];

/**
 * Go's net/url parsing, as far as the URL library needs it (`url.Parse`, and `url.ParseRequestURI` when `request`):
 * an absolute URI or, for a request, an absolute path. Returns an error text when Go would refuse the string.
 */
export function parseGoUrl(raw: string, request: boolean): ParsedUrl | string {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(raw)) {
    return `parse ${JSON.stringify(raw)}: net/url: invalid control character in URL`;
  }
  let rest = raw;
  if (!request) {
    const hash = rest.indexOf('#');
    if (hash >= 0) {
      rest = rest.slice(0, hash);
    }
  }
  if (rest === '' && request) {
    return 'parse "": empty url';
  }
  let scheme = '';
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (schemeMatch !== null) {
    scheme = schemeMatch[1].toLowerCase();
    rest = rest.slice(schemeMatch[0].length);
  } else if (rest.startsWith(':')) {
    // net/url getScheme: a colon first; a digit, '+', '-' or '.' first means no scheme at all.
    return `parse ${JSON.stringify(raw)}: missing protocol scheme`;
  }
  let rawQuery = '';
  const question = rest.indexOf('?');
  if (question >= 0) {
    rawQuery = rest.slice(question + 1);
    rest = rest.slice(0, question);
  }
  if (!rest.startsWith('/')) {
    if (scheme !== '') {
      // An opaque URL such as mailto:someone.
      return { scheme, host: '', path: '', rawQuery };
    }
    if (request) {
      return `parse ${JSON.stringify(raw)}: invalid URI for request`;
    }
    const colon = rest.indexOf(':');
    const slash = rest.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) {
      return `parse ${JSON.stringify(raw)}: first path segment in URL cannot contain colon`;
    }
  }
  let host = '';
  if ((scheme !== '' || (!request && !rest.startsWith('///'))) && rest.startsWith('//')) {
    const authorityEnd = rest.indexOf('/', 2);
    const authority = authorityEnd < 0 ? rest.slice(2) : rest.slice(2, authorityEnd);
    rest = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
    const at = authority.lastIndexOf('@');
    host = at < 0 ? authority : authority.slice(at + 1);
    const hostError = checkHost(host);
    if (hostError !== undefined) {
      return `parse ${JSON.stringify(raw)}: ${hostError}`;
    }
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(rest)) {
    const bad = /%.{0,2}/.exec(rest.slice(rest.search(/%(?![0-9A-Fa-f]{2})/)))?.[0] ?? '%';
    return `parse ${JSON.stringify(raw)}: invalid URL escape ${JSON.stringify(bad)}`;
  }
  return { scheme, host: safeDecode(host), path: rest, rawQuery };
}

/** net/url parseHost: an IPv6 literal in brackets, else a port after the last colon must be digits. */
function checkHost(host: string): string | undefined {
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close < 0) {
      return "missing ']' in host";
    }
    const port = host.slice(close + 1);
    return port === '' || /^:\d*$/.test(port) ? undefined : `invalid port ${JSON.stringify(port)} after host`;
  }
  const colon = host.lastIndexOf(':');
  if (colon >= 0 && !/^:\d*$/.test(host.slice(colon))) {
    return `invalid port ${JSON.stringify(host.slice(colon))} after host`;
  }
  if (/%(?![0-9A-Fa-f]{2})/.test(host) || /[ "<>\\^`{|}]/.test(host)) {
    return `invalid character in host name`;
  }
  return undefined;
}

function splitHostPort(host: string): { hostname: string; port: string } {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    const port = host.slice(close + 1);
    return { hostname: host.slice(1, close), port: port.startsWith(':') ? port.slice(1) : '' };
  }
  const colon = host.lastIndexOf(':');
  return colon < 0 ? { hostname: host, port: '' } : { hostname: host.slice(0, colon), port: host.slice(colon + 1) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The standard functions, to compare and add list elements with CEL's own semantics. */
const STANDARD = celEnv();

function callStandard(name: string, args: CelValue[]): CelValue {
  const result = STANDARD.funcs.find(name)?.call(0, undefined, args);
  if (result === undefined) {
    throw new Error(`no such overload: ${name}(${args.map(celTypeName).join(', ')})`);
  }
  if (isCelError(result)) {
    throw new Error(result.message);
  }
  return result;
}

function elementsOf(list: unknown): CelValue[] {
  return [...(list as Iterable<CelValue>)];
}

/** k8s.io/apiserver/pkg/cel/library/lists.go: isSorted, sum, min, max, indexOf, lastIndexOf on lists. */
const LISTS: CelFunc[] = [
  celMethod('isSorted', listType(CelScalar.DYN), [], CelScalar.BOOL, function isSorted() {
    const items = elementsOf(this);
    return items.every((item, i) => i === 0 || callStandard('_<=_', [items[i - 1], item]) === true);
  }),
  celMethod('sum', listType(CelScalar.DYN), [], CelScalar.DYN, function sum() {
    const items = elementsOf(this);
    return items.length === 0 ? 0n : items.reduce((total, item) => callStandard('_+_', [total, item]));
  }),
  celMethod('min', listType(CelScalar.DYN), [], CelScalar.DYN, function min() {
    const items = elementsOf(this);
    if (items.length === 0) {
      throw new Error('min called on empty list');
    }
    return items.reduce((best, item) => (callStandard('_<_', [item, best]) === true ? item : best));
  }),
  celMethod('max', listType(CelScalar.DYN), [], CelScalar.DYN, function max() {
    const items = elementsOf(this);
    if (items.length === 0) {
      throw new Error('max called on empty list');
    }
    return items.reduce((best, item) => (callStandard('_>_', [item, best]) === true ? item : best));
  }),
  celMethod('indexOf', listType(CelScalar.DYN), [CelScalar.DYN], CelScalar.INT, function indexOf(wanted) {
    return BigInt(elementsOf(this).findIndex((item) => callStandard('_==_', [item, wanted]) === true));
  }),
  celMethod('lastIndexOf', listType(CelScalar.DYN), [CelScalar.DYN], CelScalar.INT, function lastIndexOf(wanted) {
    const items = elementsOf(this);
    for (let i = items.length - 1; i >= 0; i--) {
      if (callStandard('_==_', [items[i], wanted]) === true) {
        return BigInt(i);
      }
    }
    return -1n;
  }),
];

function goRegExp(pattern: string): GoRegExp {
  const regexp = compileGoRegExp(pattern);
  if (regexp === undefined) {
    throw new Error(`error parsing regexp: ${pattern}`);
  }
  return regexp;
}

/** k8s.io/apiserver/pkg/cel/library/regex.go: find and findAll (Go's FindString and FindAllString). */
const REGEX: CelFunc[] = [
  celMethod('find', CelScalar.STRING, [CelScalar.STRING], CelScalar.STRING, function find(pattern) {
    return goRegExp(pattern).find(this);
  }),
  celMethod('findAll', CelScalar.STRING, [CelScalar.STRING], listType(CelScalar.STRING), function findAll(pattern) {
    return goRegExp(pattern).findAll(this);
  }),
  celMethod('findAll', CelScalar.STRING, [CelScalar.STRING, CelScalar.INT], listType(CelScalar.STRING), function findAll(pattern, limit) {
    return goRegExp(pattern).findAll(this, limit < 0n ? -1 : Number(limit));
  }),
];

/**
 * `int(string)` as cel-go does it, with Go's strconv.ParseInt: decimal digits with an optional sign, within int64.
 * (JavaScript's BigInt would also take spaces and 0x prefixes.)
 */
const INT_FROM_STRING = celFunc('int', [CelScalar.STRING], CelScalar.INT, (text) => {
  if (!/^[+-]?\d+$/.test(text)) {
    throw new Error(`cannot convert ${JSON.stringify(text)} to int`);
  }
  const value = BigInt(text);
  if (value > 9223372036854775807n || value < -9223372036854775808n) {
    throw new Error('integer overflow');
  }
  return value;
});

/** RE2 patterns compiled once: `matches` runs per element in rules over lists. */
const RE2_CACHE = new Map<string, RE2JS>();

const ENV: CelEnv = celEnv({
  registry: createRegistry(URL_DESC),
  funcs: [...strings, ...URLS, ...LISTS, ...REGEX, INT_FROM_STRING],
  re2: {
    compile(pattern: string) {
      let compiled = RE2_CACHE.get(pattern);
      if (compiled === undefined) {
        compiled = RE2JS.compile(pattern);
        RE2_CACHE.set(pattern, compiled);
      }
      return compiled;
    },
  },
});

/** Calls the planner handles itself, not through a function: indexing, `?:`, `&&`, `||` and macro plumbing. */
const PLANNER_CALLS: ReadonlySet<string> = new Set([
  '_[_]',
  '_[?_]',
  '_?._',
  '_?_:_',
  '_&&_',
  '_||_',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

/** Type names an expression may use as values: `type(self) == int`. */
const TYPE_NAMES: ReadonlySet<string> = new Set([
  'bool',
  'bytes',
  'double',
  'duration',
  'int',
  'list',
  'map',
  'null_type',
  'string',
  'timestamp',
  'type',
  'uint',
]);

/**
 * Parses and plans an expression over `self` (and `oldSelf`), after checking every function it calls exists with
 * that many arguments: the planner would only find out when the call runs. Returns why it cannot be evaluated.
 */
function compileExpression(expression: string): { program: Program; transition: boolean } | string {
  let parsed;
  try {
    parsed = parse(expression);
  } catch (e) {
    return `does not parse: ${(e as Error).message.replace(/\s+/g, ' ')}`;
  }
  const scan = { transition: false, problem: undefined as string | undefined };
  scanExpression(parsed.expr, new Set(['self']), scan);
  if (scan.problem !== undefined) {
    return scan.problem;
  }
  if (scan.transition) {
    return { program: undefined as never, transition: true };
  }
  try {
    return { program: plan(ENV, parsed), transition: false };
  } catch (e) {
    return `cannot be planned: ${(e as Error).message}`;
  }
}

interface ExprNode {
  readonly exprKind: { readonly case: string | undefined; readonly value?: unknown };
}

function scanExpression(expr: ExprNode | undefined, bound: ReadonlySet<string>, scan: { transition: boolean; problem: string | undefined }): void {
  if (expr === undefined || scan.problem !== undefined) {
    return;
  }
  const value = expr.exprKind.value as Record<string, unknown> | undefined;
  switch (expr.exprKind.case) {
    case 'identExpr': {
      const name = value?.name as string;
      if (name === 'oldSelf') {
        scan.transition = true;
      } else if (!bound.has(name) && !name.startsWith('@') && !TYPE_NAMES.has(name)) {
        scan.problem = `unknown variable ${name}`;
      }
      return;
    }
    case 'selectExpr':
      scanExpression(value?.operand as ExprNode, bound, scan);
      return;
    case 'callExpr': {
      const name = value?.function as string;
      const target = value?.target as ExprNode | undefined;
      const args = (value?.args as ExprNode[] | undefined) ?? [];
      // Arguments first: the innermost unknown function is the one to name.
      scanExpression(target, bound, scan);
      args.forEach((arg) => scanExpression(arg, bound, scan));
      if (scan.problem === undefined && !PLANNER_CALLS.has(name) && !knownFunction(name, target !== undefined, args.length)) {
        scan.problem = `unknown function ${target === undefined ? '' : '<value>.'}${name}() with ${args.length} argument${args.length === 1 ? '' : 's'}`;
      }
      return;
    }
    case 'listExpr':
      ((value?.elements as ExprNode[] | undefined) ?? []).forEach((element) => scanExpression(element, bound, scan));
      return;
    case 'structExpr':
      for (const entry of (value?.entries as { keyKind: { case: string; value: unknown }; value: ExprNode }[] | undefined) ?? []) {
        if (entry.keyKind.case === 'mapKey') {
          scanExpression(entry.keyKind.value as ExprNode, bound, scan);
        }
        scanExpression(entry.value, bound, scan);
      }
      return;
    case 'comprehensionExpr': {
      scanExpression(value?.iterRange as ExprNode, bound, scan);
      scanExpression(value?.accuInit as ExprNode, bound, scan);
      const inner = new Set([...bound, value?.iterVar as string, value?.accuVar as string]);
      if (typeof value?.iterVar2 === 'string' && value.iterVar2 !== '') {
        inner.add(value.iterVar2);
      }
      for (const part of ['loopCondition', 'loopStep', 'result']) {
        scanExpression(value?.[part] as ExprNode, inner, scan);
      }
      return;
    }
    default:
      return;
  }
}

function knownFunction(name: string, member: boolean, args: number): boolean {
  const group = ENV.funcs.find(name);
  if (group === undefined) {
    return false;
  }
  for (const func of group) {
    const arity = func.arguments.length;
    if ((func.target !== undefined) === member ? arity === args : func.target === undefined && member && arity === args + 1) {
      return true;
    }
  }
  return false;
}

function celTypeName(value: unknown): string {
  if (value === null) {
    return 'null';
  }
  switch (typeof value) {
    case 'bigint':
      return 'int';
    case 'number':
      return 'double';
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    default:
      return isCelList(value) || Array.isArray(value) ? 'list' : isCelMap(value) || value instanceof Map ? 'map' : 'object';
  }
}

/**
 * Parses a rule's `fieldPath`: `.a.b`, `['key with.dots']`, `[0]` (validation.go, `ValidFieldPath`).
 */
export function parseFieldPath(fieldPath: string): (string | number)[] | undefined {
  const parts: (string | number)[] = [];
  let rest = fieldPath.trim();
  while (rest !== '') {
    let match = /^\.([a-zA-Z_][a-zA-Z0-9_-]*)/.exec(rest);
    if (match !== null) {
      parts.push(match[1]);
    } else if ((match = /^\['((?:[^'\\]|\\.)*)'\]/.exec(rest)) !== null) {
      parts.push(match[1].replace(/\\(.)/g, '$1'));
    } else if ((match = /^\[(\d+)\]/.exec(rest)) !== null) {
      parts.push(Number(match[1]));
    } else {
      return undefined;
    }
    rest = rest.slice(match[0].length);
  }
  return parts;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
