import { createHash } from 'crypto';
import fc from 'fast-check';
import * as path from 'path';
import { performance } from 'perf_hooks';
import { findCredentials, isCredentialName } from '../../src/model/credentials';
import { formatBytes, MAX_INPUT_FILE_BYTES, MAX_STRING_LENGTH } from '../../src/model/limits';
import { loadAndScan, renderedScanItems, ScanItem, scanStrings, stringsOf } from '../../src/model/secret-scan';
import { formatProblem, sortProblems } from '../../src/model/spec-error';
import { checkRenderedSecrets } from '../../src/pipeline/validate/secret-checks';
import { removeTempDirs } from '../util';
import { at, CATALOG, fixtureRepo, kongEnvironment, SETTINGS } from './fixtures';

// The secret scan of the input files (secretlint's recommended preset and meshflip's own rules)
// and of the rendered objects. Tokens are put together from parts, so that no scanner mistakes
// this file for a leak; none of them is real.

const SHOP = 'environments/catalog/shop.yaml';
const LAB = 'environments/lab.yaml';
const SETTINGS_FILE = 'environments/meshflip.yaml';
const ORDERS_IMPOSTER = 'environments/mocks/orders.imposter.json';

const ENV_HINT = (name: string) =>
  `keep it in a Secret created in the cluster and reference it: ${name}: {secretKeyRef: {name: <secret>, key: <key>}}`;
const ARGS_HINT =
  'keep it in a Secret created in the cluster: add an env entry NAME: {secretKeyRef: {name: <secret>, key: <key>}} and write $(NAME) here';
const TEXT_HINT = 'remove it: this text is rendered into dist/ and shown in reviews; credentials belong in Secrets, referenced with secretKeyRef';
const URL_HINT =
  'take the credentials out of the URL: Argo CD keeps repository and cluster credentials in its own Secrets (argocd repo add, argocd cluster add)';
const MOCK_HINT = 'a mock needs no real credential: replace it with a made-up value that does not look like one';

afterAll(() => removeTempDirs());

/** sha256: and 16 hex digits, computed here rather than by the code under test. */
function sha(secret: string): string {
  return `sha256:${createHash('sha256').update(secret).digest('hex').slice(0, 16)}`;
}

/** The redacted form meshflip shows: the first four characters of a long secret, its length and fingerprint. */
function shown(secret: string): string {
  const start = secret.length >= 16 ? `"${secret.slice(0, 4)}…"` : '"…"';
  return `${start} (${secret.length} characters, fingerprint ${sha(secret)})`;
}

/** The whole message for a credential found in an input file. */
function refused(file: string, where: string, field: string, what: string, secret: string, hint: string): string {
  return (
    `${file}:${where}: ${field}: holds what looks like ${what}, and credentials must not be committed to git, got ${shown(secret)}; ` +
    `${hint}; if it is no credential, add {file: ${file}, field: ${field}, reason: ...} to allowedSecrets in environments/meshflip.yaml`
  );
}

async function scanProblems(files: Record<string, string | null>): Promise<string[]> {
  const { problems } = await loadAndScan(fixtureRepo(files));
  return sortProblems(problems).map(formatProblem);
}

/** The catalogue with `lines` added to the orders service. */
function catalogWith(...lines: string[]): string {
  return CATALOG.replace('    calls: [payments]', [...lines, '    calls: [payments]'].join('\n'));
}

const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY';
const FAMILIES: readonly (readonly [string, string, string])[] = [
  // [family, the value as written, the secret inside it]
  ['an AWS access key id', 'AKIA' + 'IOSFODNN7EXAMPLE', 'AKIA' + 'IOSFODNN7EXAMPLE'],
  ['an AWS secret access key', AWS_SECRET, AWS_SECRET],
  [
    'a GitHub fine-grained token',
    'github_pat_' + '11ABCDEFG0123456789abc_' + '0123456789abcdefghij'.repeat(3),
    'github_pat_' + '11ABCDEFG0123456789abc_' + '0123456789abcdefghij'.repeat(3),
  ],
  ['a GitHub token', 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef', 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef'],
  ['a GitLab token', 'gl' + 'pat-' + 'Ab1_-Cd2_-Ef3_-Gh4_-', 'gl' + 'pat-' + 'Ab1_-Cd2_-Ef3_-Gh4_-'],
  ['a Google API key', 'AI' + 'za' + 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q', 'AI' + 'za' + 'SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6q'],
  ['a Stripe secret key', 'sk' + '_live_' + '4eC39HqLyjWDarjtT1zdp7dc', 'sk' + '_live_' + '4eC39HqLyjWDarjtT1zdp7dc'],
  ['a Stripe secret key', 'rk' + '_live_' + '4eC39HqLyjWDarjtT1zdp7dc', 'rk' + '_live_' + '4eC39HqLyjWDarjtT1zdp7dc'],
  ['an npm token', 'np' + 'm_' + 'a1B2c3D4e5'.repeat(3) + 'F6g7h8', 'np' + 'm_' + 'a1B2c3D4e5'.repeat(3) + 'F6g7h8'],
  ['a Slack token', 'xo' + 'xb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx', 'xo' + 'xb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
  [
    'a Slack webhook URL',
    'https://hooks.slack.com/services/' + 'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
    'T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
  ],
  ['a private key', '-----BEGIN RSA ' + 'PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----', '-----BEGIN RSA ' + 'PRIVATE KEY-----'],
  [
    'a private key',
    '-----BEGIN PGP ' + 'PRIVATE KEY BLOCK-----\n\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----',
    '-----BEGIN PGP ' + 'PRIVATE KEY BLOCK-----',
  ],
  [
    'a JSON web token',
    'eyJ' + 'hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    'eyJ' + 'hbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  ],
  ['a Konnect access token', 'kp' + 'at_' + 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8', 'kp' + 'at_' + 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8'],
  ['a Konnect access token', 'sp' + 'at_' + 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8', 'sp' + 'at_' + 'Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8'],
  [
    'an Azure connection string key',
    'DefaultEndpointsProtocol=https;AccountName=shop;Account' + 'Key=abcdefghijklmnop1234567890ABCDEF==',
    'abcdefghijklmnop1234567890ABCDEF==',
  ],
  [
    'an Azure connection string key',
    'Endpoint=sb://shop.servicebus.windows.net/;SharedAccess' + 'Key=abcdefghijklmnop1234567890ABCDEF=',
    'abcdefghijklmnop1234567890ABCDEF=',
  ],
  ['a URL with a password', 'redis://:' + 'pw1234@redis:6379', 'pw1234'],
  ['a URL with a password', 'postgres://u:' + 'p@h/db', 'p'],
  [
    'an Anthropic API key (secretlint anthropic)',
    'sk-ant-' + 'api03-' + 'A1b2C3d4E5'.repeat(9) + 'AA',
    'sk-ant-' + 'api03-' + 'A1b2C3d4E5'.repeat(9) + 'AA',
  ],
];

describe('credential families in an environment variable of a catalogue', () => {
  test.each(FAMILIES)('fails on %s', async (what, value, secret) => {
    // GIVEN
    const catalog = catalogWith('    env:', `      SETTING: ${JSON.stringify(value)}`);
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([refused(SHOP, at(catalog, JSON.stringify(value)), 'services.orders.env.SETTING', what, secret, ENV_HINT('SETTING'))]);
  });
});

describe('names that hold credentials', () => {
  test.each([
    'PGPASSWORD',
    'DBPASSWORD',
    'SECRETKEY',
    'CLIENTSECRET',
    'PASSPHRASE',
    'DB_PASS',
    'MYSQL_PWD',
    'apiKey',
    'AWS_SECRET_ACCESS_KEY',
    'x-api-key',
    'authToken',
  ])('calls %s a credential name', (name) => {
    expect(isCredentialName(name)).toBe(true);
  });

  test.each([
    'TOKEN_FILE',
    'PASSWORD_SECRET_NAME',
    'SECRET_REF',
    'PASSTHROUGH',
    'TOKENIZER_MODEL',
    'TOKEN_TTL',
    'COMPASS_URL',
    'LOG_LEVEL',
    'BYPASS',
    'key',
    'name',
  ])('does not call %s a credential name', (name) => {
    expect(isCredentialName(name)).toBe(false);
  });

  test('fails when a run-together name holds a literal, without showing the short value', async () => {
    // GIVEN
    const catalog = catalogWith('    env:', '      PGPASSWORD: hunter2');
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([
      refused(
        SHOP,
        at(catalog, 'hunter2'),
        'services.orders.env.PGPASSWORD',
        'a value of "PGPASSWORD", a name that holds a credential',
        'hunter2',
        ENV_HINT('PGPASSWORD'),
      ),
    ]);
    expect(problems[0]).not.toContain('hunt');
  });

  test('keeps references, paths, numbers and Secret references silent', async () => {
    // GIVEN
    const catalog = catalogWith(
      '    env:',
      '      DB_PASSWORD: { secretKeyRef: { name: orders-db, key: password } }',
      '      API_TOKEN: $(VAULT_TOKEN)',
      '      CLIENT_SECRET: ${CLIENT_SECRET}',
      '      TOKEN_FILE: /var/run/secrets/token',
      '      PASSWORD_MIN_LENGTH: "12"',
      '      CONFIG_HASH: 3f786850e387550fdab836ed7e6dc881de23001b',
      '      IMAGE: registry.example.com/shop/orders@sha256:' + 'ab12'.repeat(16),
    );
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([]);
  });
});

describe('credentials wherever they are in the input', () => {
  test('fails on an assignment in args, a flag and its value, a command and an exec probe', async () => {
    // GIVEN
    const catalog = catalogWith(
      '    args: ["--db-password=hunter2", "--token", "s3cr3t-value"]',
      '    command: ["sh", "-c", "PGPASSWORD=hunter2 psql -h db"]',
      '    probes:',
      '      readiness: { exec: { command: ["check", "--api-key=abc123xyz"] } }',
    );
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([
      refused(
        SHOP,
        at(catalog, '"--db-password'),
        'services.orders.args[0]',
        'a value assigned to db-password, a name that holds a credential',
        'hunter2',
        ARGS_HINT,
      ),
      refused(
        SHOP,
        at(catalog, '"s3cr3t'),
        'services.orders.args[2]',
        'a value of "token", a name that holds a credential',
        's3cr3t-value',
        ARGS_HINT,
      ),
      refused(
        SHOP,
        at(catalog, '"PGPASSWORD'),
        'services.orders.command[2]',
        'a value assigned to PGPASSWORD, a name that holds a credential',
        'hunter2',
        ARGS_HINT,
      ),
      refused(
        SHOP,
        at(catalog, '"--api-key'),
        'services.orders.probes.readiness.exec.command[1]',
        'a value assigned to api-key, a name that holds a credential',
        'abc123xyz',
        ARGS_HINT,
      ),
    ]);
  });

  test('fails on annotations, labels and descriptions', async () => {
    // GIVEN
    const token = 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef';
    const catalog = catalogWith(
      `    description: deploy key ${token}`,
      `    labels: { build: ${token} }`,
      `    annotations: { example.com/webhook: "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX" }`,
    );
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([
      refused(SHOP, at(catalog, 'deploy key'), 'services.orders.description', 'a GitHub token', token, TEXT_HINT),
      refused(SHOP, at(catalog, token, 'build: '), 'services.orders.labels.build', 'a GitHub token', token, TEXT_HINT),
      refused(
        SHOP,
        at(catalog, '"https://hooks'),
        'services.orders.annotations["example.com/webhook"]',
        'a Slack webhook URL',
        'T0000/B0000/XXXXXXXXXXXXXXXX',
        TEXT_HINT,
      ),
    ]);
  });

  test('fails on a routing reason, a fault reason and a header-route value in an environment', async () => {
    // GIVEN
    const npm = 'np' + 'm_' + 'a1B2c3D4e5'.repeat(3) + 'F6g7h8';
    const jwt = 'eyJ' + 'hbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6y';
    const env = kongEnvironment(
      'lab',
      'routing:',
      '  services:',
      `    orders: { to: mock, header: { name: authorization, value: "Bearer ${jwt}" }, reason: "publish with ${npm}" }`,
      'faults:',
      '  payments: { abort: { httpStatus: 500, percent: 10 }, reason: "login with redis://:hunter22@cache" }',
    );
    // WHEN
    const problems = await scanProblems({ [LAB]: env });
    // THEN
    expect(problems).toEqual([
      refused(LAB, at(env, '"Bearer'), 'routing.services.orders.header.value', 'a JSON web token', jwt, TEXT_HINT),
      refused(LAB, at(env, '"publish'), 'routing.services.orders.reason', 'an npm token', npm, TEXT_HINT),
      refused(LAB, at(env, '"login'), 'faults.payments.reason', 'a URL with a password', 'hunter22', TEXT_HINT),
    ]);
  });

  test('fails on credentials in repository.url and a cluster server URL', async () => {
    // GIVEN
    const glpat = 'gl' + 'pat-' + 'Ab1_-Cd2_-Ef3_-Gh4_-';
    const settings = SETTINGS.replace(
      'https://github.com/example-org/gitops.git',
      `https://oauth2:${glpat}@gitlab.example.com/org/gitops.git`,
    ).replace('https://lab-real.example.com:6443', 'https://admin:hunter2@lab-real.example.com:6443');
    // WHEN
    const problems = await scanProblems({ [SETTINGS_FILE]: settings });
    // THEN
    expect(problems).toEqual([
      refused(SETTINGS_FILE, at(settings, 'https://oauth2'), 'repository.url', 'a GitLab token', glpat, URL_HINT),
      refused(SETTINGS_FILE, at(settings, 'https://admin'), 'clusters.lab-real.server', 'a URL with a password', 'hunter2', URL_HINT),
    ]);
  });

  test('fails on tokens in an imposter body, header and predicate, but takes made-up logins as mock data', async () => {
    // GIVEN
    const stripe = 'sk' + '_live_' + '4eC39HqLyjWDarjtT1zdp7dc';
    const slack = 'xo' + 'xb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
    const aws = 'AKIA' + 'IOSFODNN7EXAMPLE';
    const mock =
      JSON.stringify(
        {
          port: 8080,
          protocol: 'http',
          stubs: [
            {
              predicates: [{ equals: { headers: { 'x-api-key': aws }, body: 'user=demo&password=demo' } }],
              responses: [{ is: { statusCode: 200, headers: { 'x-upstream-token': slack }, body: { password: 'demo', key: stripe } } }],
            },
          ],
        },
        undefined,
        2,
      ) + '\n';
    // WHEN
    const problems = await scanProblems({ [ORDERS_IMPOSTER]: mock });
    // THEN
    expect(problems).toEqual([
      refused(ORDERS_IMPOSTER, at(mock, `"${aws}"`), 'stubs[0].predicates[0].equals.headers.x-api-key', 'an AWS access key id', aws, MOCK_HINT),
      refused(ORDERS_IMPOSTER, at(mock, `"${slack}"`), 'stubs[0].responses[0].is.headers.x-upstream-token', 'a Slack token', slack, MOCK_HINT),
      refused(ORDERS_IMPOSTER, at(mock, `"${stripe}"`), 'stubs[0].responses[0].is.body.key', 'a Stripe secret key', stripe, MOCK_HINT),
    ]);
  });

  test('reports credentials together with the other problems of the files', async () => {
    // GIVEN
    const catalog = catalogWith('    env:', '      API_TOKEN: abc123').replace('orders:1.4.2', 'orders:latest');
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, 'registry.example.com/shop/orders:latest')}: services.orders.image: must not use the latest tag: pin a version or a digest, ` +
        'got "registry.example.com/shop/orders:latest"; a moving tag makes dist/ say nothing about what runs',
      refused(
        SHOP,
        at(catalog, 'abc123'),
        'services.orders.env.API_TOKEN',
        'a value of "API_TOKEN", a name that holds a credential',
        'abc123',
        ENV_HINT('API_TOKEN'),
      ),
    ]);
  });

  test('is not switched off by a secretlint-disable comment inside a value', async () => {
    // GIVEN
    const key = 'sk-ant-' + 'api03-' + 'A1b2C3d4E5'.repeat(9) + 'AA';
    const catalog = catalogWith('    env:', `      NOTE: "// secretlint-disable\\n${key}"`);
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([
      refused(SHOP, at(catalog, '"// secretlint'), 'services.orders.env.NOTE', 'an Anthropic API key (secretlint anthropic)', key, ENV_HINT('NOTE')),
    ]);
  });

  test('keeps the example environments clean', async () => {
    // WHEN
    const { project, problems } = await loadAndScan(path.resolve(__dirname, '..', '..'));
    // THEN
    expect(problems.map(formatProblem)).toEqual([]);
    expect(project?.sources.filter((s) => s.kind === 'imposter').length).toBeGreaterThan(0);
  });
});

describe('allowedSecrets', () => {
  const token = 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef';
  const catalog = catalogWith('    env:', `      FIXTURE_TOKEN: ${token}`);

  test('allows a value by file and field, and says so as a warning with the reason', async () => {
    // GIVEN
    const settings =
      SETTINGS +
      'allowedSecrets:\n  - { file: environments/catalog/shop.yaml, field: services.orders.env.FIXTURE_TOKEN, reason: a revoked token the tests replay }\n';
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog, [SETTINGS_FILE]: settings });
    // THEN
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, token)}: warning: services.orders.env.FIXTURE_TOKEN: holds what looks like a GitHub token, ` +
        `allowed by allowedSecrets[0] (${SETTINGS_FILE}:${at(settings, '{ file').split(':')[0]}): a revoked token the tests replay, got ${shown(token)}`,
    ]);
  });

  test('allows a value by its fingerprint, wherever it is', async () => {
    // GIVEN
    const settings = SETTINGS + `allowedSecrets:\n  - fingerprint: ${sha(token)}\n    reason: a revoked token the tests replay\n`;
    const env = kongEnvironment('lab', 'routing:', '  services:', `    orders: { to: mock, reason: "replays ${token}" }`);
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog, [SETTINGS_FILE]: settings, [LAB]: env });
    // THEN
    const line = at(settings, '- fingerprint').split(':')[0];
    expect(problems).toEqual([
      `${SHOP}:${at(catalog, token)}: warning: services.orders.env.FIXTURE_TOKEN: holds what looks like a GitHub token, ` +
        `allowed by allowedSecrets[0] (${SETTINGS_FILE}:${line}): a revoked token the tests replay, got ${shown(token)}`,
      `${LAB}:${at(env, '"replays')}: warning: routing.services.orders.reason: holds what looks like a GitHub token, ` +
        `allowed by allowedSecrets[0] (${SETTINGS_FILE}:${line}): a revoked token the tests replay, got ${shown(token)}`,
    ]);
  });

  test('fails when an entry names neither a place nor a fingerprint', async () => {
    // GIVEN
    const settings = SETTINGS + 'allowedSecrets:\n  - { file: environments/catalog/shop.yaml, reason: half an entry }\n';
    // WHEN
    const problems = await scanProblems({ [SETTINGS_FILE]: settings });
    // THEN
    expect(problems).toEqual([
      `${SETTINGS_FILE}:${at(settings, '{ file')}: allowedSecrets[0]: must give file and field together; name the file and the field meshflip printed, or give the fingerprint instead`,
    ]);
  });
});

describe('each distinct value scanned once per process', () => {
  const values = [...FAMILIES.map(([, value]) => value), 'password=hunter2hunter2', 'registry.example.com/shop/orders:1.4.2', 'x'];

  test('a value is found to hold the same whether scanned alone, with others, again, or in a long value that is not kept', async () => {
    // WHEN every value is scanned in one call, then each alone in reverse order, then all again
    // among values seen for the first time, one of them longer than what is kept
    const together = await scanStrings(values.map((value) => ({ value, names: true })));
    const alone: (readonly unknown[])[] = [];
    for (const value of [...values].reverse()) {
      alone.unshift((await scanStrings([{ value, names: true }]))[0]);
    }
    const long = `${'a '.repeat(40 * 1024)}${values[0]}`;
    const again = await scanStrings([
      ...values.map((value) => ({ value, names: true })),
      { value: 'never seen before', names: true },
      { value: long, names: true },
    ]);
    // THEN the same findings each time, and one for every credential family
    expect(alone).toEqual(together);
    expect(again.slice(0, values.length)).toEqual(together);
    expect(together.slice(0, FAMILIES.length).every((found) => found.length > 0)).toBe(true);
    expect(again[values.length + 1].map((d) => d.secret)).toEqual(together[0].map((d) => d.secret));
    expect((await scanStrings([{ value: long, names: true }]))[0]).toEqual(again[values.length + 1]);
  });

  test('a value scanned without the rules about assignments is still scanned with them', async () => {
    // GIVEN an assignment, first seen where names say nothing (a rendered object's field)
    const value = 'password=correcthorse42';
    const [without] = await scanStrings([{ value, names: false }]);
    // WHEN it is scanned where names count (an input file)
    const [withNames] = await scanStrings([{ value, names: true }]);
    // THEN the assignment is found there, and only there
    expect(without).toEqual([]);
    expect(withNames.map((d) => d.secret)).toEqual(['correcthorse42']);
  });
});

describe("secretlint's profiler", () => {
  test('leaves no mark in the performance timeline, however many scans run in the process', async () => {
    // GIVEN an empty timeline
    performance.clearMarks();
    performance.clearMeasures();
    // WHEN values never seen before are scanned, one call at a time
    for (let i = 0; i < 5; i++) {
      await scanStrings([{ value: `password=profiler-${i}-${'x'.repeat(i)}`, names: true }]);
    }
    // THEN secretlint ran (it found what it finds), and neither it nor its profiler left a mark or a measure
    expect((await scanStrings([{ value: `${'gh' + 'p_'}${'A1b2C3d4E5'.repeat(3)}abcdef`, names: false }]))[0].length).toBeGreaterThan(0);
    expect(performance.getEntriesByType('mark').map((m) => m.name)).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(performance.getEntriesByType('measure').map((m) => m.name)).toEqual([]);
  });
});

describe('linear time', () => {
  const TEN_MB = 10 * 1024 * 1024;

  test("finds the one token at the end of a 10 MB value of each rule's own characters", async () => {
    // GIVEN: inputs made of what each pattern matches, which a backtracking pattern would take hours over
    const token = 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef';
    const fillers = [
      'a',
      'eyJ.',
      'eyJ-',
      'x://a:',
      'a=',
      '-a',
      'Ab+/',
      '-----BEGIN ',
      'gh' + 'p_',
      'Basic QUJD ',
      'hooks.slack.com/ ',
      'AccountKey ',
    ];
    // WHEN
    const found = await scanStrings(fillers.map((f) => ({ value: `${f.repeat(Math.floor(TEN_MB / f.length))} ${token}`, names: true })));
    // THEN
    expect(found.map((d) => d.filter((x) => x.secret === token).map((x) => x.rule))).toEqual(fillers.map(() => ['meshflip/github-token']));
  }, 120_000);

  test('refuses the longest value an input file may hold under a credential name with one problem, and passes as long a value under a neutral name', async () => {
    // GIVEN
    const value = 'a'.repeat(MAX_STRING_LENGTH);
    const catalog = catalogWith('    env:', `      PGPASSWORD: ${value}`, `      GREETING: ${'b'.repeat(MAX_STRING_LENGTH)}`);
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([
      refused(
        SHOP,
        at(catalog, 'aaaa'),
        'services.orders.env.PGPASSWORD',
        'a value of "PGPASSWORD", a name that holds a credential',
        value,
        ENV_HINT('PGPASSWORD'),
      ),
    ]);
  }, 120_000);

  test('refuses a 10 MB input file by its size, before reading or scanning it', async () => {
    // GIVEN
    const catalog = catalogWith('    env:', `      PGPASSWORD: ${'a'.repeat(TEN_MB)}`);
    // WHEN
    const problems = await scanProblems({ [SHOP]: catalog });
    // THEN
    expect(problems).toEqual([
      `${SHOP}:1:1: (file): is ${formatBytes(Buffer.byteLength(catalog))} bytes, over the limit of ${formatBytes(MAX_INPUT_FILE_BYTES)} bytes for an input file; ` +
        'split its services over several catalogues or environments',
    ]);
  }, 120_000);

  test('reports a few of thousands of credentials in one value', () => {
    // WHEN
    const found = findCredentials('password=x1 '.repeat(100_000));
    // THEN
    expect(found.map((d) => d.offset)).toEqual([9, 21, 33, 45, 57]);
  });
});

describe('rendered objects (second line of defence)', () => {
  const token = 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef';
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'orders', namespace: 'shop', annotations: { 'kuma.io/service-account-token-volume': 'serviceaccount-token' } },
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'orders',
              env: [
                { name: 'PGPASSWORD', value: 'hunter2' },
                { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
              ],
              args: [`--token=${token}`],
            },
          ],
        },
      },
    },
  };
  const application = {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'zone', namespace: 'argocd' },
    spec: {
      source: {
        helm: {
          valuesObject: {
            kuma: { controlPlane: { secrets: [{ Secret: 'cp-token', Key: 'token', Env: 'KUMA_MULTIZONE_ZONE_KDS_AUTH_CP_TOKEN_INLINE' }] } },
          },
        },
      },
    },
  };

  test('fails on a credential in an env value and in args, and leaves upstream names alone', async () => {
    // GIVEN
    const objects = [
      { file: 'lab/zone/orders.k8s.yaml', object: deployment, line: 3 },
      { file: 'argocd/lab.k8s.yaml', object: application, line: 1 },
    ];
    // WHEN
    const findings = await checkRenderedSecrets(objects, new Set());
    // THEN
    const tail = ': dist/ is committed to git; keep credentials in Secrets created in the cluster and reference them (secretKeyRef)';
    expect(findings.map((f) => `${f.at.file}:${f.at.line} ${f.message}`)).toEqual([
      `lab/zone/orders.k8s.yaml:3 Deployment shop/orders spec.template.spec.containers[0].env[0].value holds what looks like a value of "PGPASSWORD", a name that holds a credential, got "…" (7 characters)${tail}`,
      `lab/zone/orders.k8s.yaml:3 Deployment shop/orders spec.template.spec.containers[0].args[0] holds what looks like a GitHub token, got "ghp_…" (40 characters)${tail}`,
    ]);
  });

  test('points at the object and field of each finding among many objects, some without any', async () => {
    // GIVEN the Deployment after objects with and without strings
    const objects = [
      { file: 'argocd/lab.k8s.yaml', object: application, line: 1 },
      { file: 'lab/zone/empty.k8s.yaml', object: {}, line: 1 },
      { file: 'lab/zone/list.k8s.yaml', object: { items: [[], {}] }, line: 2 },
      { file: 'lab/zone/orders.k8s.yaml', object: deployment, line: 7 },
      { file: 'lab/zone/empty.k8s.yaml', object: {}, line: 9 },
    ];
    // WHEN
    const findings = await checkRenderedSecrets(objects, new Set());
    // THEN
    expect(findings.map((f) => `${f.at.file}:${f.at.line} ${f.message.split(' holds ')[0]}`)).toEqual([
      'lab/zone/orders.k8s.yaml:7 Deployment shop/orders spec.template.spec.containers[0].env[0].value',
      'lab/zone/orders.k8s.yaml:7 Deployment shop/orders spec.template.spec.containers[0].args[0]',
    ]);
  });

  test('scans the strings of a rendered object as stringsOf lists them, with names only for env values, for any object', () => {
    const key = fc.constantFrom('env', 'value', 'name', 'valueFrom', 'args', 'PGPASSWORD', 'x');
    const leaf = fc.oneof(fc.constantFrom('--password', '-token', '--x', 'hunter2', 'PGPASSWORD', 'value', 'env'), fc.integer(), fc.constant(null));
    const tree = fc.letrec<{ value: unknown; map: Record<string, unknown>; list: unknown[] }>((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('map'), tie('list')),
      map: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
      list: fc.array(tie('value'), { maxLength: 4 }),
    })).value;
    fc.assert(
      fc.property(tree, (object) => {
        const items: ScanItem[] = [];
        renderedScanItems(object, items);
        // What checkRenderedSecrets scanned before: every leaf, names for `env[i].value` only.
        const expected = stringsOf(object).map((l) => ({
          value: l.value,
          name: l.name,
          names: l.at.segment === 'value' && l.at.up?.up?.segment === 'env',
        }));
        expect(items).toEqual(expected);
      }),
      { numRuns: 3000, seed: 18 },
    );
  });

  test('leaves out a string scanned without names only once it is known to hold nothing, and names each item by its leaf', async () => {
    const key = fc.constantFrom('env', 'value', 'name', 'args', 'PGPASSWORD', 'x');
    const leaf = fc.oneof(fc.constantFrom('--password', 'hunter2', 'PGPASSWORD', token, 'value', 'env'), fc.string({ maxLength: 12 }), fc.integer());
    const tree = fc.letrec<{ value: unknown; map: Record<string, unknown>; list: unknown[] }>((tie) => ({
      value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('map'), tie('list')),
      map: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
      list: fc.array(tie('value'), { maxLength: 4 }),
    })).value;
    await fc.assert(
      fc.asyncProperty(tree, async (object) => {
        // GIVEN the object's strings scanned once
        const all: ScanItem[] = [];
        renderedScanItems(object, all);
        const found = await scanStrings(all);
        // WHEN its items are listed again, leaving out those known to hold nothing
        const items: ScanItem[] = [];
        const leaves: number[] = [];
        renderedScanItems(object, items, leaves);
        // THEN what is left out is what was scanned without names and found clean; each item is named by its leaf
        const kept = all.map((_, i) => i).filter((i) => all[i].names || found[i].length > 0);
        expect(leaves).toEqual(kept);
        expect(items).toEqual(kept.map((i) => all[i]));
      }),
      { numRuns: 300, seed: 18 },
    );
  });

  test('finds the same at the same fields once the strings around each finding are known to hold nothing', async () => {
    // GIVEN objects scanned once: every string but the credentials is then known clean
    const objects = [
      { file: 'argocd/lab.k8s.yaml', object: application, line: 1 },
      { file: 'lab/zone/empty.k8s.yaml', object: {}, line: 1 },
      { file: 'lab/zone/orders.k8s.yaml', object: deployment, line: 7 },
    ];
    const first = await checkRenderedSecrets(objects, new Set());
    // WHEN scanned again, and the value of a credential's env entry kept as a label elsewhere
    const labelled = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { note: 'hunter2' } } };
    const again = await checkRenderedSecrets([{ file: 'lab/zone/x.k8s.yaml', object: labelled, line: 1 }, ...objects], new Set());
    // THEN the same findings at the same fields: the env value is scanned with its name wherever its value was seen
    const described = (findings: readonly { at: { file: string; line?: number }; message: string }[]) =>
      findings.map((f) => `${f.at.file}:${f.at.line} ${f.message.split(' holds ')[0]}`);
    expect(described(first)).toEqual([
      'lab/zone/orders.k8s.yaml:7 Deployment shop/orders spec.template.spec.containers[0].env[0].value',
      'lab/zone/orders.k8s.yaml:7 Deployment shop/orders spec.template.spec.containers[0].args[0]',
    ]);
    expect(described(again)).toEqual(described(first));
  });

  test('lets through the secrets allowedSecrets allows in the input', async () => {
    // WHEN
    const findings = await checkRenderedSecrets(
      [{ file: 'lab/zone/orders.k8s.yaml', object: deployment, line: 3 }],
      new Set([sha(token), sha('hunter2')]),
    );
    // THEN
    expect(findings).toEqual([]);
  });
});
