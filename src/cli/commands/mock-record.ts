import * as path from 'path';
import { writeImposterFile } from '../../pipeline/dist/imposter-file';
import { cleanRecording, recordingCredentialProblems, recordingText } from '../../mocks/recording';
import { loadProject } from '../../model/load';
import { didYouMean, SpecError } from '../../model/spec-error';
import { UsageError } from '../errors';
import { Output } from '../output';
import { defineCommand } from './command';

/** How long the admin API may take to answer. */
const FETCH_TIMEOUT_MS = 30_000;

export const mockRecordCommand = defineCommand({
  name: 'mock-record',
  args: '<env> <service>',
  description: [
    'Fetches the recorded stubs from a Mountebank admin API (GET /imposters?replayable=true&removeProxies=true),',
    'removes credentials (authorization, cookie, proxy-authorization, set-cookie and mocks.scrub of the',
    'environment), makes dates and generated ids stable, and writes the imposter file. A recording that',
    'still holds a value that looks like a credential is refused, not written.',
  ],
  options: {
    from: {
      type: 'string',
      arg: '<url>',
      help: 'The admin API of the recording mock (required), e.g. http://127.0.0.1:2525\nafter kubectl port-forward deploy/<service>-mock 2525',
    },
    out: { type: 'string', arg: '<file>', path: true, help: "The imposter file to write (default: the mock's imposter file,\nwhen it has one)" },
  },
  async run({ values, given, positionals, root }, output: Output): Promise<number> {
    const [envName, serviceName, ...extra] = positionals;
    if (serviceName === undefined || extra.length > 0) {
      throw new UsageError('expected an environment and a service', 'meshflip mock-record kong-perf captains-log --from http://127.0.0.1:2525');
    }
    let from: URL | undefined;
    try {
      from = values.from === undefined ? undefined : new URL(values.from);
    } catch {
      from = undefined;
    }
    if (from === undefined || !['http:', 'https:'].includes(from.protocol)) {
      throw new UsageError(
        `--from must be the http:// address of a Mountebank admin API${values.from === undefined ? '' : `, got "${values.from}"`}`,
        `kubectl port-forward deploy/${serviceName}-mock 2525, then --from http://127.0.0.1:2525`,
      );
    }
    const project = loadProject(root);
    const env = project.environments.find((e) => e.name === envName);
    if (env === undefined) {
      const names = project.environments.map((e) => e.name);
      throw new UsageError(`no environment "${envName}"`, didYouMean(envName, names) ?? `environments: ${names.join(', ')}`);
    }
    const service = env.services.find((s) => s.name === serviceName);
    if (service === undefined) {
      const names = env.services.map((s) => s.name);
      throw new UsageError(`no service "${serviceName}" in ${env.name}`, didYouMean(serviceName, names) ?? `services: ${names.join(', ')}`);
    }
    const mockFiles = [...new Set(service.mock?.imposters.map((i) => i.file) ?? [])];
    if (values.out === undefined && mockFiles.length !== 1) {
      throw new UsageError(
        `${serviceName} has ${mockFiles.length === 0 ? 'no mock' : `${mockFiles.length} imposter files`}: say which file to write with --out`,
        `--out environments/mocks/${serviceName}.imposter.json, listed under mock.imposters of ${serviceName}`,
      );
    }
    const out = values.out ?? path.join(root, mockFiles[0]);
    const shown = given.out ?? mockFiles[0];

    const url = new URL('/imposters?replayable=true&removeProxies=true', from);
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (e) {
      throw new UsageError(`could not reach ${url.origin}: ${fetchFailure(e)}`, `is the port-forward to ${serviceName}-mock running?`);
    }
    const body = await response.text();
    let imposters: Record<string, unknown>[];
    try {
      imposters = (JSON.parse(body) as { imposters: Record<string, unknown>[] }).imposters;
      if (!response.ok || !Array.isArray(imposters)) {
        throw new Error();
      }
    } catch {
      throw new UsageError(
        `${url.origin} answered GET /imposters with ${response.status} and no imposter list: is it a Mountebank admin API?`,
        'the admin port of the mock is 2525',
      );
    }
    const recorded = imposters.filter((i) => Array.isArray(i.stubs) && i.stubs.length > 0);
    if (recorded.length === 0) {
      throw new UsageError(
        `nothing was recorded at ${url.origin}: no imposter has a stub`,
        `route ${serviceName} to record, run the test through it, then fetch`,
      );
    }
    const text = recordingText(cleanRecording(recorded, env.mocks.scrub ?? { headers: [], fields: [] }));
    const problems = await recordingCredentialProblems(path.relative(root, out).split(path.sep).join('/'), text);
    if (problems.length > 0) {
      throw new SpecError(problems);
    }
    writeImposterFile(out, JSON.parse(text) as Record<string, unknown>);
    const stubs = recorded.reduce((n, i) => n + (i.stubs as unknown[]).length, 0);
    output.out(
      `wrote ${shown}: ${stubs} recorded stub${stubs === 1 ? '' : 's'} on port${recorded.length === 1 ? '' : 's'} ${recorded.map((i) => String(i.port)).join(', ')}`,
    );
    return 0;
  },
});

/**
 * Why a fetch failed: undici's "fetch failed" carries the socket error (ECONNREFUSED, a DNS failure) as its cause.
 * Read by shape, not `instanceof`: the error may come from another realm (a test's VM context, a worker).
 */
function fetchFailure(e: unknown): string {
  const message = (value: unknown): string | undefined =>
    typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string'
      ? (value as { message: string }).message
      : undefined;
  const cause = typeof e === 'object' && e !== null ? (e as { cause?: unknown }).cause : undefined;
  return message(cause) ?? message(e) ?? String(e);
}
