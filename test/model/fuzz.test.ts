import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { parse } from 'yaml';
import { loadProject } from '../../src/model/load';
import { parsePath, SourceFile } from '../../src/model/source-file';
import { formatProblem, Problem, sortProblems, SpecError } from '../../src/model/spec-error';
import { loadAndScan, unusedAllowedSecrets } from '../../src/model/secret-scan';
import { BIN, copyRepo, removeTempDirs, REPO, snapshotTree, tempDir } from '../util';
import { binary, Case, cases, mutate, nesting, structural, textual } from './mutations';

/**
 * Property-based tests of the environment model against bad input: the example environment files,
 * catalogues, settings and an imposter, mutated thousands of times (see mutations.ts).
 *
 * In-process, `loadProject` either succeeds or throws a `SpecError` whose problems are sorted, each
 * with a file that is one of the input files, a 1-based line and column inside that file, a field
 * and a message, on one line and without a stack trace or an internal value (`undefined`); a problem
 * about a value or key written as a plain word points at that word. A sample of cases runs the real
 * `meshflip synth`: it exits with 0 or 1, never with a stack trace, prints on failure exactly the
 * problems found in-process followed by "nothing was written.", and leaves the repository, dist/
 * included, byte-identical.
 *
 * Every property runs with the seeds MESHFLIP_FUZZ_SEED names: one seed (`7`), a list (`1,2,7`) or a
 * range (`1-20`); unset, one random seed. The seed is part of each test's name, so a failing run
 * says how to reproduce it (`MESHFLIP_FUZZ_SEED=7 npx jest test/model/fuzz.test.ts`), and fast-check
 * prints the shrunk counterexample. `npm run test:fuzz` runs seeds 1 to 10 (MESHFLIP_FUZZ_SEED
 * overrides), as CI does. MESHFLIP_FUZZ_SCALE (e.g. 10) multiplies the number of runs.
 */

const SEEDS = fuzzSeeds(process.env.MESHFLIP_FUZZ_SEED);
const SCALE = Number(process.env.MESHFLIP_FUZZ_SCALE ?? 1);
const runs = (n: number): number => Math.round(n * SCALE);

/** The seeds MESHFLIP_FUZZ_SEED names (see above); a random one when it is unset or empty. */
function fuzzSeeds(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') {
    return [Math.floor(Math.random() * 2 ** 31)];
  }
  const seeds = text.split(',').flatMap((part) => {
    const range = /^\s*(-?\d+)\s*-\s*(-?\d+)\s*$/.exec(part);
    if (range !== null) {
      const [from, to] = [Number(range[1]), Number(range[2])];
      return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
    }
    return [Number(part)];
  });
  if (seeds.length === 0 || seeds.some((seed) => !Number.isSafeInteger(seed))) {
    throw new Error(`MESHFLIP_FUZZ_SEED must be a seed (7), a list (1,2,7) or a range (1-20) of integers, got ${JSON.stringify(text)}`);
  }
  return seeds;
}

/** The input files that get mutated, by repository path. */
const TARGETS = [
  'environments/coolstore.yaml',
  'environments/coolstore-chaos.yaml',
  'environments/kong-perf.yaml',
  'environments/kong-real.yaml',
  'environments/kong-tutorial.yaml',
  'environments/catalog/kong-blog.yaml',
  'environments/catalog/coolstore.yaml',
  'environments/meshflip.yaml',
  'environments/mocks/captains-log.imposter.json',
] as const;

/** The settings file, which every environment needs. */
const SETTINGS = 'environments/meshflip.yaml';

/** Every file of the example environments/ with its original bytes, by repository path. */
let originals: Map<string, Buffer>;
/** For each file, the files it is loaded with in-process (see `referenceScopes`). */
let scopes: Map<string, readonly string[]>;

beforeAll(() => {
  originals = new Map(
    Object.keys(snapshotTree(path.join(REPO, 'environments'))).map((file) => [
      `environments/${file}`,
      fs.readFileSync(path.join(REPO, 'environments', file)),
    ]),
  );
  scopes = referenceScopes(originals);
});

afterAll(() => removeTempDirs());

/**
 * For each example file, the files needed to load it: an environment with the catalogues and imposter
 * files it refers to, a catalogue or an imposter file with the environments that use it (and what
 * those refer to), and always the settings. Loading only those keeps a run short; the mixed property
 * and the CLI runs load everything.
 */
function referenceScopes(files: ReadonlyMap<string, Buffer>): Map<string, readonly string[]> {
  const refs = new Map<string, Set<string>>([...files.keys()].map((file) => [file, new Set<string>()]));
  const refer = (from: string, to: string) => {
    if (files.has(to)) {
      refs.get(from)!.add(to);
    }
  };
  const walk = (file: string, value: unknown, key?: string): void => {
    if (Array.isArray(value)) {
      value.forEach((item) =>
        key === 'imposters' && typeof item === 'string'
          ? refer(file, path.posix.normalize(path.posix.join(path.posix.dirname(file), item)))
          : walk(file, item),
      );
    } else if (value !== null && typeof value === 'object') {
      Object.entries(value).forEach(([k, v]) => walk(file, v, k));
    }
  };
  const environments = [...files.keys()].filter((file) => /^environments\/[^/]+\.ya?ml$/.test(file) && file !== SETTINGS);
  for (const [file, bytes] of files) {
    if (/\.(ya?ml|json)$/.test(file)) {
      const data = parse(bytes.toString('utf8')) as { catalog?: unknown } | null;
      for (const name of Array.isArray(data?.catalog) ? data.catalog : []) {
        refer(file, `environments/catalog/${String(name)}.yaml`);
      }
      walk(file, data);
    }
  }
  const reach = (start: string): Set<string> => {
    const seen = new Set([start]);
    for (const queue = [start]; queue.length > 0;) {
      for (const next of refs.get(queue.pop()!)!) {
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return seen;
  };
  const reached = new Map(environments.map((env) => [env, reach(env)]));
  const scopeOf = (file: string): readonly string[] => {
    if (file === SETTINGS) {
      return [...files.keys()];
    }
    const users = environments.includes(file) ? [file] : environments.filter((env) => reached.get(env)!.has(file));
    return [...new Set([file, SETTINGS, ...users.flatMap((env) => [...reached.get(env)!])])].sort();
  };
  return new Map([...files.keys()].map((file) => [file, scopeOf(file)]));
}

/** A repository with some of the example files, and the set of its files (plus the folder itself, for folder problems). */
interface Repo {
  readonly root: string;
  readonly files: ReadonlySet<string>;
}

const repos = new Map<string, Repo>();

/** The repository a case runs in: the scopes of the files it changes, or every example file. */
function repoFor(c: Case, scoped: boolean): Repo {
  const files = scoped ? [...new Set(c.files.flatMap(({ file }) => scopes.get(file)!))].sort() : [...originals.keys()];
  const key = files.join('\n');
  if (!repos.has(key)) {
    const root = tempDir('meshflip-fuzz-');
    files.forEach((file) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), originals.get(file)!);
    });
    repos.set(key, { root, files: new Set(['environments', ...files]) });
  }
  return repos.get(key)!;
}

/** The mutated bytes of each file a case changes. */
function render(c: Case): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const { file, mutations } of c.files) {
    out.set(file, mutations.reduce(mutate, out.get(file) ?? originals.get(file)!));
  }
  return out;
}

/** Writes a case's files into `root`; returns the files it changed. */
function writeCase(root: string, c: Case): Map<string, Buffer> {
  const changed = render(c);
  for (const [file, bytes] of changed) {
    fs.writeFileSync(path.join(root, file), bytes);
  }
  return changed;
}

/** Writes a case's files into `root`, runs `fn`, and puts the original files back. */
function withCase<T>(root: string, c: Case, fn: () => T): T {
  const changed = writeCase(root, c);
  try {
    return fn();
  } finally {
    for (const file of changed.keys()) {
      fs.writeFileSync(path.join(root, file), originals.get(file)!);
    }
  }
}

/** A value or key given as a plain word, as `got` shows it (long values are cut short with "..."). */
const PLAIN_GOT = /^"([A-Za-z0-9_.:/@-]+?)(\.\.\.)?"$/;

/** Whether `field` is written out in the file, rather than reached through an alias or missing. */
function writtenAt(file: string, text: string, field: string): boolean {
  return field.startsWith('(') || SourceFile.parse(file, text).has(parsePath(field));
}

/** What is wrong with one reported problem, if anything. `text` reads an input file as the loader does. */
function faultsOf(problem: Problem, files: ReadonlySet<string>, text: (file: string) => string): string[] {
  const faults: string[] = [];
  if (!files.has(problem.file)) {
    faults.push(`file ${JSON.stringify(problem.file)} is not an input file`);
  }
  if (!Number.isInteger(problem.line) || problem.line < 1 || !Number.isInteger(problem.col) || problem.col < 1) {
    faults.push(`location ${problem.line}:${problem.col} is not 1-based`);
  }
  if (typeof problem.field !== 'string' || problem.field === '') {
    faults.push('has no field');
  }
  if (typeof problem.message !== 'string' || problem.message === '') {
    faults.push('has no message');
  }
  for (const [name, part] of [
    ['got', problem.got],
    ['hint', problem.hint],
  ] as const) {
    if (part !== undefined && (typeof part !== 'string' || part === '')) {
      faults.push(`${name} is empty`);
    }
  }
  const formatted = formatProblem(problem);
  if (formatted.includes('    at ')) {
    faults.push('contains a stack trace');
  }
  // One problem, one line: a line break or an escape sequence would garble the terminal or a CI annotation.
  // eslint-disable-next-line no-control-regex -- control characters are what it looks for
  if (/[\u0000-\u001f]/.test(formatted)) {
    faults.push('contains a line break or a control character');
  }
  if (/\bundefined\b|\[object |\bfunction\b/.test(`${problem.field} ${problem.message} ${problem.hint ?? ''}`)) {
    faults.push('shows an internal value');
  }
  if (faults.length === 0 && problem.file !== 'environments') {
    const lines = text(problem.file).split('\n');
    const lineText = lines[problem.line - 1];
    if (lineText === undefined || problem.col > lineText.length + 1) {
      faults.push(`location ${problem.line}:${problem.col} is outside the file (${lines.length} lines)`);
    } else if (!problem.message.startsWith('is not valid YAML')) {
      // A problem about a value or a key given as a plain word points at that word, possibly quoted
      // and after an anchor or a tag. An alias or a block scalar indicator stands for the value.
      const word = PLAIN_GOT.exec(problem.got ?? '')?.[1];
      const here = lineText
        .slice(problem.col - 1)
        .replace(/^([&!]\S*\s+)+/, '')
        .replace(/^["']/, '');
      if (word !== undefined && !/^[*|>]/.test(here) && !here.startsWith(word) && writtenAt(problem.file, text(problem.file), problem.field)) {
        faults.push(`points at ${JSON.stringify(lineText.slice(problem.col - 1, problem.col + 29))}, not at ${problem.got}`);
      }
    }
  }
  return faults.map((fault) => `${formatted}\n  -> ${fault}`);
}

/** Loads a repository in-process and returns what is wrong with the outcome: nothing when all is well. */
function checkLoad({ root, files }: Repo): string[] {
  let error: unknown;
  try {
    loadProject(root);
    return [];
  } catch (e) {
    error = e;
  }
  if (!SpecError.is(error)) {
    return [`loadProject threw something other than a SpecError:\n${error instanceof Error ? error.stack : String(error)}`];
  }
  if (error.problems.length === 0) {
    return ['SpecError without problems'];
  }
  if (error.message.includes('    at ')) {
    return ['SpecError message contains a stack trace'];
  }
  const order = (a: Problem, b: Problem) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col);
  if (error.problems.some((problem, i) => i > 0 && order(error.problems[i - 1], problem) > 0)) {
    return ['problems are not sorted by file, line and column'];
  }
  const texts = new Map<string, string>();
  const text = (file: string): string => {
    if (!texts.has(file)) {
      // As the loader decodes it: a leading byte order mark is not part of the first line.
      texts.set(file, new TextDecoder().decode(fs.readFileSync(path.join(root, file))));
    }
    return texts.get(file)!;
  };
  return error.problems.flatMap((problem) => faultsOf(problem, files, text));
}

/** A case in one line, with long strings and bytes cut short. */
function describeCase(c: Case): string {
  return JSON.stringify(c, (_key, value: unknown) => {
    if (value instanceof Uint8Array) {
      return `<${value.length} bytes: ${Buffer.from(value).toString('hex').slice(0, 64)}>`;
    }
    return typeof value === 'string' && value.length > 200 ? `${value.slice(0, 100)}...<${value.length} chars>` : value;
  });
}

/**
 * Asserts that loading succeeds or fails with well-formed problems for `numRuns` cases. With `scoped`,
 * each case loads only the files linked to the ones it changes.
 */
function assertLoads(seed: number, name: string, arbitrary: fc.Arbitrary<Case>, numRuns: number, scoped = true): void {
  fc.assert(
    fc.property(arbitrary, (c) => {
      // GIVEN a repository with the mutated files
      const repo = repoFor(c, scoped);
      // WHEN it is loaded in-process
      const faults = withCase(repo.root, c, () => checkLoad(repo));
      // THEN it loads, or every problem is located in an input file and reads as one line
      if (faults.length > 0) {
        throw new Error(`${name} on ${describeCase(c)}:\n${faults.join('\n')}`);
      }
    }),
    { seed, numRuns },
  );
}

describe.each(SEEDS)('loadProject on mutated input, seed %d', (seed) => {
  test('succeeds or fails with located problems when values, keys and entries change', () => {
    assertLoads(seed, 'structure', cases(TARGETS, structural), runs(800));
  });

  test('succeeds or fails with located problems on malformed YAML: cuts, brackets, quotes, tabs and indentation', () => {
    assertLoads(seed, 'text', cases(TARGETS, textual), runs(500));
  });

  test('succeeds or fails with located problems on binary junk, other encodings and empty files', () => {
    assertLoads(seed, 'binary', cases(TARGETS, binary, 2), runs(300));
  });

  test('succeeds or fails with located problems on deep nesting, anchors, aliases and alias bombs', () => {
    assertLoads(seed, 'nesting', cases(TARGETS, nesting, 2), runs(200));
  });

  test('succeeds or fails with located problems when every kind of change is mixed', () => {
    assertLoads(seed, 'mixed', cases(TARGETS, fc.oneof(structural, textual, binary, nesting), 4), runs(300), false);
  });
});

/**
 * The problems synth reports when loading and scanning the input stops it, found in-process;
 * undefined when they do not (what the rendering then finds is not predicted here).
 */
async function problemsInProcess(root: string): Promise<readonly Problem[] | undefined> {
  // As synth loads: with the credential scan of every input file, and where environments reach
  // checked after loading (never, when loading fails).
  const { project, problems, secrets } = await loadAndScan(root, { checkOverlaps: false });
  if (project === undefined) {
    return sortProblems(problems);
  }
  if (problems.some((p) => p.severity !== 'warning')) {
    // The project loads but the scan found a credential: nothing is rendered, and the exceptions
    // of allowedSecrets that allowed nothing are reported with it.
    return sortProblems([...problems, ...unusedAllowedSecrets(project.settings.allowedSecrets, secrets.used)]);
  }
  return undefined;
}

/** Runs the real meshflip command in `cwd` without blocking, so that several runs share the CPUs. */
function runCliAsync(
  args: readonly string[],
  cwd: string,
): Promise<{ status: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

/** What is wrong with a run of the real `meshflip synth` in `root`, if anything. */
async function checkSynth(root: string): Promise<string[]> {
  const expected = await problemsInProcess(root);
  const before = snapshotTree(root);
  const result = await runCliAsync(['synth'], root);
  const faults: string[] = [];
  if (result.status !== 0 && result.status !== 1) {
    faults.push(`exit code ${result.status} (signal ${result.signal})`);
  }
  if (`${result.stdout}${result.stderr}`.includes('    at ')) {
    faults.push('printed a stack trace');
  }
  if (result.status === 1) {
    if (result.stdout !== '') {
      faults.push(`printed to stdout on failure: ${JSON.stringify(result.stdout.slice(0, 200))}`);
    }
    if (!result.stderr.trimEnd().endsWith('nothing was written.')) {
      faults.push('stderr does not end with "nothing was written."');
    }
    if (expected !== undefined) {
      const errors = expected.filter((p) => p.severity !== 'warning').length;
      const wanted = [
        ...expected.map((p) => `${p.severity === 'warning' ? 'warning' : 'error'}: ${formatProblem(p)}`),
        `${errors} problem${errors === 1 ? '' : 's'} found; nothing was written.`,
      ];
      if (result.stderr.trimEnd() !== wanted.join('\n')) {
        faults.push(`stderr differs from the problems found in-process; expected:\n${wanted.join('\n')}`);
      }
    }
    const after = snapshotTree(root);
    const touched = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((file) => before[file] !== after[file]);
    if (touched.length > 0) {
      faults.push(`a failed run changed ${touched.join(', ')}`);
    }
  } else if (result.status === 0) {
    if (expected !== undefined) {
      faults.push('succeeded although the project does not load in-process');
    }
    if (!result.stdout.startsWith('synthesized ')) {
      faults.push(`unexpected stdout: ${JSON.stringify(result.stdout.slice(0, 200))}`);
    }
  }
  return faults.length === 0 ? [] : [...faults, `stderr:\n${result.stderr}`];
}

describe('the oracle of synth', () => {
  test('predicts what synth prints when the project loads but holds a credential, with an exception of allowedSecrets that allowed nothing', async () => {
    // GIVEN the examples with a token in a service's environment variables, and an exception for another value
    const root = copyRepo(['environments', 'dist']);
    const catalog = path.join(root, 'environments/catalog/coolstore.yaml');
    const line = '      JAVA_OPTS_APPEND: -Dspring.profiles.active=openshift';
    const text = fs.readFileSync(catalog, 'utf8');
    expect(text).toContain(line);
    fs.writeFileSync(catalog, text.replace(line, `${line}\n      GITHUB_TOKEN: ${'gh' + 'p_' + 'Z9y8X7w6V5'.repeat(3) + 'abcdef'}`));
    fs.appendFileSync(
      path.join(root, 'environments/meshflip.yaml'),
      `allowedSecrets:\n  - { fingerprint: "sha256:${'0'.repeat(16)}", reason: allows nothing here }\n`,
    );
    // WHEN the oracle and the real command look at it
    const expected = await problemsInProcess(root);
    // THEN the oracle predicts the failure (the credential, and the exception that allows nothing), and synth prints exactly that
    expect(expected?.map((p) => p.message)).toEqual([
      'holds what looks like a GitHub token, and credentials must not be committed to git',
      'matches no credential in the input, so it allows nothing',
    ]);
    expect(await checkSynth(root)).toEqual([]);
  }, 60_000);
});

/** Cases run side by side in one property run; the sample is BATCH times the number of runs. */
const BATCH = 4;

describe.each(SEEDS)('meshflip synth on mutated input, seed %d', (seed) => {
  test('exits with 0 or 1 without a stack trace, and leaves dist/ byte-identical when it fails', async () => {
    const batches = fc.array(cases(TARGETS, fc.oneof(structural, textual, binary, nesting), 3), { minLength: BATCH, maxLength: BATCH });
    await fc.assert(
      fc.asyncProperty(batches, async (batch) => {
        const failures = await Promise.all(
          batch.map(async (c) => {
            // GIVEN a repository with the committed dist/ and the mutated files
            const root = copyRepo(['environments', 'dist']);
            try {
              writeCase(root, c);
              // WHEN meshflip synth runs in it
              // THEN it exits with 0 or 1, and a failed run prints only problems and writes nothing
              const faults = await checkSynth(root);
              return faults.length === 0 ? [] : [`synth on ${describeCase(c)}:\n${faults.join('\n')}`];
            } finally {
              fs.rmSync(root, { recursive: true, force: true });
            }
          }),
        );
        if (failures.flat().length > 0) {
          throw new Error(failures.flat().join('\n\n'));
        }
      }),
      // Each run costs a few processes: report the first failing batch as it is, without shrinking it.
      { seed, numRuns: runs(20 / BATCH), endOnFailure: true },
    );
  }, 120_000);
});
