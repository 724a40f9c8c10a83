import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { loadProject } from '../../src/model/load';
import { listFiles } from '../../src/pipeline/dist/read-dist';
import { writeDist } from '../../src/pipeline/dist/write-dist';
import { environmentInputs, rendererDigest } from '../../src/pipeline/synth/inputs-digest';
import { INPUTS_FILE } from '../../src/pipeline/dist/outputs-digest';
import { synthesizeChanged } from '../../src/pipeline/validate/incremental-synth';
import { synthesizeProject, SynthesisResult } from '../../src/pipeline/validate/parallel-synth';
import { copyRepo, REPO, removeTempDirs, snapshotTree, tempDir, withoutConfiguredSchemas } from '../util';

// Each environment's folder of dist/ records the digest of what it was rendered from
// (dist/<env>/INPUTS.sha256). synthesizeChanged renders only the environments whose digest no
// longer matches and reads the others from dist/. For each kind of input, a change to it must
// render exactly the environments that use it, and the result must be byte for byte what a full
// synthesis gives.

/** The example repository with dist/ freshly rendered from scratch, once for every test: each works on a copy. */
let rendered: string;

beforeAll(async () => {
  rendered = copyRepo(['environments']);
  const full = await synthesizeProject({ root: rendered, jobs: 1 });
  expect(full.problems.filter((p) => p.severity !== 'warning')).toEqual([]);
  writeDist(path.join(rendered, 'dist'), full.files, { root: rendered });
}, 120_000);

afterAll(removeTempDirs);

/** A copy of the example repository with dist/ freshly rendered from scratch. */
function freshRepo(): string {
  const root = tempDir('meshflip-repo-');
  fs.cpSync(rendered, root, { recursive: true });
  return root;
}

/** The environments whose file lists `catalogue` under catalog:. */
function environmentsListing(root: string, catalogue: string): string[] {
  return fs
    .readdirSync(path.join(root, 'environments'))
    .filter((f) => f.endsWith('.yaml') && f !== 'meshflip.yaml')
    .filter((f) =>
      ((YAML.parse(fs.readFileSync(path.join(root, 'environments', f), 'utf8')) as { catalog?: string[] }).catalog ?? []).includes(catalogue),
    )
    .map((f) => f.replace(/\.yaml$/, ''))
    .sort();
}

const allEnvironments = (root: string) => loadProject(root).environments.map((e) => e.name);

/**
 * A full synthesis of `root` from scratch: the files an incremental one must match byte for byte.
 * Only its files are read, so it runs without the upstream schemas ($MESHFLIP_CRDS), which change
 * no byte; the incremental synthesis under test, and the first rendering, still check them.
 */
async function fullSynthesis(root: string): Promise<SynthesisResult> {
  return withoutConfiguredSchemas(() => synthesizeProject({ root, jobs: 1 }));
}

/** Renders incrementally, then checks the files against a full synthesis of the same input. */
async function renderChanged(root: string, renderer?: string): Promise<string[]> {
  const changed = await synthesizeChanged({ root, distDir: path.join(root, 'dist'), ...(renderer === undefined ? {} : { renderer }) });
  expect(changed.problems.filter((p) => p.severity !== 'warning')).toEqual([]);
  if (renderer === undefined) {
    const full = await fullSynthesis(root);
    expect(wholeTree(root, changed)).toEqual(full.files.map((f) => [f.path, f.content]));
  }
  expect([...changed.rendered, ...changed.reused].sort()).toEqual(allEnvironments(root));
  return [...changed.rendered];
}

/** What dist/ holds after an incremental synthesis: the files rendered, and those kept read from dist/. */
function wholeTree(root: string, changed: { files: readonly { path: string; content: string }[]; keptFiles: readonly string[] }): string[][] {
  const kept = changed.keptFiles.map((file) => ({ path: file, content: fs.readFileSync(path.join(root, 'dist', file), 'utf8') }));
  return [...changed.files, ...kept].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)).map((f) => [f.path, f.content]);
}

function append(root: string, file: string, text: string): void {
  fs.appendFileSync(path.join(root, file), text);
}

describe('incremental synthesis', () => {
  it('renders nothing when no input changed, and reuses every environment from dist/', async () => {
    const root = freshRepo();
    expect(await renderChanged(root)).toEqual([]);
  });

  it('renders only the environment whose file changed', async () => {
    const root = freshRepo();
    const file = path.join(root, 'environments/kong-perf.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('captains-log: mock', 'captains-log: real'));
    expect(await renderChanged(root)).toEqual(['kong-perf']);
  });

  it('renders exactly the environments that list a changed catalogue', async () => {
    const root = freshRepo();
    append(root, 'environments/catalog/kong-blog.yaml', '# reviewed\n');
    const users = environmentsListing(root, 'kong-blog');
    expect(users.length).toBeGreaterThan(0);
    expect(users.length).toBeLessThan(allEnvironments(root).length);
    expect(await renderChanged(root)).toEqual(users);
  });

  it('renders exactly the environments whose mocks use a changed imposter', async () => {
    const root = freshRepo();
    // inventory.imposter.json is the mock of inventory in the coolstore catalogue.
    const file = path.join(root, 'environments/mocks/inventory.imposter.json');
    const imposter = JSON.parse(fs.readFileSync(file, 'utf8')) as { stubs?: unknown[] };
    fs.writeFileSync(
      file,
      JSON.stringify({ ...imposter, stubs: [...(imposter.stubs ?? []), { responses: [{ is: { statusCode: 418 } }] }] }, null, 2),
    );
    const users = environmentsListing(root, 'coolstore');
    expect(users.length).toBeLessThan(allEnvironments(root).length);
    expect(await renderChanged(root)).toEqual(users);
  });

  it('renders every environment when the settings change', async () => {
    const root = freshRepo();
    append(root, 'environments/meshflip.yaml', '# reviewed\n');
    expect(await renderChanged(root)).toEqual(allEnvironments(root));
  });

  it('renders every environment when the renderer code changes, and not when only the command line does', () => {
    const copy = tempDir('meshflip-renderer-');
    for (const entry of ['package.json', 'package-lock.json', 'src']) {
      fs.cpSync(path.join(REPO, entry), path.join(copy, entry), { recursive: true });
    }
    const before = rendererDigest(copy);
    expect(rendererDigest(REPO)).toEqual(before);
    fs.appendFileSync(path.join(copy, 'src/cli/commands/explain.ts'), '\n// reworded\n');
    // rendererDigest caches per folder: a second copy sees the edit.
    const cliOnly = tempDir('meshflip-renderer-');
    fs.cpSync(copy, cliOnly, { recursive: true });
    expect(rendererDigest(cliOnly)).toEqual(before);
    fs.appendFileSync(path.join(cliOnly, 'src/constructs/mountebank-mock.ts'), '\n// reworded\n');
    const edited = tempDir('meshflip-renderer-');
    fs.cpSync(cliOnly, edited, { recursive: true });
    const after = rendererDigest(edited);
    expect(after).not.toEqual(before);
    const project = loadProject(path.join(REPO));
    for (const env of project.environments) {
      expect(environmentInputs(env, project, after).digest).not.toEqual(environmentInputs(env, project, before).digest);
    }
  });

  it('renders every environment with another renderer build', async () => {
    const root = freshRepo();
    expect(await renderChanged(root, '0'.repeat(64))).toEqual(allEnvironments(root));
  });

  it('renders an environment whose INPUTS.sha256 was edited or removed, and drops the files of a removed environment', async () => {
    const root = freshRepo();
    fs.rmSync(path.join(root, 'dist/kong-real', INPUTS_FILE));
    const inputs = path.join(root, 'dist/coolstore', INPUTS_FILE);
    fs.writeFileSync(inputs, fs.readFileSync(inputs, 'utf8').replace(/^[0-9a-f]{64}(?= {2}\(digest\))/m, 'f'.repeat(64)));
    fs.rmSync(path.join(root, 'environments/kong-tutorial.yaml'));
    expect(await renderChanged(root)).toEqual(['coolstore', 'kong-real']);
  });

  it('writes INPUTS.sha256 the same whatever the line ends of the input files', async () => {
    const root = freshRepo();
    const before = snapshotTree(path.join(root, 'dist'));
    const file = path.join(root, 'environments/kong-perf.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    const changed = await synthesizeChanged({ root, distDir: path.join(root, 'dist') });
    expect(changed.rendered).toEqual([]);
    expect(Object.fromEntries(wholeTree(root, changed))).toEqual(before);
    expect(listFiles(path.join(root, 'dist')).filter((f) => f.endsWith(INPUTS_FILE)).length).toBe(allEnvironments(root).length);
  });
});
