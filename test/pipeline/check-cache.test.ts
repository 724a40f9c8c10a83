import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { sortProblems } from '../../src/model/spec-error';
import { listFiles } from '../../src/pipeline/dist/read-dist';
import { writeDist } from '../../src/pipeline/dist/write-dist';
import { INPUTS_FILE, outputsDigest } from '../../src/pipeline/dist/outputs-digest';
import { checkKey, CheckKeyParts, checksIdentity, defaultCacheDir } from '../../src/pipeline/validate/check-cache';
import * as distChecks from '../../src/pipeline/validate/dist-checks';
import * as kubernetesLimits from '../../src/pipeline/validate/kubernetes-limits';
import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { schemaChecker } from '../../src/pipeline/validate/schema-check';
import { validateRepository, ValidateOptions, ValidationReport } from '../../src/pipeline/validate/validate';
import { copyRepo, exampleEnvironments, removeTempDirs, tempDir, withoutConfiguredSchemas } from '../util';
import { widgetCrd } from '../validation/schema-fixtures';

// validate and ci-summary keep what their checks found in each environment whose files are as
// INPUTS.sha256 records, keyed by everything the checks read; synthesis keeps the same for every
// environment it renders. A kept result must be exactly what reading and checking the files gives,
// and must never answer for files, inputs, schemas or code other than those it was made from.

afterAll(removeTempDirs);

/** A schema folder with one CRD (example.io/v1 Widget): every object meshflip renders is of a kind without a schema, a warning each. */
function widgetSchemas(): string {
  const dir = tempDir('meshflip-crds-');
  fs.mkdirSync(path.join(dir, 'kubernetes'));
  fs.writeFileSync(path.join(dir, 'kubernetes', 'widgets.yaml'), stringify(widgetCrd({})));
  return dir;
}

let root: string;
let crds: string;
/** The cache synthesis filled. */
let synthCache: string;
/** validate with no cache: the answer every cached run must give. */
let reference: ValidationReport;

function validateOptions(cacheDir?: string): ValidateOptions {
  return {
    root,
    routing: true,
    now: new Date('2026-01-01T00:00:00Z'),
    extraChecks: [schemaChecker(crds, false, { root })],
    ...(cacheDir === undefined ? {} : { cache: { dir: cacheDir, checks: checksIdentity(crds, false, root) } }),
  };
}

/** What a report says, in a stable order. */
function answer(report: ValidationReport) {
  return { problems: sortProblems(report.problems), objects: report.objects, routing: report.fresh?.routing };
}

/**
 * validate, counting the environments whose objects it checked, the objects checked against the
 * schemas (the root Application's too), and the runs of the checks across environments.
 */
async function validateCounting(
  options: ValidateOptions,
): Promise<{ report: ValidationReport; checked: string[]; schemaChecked: number; across: number }> {
  const spy = jest.spyOn(distChecks, 'validateOnlyChecks');
  const acrossSpy = jest.spyOn(distChecks, 'checkArgoCdSetup');
  let schemaChecked = 0;
  const extraChecks = (options.extraChecks ?? []).map((check) => (objects: Parameters<typeof check>[0]) => {
    schemaChecked += objects.length;
    return check(objects);
  });
  try {
    const report = await withoutConfiguredSchemas(() => validateRepository({ ...options, extraChecks }));
    // The environments' objects checked (the files of no environment are checked without one).
    const checked = spy.mock.calls.map(([env]) => env).filter((env): env is string => env !== undefined);
    return { report, checked: checked.sort(), schemaChecked, across: acrossSpy.mock.calls.length };
  } finally {
    spy.mockRestore();
    acrossSpy.mockRestore();
  }
}

/** Runs `body` with `root` a copy of the repository, given a copy of what its synthesis kept. */
async function inCopies(body: (cache: string) => Promise<void>): Promise<void> {
  const cache = tempDir('meshflip-cache-');
  fs.cpSync(synthCache, cache, { recursive: true });
  const saved = root;
  root = tempDir('meshflip-repo-');
  fs.cpSync(saved, root, { recursive: true });
  try {
    await body(cache);
  } finally {
    root = saved;
  }
}

/** Makes an environment's INPUTS.sha256 record the digest of its files as they are (a hand edit made to look rendered). */
function recordOutputs(dist: string, env: string): void {
  const envFiles = listFiles(dist).filter((f) => f.startsWith(`${env}/`) || f === `argocd/${env}.k8s.yaml`);
  const outputs = outputsDigest(envFiles.map((f) => ({ path: f, content: fs.readFileSync(path.join(dist, f), 'utf8') })));
  const inputsFile = path.join(dist, env, INPUTS_FILE);
  fs.writeFileSync(inputsFile, fs.readFileSync(inputsFile, 'utf8').replace(/^[0-9a-f]{64}(?= {2}\(outputs\)$)/m, outputs));
}

beforeAll(async () => {
  root = copyRepo(['environments']);
  crds = widgetSchemas();
  synthCache = tempDir('meshflip-cache-');
  const result = await withoutConfiguredSchemas(() => synthesizeProject({ root, jobs: 1, crdsRoot: crds, cacheDir: synthCache }));
  expect(result.problems.filter((p) => p.severity !== 'warning')).toEqual([]);
  writeDist(path.join(root, 'dist'), result.files, { root });
  reference = (await validateCounting(validateOptions())).report;
}, 120_000);

const ENVIRONMENTS = exampleEnvironments();

describe('check results kept between runs', () => {
  test('the reference run finds something in every environment: the comparisons below are not of empty answers', () => {
    const withProblems = new Set(reference.problems.map((p) => p.file.split('/')[1]));
    expect(ENVIRONMENTS.filter((env) => !withProblems.has(env))).toEqual([]);
    expect(reference.objects).toBeGreaterThan(300);
  });

  test('validate answers from what synthesis kept exactly what reading and checking every file answers, and reads none', async () => {
    // WHEN validate runs with the cache synthesis filled
    const { report, checked, schemaChecked } = await validateCounting(validateOptions(synthCache));
    // THEN it checked no environment's objects, nor the root Application's, and found the same
    expect(checked).toEqual([]);
    expect(schemaChecked).toBe(0);
    expect(answer(report)).toEqual(answer(reference));
  });

  test("synthesis keeps what validate's own checks find (the mesh rules over dist/, images, Secrets), not only its own", async () => {
    // GIVEN checks only validate runs that find something in every environment (valid input never
    // gives them anything to find: the model refuses it first)
    const spy = jest
      .spyOn(distChecks, 'validateOnlyChecks')
      .mockImplementation((env, objects) =>
        env === undefined ? [] : [{ at: objects[0], severity: 'error', message: `${env} found by validate alone` }],
      );
    const dir = tempDir('meshflip-cache-');
    try {
      // WHEN synthesis fills a cache, and validate answers from it
      await withoutConfiguredSchemas(() => synthesizeProject({ root, jobs: 1, crdsRoot: crds, cacheDir: dir }));
    } finally {
      spy.mockRestore();
    }
    const { report, checked } = await validateCounting(validateOptions(dir));
    // THEN validate reports those findings, where synthesis found them
    expect(checked).toEqual([]);
    expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual(
      ENVIRONMENTS.map((env) => `${env} found by validate alone`),
    );
  });

  test('a cache validate filled gives the same answer the next time, without checking again', async () => {
    const dir = tempDir('meshflip-cache-');
    const first = await validateCounting(validateOptions(dir));
    expect(first.checked).toEqual(ENVIRONMENTS);
    expect(first.schemaChecked).toBe(reference.objects);
    expect(first.across).toBe(1);
    const second = await validateCounting(validateOptions(dir));
    expect(second.checked).toEqual([]);
    expect(second.schemaChecked).toBe(0);
    // Nor across environments: every group has the views it had, under the same paths
    expect(second.across).toBe(0);
    expect(answer(second.report)).toEqual(answer(reference));
  });

  test('an environment whose files were edited, with INPUTS.sha256 made to match, is read and checked again', async () => {
    // GIVEN a copy of the repository whose kong-perf Deployments run an image without a tag, and
    // whose INPUTS.sha256 records the digest of the edited files
    await inCopies(async (dir) => {
      const dist = path.join(root, 'dist');
      const edited = 'kong-perf/zone-mock-services/captains-log.mock.k8s.yaml';
      const text = fs.readFileSync(path.join(dist, edited), 'utf8');
      const [line, image] = /^\s+image: (\S+?):\S+$/m.exec(text)!;
      fs.writeFileSync(path.join(dist, edited), text.replace(line, line.replace(/:[^:]+$/, '')));
      recordOutputs(dist, 'kong-perf');
      // WHEN validate runs with the cache of the unedited files
      const { report, checked } = await validateCounting(validateOptions(dir));
      // THEN that environment alone is checked, and the edit is found
      expect(checked).toEqual(['kong-perf']);
      expect(report.rendered).toEqual([]);
      // (the Deployment's first line, apiVersion, sits right above its kind: keys are sorted)
      const deploymentLine = text.split('\n').indexOf('kind: Deployment');
      expect(report.problems.filter((p) => p.severity !== 'warning')).toEqual([
        {
          file: `dist/${edited}`,
          line: deploymentLine,
          col: 1,
          field: 'Deployment my-services/captains-log-mock',
          message: `container mountebank uses image ${image}, which is not pinned by tag or digest`,
          severity: 'error',
        },
      ]);
    });
  });

  test('a synthesis after an edit checks the objects of the files it changed alone, and finds and keeps what checking them all does', async () => {
    // GIVEN a copy of the repository and of what its synthesis kept, then kong-perf's captains-log
    // sent to the real service (every object is found something: no schema for its kind)
    await inCopies(async (dir) => {
      const envFile = path.join(root, 'environments/kong-perf.yaml');
      fs.writeFileSync(envFile, fs.readFileSync(envFile, 'utf8').replace('    captains-log: mock\n', '    captains-log: real\n'));
      // WHEN synthesis runs with what was kept, the objects checked against Kubernetes' limits counted
      const spy = jest.spyOn(kubernetesLimits, 'checkKubernetesLimits');
      const result = await withoutConfiguredSchemas(() => synthesizeProject({ root, jobs: 1, crdsRoot: crds, cacheDir: dir }));
      const checkedFiles = new Set(spy.mock.calls.flatMap(([objects]) => objects.map((o) => o.file)));
      spy.mockRestore();
      // THEN only the files the edit changed were checked
      const dist = path.join(root, 'dist');
      const changed = result.files
        .filter((f) => /\.ya?ml$/.test(f.path) && fs.readFileSync(path.join(dist, f.path), 'utf8') !== f.content)
        .map((f) => f.path);
      expect(changed).toContain('kong-perf/zone-real-services/captains-log.routing.k8s.yaml');
      expect([...checkedFiles].sort()).toEqual(changed.sort());
      // AND it found exactly what a synthesis with nothing kept finds
      const fresh = await withoutConfiguredSchemas(() => synthesizeProject({ root, jobs: 1, crdsRoot: crds, cacheDir: tempDir('meshflip-cache-') }));
      expect(result.problems.length).toBeGreaterThan(300);
      expect(result.problems).toEqual(fresh.problems);
      // AND once the files are written, validate answers from what it kept as reading and checking every file does
      writeDist(dist, result.files, { root });
      const cached = await validateCounting(validateOptions(dir));
      expect(cached.checked).toEqual([]);
      expect(answer(cached.report)).toEqual(answer((await validateCounting(validateOptions())).report));
    });
  });

  test('the checks across environments run again when what they read changed, and find what a run without kept results finds', async () => {
    // GIVEN a copy of the repository and of the results a validation kept (across environments too)
    await inCopies(async (dir) => {
      await validateCounting(validateOptions(dir));
      expect((await validateCounting(validateOptions(dir))).across).toBe(0);
      // WHEN kong-perf's crew is moved by hand to a namespace its AppProject does not permit,
      // INPUTS.sha256 made to match
      const dist = path.join(root, 'dist');
      const edited = 'kong-perf/zone-real-services/crew.k8s.yaml';
      const text = fs.readFileSync(path.join(dist, edited), 'utf8');
      expect(text).toContain('  namespace: my-services\n');
      fs.writeFileSync(path.join(dist, edited), text.split('  namespace: my-services\n').join('  namespace: elsewhere\n'));
      recordOutputs(dist, 'kong-perf');
      const cached = await validateCounting(validateOptions(dir));
      // THEN the checks across environments ran again, found the namespace, and answer as without the cache
      expect(cached.checked).toEqual(['kong-perf']);
      expect(cached.across).toBe(1);
      const permit =
        'is in namespace elsewhere, which AppProject kong-perf does not permit on https://perf-real-services.k8s.example.com:6443 (synced by kong-perf-zone-real-services)';
      expect(cached.report.problems.filter((p) => p.message === permit).map((p) => `${p.file}:${p.line} ${p.field}`)).toEqual([
        `dist/${edited}:2 ServiceAccount elsewhere/crew`,
        `dist/${edited}:16 Deployment elsewhere/crew`,
        `dist/${edited}:120 Service elsewhere/crew`,
      ]);
      expect(answer(cached.report)).toEqual(answer((await validateCounting(validateOptions())).report));
      // AND the next run finds it kept
      const again = await validateCounting(validateOptions(dir));
      expect(again.across).toBe(0);
      expect(answer(again.report)).toEqual(answer(cached.report));
    });
  });

  test('the root Application edited by hand is read, checked and called stale, though its results were kept', async () => {
    // GIVEN a copy of the repository whose root Application was edited
    await inCopies(async () => {
      const file = path.join(root, 'dist/argocd/root.k8s.yaml');
      fs.writeFileSync(file, `${fs.readFileSync(file, 'utf8')}# edited\n`);
      // WHEN validate runs with the cache synthesis filled
      const { report, checked, schemaChecked } = await validateCounting(validateOptions(synthCache));
      // THEN the environments are answered from it, the root Application is checked, and stale
      expect(checked).toEqual([]);
      expect(schemaChecked).toBeGreaterThan(0);
      expect(report.problems.filter((p) => p.file === 'dist/argocd/root.k8s.yaml' && p.severity !== 'warning')).toEqual([
        {
          file: 'dist/argocd/root.k8s.yaml',
          line: 1,
          col: 1,
          field: '(file)',
          message: 'differs from a fresh synthesis: dist/ is out of date',
          hint: 'run npm run synth and commit dist/',
        },
      ]);
    });
  });

  test('dist/ read and digested in a worker thread (as for a large one) gives the same answer, with and without kept results', async () => {
    const inThread = await validateCounting({ ...validateOptions(), digestInWorker: false });
    const inWorker = await validateCounting({ ...validateOptions(), digestInWorker: true });
    expect(answer(inWorker.report)).toEqual(answer(inThread.report));
    expect(answer(inWorker.report)).toEqual(answer(reference));
    const cached = await validateCounting({ ...validateOptions(synthCache), digestInWorker: true });
    expect(cached.checked).toEqual([]);
    expect(answer(cached.report)).toEqual(answer(reference));
  });

  test('entries that cannot be read are misses: every environment is checked again, with the same answer', async () => {
    const dir = tempDir('meshflip-cache-');
    fs.cpSync(synthCache, dir, { recursive: true });
    const entries = fs.readdirSync(path.join(dir)).filter((f) => f.endsWith('.json'));
    // One per environment, and one for the files of none (the root Application)
    expect(entries).toHaveLength(ENVIRONMENTS.length + 1);
    entries.forEach((f, i) => {
      const file = path.join(dir, f);
      fs.writeFileSync(file, i % 2 === 0 ? fs.readFileSync(file, 'utf8').slice(0, 100) : JSON.stringify({ format: 2, key: 'another', value: {} }));
    });
    const { report, checked, schemaChecked } = await validateCounting(validateOptions(dir));
    expect(checked).toEqual(ENVIRONMENTS);
    expect(schemaChecked).toBe(reference.objects);
    expect(answer(report)).toEqual(answer(reference));
  });

  test('other schemas are other checks: a schema file changed, or strictness, makes another identity', () => {
    const before = checksIdentity(crds, false, root);
    expect(checksIdentity(crds, false, root)).toBe(before);
    expect(checksIdentity(crds, true, root)).not.toBe(before);
    expect(checksIdentity(undefined, false, root)).toBe('none');
    const copy = tempDir('meshflip-crds-');
    fs.cpSync(crds, copy, { recursive: true });
    expect(checksIdentity(copy, false, root)).toBe(before);
    fs.appendFileSync(path.join(copy, 'kubernetes', 'widgets.yaml'), '# one more byte\n');
    expect(checksIdentity(copy, false, root)).not.toBe(before);
  });

  test('every part of what the checks read is part of the key', () => {
    const parts: CheckKeyParts = {
      env: 'kong-perf',
      distRel: 'dist',
      inputs: 'a'.repeat(64),
      outputs: 'b'.repeat(64),
      allowedFingerprints: ['f1', 'f2'],
      checks: 'none',
    };
    const key = checkKey(parts);
    expect(checkKey({ ...parts, allowedFingerprints: ['f2', 'f1'] })).toBe(key);
    const changed: CheckKeyParts[] = [
      { ...parts, env: 'kong-real' },
      { ...parts, distRel: 'deploy/dist' },
      { ...parts, inputs: 'c'.repeat(64) },
      { ...parts, outputs: 'c'.repeat(64) },
      { ...parts, allowedFingerprints: ['f1'] },
      { ...parts, checks: 'd'.repeat(64) },
    ];
    expect(new Set([key, ...changed.map(checkKey)]).size).toBe(changed.length + 1);
  });

  test('the command line keeps results in $MESHFLIP_CACHE_DIR, none when it is empty, else in the user cache folder', () => {
    expect(defaultCacheDir({ MESHFLIP_CACHE_DIR: '/var/cache/ci' })).toBe(path.resolve('/var/cache/ci', 'checks'));
    expect(defaultCacheDir({ MESHFLIP_CACHE_DIR: '' })).toBeUndefined();
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/home/u/.xdg' })).toBe(path.join('/home/u/.xdg', 'meshflip', 'checks'));
    // A relative XDG_CACHE_HOME is invalid (XDG Base Directory specification): ignored.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toMatch(/[/\\]\.cache[/\\]meshflip[/\\]checks$/);
  });
});
