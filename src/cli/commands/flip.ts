import * as fs from 'fs';
import * as path from 'path';
import { isDeepStrictEqual } from 'util';
import { expiryInstant } from '../../model/expiry';
import { applyFlip, applyFlipAt, FlipRequest, MAX_EXPIRY_DAYS, resolveExpiry } from '../../model/flip';
import { ENVIRONMENTS_DIR, loadProject } from '../../model/load';
import { commonEnds } from '../../model/common-ends';
import { compareStrings, didYouMean, SpecError } from '../../model/spec-error';
import { escapeUnsafeText } from '../../model/unsafe-text';
import { synthesizeChanged } from '../../pipeline/validate/incremental-synth';
import { defaultCacheDir } from '../../pipeline/validate/check-cache';
import { defaultParseCache, parseCacheOption } from '../../pipeline/validate/parse-cache';
import { environmentFiles } from '../../pipeline/validate/parallel-synth';
import { diffRouting, EnvironmentChange } from '../../pipeline/changes/routing-diff';
import { environmentRouting } from '../../pipeline/synth/synth';
import { resolveOutputFolder } from '../../pipeline/dist/output-folder';
import { environmentOf, isObjectFile, parseDistFile, RenderedFile, renderedObjects } from '../../pipeline/dist/read-dist';
import { readEnvironmentRouting } from '../../pipeline/routing/routing-reader';
import { environmentInputs, recordedDigest } from '../../pipeline/synth/inputs-digest';
import { outputsDigest } from '../../pipeline/dist/outputs-digest';
import { seenFilesIn } from '../../pipeline/validate/seen-files-cache';
import { routingCacheIn } from '../../pipeline/validate/routing-cache';
import { RenderedObject } from '../../meshes/effective-routing';
import { recoverInterruptedWrite, writeDist, WriteResult } from '../../pipeline/dist/write-dist';
import { UsageError } from '../errors';
import { changeJson, jsonText, problemJson } from '../json-output';
import { summarizeMissingSchemas } from '../../pipeline/validate/validate';
import { Output, paint, printProblems } from '../output';
import { defineCommand } from './command';
import { resolveNow } from './validate';

export const flipCommand = defineCommand({
  name: 'flip',
  args: '<env> <service|--all>',
  description: [
    'Edits the environment file in place (only the routing line changes; comments and',
    'formatting stay), checks the result, renders dist/ and prints what changed. The file and',
    'dist/ are written together: a flip killed midway is finished or undone by the next run.',
  ],
  options: {
    all: { type: 'boolean', help: 'Every service that has a mock (routing.default)' },
    to: { type: 'string', arg: 'mock|real|record', help: 'Where traffic goes (required); record: through the mock, which records the real answers' },
    weight: { type: 'string', arg: '<N>', help: 'With --to mock: send N% of traffic to the mock, the rest to the real\nservice' },
    header: { type: 'string', arg: '<name=value>', help: 'With --to mock: only requests carrying this header go to the mock' },
    expires: {
      type: 'string',
      arg: '<when>',
      help: 'A date (2026-12-01), a date-time, or a duration from now (90m, 12h,\n3d, 2w); meshflip validate fails once it has passed',
    },
    reason: { type: 'string', arg: '<text>', help: 'Why; kept in the file, the annotations and ROUTING.md' },
    now: { type: 'string', arg: '<date-time>', help: 'Pretend it is this time (for --expires with a duration)' },
    json: { type: 'boolean', help: 'Print what changed as one JSON document on stdout (README: JSON output)' },
  },
  notes: ['Protected environments are refused: they never route to a mock.'],
  async run({ values, positionals, root }, output: Output): Promise<number> {
    const [envName, service, ...extra] = positionals;
    if (envName === undefined || (service === undefined) === (values.all !== true) || extra.length > 0) {
      throw new UsageError('expected an environment and either a service or --all', 'meshflip flip kong-perf captains-log --to mock');
    }
    if (values.to !== 'mock' && values.to !== 'real' && values.to !== 'record') {
      throw new UsageError(
        `--to must be mock, real or record, got ${values.to === undefined ? 'nothing' : `"${values.to}"`}`,
        'meshflip flip kong-perf captains-log --to mock',
      );
    }
    const request = parseRequest(values, service, resolveNow(values.now));
    // Where dist/ goes is checked before the environment file is edited; a flip killed midway
    // is finished (or undone) before anything is read.
    const out = resolveOutputFolder(root);
    recoverInterruptedWrite(out.dir);
    const names = environmentFiles(root).map((e) => e.name);
    if (!names.includes(envName)) {
      throw new UsageError(`no environment "${envName}"`, didYouMean(envName, names) ?? `environments: ${names.join(', ')}`);
    }
    // Only the flipped environment is resolved here (the others are parsed and checked against
    // the schema); the whole project is loaded and checked with the edit below.
    const parseCache = defaultParseCache();
    const project = loadProject(root, { only: [envName], ...parseCacheOption(parseCache) });
    const env = project.environments.find((e) => e.name === envName);
    if (env === undefined) {
      throw new UsageError(`no environment "${envName}"`, `${ENVIRONMENTS_DIR}/${envName}.yaml names another environment`);
    }
    if (env.protected) {
      throw new UsageError(
        `environment ${env.name} is protected: it never routes to a mock, so it cannot be flipped`,
        `${env.file} says protected: true`,
      );
    }
    if (service !== undefined) {
      const spec = env.services.find((s) => s.name === service);
      if (spec === undefined) {
        throw new UsageError(
          `no service "${service}" in environment ${env.name}`,
          didYouMean(
            service,
            env.services.map((s) => s.name),
          ) ?? `services: ${env.services.map((s) => s.name).join(', ')}`,
        );
      }
      if (request.to !== 'real' && spec.mock === undefined) {
        throw new UsageError(`service ${service} has no mock`, `add mock: {imposters: [...]} to ${service} in ${spec.definedIn.file.path}`);
      }
    }
    const before = fs.readFileSync(path.join(root, env.file), 'utf8');
    // Spliced where the file's parse found the value, without parsing the file again, when the
    // edit allows: what it parses to is checked once it is loaded, below.
    const spliced = applyFlipAt(before, env, request);
    let after = spliced?.text ?? applyFlip(before, env, request);
    if (after === before) {
      output.out(
        values.json
          ? jsonText({
              environment: env.name,
              service: service ?? null,
              to: request.to,
              file: env.file,
              changed: false,
              edit: [],
              routing: [],
              dist: { added: [], changed: [], removed: [] },
              warnings: [],
            })
          : `${env.file} already says that; nothing to change`,
      );
      return 0;
    }
    // Check the edited file before writing anything, then render what the edit changes (and any
    // environment whose inputs changed since dist/ was written) from the files as they will be
    // committed; the other environments are read from dist/ as they are.
    // dist/ holds what the unedited file renders when the environment's inputs are those it records.
    const distCurrent = recordedDigest(out.dir, env.name) === environmentInputs(env, project).digest;
    const render = (text: string) =>
      synthesizeChanged({
        root,
        distDir: out.dir,
        distRel: out.rel,
        // As the bytes the file will hold: their parse is kept for the commands that read it next.
        overrides: new Map([[env.file, Buffer.from(text, 'utf8')]]),
        force: new Set([env.name]),
        keepObjects: distCurrent,
        // dist/ holds what the unedited file renders: only what the edit changes is rendered, and
        // when every other environment is as dist/ holds it too, only this one is loaded again.
        ...(distCurrent ? { before: new Map([[env.name, env]]) } : {}),
        cacheDir: defaultCacheDir(),
        ...(parseCache === undefined ? {} : { parseCache }),
      });
    let rendered = await render(after);
    const loaded = rendered.project?.environments.find((e) => e.name === env.name);
    if (spliced !== undefined && !isDeepStrictEqual(loaded?.source.data, spliced.data)) {
      // The splice did not give the file the request asks for (or the file does not load, and its
      // problems must be those of the edit that checks itself): that edit, rendered again.
      after = applyFlip(before, env, request);
      rendered = await render(after);
    }
    if (rendered.problems.some((p) => p.severity !== 'warning')) {
      throw new SpecError([...rendered.problems]);
    }
    // The environment file and dist/ are written together: all or nothing, even if killed.
    // The files read from dist/ rather than rendered stay as they are.
    const result: WriteResult = writeDist(
      out.dir,
      rendered.files.filter((f) => !rendered.unchanged.has(f.path)),
      {
        root,
        keep: (file) => rendered.keeps(file) || rendered.unchanged.has(file),
        keepFolders: rendered.keepsFolder,
        companions: [{ file: path.join(root, env.file), content: after }],
        recordPrevious: distCurrent,
        seen: seenFilesIn(defaultCacheDir()),
      },
    );
    // The routing before: read back from the environment's objects as dist/ held them (the rendered
    // ones, with the files the write changed or removed as they were), or, when dist/ was out of
    // date, from a rendering of the unedited file.
    const filesThen = distCurrent ? filesBefore(env.name, rendered.files, result) : undefined;
    const previous =
      filesThen === undefined
        ? environmentRouting(env, project.settings)
        : (keptRouting(env.name, filesThen) ?? readEnvironmentRouting(env.name, objectsOf(filesThen)));
    const current = rendered.routing.find((r) => r.name === env.name)!;
    const changes = diffRouting([previous], [current]);
    if (values.json) {
      output.out(
        jsonText({
          environment: env.name,
          service: service ?? null,
          to: request.to,
          file: env.file,
          changed: true,
          edit: changedLines(before, after),
          routing: changes.map(changeJson),
          dist: { added: result.added, changed: result.changed, removed: result.removed },
          warnings: summarizeMissingSchemas(rendered.problems).map(problemJson),
        }),
      );
      return 0;
    }
    printProblems(output, rendered.problems);
    output.out(`${paint(output, 'green', 'flipped')} ${service ?? 'every mocked service'} in ${env.name} to ${request.to}; edited ${env.file}`);
    for (const line of changedLines(before, after)) {
      output.out(`  ${line}`);
    }
    for (const line of routingChangeLines(changes, previous, current)) {
      output.out(`  ${line}`);
    }
    output.out(`dist/: ${result.added.length} added, ${result.changed.length} changed, ${result.removed.length} removed`);
    for (const f of [...result.added.map((x) => `+ ${x}`), ...result.changed.map((x) => `~ ${x}`), ...result.removed.map((x) => `- ${x}`)]) {
      output.out(`  ${f}`);
    }
    return 0;
  },
});

function parseRequest(values: Record<string, string | boolean | undefined>, service: string | undefined, now: Date): FlipRequest {
  const to = values.to as FlipRequest['to'];
  let weight: number | undefined;
  for (const flag of ['weight', 'header'] as const) {
    if (values[flag] !== undefined && to !== 'mock') {
      throw new UsageError(
        `--${flag} only applies with --to mock: --to ${to} sends all traffic ${to === 'real' ? 'to the real service' : 'through the recording mock'}`,
        flag === 'weight'
          ? 'drop --weight, or send part of the traffic to the mock with --to mock --weight 10'
          : 'drop --header, or route requests with the header to the mock with --to mock --header name=value',
      );
    }
  }
  if (values.weight !== undefined) {
    weight = /^\d{1,3}$/.test(String(values.weight)) ? Number(values.weight) : NaN;
    if (!Number.isInteger(weight) || weight < 1 || weight > 100) {
      throw new UsageError(
        `--weight must be a whole number from 1 to 100 with --to mock, got "${String(values.weight)}"`,
        '--weight 30 sends 30% of traffic to the mock',
      );
    }
  }
  let header: FlipRequest['header'];
  if (values.header !== undefined) {
    const match = /^([a-z0-9!#$%&'*+\-.^_`|~]+)=(.+)$/.exec(String(values.header));
    if (match === null) {
      throw new UsageError(
        `--header must be name=value (a lowercase header name) with --to mock, got "${String(values.header)}"`,
        '--header x-mock=true',
      );
    }
    header = { name: match[1], value: match[2] };
  }
  let expires: string | undefined;
  if (values.expires !== undefined) {
    expires = resolveExpiry(String(values.expires), now);
    if (expires === undefined) {
      throw new UsageError(
        `--expires must be a date, a date-time or a duration from 1m to ${MAX_EXPIRY_DAYS}d (90m, 12h, 3d, 2w), got "${String(values.expires)}"`,
        '--expires 3d, or a date such as 2027-06-30 for a later expiry',
      );
    }
    // The next meshflip validate would fail on it at once.
    if (expiryInstant(expires).getTime() <= now.getTime()) {
      throw new UsageError(
        `--expires must be in the future, got "${String(values.expires)}" (it is now ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')})`,
        '--expires 3d, or a later date',
      );
    }
  }
  return { service, to, weight, header, expires, reason: values.reason as string | undefined };
}

/**
 * An environment's files as they were before a write: the rendered files it left as they were, and
 * the changed and removed ones with their old text (files it added did not exist).
 */
function filesBefore(environment: string, rendered: readonly RenderedFile[], result: WriteResult): RenderedFile[] {
  const previous = result.previous!;
  const added = new Set(result.added);
  return [
    ...rendered.filter((f) => environmentOf(f.path) === environment && !previous.has(f.path) && !added.has(f.path)),
    ...[...previous].filter(([file]) => environmentOf(file) === environment).map(([file, content]) => ({ path: file, content })),
  ];
}

/**
 * The routing of files when it was kept for exactly those files, every path and byte
 * (`RoutingCache`: synthesis keeps the routing of what it renders), else undefined.
 */
function keptRouting(environment: string, files: readonly RenderedFile[]): EnvironmentRouting | undefined {
  return routingCacheIn(defaultCacheDir())?.get(environment, outputsDigest(files));
}

/** The objects of files: those rendered for a file that has them, else parsed from its text; in the order of the files. */
function objectsOf(files: readonly RenderedFile[]): RenderedObject[] {
  return [...files]
    .sort((a, b) => compareStrings(a.path, b.path))
    .flatMap((file) => (!isObjectFile(file.path) ? [] : file.objects !== undefined ? renderedObjects(file) : parseDistFile(file.path, file.content)));
}

/** The lines that differ between two versions of a file, as `- old` / `+ new`. */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const { head: start, tail: end } = commonEnds(a, b);
  return [...a.slice(start, a.length - end).map((l) => `- ${l}`), ...b.slice(start, b.length - end).map((l) => `+ ${l}`)];
}

type EnvironmentRouting = ReturnType<typeof environmentRouting>;
type ServiceRouting = EnvironmentRouting['services'][number];

/**
 * The routing change of a flip, one service at a time, the state before and after it on lines of their own:
 *
 * ```text
 * kong-perf (kong-mesh)
 *   captains-log
 *     was: mock
 *     now: real; requests with x-mock: true go to mock
 *     expires 2026-03-04T10:00:00Z
 * ```
 *
 * No arrow between the states, so that none is confused with what a state says. What came from the input is escaped.
 */
function routingChangeLines(changes: readonly EnvironmentChange[], previous: EnvironmentRouting, current: EnvironmentRouting): string[] {
  if (changes.length === 0) {
    return ['no routing changes'];
  }
  const lines: string[] = [];
  for (const change of changes) {
    lines.push(`${change.name} (${change.mesh})`);
    lines.push(...change.violations.map((v) => `! ${v}`));
    for (const s of change.services) {
      const find = (routing: EnvironmentRouting) => routing.services.find((r) => r.name === s.service);
      lines.push(
        `  ${s.service}`,
        `    was: ${routingState(find(previous))}`,
        `    now: ${routingState(find(current))}`,
        ...s.details.map((d) => `    ${d}`),
      );
    }
  }
  return lines.map((line) => escapeUnsafeText(line));
}

/** Where a service's traffic goes, in words: `real`, `mock`, `split 70% real / 30% mock`, and a header route. */
function routingState(s: ServiceRouting | undefined): string {
  if (s === undefined) {
    return 'not deployed';
  }
  const split = s.default === 'split' ? `split ${s.weights.real}% real / ${s.weights.mock}% mock` : s.default;
  return s.header === null ? split : `${split}; requests with ${s.header.name}: ${s.header.value} go to ${s.header.to}`;
}
