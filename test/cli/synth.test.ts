import * as fs from 'fs';
import * as path from 'path';
import { BIN, git, REPO, removeTempDirs, snapshotTree, tempDir, writeFiles } from '../util';
import { Prewrite } from '../../src/pipeline/dist/prewrite';
import { CliRun, edit, lines, lineOf, meshflipAsync, read, runAsync } from './cli-util';

// Where meshflip may write, and what it refuses to follow or delete: through the command, on temp
// copies of the repository. That dist/ changes as a whole or not at all, even when the command is
// killed, is in synth-killed.test.ts.

afterAll(removeTempDirs);

const HINT = 'hint: give the rendered manifests a folder of their own, such as dist or deploy/manifests';

/**
 * Every file and link under `dir` with its content (or link target), by path, `.git` excepted
 * (git's own bookkeeping changes when tests read it): to prove that nothing changed.
 */
function treeState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    const rel = path.relative(dir, file);
    if (rel.split(path.sep).includes('.git') && !rel.startsWith(`repo${path.sep}.git${path.sep}keep`)) {
      continue;
    }
    const stat = fs.lstatSync(file);
    out[rel] = stat.isSymbolicLink()
      ? `-> ${fs.readlinkSync(file)}`
      : stat.isDirectory()
        ? '(folder)'
        : `${stat.mtimeMs} ${fs.readFileSync(file, 'utf8')}`;
  }
  return out;
}

/**
 * `<parent>/repo`: the example environments and dist/, with a file in every source and metadata
 * folder; `<parent>/victim`: a folder beside the repository.
 */
function repoWithNeighbours(): { parent: string; repo: string; victim: string } {
  const parent = tempDir();
  const repo = path.join(parent, 'repo');
  for (const folder of ['environments', 'dist']) {
    fs.cpSync(path.join(REPO, folder), path.join(repo, folder), { recursive: true });
  }
  git(repo, 'init', '-q');
  writeFiles(repo, {
    '.git/keep': 'git\n',
    'src/main.ts': 'source\n',
    'test/a.test.ts': 'test\n',
    'node_modules/pkg/index.js': 'package\n',
    '.github/workflows/ci.yml': 'workflow\n',
    '.ci/run': 'ci\n',
    'README.md': 'readme\n',
  });
  const victim = path.join(parent, 'victim');
  writeFiles(victim, { 'precious.txt': 'keep me\n', 'argocd/root.k8s.yaml': 'not meshflip\n' });
  return { parent, repo, victim };
}

describe('the output folder', () => {
  const given: Record<string, CliRun> = {};
  let parent: string;
  let before: Record<string, string>;
  let victim: string;
  const PATHS = [
    '..',
    '.',
    'src',
    'environments',
    '.git',
    'node_modules',
    '.github',
    '.ci',
    'test',
    'src/out',
    '../victim',
    'dist/../..',
    'deploy/.git/x',
    'SRC',
  ];

  beforeAll(async () => {
    ({ parent, victim } = repoWithNeighbours());
    const repo = path.join(parent, 'repo');
    before = treeState(parent);
    const runs: Record<string, Promise<CliRun>> = {};
    for (const p of [...PATHS, 'ABSOLUTE']) {
      const value = p === 'ABSOLUTE' ? victim : p;
      runs[`--out ${p}`] = meshflipAsync(repo, ['synth', '--out', value]);
      runs[`CDK8S_OUTDIR ${p}`] = meshflipAsync(repo, ['synth'], { CDK8S_OUTDIR: value });
    }
    for (const [name, result] of Object.entries(runs)) {
      given[name] = await result;
    }
  }, 300_000);

  const MESSAGES: Record<string, string> = {
    '..': 'must be a folder inside the repository, not outside it',
    '.': 'must be a folder below the repository root, not the root itself',
    src: 'must not be src/, which holds the source code: synth makes its output folder hold exactly what it renders',
    environments: 'must not be environments/, which holds the input: synth makes its output folder hold exactly what it renders',
    '.git': "must not be .git/, which holds git's own data: synth makes its output folder hold exactly what it renders",
    node_modules: 'must not be node_modules/, which holds the installed packages: synth makes its output folder hold exactly what it renders',
    '.github': 'must not be .github/, which holds the GitHub workflows: synth makes its output folder hold exactly what it renders',
    '.ci': 'must not be .ci/, which holds the CI scripts: synth makes its output folder hold exactly what it renders',
    test: 'must not be test/, which holds the tests: synth makes its output folder hold exactly what it renders',
    'src/out': 'must not be inside src/, which holds the source code: synth makes its output folder hold exactly what it renders',
    '../victim': 'must be a folder inside the repository, not outside it',
    'dist/../..': 'must be a folder inside the repository, not outside it',
    'deploy/.git/x': 'must not be inside a .git folder',
    SRC: 'must not be src/, which holds the source code: synth makes its output folder hold exactly what it renders',
    ABSOLUTE: 'must be a folder inside the repository, not outside it',
  };

  test.each(
    [...PATHS, 'ABSOLUTE'].flatMap((p) => [
      ['--out', p],
      ['CDK8S_OUTDIR', p],
    ]),
  )('fails when %s is %s, changing nothing', (source, p) => {
    // WHEN
    const { status, stdout, stderr } = given[`${source} ${p}`];
    // THEN
    const value = p === 'ABSOLUTE' ? victim : p;
    expect([status, stdout]).toEqual([1, '']);
    expect(lines(stderr)).toEqual([`error: ${source} ${JSON.stringify(value)}: the output folder ${MESSAGES[p]}`, HINT]);
  });

  test('nothing in the repository or beside it changed', () => {
    expect(treeState(parent)).toEqual(before);
  });
});

describe('repository.path', () => {
  async function synthWithPath(value: string): Promise<{ run: CliRun; parent: string; line: number; before: Record<string, string> }> {
    const { parent, repo } = repoWithNeighbours();
    edit(repo, 'environments/meshflip.yaml', '  path: dist\n', `  path: ${value}\n`);
    const before = treeState(parent);
    return { run: await meshflipAsync(repo, ['synth']), parent, line: lineOf(read(repo, 'environments/meshflip.yaml'), `  path: ${value}`), before };
  }

  test.each([
    [
      'src',
      'must not be src/, which holds the source code: synth makes its output folder hold exactly what it renders, got "src"; give the rendered manifests a folder of their own, such as dist or deploy/manifests',
    ],
    [
      'environments',
      'must not be environments/, which holds the input: synth makes its output folder hold exactly what it renders, got "environments"; give the rendered manifests a folder of their own, such as dist or deploy/manifests',
    ],
    [
      '.git',
      'must not be .git/, which holds git\'s own data: synth makes its output folder hold exactly what it renders, got ".git"; give the rendered manifests a folder of their own, such as dist or deploy/manifests',
    ],
    [
      'node_modules/dist',
      'must not be inside node_modules/, which holds the installed packages: synth makes its output folder hold exactly what it renders, got "node_modules/dist"; give the rendered manifests a folder of their own, such as dist or deploy/manifests',
    ],
    ['..', 'must be a relative path inside the repository such as dist, without . or .. segments, got ".."'],
    ['.', 'must be a relative path inside the repository such as dist, without . or .. segments, got "."'],
    ['../victim', 'must be a relative path inside the repository such as dist, without . or .. segments, got "../victim"'],
    ['/tmp/victim', 'must be a relative path inside the repository such as dist, without . or .. segments, got "/tmp/victim"'],
    ['dist//x', 'must be a relative path inside the repository such as dist, without . or .. segments, got "dist//x"'],
  ])(
    'fails when it is %s, at its line, changing nothing',
    async (value, message) => {
      // WHEN
      const { run, parent, line, before } = await synthWithPath(value);
      // THEN
      expect([run.status, run.stdout]).toEqual([1, '']);
      expect(lines(run.stderr)).toEqual([
        `error: environments/meshflip.yaml:${line}:9: repository.path: ${message}`,
        '1 problem found; nothing was written.',
      ]);
      expect(treeState(parent)).toEqual(before);
    },
    60_000,
  );

  test.each([
    ['flip', ['flip', 'kong-perf', 'crew', '--to', 'mock']],
    ['revert-expired', ['revert-expired', '--now', '2100-01-01T00:00:00Z']],
  ])(
    '%s refuses it before editing anything',
    async (_name, args) => {
      // GIVEN
      const { parent, repo } = repoWithNeighbours();
      edit(repo, 'environments/meshflip.yaml', '  path: dist\n', '  path: src\n');
      const before = treeState(parent);
      // WHEN
      const run = await meshflipAsync(repo, args);
      // THEN
      expect([run.status, run.stdout]).toEqual([1, '']);
      expect(lines(run.stderr)).toEqual([
        `error: environments/meshflip.yaml:${lineOf(read(repo, 'environments/meshflip.yaml'), '  path: src')}:9: repository.path: must not be src/, which holds the source code: ` +
          'synth makes its output folder hold exactly what it renders, got "src"; give the rendered manifests a folder of their own, such as dist or deploy/manifests',
        '1 problem found; nothing was written.',
      ]);
      expect(treeState(parent)).toEqual(before);
    },
    60_000,
  );
});

describe('links', () => {
  test('fails when dist is a link out of the repository, for synth, flip and revert-expired', async () => {
    // GIVEN a committed dist -> ../victim
    const { parent, repo } = repoWithNeighbours();
    fs.rmSync(path.join(repo, 'dist'), { recursive: true });
    fs.symlinkSync('../victim', path.join(repo, 'dist'));
    const before = treeState(parent);
    const line = lineOf(read(repo, 'environments/meshflip.yaml'), '  path: dist');
    // WHEN
    const runs = await Promise.all([
      meshflipAsync(repo, ['synth']),
      meshflipAsync(repo, ['flip', 'kong-perf', 'crew', '--to', 'mock']),
      meshflipAsync(repo, ['revert-expired', '--now', '2100-01-01T00:00:00Z']),
    ]);
    // THEN
    for (const run of runs) {
      expect([run.status, run.stdout]).toEqual([1, '']);
      expect(lines(run.stderr)).toEqual([
        `error: environments/meshflip.yaml:${line}:9: repository.path: must be a real folder, but dist is a symbolic link (to ../victim); ` +
          'meshflip never writes or deletes through a link, got "dist"; replace dist by a real folder: synth renders every file again',
        '1 problem found; nothing was written.',
      ]);
    }
    expect(treeState(parent)).toEqual(before);
  }, 60_000);

  test('fails when a folder inside dist/ is a link', async () => {
    // GIVEN
    const { parent, repo } = repoWithNeighbours();
    fs.rmSync(path.join(repo, 'dist', 'argocd'), { recursive: true });
    fs.symlinkSync('../../victim/argocd', path.join(repo, 'dist', 'argocd'));
    const before = treeState(parent);
    // WHEN
    const run = await meshflipAsync(repo, ['synth']);
    // THEN
    expect([run.status, run.stdout]).toEqual([1, '']);
    expect(lines(run.stderr)).toEqual([
      'error: dist/argocd is a symbolic link (to ../../victim/argocd); meshflip never writes or deletes through a link',
      'hint: replace the link by a real folder or delete it: synth renders every file again',
    ]);
    expect(treeState(parent)).toEqual(before);
  }, 60_000);

  test('fails when an imposter is a link out of the repository, without quoting what it points to', async () => {
    // GIVEN an imposter linked to a file outside that is not an imposter
    const { parent, repo, victim } = repoWithNeighbours();
    fs.writeFileSync(path.join(victim, 'secret.txt'), 'root:x:0:0:TOP-SECRET:/root:/bin/bash\n');
    fs.rmSync(path.join(repo, 'environments/mocks/captains-log.imposter.json'));
    fs.symlinkSync(path.join(victim, 'secret.txt'), path.join(repo, 'environments/mocks/captains-log.imposter.json'));
    const before = treeState(parent);
    const catalog = read(repo, 'environments/catalog/kong-blog.yaml');
    // WHEN
    const run = await meshflipAsync(repo, ['synth']);
    // THEN
    expect([run.status, run.stdout]).toEqual([1, '']);
    expect(lines(run.stderr)).toEqual([
      `error: environments/catalog/kong-blog.yaml:${lineOf(catalog, '        - ../mocks/captains-log.imposter.json')}:11: services.captains-log.mock.imposters[0]: ` +
        'must name a file in the repository, not a symbolic link (environments/mocks/captains-log.imposter.json is one): meshflip reads nothing through links, ' +
        'got "../mocks/captains-log.imposter.json"; replace the link by a copy of the imposter file',
      '1 problem found; nothing was written.',
    ]);
    expect(run.stderr).not.toContain('TOP-SECRET');
    expect(treeState(parent)).toEqual(before);
  }, 60_000);

  test('fails when an environment file is a link, instead of skipping it and pruning its files', async () => {
    // GIVEN environments/kong-perf.yaml -> a copy outside the repository
    const { parent, repo, victim } = repoWithNeighbours();
    fs.renameSync(path.join(repo, 'environments/kong-perf.yaml'), path.join(victim, 'kong-perf.yaml'));
    fs.symlinkSync(path.join(victim, 'kong-perf.yaml'), path.join(repo, 'environments/kong-perf.yaml'));
    const before = treeState(parent);
    // WHEN
    const runs = await Promise.all([meshflipAsync(repo, ['synth']), meshflipAsync(repo, ['validate'])]);
    // THEN
    const problem =
      'environments/kong-perf.yaml:1:1: (file): must be a real file in the repository, not a symbolic link: meshflip reads nothing through links, ' +
      'got a symbolic link; replace the link by a copy of what it points to';
    expect([runs[0].status, lines(runs[0].stderr)]).toEqual([1, [`error: ${problem}`, '1 problem found; nothing was written.']]);
    expect(runs[1].status).toBe(1);
    expect(lines(runs[1].stderr)).toContain(`error: ${problem}`);
    expect(treeState(parent)).toEqual(before);
    expect(fs.readdirSync(path.join(repo, 'dist', 'kong-perf'))).toContain('ROUTING.md');
  }, 60_000);
});

describe('dist/ in a state synth must not change', () => {
  test.each([
    [
      'a file meshflip did not write',
      (repo: string) => fs.writeFileSync(path.join(repo, 'dist/argocd/NOTES.md'), 'my notes\n'),
      [
        'error: dist/argocd/NOTES.md was not written by meshflip (not a kind of file it writes: *.k8s.yaml, *.kumactl.yaml, ROUTING.md, INPUTS.sha256), and synth would delete it',
        'hint: meshflip deletes only files it produced; move the file out of dist/, or delete it yourself if it is not needed',
      ],
    ],
    [
      'a folder where a file goes',
      (repo: string) => {
        fs.rmSync(path.join(repo, 'dist/kong-perf/ROUTING.md'));
        fs.mkdirSync(path.join(repo, 'dist/kong-perf/ROUTING.md'));
      },
      [
        'error: dist/kong-perf/ROUTING.md is a folder, where synth writes a file',
        'hint: move the folder away (it may hold files meshflip did not write); nothing was changed',
      ],
    ],
    [
      'a file where a folder goes',
      (repo: string) => {
        fs.rmSync(path.join(repo, 'dist/kong-perf/zone-mock-services'), { recursive: true });
        fs.writeFileSync(path.join(repo, 'dist/kong-perf/zone-mock-services'), read(repo, 'dist/kong-perf/ROUTING.md'));
      },
      ['error: dist/kong-perf/zone-mock-services is a file, where synth writes a folder', 'hint: move the file away; nothing was changed'],
    ],
    [
      'a read-only dist/ that needs a change',
      (repo: string) => {
        fs.rmSync(path.join(repo, 'dist/argocd/root.k8s.yaml'));
        fs.chmodSync(path.join(repo, 'dist'), 0o555);
      },
      ['error: dist/ is read-only (mode 0555)', 'hint: make it writable (chmod u+w dist) to let synth write it; nothing was changed'],
    ],
  ])(
    'fails with %s',
    async (_name, arrange, stderr) => {
      // GIVEN
      const { parent, repo } = repoWithNeighbours();
      arrange(repo);
      const before = treeState(parent);
      try {
        // WHEN
        const run = await meshflipAsync(repo, ['synth']);
        // THEN
        expect([run.status, run.stdout, lines(run.stderr)]).toEqual([1, '', stderr]);
        expect(treeState(parent)).toEqual(before);
      } finally {
        fs.chmodSync(path.join(repo, 'dist'), 0o755);
      }
    },
    60_000,
  );

  test.each([
    [
      'ENOSPC',
      'error: no space left on the device while writing dist/argocd/root.k8s.yaml',
      'hint: free some space and run synth again; dist/ was left as it was',
    ],
    [
      'EROFS',
      'error: dist/argocd/root.k8s.yaml is on a read-only file system',
      'hint: synth must run where dist/ can be written; dist/ was left as it was',
    ],
  ])(
    'fails when writing fails with %s, leaving dist/ as it was',
    async (code, message, hint) => {
      // GIVEN a file to write again, and a file system that fails the first write of a file
      const { parent, repo } = repoWithNeighbours();
      fs.rmSync(path.join(repo, 'dist/argocd/root.k8s.yaml'));
      const before = treeState(parent);
      // WHEN
      const run = await runAsync(process.execPath, ['--require', path.join(REPO, 'test/fixtures/scripts/failing-writes.cjs'), BIN, 'synth'], repo, {
        ...process.env,
        NO_COLOR: '1',
        CDK8S_OUTDIR: undefined,
        MESHFLIP_CRDS: undefined,
        MESHFLIP_TEST_FAIL_WRITES: code,
      });
      // THEN
      expect([run.status, run.stdout, lines(run.stderr)]).toEqual([1, '', [message, hint]]);
      expect(treeState(parent)).toEqual(before);
      expect(fs.readdirSync(repo).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
    },
    60_000,
  );
});

describe('with worker threads, what they render is written ahead beside dist/', () => {
  afterEach(() => jest.restoreAllMocks());

  test('gives the dist/ one thread gives, and leaves nothing beside it', async () => {
    // GIVEN the examples without dist/
    const { repo } = repoWithNeighbours();
    fs.rmSync(path.join(repo, 'dist'), { recursive: true });
    const ahead = jest.spyOn(Prewrite.prototype, 'add');
    // WHEN synthesized with two workers
    const run = await meshflipAsync(repo, ['synth', '--jobs', '2'], { CDK8S_OUTDIR: undefined, MESHFLIP_CRDS: undefined });
    // THEN every environment's files were given to be written ahead as the workers sent them, and
    // dist/ is what the repository holds, with nothing left beside it
    expect(run.status).toBe(0);
    const given = ahead.mock.calls.flatMap(([files]) => files.map((f) => f.path));
    expect(ahead.mock.calls.length).toBeGreaterThan(2);
    expect(given.sort()).toEqual(Object.keys(snapshotTree(path.join(REPO, 'dist'))).sort());
    expect(snapshotTree(path.join(repo, 'dist'))).toEqual(snapshotTree(path.join(REPO, 'dist')));
    expect(fs.readdirSync(repo).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  });

  test('a synthesis that fails in one worker leaves dist/ and everything beside it as they were', async () => {
    // GIVEN an environment the schema refuses, beside good ones, in two copies of the repository
    const { parent, repo } = repoWithNeighbours();
    fs.appendFileSync(path.join(repo, 'environments/kong-real.yaml'), 'colour: blue\n');
    const single = repoWithNeighbours().repo;
    fs.appendFileSync(path.join(single, 'environments/kong-real.yaml'), 'colour: blue\n');
    const before = treeState(parent);
    const ahead = jest.spyOn(Prewrite.prototype, 'add');
    // WHEN synthesized with two workers, and the copy with one thread
    const vars = { CDK8S_OUTDIR: undefined, MESHFLIP_CRDS: undefined };
    const run = await meshflipAsync(repo, ['synth', '--jobs', '2'], vars);
    const oneThread = await meshflipAsync(single, ['synth', '--jobs', '1'], vars);
    // THEN it fails as one thread does, the other worker's files were written ahead, and all of that is gone
    expect([run.status, run.stdout, run.stderr]).toEqual([1, oneThread.stdout, oneThread.stderr]);
    expect(lines(run.stderr).some((line) => line.startsWith('error: environments/kong-real.yaml:'))).toBe(true);
    expect(ahead).toHaveBeenCalled();
    expect(treeState(parent)).toEqual(before);
  });

  test('fails when writing fails, leaving dist/ as it was', async () => {
    // GIVEN a file to write again, and a file system that fails every write beside dist/
    const { parent, repo } = repoWithNeighbours();
    fs.rmSync(path.join(repo, 'dist/argocd/root.k8s.yaml'));
    const before = treeState(parent);
    // WHEN
    const run = await runAsync(
      process.execPath,
      ['--require', path.join(REPO, 'test/fixtures/scripts/failing-writes.cjs'), BIN, 'synth', '--jobs', '2'],
      repo,
      {
        ...process.env,
        NO_COLOR: '1',
        CDK8S_OUTDIR: undefined,
        MESHFLIP_CRDS: undefined,
        MESHFLIP_TEST_FAIL_WRITES: 'ENOSPC',
      },
    );
    // THEN the failure is the write's, as with one thread
    expect([run.status, run.stdout, lines(run.stderr)]).toEqual([
      1,
      '',
      [
        'error: no space left on the device while writing dist/argocd/root.k8s.yaml',
        'hint: free some space and run synth again; dist/ was left as it was',
      ],
    ]);
    expect(treeState(parent)).toEqual(before);
    expect(fs.readdirSync(repo).filter((n) => n.startsWith('.meshflip-tmp-'))).toEqual([]);
  }, 60_000);
});
