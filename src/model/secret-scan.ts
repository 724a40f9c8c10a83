import { lintSource } from '@secretlint/core';
import { secretLintProfiler } from '@secretlint/profiler';
import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';
import { credentialByName, Detection, findCredentials, fingerprint, isCredentialName, MAX_PER_RULE, overlaps, redact } from './credentials';
import { InputSource, LoadOptions, Project, readProject } from './load';
import { FieldPath, formatPath } from './source-file';
import { AllowedSecret } from './spec';
import { Problem } from './spec-error';
import { escapeUnsafeText } from './unsafe-text';

/**
 * The secret scan: every string of every input file (and, through `scanStrings`, of every
 * rendered object) goes through secretlint's recommended preset and meshflip's own rules
 * (credentials.ts). secretlint works asynchronously, so the scan is a step of its own that
 * synth and validate await after loading and before anything is written.
 *
 * @see https://github.com/secretlint/secretlint/tree/master/packages/%40secretlint/secretlint-rule-preset-recommend
 */

/** One string to scan. */
export interface ScanItem {
  readonly value: string;
  /** The name the value is stored under, when it says what the value is: a map key, an env name, a `--flag`. */
  readonly name?: string;
  /**
   * Apply the rules about names (credential-looking names with a literal value, `NAME=value`
   * assignments). Off for mock data, whose logins and tokens are made up.
   */
  readonly names: boolean;
}

/**
 * secretlint marks the start and end of each lint, and of each rule's setup and run, in the
 * process's performance timeline (`performance.mark`), and its profiler, created when
 * `@secretlint/core` loads, keeps every mark for secretlint's own `--profile` report: an array it
 * searches whole at each end mark, a measure and a promise per end mark, and Node.js's global
 * buffer of marks, none of them ever cleared. meshflip never reads them, and a process that scans
 * again and again (a test runner's worker, an editor's server) would pay for them more with each
 * scan, so the profiler marks nothing. It is the instance `@secretlint/core` imports: one copy of
 * the package, in `node_modules/` as in the build (src/build.cjs).
 */
secretLintProfiler.mark = () => {};

/**
 * secretlint's recommended rules, without the one that reads `secretlint-disable` comments: in a
 * value, such a comment would be text from the input switching the scan off.
 */
const SECRETLINT_RULES = recommendedRules
  .filter((rule) => rule.meta.id !== '@secretlint/secretlint-rule-filter-comments')
  .map((rule) => ({ id: rule.meta.id, rule }));

/** What the rules of the preset find, in the words of a message. */
const SECRETLINT_FINDS: Readonly<Record<string, string>> = {
  aws: 'an AWS credential',
  gcp: 'a Google Cloud service account key',
  privatekey: 'a private key',
  npm: 'an npm token',
  basicauth: 'a basic-auth password',
  slack: 'a Slack token',
  sendgrid: 'a SendGrid API key',
  shopify: 'a Shopify token',
  github: 'a GitHub token',
  openai: 'an OpenAI API key',
  anthropic: 'an Anthropic API key',
  linear: 'a Linear API key',
  '1password': 'a 1Password service account token',
  'database-connection-string': 'a database connection string with a password',
};

/**
 * Long values are scanned in windows of this many characters, overlapping by `OVERLAP` so that a
 * token across a window boundary is still seen whole. Whatever a rule costs on one line, the work
 * per window is bounded, so the scan stays linear in the input.
 */
const WINDOW = 16 * 1024;
const OVERLAP = 1024;
/** Characters handed to secretlint at once. */
const BATCH = 1024 * 1024;
/** Between two values in a batch: a line of its own holding a character no input may hold. */
const SEPARATOR = '\n\u0000\n';
/** No rule of the preset matches fewer characters. */
const SHORTEST_SECRET = 8;

/**
 * What each distinct value was found to hold, by meshflip's rules (with and without the rules about
 * assignments) and by secretlint's: a value's findings depend on the value alone (secretlint sees
 * each value on lines of its own, in windows of its own), so the environments of a project, which
 * render the same names, images and labels many times over, scan each distinct string once per
 * process. Emptied when it holds `SCANNED_LIMIT` values, so memory stays bounded.
 */
const scanned = {
  own: [new Map<string, Detection[]>(), new Map<string, Detection[]>()],
  secretlint: new Map<string, readonly Detection[]>(),
  /**
   * The values in which neither meshflip's rules without names nor secretlint's found anything: a
   * string of a rendered object scanned without the rules about names (`ScanItem.names` false,
   * most of them) holds nothing when its value is here, and is not looked at again
   * (`renderedScanItems`).
   */
  clean: new Set<string>(),
};
const SCANNED_LIMIT = 500_000;
/** Longer values are scanned each time rather than kept: they are rarely repeated, and large. */
const SCANNED_MAX_LENGTH = 64 * 1024;
const NOTHING: readonly Detection[] = Object.freeze([]);

/**
 * Every credential in each item (by position), found by meshflip's rules and secretlint's, overlaps
 * removed. Items with the same value may share one (read-only) list.
 */
export async function scanStrings(items: readonly ScanItem[]): Promise<(readonly Detection[])[]> {
  if (scanned.own[0].size + scanned.own[1].size + scanned.secretlint.size + scanned.clean.size > SCANNED_LIMIT) {
    scanned.own.forEach((m) => m.clear());
    scanned.secretlint.clear();
    scanned.clean.clear();
  }
  // One pass over the items: meshflip's rules, and secretlint's findings for the values scanned
  // before; the values never scanned are linted together afterwards. Keyed by the value itself,
  // whose hash the engine keeps, rather than by a new string per item.
  const unseen = new Map<string, number[]>();
  const found = items.map((item, i) => {
    const cache = scanned.own[item.names ? 1 : 0];
    let own = cache.get(item.value);
    if (own === undefined) {
      own = findCredentials(item.value, { assignments: item.names });
      if (item.value.length <= SCANNED_MAX_LENGTH) {
        cache.set(item.value, own);
      }
    }
    // The name is the weakest evidence: it speaks only when the value itself says nothing.
    const byName = own.length === 0 && item.names && item.name !== undefined ? credentialByName(item.name, item.value) : undefined;
    const mine = byName === undefined ? own : [byName];
    if (item.value.length < SHORTEST_SECRET) {
      return mine;
    }
    const linted = scanned.secretlint.get(item.value);
    if (linted === undefined) {
      const at = unseen.get(item.value);
      if (at === undefined) {
        unseen.set(item.value, [i]);
      } else {
        at.push(i);
      }
      return mine;
    }
    return withSecretlint(mine, linted);
  });
  const values = [...unseen.keys()];
  (await secretlintDetections(values)).forEach((detections, v) => {
    const linted = detections.length > 0 ? detections : NOTHING;
    if (values[v].length <= SCANNED_MAX_LENGTH) {
      scanned.secretlint.set(values[v], linted);
    }
    for (const i of unseen.get(values[v])!) {
      found[i] = withSecretlint(found[i], linted);
    }
  });
  items.forEach((item, i) => {
    if (!item.names && found[i].length === 0 && item.value.length <= SCANNED_MAX_LENGTH) {
      scanned.clean.add(item.value);
    }
  });
  return found;
}

/** meshflip's findings in a value, with secretlint's that none of them overlaps. */
function withSecretlint(own: readonly Detection[], linted: readonly Detection[]): readonly Detection[] {
  if (linted.length === 0) {
    return own;
  }
  const more = linted.filter((d) => !own.some((o) => overlaps(o, d)));
  return [...own, ...more];
}

/** secretlint's findings in each value, the values cut into windows and handed over in batches. */
async function secretlintDetections(values: readonly string[]): Promise<Detection[][]> {
  const out = values.map(() => new Map<string, Detection>());
  let parts: string[] = [];
  let segments: { start: number; end: number; value: number; base: number }[] = [];
  let length = 0;
  const flush = async () => {
    if (parts.length === 0) {
      return;
    }
    const content = parts.join('');
    const result = await lintSource({
      source: { filePath: 'meshflip-input.txt', content, ext: '.txt', contentType: 'text' },
      options: { config: { rules: SECRETLINT_RULES }, maskSecrets: true, noPhysicFilePath: true },
    });
    for (const message of result.messages) {
      const [start, end] = message.range;
      const segment = segments[segmentAt(segments, start)];
      if (segment === undefined || start >= segment.end) {
        continue;
      }
      const secret = content.slice(start, Math.min(end, segment.end));
      const offset = segment.base + start - segment.start;
      const rule = message.ruleId;
      const short = rule.replace(/^@secretlint\/secretlint-rule-/, '');
      if (out[segment.value].size < MAX_PER_RULE) {
        out[segment.value].set(`${rule} ${offset}`, { rule, what: `${SECRETLINT_FINDS[short] ?? 'a secret'} (secretlint ${short})`, secret, offset });
      }
    }
    parts = [];
    segments = [];
    length = 0;
  };
  for (let v = 0; v < values.length; v++) {
    const value = values[v];
    for (let base = 0; ; base += WINDOW - OVERLAP) {
      const text = value.slice(base, base + WINDOW);
      segments.push({ start: length, end: length + text.length, value: v, base });
      parts.push(text, SEPARATOR);
      length += text.length + SEPARATOR.length;
      if (length >= BATCH) {
        await flush();
      }
      if (base + WINDOW >= value.length) {
        break;
      }
    }
  }
  await flush();
  return out.map((m) => [...m.values()].sort((a, b) => a.offset - b.offset));
}

/** The index of the last segment starting at or before `offset`. */
function segmentAt(segments: readonly { start: number }[], offset: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (segments[mid].start <= offset) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return low;
}

/** A credential found in an input file. Plain data: it crosses worker threads. */
export interface CredentialFinding {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly field: string;
  readonly what: string;
  readonly rule: string;
  readonly redacted: string;
  readonly fingerprint: string;
  /** What to do instead, for this kind of file and field. */
  readonly hint: string;
}

/** Every credential in the input files: their values and keys, at the file, line and field they are in. */
export async function scanSources(sources: readonly InputSource[]): Promise<CredentialFinding[]> {
  const items: ScanItem[] = [];
  const places: { source: InputSource; leaf: Leaf }[] = [];
  for (const source of sources) {
    const names = source.kind !== 'imposter';
    for (const leaf of stringsOf(source.file.data)) {
      items.push({ value: leaf.value, name: leaf.name, names: names && !leaf.atKey });
      places.push({ source, leaf });
    }
  }
  const detections = await scanStrings(items);
  const findings: CredentialFinding[] = [];
  detections.forEach((found, i) => {
    if (found.length === 0) {
      return;
    }
    const { source, leaf } = places[i];
    const path = pathOf(leaf);
    const atKey = leaf.atKey;
    const { line, col } = source.file.locate(path, atKey);
    for (const d of found) {
      findings.push({
        file: source.file.path,
        line,
        col,
        field: formatPath(path),
        what: d.what,
        rule: d.rule,
        redacted: redact(d.secret),
        fingerprint: fingerprint(d.secret),
        hint: insteadHint(source, path),
      });
    }
  });
  return findings;
}

/** A string of a parsed file: a value, or a map key. */
export interface Leaf {
  readonly value: string;
  /** Where it is; `pathOf` turns it into a field path (built only for what is reported). */
  readonly at: PathNode;
  /** The name the value is stored under (see `ScanItem.name`). */
  readonly name?: string;
  readonly atKey: boolean;
}

/** A field path as a chain of segments, shared by every string below it: large objects are walked without copying paths. */
export interface PathNode {
  readonly up?: PathNode;
  readonly segment?: string | number;
}

/** The field path of a leaf. */
export function pathOf(leaf: Leaf): (string | number)[] {
  const out: (string | number)[] = [];
  for (let node: PathNode | undefined = leaf.at; node?.segment !== undefined; node = node.up) {
    out.push(node.segment);
  }
  return out.reverse();
}

/**
 * Every string in `data`, keys included, with its path and the name it is stored under: the map
 * key, the `name` beside a `value` (`{name: x-api-key, value: ...}`), or the `--flag` before it
 * in a list (`[--password, ...]`).
 */
export function stringsOf(data: unknown): Leaf[] {
  const out: Leaf[] = [];
  const walk = (value: unknown, at: PathNode, name: string | undefined) => {
    if (typeof value === 'string') {
      out.push({ value, at, name, atKey: false });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => {
        walk(item, { up: at, segment: i }, flagName(value, i));
      });
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      const pairName = pairNameOf(record);
      for (const key of Object.keys(record)) {
        const child: PathNode = { up: at, segment: key };
        out.push({ value: key, at: child, atKey: true });
        walk(record[key], child, key === 'value' && pairName !== undefined ? pairName : key);
      }
    }
  };
  walk(data, {}, undefined);
  return out;
}

/** The credential-looking `--flag` before item `i` of a list, which names it. */
function flagName(list: readonly unknown[], i: number): string | undefined {
  const before: unknown = list[i - 1];
  const flag = typeof before === 'string' ? /^--?([A-Za-z][A-Za-z0-9_.-]{0,63})$/.exec(before)?.[1] : undefined;
  return flag !== undefined && isCredentialName(flag) ? flag : undefined;
}

/** The `name` of a `{name, value}` pair, which names its value. */
function pairNameOf(record: Record<string, unknown>): string | undefined {
  return typeof record.name === 'string' && typeof record.value === 'string' ? record.name : undefined;
}

/**
 * What the scan of a rendered object looks at: every string of `stringsOf(object)`, in the same
 * order, with the name it is stored under, and the rules about names only for the value of a
 * container's env entry (`env[i].value`; see `checkRenderedSecrets`). Appended to `out` without
 * building the paths, which are made again (`stringsOf`) only for what the scan finds.
 *
 * With `leaves`, a string scanned without the rules about names whose value this process already
 * scanned so and found nothing in is left out (its scan would find nothing again: without names,
 * what the scan finds depends on the value alone), and `leaves` gets, for each item appended, its
 * index in `stringsOf(object)`. The fleet's objects repeat the same names, labels and images
 * thousands of times: most of their strings are left out.
 */
export function renderedScanItems(object: unknown, out: ScanItem[], leaves?: number[]): void {
  let leaf = 0;
  const add = (value: string, name: string | undefined, names: boolean) => {
    if (leaves === undefined) {
      out.push({ value, name, names });
    } else if (names || !scanned.clean.has(value)) {
      out.push({ value, name, names });
      leaves.push(leaf);
    }
    leaf++;
  };
  // `segment` is where `value` is, `up` and `upUp` the segments of its parent and grandparent.
  const walk = (
    value: unknown,
    segment: string | number | undefined,
    up: string | number | undefined,
    upUp: string | number | undefined,
    name: string | undefined,
  ) => {
    if (typeof value === 'string') {
      add(value, name, segment === 'value' && upUp === 'env');
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        walk(value[i], i, segment, up, flagName(value, i));
      }
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      const pairName = pairNameOf(record);
      for (const key of Object.keys(record)) {
        add(key, undefined, key === 'value' && up === 'env');
        walk(record[key], key, segment, up, key === 'value' && pairName !== undefined ? pairName : key);
      }
    }
  };
  walk(object, undefined, undefined, undefined, undefined);
}

/** What to do instead of committing the credential, in the words of the file it is in. */
function insteadHint(source: InputSource, path: FieldPath): string {
  const field = path.map(String);
  if (source.kind === 'imposter') {
    return 'a mock needs no real credential: replace it with a made-up value that does not look like one';
  }
  if (source.kind === 'settings' && (field[0] === 'repository' || field[0] === 'clusters')) {
    return 'take the credentials out of the URL: Argo CD keeps repository and cluster credentials in its own Secrets (argocd repo add, argocd cluster add)';
  }
  const env = field.indexOf('env');
  if (env >= 0 && field[env + 1] !== undefined) {
    return `keep it in a Secret created in the cluster and reference it: ${field[env + 1]}: {secretKeyRef: {name: <secret>, key: <key>}}`;
  }
  if (field.includes('args') || field.includes('command')) {
    return 'keep it in a Secret created in the cluster: add an env entry NAME: {secretKeyRef: {name: <secret>, key: <key>}} and write $(NAME) here';
  }
  return 'remove it: this text is rendered into dist/ and shown in reviews; credentials belong in Secrets, referenced with secretKeyRef';
}

/** Marks the note about a credential that an exception allows (ci-summary lists them). */
export const ALLOWED_BY = 'allowed by allowedSecrets';

/** Whether a problem is the note about an exception in force. */
export function isAllowedSecretNote(problem: Problem): boolean {
  return problem.severity === 'warning' && problem.message.includes(`, ${ALLOWED_BY}[`);
}

/** What `applyAllowedSecrets` decided. */
export interface SecretPolicyResult {
  /** An error for each credential no exception allows, a warning for each one an exception does. */
  readonly problems: Problem[];
  /** The indexes of the exceptions that allowed something. */
  readonly used: number[];
  /** Fingerprints of the secrets allowed: the check of the rendered objects lets them pass too. */
  readonly allowedFingerprints: string[];
}

/** Holds the findings against the exceptions of `allowedSecrets`. */
export function applyAllowedSecrets(findings: readonly CredentialFinding[], allowed: readonly AllowedSecret[]): SecretPolicyResult {
  const problems: Problem[] = [];
  const used = new Set<number>();
  const fingerprints = new Set(allowed.flatMap((a) => (a.fingerprint === undefined ? [] : [a.fingerprint])));
  for (const f of findings) {
    const exception = allowed.find((a) => (a.file === f.file && a.field === f.field) || a.fingerprint === f.fingerprint);
    const at = { file: f.file, line: f.line, col: f.col, field: f.field, got: `${f.redacted.slice(0, -1)}, fingerprint ${f.fingerprint})` };
    if (exception === undefined) {
      problems.push({
        ...at,
        message: `holds what looks like ${f.what}, and credentials must not be committed to git`,
        hint: `${f.hint}; if it is no credential, add {file: ${f.file}, field: ${f.field}, reason: ...} to allowedSecrets in environments/meshflip.yaml`,
      });
    } else {
      used.add(exception.index);
      fingerprints.add(f.fingerprint);
      problems.push({
        ...at,
        severity: 'warning',
        message: `holds what looks like ${f.what}, ${ALLOWED_BY}[${exception.index}] (${exception.at.file}:${exception.at.line}): ${escapeUnsafeText(exception.reason)}`,
      });
    }
  }
  return { problems, used: [...used].sort((a, b) => a - b), allowedFingerprints: [...fingerprints].sort() };
}

/** An error for each exception that allowed nothing: a list of exceptions should show only those in force. */
export function unusedAllowedSecrets(allowed: readonly AllowedSecret[], used: Iterable<number>): Problem[] {
  const inForce = new Set(used);
  return allowed
    .filter((a) => !inForce.has(a.index))
    .map((a) => ({
      ...a.at,
      message: 'matches no credential in the input, so it allows nothing',
      got: a.fingerprint !== undefined ? `fingerprint ${a.fingerprint}` : `file ${a.file}, field ${a.field}`,
      hint: 'remove it (or correct file and field to those meshflip prints), so that the list shows only the exceptions in force',
    }));
}

/** What `loadAndScan` found. */
export interface LoadAndScanResult {
  /** The project, when every file is valid (there may still be credentials: see `problems`). */
  readonly project?: Project;
  /** The problems of the files and the credentials found in them, together. */
  readonly problems: readonly Problem[];
  readonly secrets: SecretPolicyResult;
}

/**
 * Loads the project and scans every input file read for credentials, also when some files have
 * other problems, so that all are reported at once. Exceptions that allowed nothing are not
 * reported here: with `only`, some imposters are not read (see `unusedAllowedSecrets`).
 */
export async function loadAndScan(root: string, options: LoadOptions = {}): Promise<LoadAndScanResult> {
  const read = readProject(root, options);
  // A file restored from the cache was scanned, with nothing found, before it was kept (below):
  // its bytes and the code that scanned them are in the key it was found under.
  const cache = options.parseCache;
  const findings = await scanSources(cache === undefined ? read.sources : read.sources.filter((s) => !cache.holds(s.file)));
  if (options.parseCache !== undefined) {
    // A kept parse holds the file's values: never those of a file that holds a credential.
    const withFindings = new Set(findings.map((f) => f.file));
    for (const { input, file } of read.parsed ?? []) {
      if (!withFindings.has(file.path)) {
        options.parseCache.keep(file.path, input, file);
      }
    }
  }
  const secrets = applyAllowedSecrets(findings, read.settings?.allowedSecrets ?? []);
  return { project: read.project, problems: [...read.problems, ...secrets.problems], secrets };
}
