/**
 * Recognises values that look like credentials, so that they never reach the committed dist/.
 * Used on environment files (env vars) and again on the rendered objects (env vars, ConfigMaps).
 */

/** Names under which a literal value is a credential: DB_PASSWORD, API_TOKEN, AWS_SECRET_ACCESS_KEY, ... */
const CREDENTIAL_NAME = /(^|[^a-z])(pass(word|wd)?|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credentials?)([^a-z]|$)/i;

const CREDENTIAL_VALUES: readonly (readonly [RegExp, string])[] = [
  [/-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----/, 'a private key'],
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, 'a GitHub token'],
  [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bkpat_[A-Za-z0-9]{20,}/, 'a Konnect personal access token'],
  [/\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/, 'a JSON web token'],
  [/[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]+@/i, 'a URL with a password'],
];

/**
 * Why `value` (stored under `key`) looks like a credential, or undefined when it does not.
 *
 * An empty value is never a credential; neither is a value that is obviously a reference
 * (`$(VAR)`, `${VAR}`).
 */
export function credentialReason(key: string, value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '' || /^\$[({][A-Za-z0-9_]+[)}]$/.test(trimmed) || /^(true|false|[0-9]+(\.[0-9]+)?[a-z]{0,2})$/i.test(trimmed)) {
    return undefined;
  }
  for (const [pattern, what] of CREDENTIAL_VALUES) {
    if (pattern.test(value)) {
      return `the value looks like ${what}`;
    }
  }
  if (CREDENTIAL_NAME.test(key)) {
    return `"${key}" names a credential`;
  }
  return undefined;
}
