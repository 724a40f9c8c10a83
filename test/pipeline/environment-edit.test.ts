import * as fs from 'fs';
import * as path from 'path';
import { applyFlip, FlipRequest } from '../../src/model/flip';
import { setYamlValue } from '../../src/model/edit-yaml';
import { loadProject, Project } from '../../src/model/load';
import { editedServices, ServiceScopes } from '../../src/model/service-scope';
import { EnvironmentSpec } from '../../src/model/spec';
import { SpecError } from '../../src/model/spec-error';
import * as readDistModule from '../../src/pipeline/dist/read-dist';
import { isObjectFile, listEnvironmentFiles, listFiles, parseDistFile } from '../../src/pipeline/dist/read-dist';
import { INPUTS_FILE, recordedOutputs } from '../../src/pipeline/dist/outputs-digest';
import { writeDist } from '../../src/pipeline/dist/write-dist';
import { environmentInputs, unchangedSinceRendered } from '../../src/pipeline/synth/inputs-digest';
import { synthesizeEnvironment, synthesizeEnvironmentEdit } from '../../src/pipeline/synth/synth';
import { synthesizeChanged } from '../../src/pipeline/validate/incremental-synth';
import { synthesizeProject } from '../../src/pipeline/validate/parallel-synth';
import { objectsCacheIn } from '../../src/pipeline/validate/objects-cache';
import { writeFleet } from '../bench/fleet';
import { copyRepo, removeTempDirs, tempDir, withoutConfiguredSchemas, writeFiles } from '../util';

// An edit of some services' own entries (a flip) renders only those services' files and the files
// of the environment as a whole; every other file is read from dist/. The result must be exactly a
// full rendering of the edited environment: files, effective routing and what the rules find.

let root: string;
let project: Project;
/** A fleet of a Kong Mesh and an OpenShift Service Mesh environment, every service mocked and calling the next. */
let fleet: string;

/** Renders `repo`'s dist/ from scratch. */
async function render(repo: string): Promise<void> {
  const full = await withoutConfiguredSchemas(() => synthesizeProject({ root: repo, jobs: 1 }));
  expect(full.problems.filter((p) => p.severity !== 'warning')).toEqual([]);
  writeDist(path.join(repo, 'dist'), full.files, { root: repo });
}

beforeAll(async () => {
  root = copyRepo(['environments']);
  await render(root);
  project = loadProject(root);
  fleet = tempDir('meshflip-fleet-');
  writeFleet(fleet, { services: 12, environments: 2 });
  await render(fleet);
}, 120_000);

afterAll(removeTempDirs);

/** The project of `repo` with `env`'s file as `text`. */
function edited(repo: string, env: EnvironmentSpec, text: string): { env: EnvironmentSpec; project: Project } {
  const after = loadProject(repo, { overrides: new Map([[env.file, text]]) });
  return { env: after.environments.find((e) => e.name === env.name)!, project: after };
}

/** Whether `repo` loads with `env`'s file as `text` (a flip the model refuses is never rendered). */
function loads(repo: string, env: EnvironmentSpec, text: string): boolean {
  try {
    edited(repo, env, text);
    return true;
  } catch (e) {
    if (SpecError.is(e)) {
      return false;
    }
    throw e;
  }
}

/** Renders `after` whole and as an edit of `before` over `repo`'s dist/, and expects the same of both. */
function expectEditRendersAsWhole(repo: string, before: EnvironmentSpec, text: string): { rendered: string[]; kept: number } {
  const after = edited(repo, before, text);
  const inputs = environmentInputs(after.env, after.project);
  const whole = synthesizeEnvironment(after.env, after.project.settings, inputs);
  const edit = synthesizeEnvironmentEdit(before, after.env, after.project.settings, path.join(repo, 'dist'), inputs);
  expect(edit).toBeDefined();
  expect(edit!.files.map((f) => [f.path, f.content])).toEqual(whole.files.map((f) => [f.path, f.content]));
  expect(edit!.routing).toEqual(whole.routing);
  expect(edit!.problems).toEqual(whole.problems);
  const kept = new Set(edit!.kept);
  return { rendered: edit!.files.map((f) => f.path).filter((p) => !kept.has(p)), kept: kept.size };
}

/**
 * Flips every service of every environment of `repo` every way that changes its file and that
 * the model accepts, and expects each to render as a whole rendering does, re-rendering none of
 * another service's files. Returns how many flips of each environment were rendered.
 */
function expectEveryFlipRendersAsWhole(repo: string): Map<string, number> {
  const cases = new Map<string, number>();
  for (const before of loadProject(repo).environments.filter((e) => !e.protected)) {
    const text = fs.readFileSync(path.join(repo, before.file), 'utf8');
    for (const service of before.services) {
      for (const request of flips(service.name, service.mock !== undefined && before.mocks.enabled)) {
        const after = applyFlip(text, before, request);
        if (after === text || !loads(repo, before, after)) {
          continue;
        }
        const { rendered, kept } = expectEditRendersAsWhole(repo, before, after);
        const others = before.services.filter((s) => s.name !== service.name).map((s) => s.name);
        expect(rendered.filter((p) => others.some((o) => path.basename(p).startsWith(`${o}.`)))).toEqual([]);
        expect(kept).toBeGreaterThan(0);
        cases.set(before.name, (cases.get(before.name) ?? 0) + 1);
      }
    }
  }
  return cases;
}

const flips = (service: string, hasMock: boolean): FlipRequest[] => [
  { service, to: 'real' },
  ...(hasMock
    ? [
        { service, to: 'mock' as const },
        { service, to: 'mock' as const, weight: 25, reason: 'load test', expires: '2030-01-01' },
        { service, to: 'mock' as const, header: { name: 'x-mock', value: 'on' } },
        { service, to: 'record' as const },
      ]
    : []),
];

test('every flip of every service of every example renders as a whole rendering does, re-rendering only its own files', () => {
  const cases = expectEveryFlipRendersAsWhole(root);
  // Every environment that is not protected, its mocked service four ways and back to real.
  expect([...cases.keys()].sort()).toEqual(
    project.environments
      .filter((e) => !e.protected)
      .map((e) => e.name)
      .sort(),
  );
  expect([...cases.values()].every((n) => n >= 3)).toBe(true);
}, 120_000);

test('every flip of every service of a fleet renders as a whole rendering does, on both meshes', () => {
  const cases = expectEveryFlipRendersAsWhole(fleet);
  // 12 services: each flipped to the mock three or four ways and to real.
  expect([...cases.keys()].sort()).toEqual(['env0', 'env1']);
  expect([...cases.values()].every((n) => n >= 36)).toBe(true);
}, 120_000);

test('an edit of a fault and of a circuit breaker renders as a whole rendering does', () => {
  const before = project.environments.find((e) => e.faults.length > 0 && e.circuitBreakers.length > 0)!;
  const text = fs.readFileSync(path.join(root, before.file), 'utf8');
  const fault = before.faults[0].service;
  expectEditRendersAsWhole(root, before, setYamlValue(text, ['faults', fault, 'delay'], { value: '7s', percent: 50 }));
  const breaker = before.circuitBreakers[0].service;
  expectEditRendersAsWhole(root, before, setYamlValue(text, ['circuitBreakers', breaker, 'maxConnections'], 7));
});

test('an edit that reaches beyond services’ own entries is rendered whole', () => {
  const before = project.environments.find((e) => !e.protected && e.services.length > 1)!;
  const text = fs.readFileSync(path.join(root, before.file), 'utf8');
  for (const changed of [
    setYamlValue(text, ['mocks', 'image'], 'docker.io/bbyars/mountebank:2.9.2'),
    setYamlValue(text, ['description'], 'another description'),
  ]) {
    const after = edited(root, before, changed);
    expect(editedServices(before, after.env)).toBeUndefined();
    expect(synthesizeEnvironmentEdit(before, after.env, after.project.settings, path.join(root, 'dist'))).toBeUndefined();
  }
  // A comment, or a line moved, changes no entry.
  const after = edited(root, before, `# a comment\n${text}`);
  expect(editedServices(before, after.env)).toEqual(new Set());
});

test('a file of the environment as a whole named like a service not rendered makes the edit render whole', () => {
  // A service named "namespaces" shares its zone's file with the zone's Namespaces.
  const repo = copyRepo(['environments']);
  const file = path.join(repo, 'environments', 'kong-tutorial.yaml');
  const text = fs.readFileSync(file, 'utf8');
  writeFiles(repo, {
    'environments/kong-tutorial.yaml': setYamlValue(text, ['services', 'namespaces'], {
      image: 'kennethreitz/httpbin:0.9.2',
      ports: [{ name: 'http', port: 80 }],
    }),
  });
  const before = loadProject(repo).environments.find((e) => e.name === 'kong-tutorial');
  if (before === undefined) {
    throw new Error('the fixture did not load');
  }
  const app = synthesizeEnvironment(before, loadProject(repo).settings);
  const kinds = app.files.filter((f) => f.path.endsWith('/namespaces.k8s.yaml')).map((f) => f.objects!.map((o) => o.kind));
  expect(kinds).toContainEqual(expect.arrayContaining(['Namespace', 'Deployment']));
  const flipped = before.services.find((s) => s.name !== 'namespaces' && s.mock !== undefined)!;
  const after = loadProject(repo, {
    overrides: new Map([[before.file, applyFlip(fs.readFileSync(file, 'utf8'), before, { service: flipped.name, to: 'real' })]]),
  });
  const env = after.environments.find((e) => e.name === before.name)!;
  expect(editedServices(before, env)).toEqual(new Set([flipped.name]));
  expect(synthesizeEnvironmentEdit(before, env, after.settings, path.join(repo, 'dist'))).toBeUndefined();
});

test('the services an edit changed are worked out once for each two versions of an environment', () => {
  const before = project.environments.find((e) => !e.protected && e.services.some((s) => s.mock !== undefined))!;
  const service = before.services.find((s) => s.mock !== undefined)!.name;
  const after = edited(root, before, applyFlip(fs.readFileSync(path.join(root, before.file), 'utf8'), before, { service, to: 'real' })).env;
  const answer = editedServices(before, after);
  expect(answer).toEqual(new Set([service]));
  expect(editedServices(before, after)).toBe(answer);
  // Another pair is another question.
  expect(editedServices(after, before)).not.toBe(answer);
  expect(editedServices(after, before)).toEqual(answer);
});

test('within a service, an environment lists only that service’s own entries', () => {
  const env = project.environments.find((e) => e.faults.length > 0)!;
  const scopes = new ServiceScopes(env);
  const first = env.faults[0];
  const second = env.services.find((s) => s.name !== first.service)!;
  expect(scopes.env.routes).toBe(env.routes);
  scopes.within(first.service, () => {
    expect(scopes.current).toBe(first.service);
    expect(scopes.env.routes).toEqual(env.routes.filter((r) => r.service === first.service));
    expect(scopes.env.faults).toEqual(env.faults.filter((f) => f.service === first.service));
    expect(scopes.env.services).toBe(env.services);
    expect(() => scopes.within(second.name, () => undefined)).toThrow(new Error(`service ${second.name} rendered within service ${first.service}`));
  });
  expect(scopes.current).toBeUndefined();
  expect(scopes.env.routes).toBe(env.routes);
});

test('an incremental synthesis given the environment as dist/ holds it reads the other services’ files from dist/, as flip does', async () => {
  const before = loadProject(fleet).environments.find((e) => e.name === 'env0')!;
  const flipped = before.services[1].name;
  const text = applyFlip(fs.readFileSync(path.join(fleet, before.file), 'utf8'), before, { service: flipped, to: 'mock' });
  const options = { root: fleet, distDir: path.join(fleet, 'dist'), overrides: new Map([[before.file, text]]), force: new Set(['env0']) };
  const plain = await synthesizeChanged(options);
  expect(plain.unchanged).toEqual(new Set());
  const edit = await synthesizeChanged({ ...options, before: new Map([['env0', before]]) });
  expect(edit.problems).toEqual(plain.problems);
  expect(edit.files.map((f) => [f.path, f.content])).toEqual(plain.files.map((f) => [f.path, f.content]));
  // Rendered: the flipped service's files, ROUTING.md, INPUTS.sha256 and the environment's own; no other service's.
  const named = (file: string, service: string) => path.basename(file).startsWith(`${service}.`);
  const rendered = edit.files.map((f) => f.path).filter((p) => p.startsWith('env0/') && !edit.unchanged.has(p));
  expect(rendered.filter((p) => before.services.some((s) => s.name !== flipped && named(p, s.name)))).toEqual([]);
  expect(rendered.filter((p) => named(p, flipped))).not.toEqual([]);
  expect(edit.unchanged.size).toBeGreaterThan(before.services.length);
});

test('a hand edit of the environment’s files in dist/ makes the edit render whole, so that the edit is rendered over', () => {
  const repo = tempDir('meshflip-fleet-');
  fs.cpSync(fleet, repo, { recursive: true });
  const before = loadProject(repo).environments.find((e) => e.name === 'env0')!;
  const text = applyFlip(fs.readFileSync(path.join(repo, before.file), 'utf8'), before, { service: before.services[1].name, to: 'mock' });
  const after = edited(repo, before, text);
  const edit = () => synthesizeEnvironmentEdit(before, after.env, after.project.settings, path.join(repo, 'dist'));
  expect(edit()).toBeDefined();
  // Another service's file, which the edit would otherwise read and keep.
  const other = path.join(repo, 'dist', 'env0', 'zone-a', `${before.services[2].name}.k8s.yaml`);
  fs.appendFileSync(other, '# edited by hand\n');
  expect(edit()).toBeUndefined();
});

test('with every environment as dist/ holds it, an edit of services’ own entries loads only its environment, and one that reaches further loads all', async () => {
  const before = loadProject(fleet).environments.find((e) => e.name === 'env0')!;
  const text = fs.readFileSync(path.join(fleet, before.file), 'utf8');
  const distDir = path.join(fleet, 'dist');
  expect(unchangedSinceRendered(fleet, distDir)).toEqual(['env0', 'env1']);
  // Given the environment as dist/ holds it, or not: then everything is loaded and rendered whole.
  const run = (edited: string, narrow: boolean, root = fleet) => {
    const options = { root, distDir: path.join(root, 'dist'), overrides: new Map([[before.file, edited]]), force: new Set(['env0']) };
    return synthesizeChanged(narrow ? { ...options, before: new Map([['env0', before]]) } : options);
  };
  const flipped = applyFlip(text, before, { service: before.services[1].name, to: 'mock' });
  const [narrow, wide] = [await run(flipped, true), await run(flipped, false)];
  expect(narrow.project!.environments.map((e) => e.name)).toEqual(['env0']);
  expect(wide.project!.environments.map((e) => e.name)).toEqual(['env0', 'env1']);
  expect(narrow.reused).toEqual(['env1']);
  expect(narrow.keptFiles).toEqual(wide.keptFiles);
  // The same files, told one by one without listing them.
  expect(listFiles(distDir).filter(narrow.keeps)).toEqual(narrow.keptFiles);
  // And the folders all of whose files are kept: env1's alone (argocd/ holds env0's Application too).
  const folders = fs
    .readdirSync(distDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  expect(folders.filter(narrow.keepsFolder)).toEqual(['env1']);
  expect(listFiles(path.join(distDir, 'env1')).every((f) => narrow.keeps(`env1/${f}`))).toBe(true);
  expect(narrow.keptFiles.length).toBeGreaterThan(40);
  expect(narrow.files.map((f) => [f.path, f.content])).toEqual(wide.files.map((f) => [f.path, f.content]));
  expect(narrow.problems).toEqual(wide.problems.filter((p) => p.file !== 'environments/env1.yaml'));
  // The mock image is the environment's as a whole: every environment is loaded.
  const further = await run(setYamlValue(text, ['mocks', 'image'], 'docker.io/bbyars/mountebank:2.9.2'), true);
  expect(further.project!.environments.map((e) => e.name)).toEqual(['env0', 'env1']);
  // Another environment's file edited since dist/ was written: every environment is loaded.
  const stale = tempDir('meshflip-fleet-');
  fs.cpSync(fleet, stale, { recursive: true });
  fs.appendFileSync(path.join(stale, 'environments', 'env1.yaml'), '# reviewed\n');
  expect((await run(flipped, true, stale)).project!.environments.map((e) => e.name)).toEqual(['env0', 'env1']);
});

test('the objects a synthesis and each edit keep stand in for parsing the files an edit reads from dist/, and are what parsing gives', async () => {
  const repo = tempDir('meshflip-fleet-');
  fs.cpSync(fleet, repo, { recursive: true });
  const distDir = path.join(repo, 'dist');
  const cacheDir = tempDir('meshflip-cache-');
  const full = await withoutConfiguredSchemas(() => synthesizeProject({ root: repo, jobs: 1, cacheDir }));
  writeDist(distDir, full.files, { root: repo });
  const objects = objectsCacheIn(cacheDir)!;
  /** What parsing gives for each YAML file of `env` in dist/. */
  const parsed = (env: string) =>
    new Map(
      listEnvironmentFiles(distDir, new Set([env]))
        .filter(isObjectFile)
        .map((file) => {
          const found = parseDistFile(file, fs.readFileSync(path.join(distDir, file), 'utf8'));
          return [file, { objects: found.map((o) => o.object), lines: found.map((o) => o.line) }];
        }),
    );
  /** What is kept for the files of `env` in dist/, by the digest its INPUTS.sha256 records. */
  const kept = (env: string) => objects.get(env, recordedOutputs(fs.readFileSync(path.join(distDir, env, INPUTS_FILE), 'utf8'))!);
  for (const env of ['env0', 'env1']) {
    expect(kept(env)?.depth).toBe(0);
    expect(kept(env)!.files).toEqual(parsed(env));
  }
  // Two flips in a row, as flip makes them: no file of dist/ is parsed, and each renders as a whole rendering does.
  for (const i of [1, 2]) {
    const before = loadProject(repo).environments.find((e) => e.name === 'env0')!;
    const text = applyFlip(fs.readFileSync(path.join(repo, before.file), 'utf8'), before, { service: before.services[i].name, to: 'mock' });
    const parses = jest.spyOn(readDistModule, 'parseDistFile');
    const edit = await withoutConfiguredSchemas(() =>
      synthesizeChanged({
        root: repo,
        distDir,
        overrides: new Map([[before.file, text]]),
        force: new Set(['env0']),
        before: new Map([['env0', before]]),
        cacheDir,
      }),
    );
    expect(parses).not.toHaveBeenCalled();
    parses.mockRestore();
    expect(edit.unchanged.size).toBeGreaterThan(before.services.length);
    const after = edited(repo, before, text);
    const whole = synthesizeEnvironment(after.env, after.project.settings, environmentInputs(after.env, after.project));
    const contents = new Map(edit.files.map((f) => [f.path, f.content]));
    expect(whole.files.map((f) => [f.path, contents.get(f.path)])).toEqual(whole.files.map((f) => [f.path, f.content]));
    fs.writeFileSync(path.join(repo, before.file), text);
    writeDist(
      distDir,
      edit.files.filter((f) => !edit.unchanged.has(f.path)),
      { root: repo, keep: (file) => edit.keeps(file) || edit.unchanged.has(file) },
    );
    // The edit kept what it rendered on top of what it read.
    expect(kept('env0')?.depth).toBe(i);
    expect(kept('env0')!.files).toEqual(parsed('env0'));
  }
});
