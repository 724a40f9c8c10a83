/**
 * The readiness check of a Mountebank mock: ready only once every imposter it should serve is loaded.
 *
 * `mb start --configfile` opens the admin API first and loads the imposters afterwards, through its
 * own `PUT /imposters` (mountebank 2.9 `bin/mb` then `src/cli/api.js` `loadConfig`). Until that call
 * is done, or after an imposter was deleted through the admin API, `GET /imposters` answers 200 with
 * fewer imposters than the file holds, and requests to a missing imposter's port are refused. A probe
 * on the admin API alone would route traffic there; this one compares the ports Mountebank reports
 * (`src/controllers/impostersController.js` `get`) with the ports the mock must serve. (A file
 * Mountebank refuses makes `loadConfig` exit mb with 1, so the container restarts instead.)
 *
 * It runs as an exec probe with the image's own `node` (the Mountebank image is built on
 * `node:*-alpine`), so it needs neither a shell nor curl.
 *
 * @see https://www.mbtest.org/docs/api/overview#get-imposters
 */

/**
 * The script run by `node -e`. Arguments: the admin port, then every imposter port. Exits 0 when
 * Mountebank lists every port, 1 otherwise, saying which ports are missing (the kubelet records
 * the output of a failed probe in the pod's events).
 */
export const IMPOSTERS_LOADED_SCRIPT = [
  'const [admin, ...want] = process.argv.slice(1).map(Number);',
  'const fail = (m) => { console.error(m); process.exit(1); };',
  "require('http').get({ host: '127.0.0.1', port: admin, path: '/imposters', headers: { accept: 'application/json' } }, (res) => {",
  "  let body = ''; res.setEncoding('utf8'); res.on('data', (c) => { body += c; });",
  "  res.on('end', () => {",
  "    if (res.statusCode !== 200) fail('GET /imposters answered ' + res.statusCode);",
  '    const have = new Set(JSON.parse(body).imposters.map((i) => i.port));',
  '    const missing = want.filter((p) => !have.has(p));',
  "    if (missing.length > 0) fail('imposters not loaded on ports ' + missing.join(', '));",
  '  });',
  "}).on('error', (e) => fail(e.message));",
].join('\n');

/** The exec command that checks a Mountebank on `adminPort` serves an imposter on each of `ports`. */
export function impostersLoadedCommand(adminPort: number, ports: readonly number[]): string[] {
  return ['node', '-e', IMPOSTERS_LOADED_SCRIPT, String(adminPort), ...ports.map(String)];
}
