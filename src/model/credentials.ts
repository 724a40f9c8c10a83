import { createHash } from 'crypto';

/**
 * meshflip's own credential rules: token formats the secretlint preset does not know (or knows
 * only in part), names that hold credentials, and URLs with a password in them. They complement
 * the secretlint recommended preset that `secret-scan.ts` runs; both apply to the input files
 * and, as a second line of defence, to the rendered objects.
 *
 * Every pattern here runs in time linear in its input: a run of characters is only ever
 * matched from its start (a lookbehind refuses to start inside the run), quantifiers are
 * bounded, and no quantified group can match the same text in two ways. A test feeds them
 * 10 MB values of the characters each pattern is made of.
 */

/** One credential found in a string. */
export interface Detection {
  /** The rule that found it: `meshflip/<name>` or a secretlint rule id. */
  readonly rule: string;
  /** What was found, for a message: "a GitHub token". */
  readonly what: string;
  /** The secret itself, never shown: redacted for messages, hashed for exceptions. */
  readonly secret: string;
  /** Where the secret starts in the string. */
  readonly offset: number;
}

interface ValueRule {
  readonly id: string;
  readonly what: string;
  /** Global; group 1, when present, is the secret (the rest is context). */
  readonly pattern: RegExp;
  /** A further check of the match, for what a regular expression says badly. */
  readonly accept?: (secret: string) => boolean;
}

/** Token formats with a prefix of their own, so a match is almost never anything else. */
const VALUE_RULES: readonly ValueRule[] = [
  { id: 'private-key', what: 'a private key', pattern: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/g },
  { id: 'aws-access-key-id', what: 'an AWS access key id', pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])/g },
  {
    id: 'aws-secret-access-key',
    what: 'an AWS secret access key',
    // 40 characters of base64 on their own; git commit ids and hex digests have no "/", "+" or upper case.
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    accept: (s) => /[/+]/.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s),
  },
  { id: 'github-token', what: 'a GitHub token', pattern: /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9])/g },
  {
    id: 'github-fine-grained-token',
    what: 'a GitHub fine-grained token',
    pattern: /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{22,244}(?![A-Za-z0-9_])/g,
  },
  {
    id: 'gitlab-token',
    what: 'a GitLab token',
    pattern: /(?<![A-Za-z0-9_-])gl(?:pat|dt|rt|ptt|soat|ft|cbt|imt|oas)-[A-Za-z0-9_-]{20,250}(?![A-Za-z0-9_-])/g,
  },
  { id: 'google-api-key', what: 'a Google API key', pattern: /(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g },
  { id: 'stripe-key', what: 'a Stripe secret key', pattern: /(?<![A-Za-z0-9_])(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}(?![A-Za-z0-9])/g },
  { id: 'npm-token', what: 'an npm token', pattern: /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g },
  { id: 'slack-token', what: 'a Slack token', pattern: /(?<![A-Za-z0-9_-])xox[abposre]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g },
  { id: 'slack-app-token', what: 'a Slack app token', pattern: /(?<![A-Za-z0-9_-])xapp-[0-9]-[A-Za-z0-9-]{10,250}(?![A-Za-z0-9-])/g },
  { id: 'slack-webhook', what: 'a Slack webhook URL', pattern: /hooks\.slack\.com\/(?:services|workflows|triggers)\/([A-Za-z0-9_/-]{8,250})/g },
  {
    id: 'konnect-token',
    what: 'a Konnect access token',
    pattern: /(?<![A-Za-z0-9_])(?:kpat|spat)_[A-Za-z0-9]{20,250}(?![A-Za-z0-9])/g,
  },
  {
    id: 'json-web-token',
    what: 'a JSON web token',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{8,4096}(?![A-Za-z0-9_-])/g,
  },
  {
    id: 'azure-connection-string',
    what: 'an Azure connection string key',
    pattern: /(?<![A-Za-z])(?:AccountKey|SharedAccessKey|SharedAccessSignature)=([A-Za-z0-9+/=%&:._-]{8,1024})/g,
  },
  {
    id: 'basic-auth-header',
    what: 'a basic-auth user and password',
    pattern: /(?<![A-Za-z0-9])Basic ([A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])/g,
    accept: (s) => Buffer.from(s, 'base64').toString('latin1').includes(':'),
  },
];

/**
 * Credential words, matched inside a name with its separators removed, so that run-together
 * names are found too: PGPASSWORD, DBPASSWORD, SECRETKEY, CLIENTSECRET, PASSPHRASE.
 */
const RUN_TOGETHER_WORDS = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'apikey',
  'accesskey',
  'privatekey',
  'credential',
  'authkey',
  'signingkey',
  'encryptionkey',
];
/** Short words that are credentials only as a word of their own (DB_PASS, MYSQL_PWD), not inside another (PASSTHROUGH). */
const WHOLE_WORDS = new Set(['pass', 'pwd', 'pw', 'pat', 'psk']);
/**
 * Endings that make a credential-looking name hold something else: where the credential is
 * (TOKEN_FILE, SECRET_NAME, PASSWORD_SECRET_REF), or a property of it (TOKEN_TTL, PASSWORD_LENGTH).
 */
const NOT_A_CREDENTIAL_ENDINGS = [
  'file',
  'files',
  'path',
  'dir',
  'directory',
  'name',
  'ref',
  'keyref',
  'secretname',
  'length',
  'ttl',
  'expiry',
  'expiration',
  'expires',
  'lifetime',
  'timeout',
  'enabled',
  'enable',
  'disabled',
  'header',
  'type',
  'kind',
  'provider',
  'policy',
  'mode',
  'format',
  'version',
  'count',
  'url',
  'uri',
  'endpoint',
  'audience',
  'issuer',
  'rotation',
  'interval',
  'id',
  'volume',
  'mount',
];

/** Whether a name (an env var, a map key, a `--flag`) says that its value is a credential. */
export function isCredentialName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
  const joined = words.join('');
  if (joined === '' || NOT_A_CREDENTIAL_ENDINGS.some((ending) => joined.endsWith(ending)) || joined.includes('tokeniz')) {
    return false;
  }
  return RUN_TOGETHER_WORDS.some((word) => joined.includes(word)) || words.some((w) => WHOLE_WORDS.has(w));
}

/**
 * Values that are never a credential, whatever name they are stored under: references to
 * variables (`$(VAR)`, `${VAR}`), booleans, numbers, durations and quantities, and absolute
 * paths (where a credential is mounted, not the credential).
 */
export function isPlainlyNotACredential(value: string): boolean {
  const v = value.trim();
  return (
    v === '' ||
    /^\$(?:\([A-Za-z0-9_.-]{1,256}\)|\{[A-Za-z0-9_.-]{1,256}\})$/.test(v) ||
    /^(?:true|false|yes|no|on|off|enabled|disabled|none|null|required|optional)$/i.test(v) ||
    /^-?[0-9]{1,32}(?:\.[0-9]{1,32})?[A-Za-z]{0,3}$/.test(v) ||
    /^\/[A-Za-z0-9._/-]{0,1024}$/.test(v)
  );
}

/** Options for `findCredentials`. */
export interface FindOptions {
  /**
   * Also find `NAME=value` assignments whose name holds a credential (`--password=x`,
   * `PGPASSWORD=x psql`, `?api_key=x`). Off for mock data, which often carries made-up logins.
   *
   * @default true
   */
  readonly assignments?: boolean;
}

/**
 * Every credential meshflip's own rules find in `value`: token formats, URLs with a password,
 * and (unless turned off) assignments to credential names. Linear in the length of `value`.
 */
export function findCredentials(value: string, options: FindOptions = {}): Detection[] {
  const found: Detection[] = [];
  for (const rule of VALUE_RULES) {
    rule.pattern.lastIndex = 0;
    let count = 0;
    for (let m = rule.pattern.exec(value); m !== null && count < MAX_PER_RULE; m = rule.pattern.exec(value)) {
      const secret = m[1] ?? m[0];
      if (rule.accept === undefined || rule.accept(secret)) {
        found.push({ rule: `meshflip/${rule.id}`, what: rule.what, secret, offset: m.index + m[0].length - secret.length });
        count++;
      }
    }
  }
  // A token format says more than the URL or the name it is in: `SharedAccessKey=...` is reported once.
  const urls = urlPasswords(value).filter((u) => !found.some((f) => overlaps(f, u)));
  const assigned = (options.assignments ?? true) ? assignments(value).filter((a) => !found.some((f) => overlaps(f, a))) : [];
  return found.concat(urls, assigned).sort((a, b) => a.offset - b.offset);
}

/**
 * A value that holds one credential is refused whether it holds one or thousands: each rule
 * reports the first few, which keeps the work and the messages bounded.
 */
export const MAX_PER_RULE = 5;

/** Whether two detections cover some of the same characters. */
export function overlaps(a: Detection, b: Detection): boolean {
  return a.offset < b.offset + b.secret.length && b.offset < a.offset + a.secret.length;
}

/** The detection for a credential-looking name holding a literal value, or undefined. */
export function credentialByName(name: string, value: string): Detection | undefined {
  if (!isCredentialName(name) || isPlainlyNotACredential(value)) {
    return undefined;
  }
  return { rule: 'meshflip/credential-name', what: `a value of ${JSON.stringify(name)}, a name that holds a credential`, secret: value, offset: 0 };
}

/**
 * Passwords in the user information of URLs (`postgres://user:password@host`,
 * `redis://:password@host`). Parsed by hand: each `://` is looked at once, and the authority
 * after it ends at the next `/`, so the work is linear however the text repeats itself.
 */
function urlPasswords(value: string): Detection[] {
  const out: Detection[] = [];
  for (let at = value.indexOf('://'); at >= 0 && out.length < MAX_PER_RULE; at = value.indexOf('://', at + 3)) {
    let schemeStart = at;
    while (schemeStart > 0 && /[A-Za-z0-9+.-]/.test(value[schemeStart - 1]) && at - schemeStart < 32) {
      schemeStart--;
    }
    if (schemeStart === at || !/[A-Za-z]/.test(value[schemeStart])) {
      continue;
    }
    let end = at + 3;
    while (end < value.length && end - at < 2048 && !/[/?#\s"'<>\\]/.test(value[end])) {
      end++;
    }
    const authority = value.slice(at + 3, end);
    const userinfoEnd = authority.lastIndexOf('@');
    const colon = userinfoEnd < 0 ? -1 : authority.indexOf(':');
    if (colon < 0 || colon > userinfoEnd) {
      continue;
    }
    const password = authority.slice(colon + 1, userinfoEnd);
    if (password !== '' && !isPlainlyNotACredential(password)) {
      out.push({ rule: 'meshflip/url-password', what: 'a URL with a password', secret: password, offset: at + 3 + colon + 1 });
    }
  }
  return out;
}

/** `NAME=value` where NAME holds a credential: command lines, shell snippets, query strings, connection strings. */
const ASSIGNMENT = /(?<![A-Za-z0-9_.-])-{0,2}([A-Za-z][A-Za-z0-9_.-]{0,63})=([^\s&;,"'`)]{1,1024})/g;

function assignments(value: string): Detection[] {
  const out: Detection[] = [];
  ASSIGNMENT.lastIndex = 0;
  for (let m = ASSIGNMENT.exec(value); m !== null && out.length < MAX_PER_RULE; m = ASSIGNMENT.exec(value)) {
    const [, name, secret] = m;
    if (isCredentialName(name) && !isPlainlyNotACredential(secret)) {
      out.push({
        rule: 'meshflip/credential-assignment',
        what: `a value assigned to ${name}, a name that holds a credential`,
        secret,
        offset: m.index + m[0].length - secret.length,
      });
    }
  }
  return out;
}

/**
 * A form of the secret that can be shown: its first four characters only when it is long
 * enough that they give nothing away (token prefixes such as `ghp_`), and its length.
 */
export function redact(secret: string): string {
  const shown = secret.length >= 16 ? `${JSON.stringify(secret.slice(0, 4)).slice(0, -1)}…"` : '"…"';
  return `${shown} (${secret.length} characters)`;
}

/**
 * A fingerprint of a secret for `allowedSecrets`: the first 16 hex digits of its SHA-256, so
 * an exception can name a value without holding it.
 */
export function fingerprint(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16)}`;
}
