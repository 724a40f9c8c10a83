import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import Module from 'module';
import * as path from 'path';
import { BIN, REPO, removeTempDirs, tempDir } from '../util';
import { lines } from './cli-util';

// The meshflip command ships compiled (src/build.cjs): `npm ci` builds it into
// node_modules/.cache/meshflip/, and the command runs the build only while it matches src/,
// else the sources through tsx. --help and --version load no command, so they start fast.

/** Folders of the build whose modules the command list and its help must not load: src/'s heavy parts, and every package. */
const HEAVY = ['cli/commands', 'pipeline', 'validation', 'constructs', 'meshes', 'imports', 'vendor'];

/** Runs a meshflip entry point with `node` (in `cwd`, else a folder of its own), and lists every module it loaded. */
function runListingModules(
  bin: string,
  args: readonly string[],
  cwd?: string,
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const dir = tempDir('meshflip-startup-');
  const list = path.join(dir, 'loaded');
  const preload = path.join(dir, 'list-modules.cjs');
  fs.writeFileSync(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(list)}, Object.keys(require.cache).join('\\n')));\n`,
  );
  const run = spawnSync(process.execPath, ['--require', preload, bin, ...args], {
    cwd: cwd ?? dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', MESHFLIP_DEBUG: undefined, ...env },
  });
  const loaded = lines(fs.readFileSync(list, 'utf8')).filter((file) => file !== preload);
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, loaded };
}

/**
 * A checkout of meshflip of its own: a copy of src/, package.json and tsconfig.json, and a
 * node_modules/ of links to the repository's packages (all but `without`), without a build.
 */
function checkout(without: readonly string[] = []): string {
  const dir = tempDir('meshflip-checkout-');
  fs.cpSync(path.join(REPO, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json']) {
    fs.copyFileSync(path.join(REPO, file), path.join(dir, file));
  }
  fs.mkdirSync(path.join(dir, 'node_modules'));
  for (const name of fs.readdirSync(path.join(REPO, 'node_modules'))) {
    if (name !== '.cache' && !without.includes(name)) {
      fs.symlinkSync(path.join(REPO, 'node_modules', name), path.join(dir, 'node_modules', name));
    }
  }
  return dir;
}

function build(dir: string): void {
  const run = spawnSync(process.execPath, [path.join(dir, 'src', 'build.cjs')], { cwd: dir, encoding: 'utf8' });
  expect([run.status, run.stderr]).toEqual([0, '']);
  expect(run.stdout).toMatch(/^built \d+ files of src\/ into node_modules\/.cache\/meshflip in \d+ ms\n$/);
}

/** Where the loaded modules of meshflip came from: the build, or the TypeScript sources. */
function ranFrom(dir: string, loaded: readonly string[]): 'build' | 'sources' | 'both' {
  const fromBuild = loaded.includes(path.join(dir, 'node_modules', '.cache', 'meshflip', 'cli', 'main.js'));
  const fromSources = loaded.includes(path.join(dir, 'src', 'cli', 'main.ts'));
  return fromBuild && fromSources ? 'both' : fromBuild ? 'build' : 'sources';
}

const LAST_HELP_LINE = 'Run meshflip <command> --help for the options of a command.';

afterAll(removeTempDirs);

describe('--help and --version', () => {
  test.each([['--help'], ['--version']])('%s runs the compiled build and loads no command, no cdk8s and no validator', (flag) => {
    // WHEN (jest's global setup brought the build up to date)
    const run = runListingModules(BIN, [flag]);
    // THEN
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(ranFrom(REPO, run.loaded)).toBe('build');
    const build = path.join(REPO, 'node_modules', '.cache', 'meshflip');
    expect(
      run.loaded.filter((file) => !file.startsWith(`${build}${path.sep}`) || HEAVY.some((folder) => file.startsWith(path.join(build, folder)))),
    ).toEqual([BIN, path.join(REPO, 'src', 'cli', 'quiet-pipe.cjs'), path.join(REPO, 'src', 'build.cjs')]);
  });

  test('a command loads its own module when it runs', () => {
    // WHEN
    const run = runListingModules(BIN, ['schema', '--help']);
    // THEN
    expect(run.status).toBe(0);
    const build = path.join(REPO, 'node_modules', '.cache', 'meshflip');
    expect(run.loaded.filter((file) => file.startsWith(path.join(build, 'cli', 'commands')) && file.endsWith('.js')).sort()).toEqual([
      path.join(build, 'cli', 'commands', 'command.js'),
      path.join(build, 'cli', 'commands', 'schema.js'),
    ]);
  });
});

describe('commands that read dist/ back', () => {
  /** The renderers: cdk8s-plus-28, meshflip's constructs and the mesh renderers. */
  const renderers = (loaded: readonly string[]) => {
    const build = path.join(REPO, 'node_modules', '.cache', 'meshflip');
    return loaded.filter(
      (file) =>
        file === path.join(build, 'vendor', 'cdk8s-plus-28.js') ||
        file.includes(`${path.sep}cdk8s-plus-28${path.sep}`) ||
        file.startsWith(path.join(build, 'constructs', 'mesh-environment')) ||
        /[/\\]meshes[/\\](kuma[/\\]kuma|istio[/\\](istio|ossm3|ossm-migration))-mesh\.js$/.test(file),
    );
  };
  /** The examples, with dist/ as rendered. */
  const examples = () => {
    const repo = tempDir('meshflip-readers-');
    for (const folder of ['environments', 'dist']) {
      fs.cpSync(path.join(REPO, folder), path.join(repo, folder), { recursive: true });
    }
    return repo;
  };

  test.each([[['validate']], [['explain', 'kong-perf', 'captains-log']]])('%j of a dist/ as rendered loads no renderer', (args) => {
    // WHEN
    const run = runListingModules(BIN, args, examples());
    // THEN
    expect(run.status).toBe(0);
    expect(renderers(run.loaded)).toEqual([]);
  });

  test('synth loads them, and each package bundled from its one file of the build, not from node_modules/', () => {
    // WHEN
    const run = runListingModules(BIN, ['synth'], examples());
    // THEN
    expect(run.status).toBe(0);
    const build = path.join(REPO, 'node_modules', '.cache', 'meshflip');
    expect(renderers(run.loaded)).toContain(path.join(build, 'vendor', 'cdk8s-plus-28.js'));
    expect(renderers(run.loaded).length).toBeGreaterThan(3);
    expect(run.loaded.filter((file) => file.startsWith(path.join(build, 'vendor')))).toEqual(
      expect.arrayContaining(['cdk8s.js', 'constructs.js', 'yaml.js', 'zod.js'].map((file) => path.join(build, 'vendor', file))),
    );
    // (nothing of node_modules/ of the packages bundled: those left there are loaded by name from vendor/)
    const bundled = ['cdk8s', 'cdk8s-plus-28', 'constructs', 'yaml', 'zod'];
    expect(run.loaded.filter((file) => bundled.some((name) => file.startsWith(path.join(REPO, 'node_modules', name) + path.sep)))).toEqual([]);
  });
});

describe('compiled code kept between runs', () => {
  /** Whether this Node.js can keep V8's compiled code between runs (22.1 and later; not 20). */
  const keepsCompiledCode = typeof (Module as { enableCompileCache?: unknown }).enableCompileCache === 'function';

  (keepsCompiledCode ? test : test.skip)(
    "a run of the build leaves V8's compiled code of its modules beside the build, which a changed build does not reuse (Node.js 22.1 and later)",
    () => {
      // GIVEN a checkout with a fresh build, and no compiled code kept
      const dir = checkout();
      build(dir);
      const cache = path.join(dir, 'node_modules', '.cache', 'meshflip-v8');
      const version = () => {
        const env = { ...process.env, NODE_COMPILE_CACHE: undefined, NODE_DISABLE_COMPILE_CACHE: undefined };
        const run = spawnSync(process.execPath, [path.join(dir, 'src', 'cli', 'meshflip.cjs'), '--version'], { cwd: dir, encoding: 'utf8', env });
        expect([run.status, run.stderr]).toEqual([0, '']);
        return run.stdout;
      };
      expect(fs.existsSync(cache)).toBe(false);
      // WHEN the command runs from the build
      const first = version();
      // THEN the compiled code of what it loaded is kept beside the build, and the next run gives the same answer
      const kept = fs.readdirSync(cache, { recursive: true }).length;
      expect(kept).toBeGreaterThan(0);
      expect(version()).toBe(first);
      // AND a build of changed sources runs as built: its code is compiled afresh, not taken from the cache
      fs.appendFileSync(path.join(dir, 'src', 'cli', 'main.ts'), '\nprocess.stdout.write("rebuilt\\n");\n');
      build(dir);
      expect(version()).toBe(`rebuilt\n${first}`);
    },
  );
  (keepsCompiledCode ? test.skip : test)(
    "a run of the build keeps V8's code of each module it loaded, found by the module's text: the next run takes it, and code that does not fit is made again (Node.js 20)",
    () => {
      // GIVEN a checkout with a fresh build, whose folder of kept code is empty
      const dir = checkout();
      build(dir);
      const out = path.join(dir, 'node_modules', '.cache', 'meshflip');
      const help = () => {
        const run = runListingModules(path.join(dir, 'src', 'cli', 'meshflip.cjs'), ['--help'], undefined, { NODE_DISABLE_COMPILE_CACHE: undefined });
        expect([run.status, run.stderr]).toEqual([0, '']);
        return { last: lines(run.stdout).at(-1), built: run.loaded.filter((f) => f.startsWith(`${out}${path.sep}`) && f.endsWith('.js')) };
      };
      /** The files of kept code, each with its inode: a file written again is a new one (written aside, then renamed). */
      const kept = () => {
        const root = path.join(out, 'code-cache');
        const files = fs.existsSync(root) ? fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()) : [];
        return new Map(files.map((e) => [path.join(e.parentPath, e.name), fs.statSync(path.join(e.parentPath, e.name)).ino]));
      };
      expect(kept().size).toBe(0);
      // WHEN the command runs from the build
      const first = help();
      // THEN the code of each module of the build it loaded is kept, one file each, named by its text's digest
      const afterFirst = kept();
      expect(first.built.length).toBeGreaterThan(3);
      expect(afterFirst.size).toBe(first.built.length);
      const digests = first.built.map((f) => createHash('sha256').update(fs.readFileSync(f, 'utf8')).digest('hex')).sort();
      expect([...afterFirst.keys()].map((f) => path.basename(f)).sort()).toEqual(digests);
      // AND the next run takes that code as it is: nothing is written again
      expect(help()).toEqual(first);
      expect(kept()).toEqual(afterFirst);

      // WHEN a kept file holds code V8 does not take (here: bytes of the same length that are no code)
      const [spoiled] = afterFirst.keys();
      fs.writeFileSync(spoiled, Buffer.alloc(fs.statSync(spoiled).size, 7));
      // THEN the module is compiled from its text, runs, and its code is kept again
      expect(help()).toEqual(first);
      expect(kept().get(spoiled)).not.toBe(afterFirst.get(spoiled));
      expect(fs.readFileSync(spoiled).equals(Buffer.alloc(fs.statSync(spoiled).size, 7))).toBe(false);

      // WHEN a module of the build changes to another text of the same length (V8 checks only the length)
      const main = path.join(out, 'cli', 'main.js');
      const text = fs.readFileSync(main, 'utf8');
      const edited = 'Run meshflip <command> --help for the options of a command!';
      expect(edited.length).toBe(LAST_HELP_LINE.length);
      fs.writeFileSync(main, text.replace(LAST_HELP_LINE, edited));
      // THEN the new text runs, not the code kept for the old one
      expect(help().last).toBe(edited);
      expect(kept().size).toBe(afterFirst.size + 1);

      // WHEN a module of the build starts with a #! line, which only Node.js's own compile takes out
      fs.writeFileSync(main, `#!/usr/bin/env node\n${fs.readFileSync(main, 'utf8')}`);
      // THEN it runs
      expect(help().last).toBe(edited);

      // WHEN source maps are on, as --debug turns them on
      const trace = spawnSync(
        process.execPath,
        [
          '-e',
          `process.setSourceMapsEnabled(true);
           try { require(${JSON.stringify(path.join(dir, 'src', 'build.cjs'))}).load('model/unsafe-text').escapeUnsafeText(undefined); }
           catch (e) { console.log(e.stack); }`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      // THEN a stack trace names the TypeScript source, as without kept code
      expect(lines(trace.stdout)[1]).toContain(path.join(dir, 'src', 'model', 'unsafe-text.ts'));

      // WHEN the code cannot be kept (its folder's place is taken by a file)
      fs.rmSync(path.join(out, 'code-cache'), { recursive: true });
      fs.writeFileSync(path.join(out, 'code-cache'), '');
      // THEN the command runs as before
      expect(help().last).toBe(edited);
      // AND a build starts afresh, without the code kept for the last one
      build(dir);
      expect(fs.existsSync(path.join(out, 'code-cache'))).toBe(false);
      expect(help()).toEqual(first);
    },
    120_000,
  );
});

describe('a build never runs older code than src/', () => {
  test('without a build the sources run; built, the build; once a source changes, the sources again until the next build', () => {
    // GIVEN a checkout without a build
    const dir = checkout();
    const bin = path.join(dir, 'src', 'cli', 'meshflip.cjs');
    const help = () => {
      const run = runListingModules(bin, ['--help']);
      expect([run.status, run.stderr]).toEqual([0, '']);
      return { last: lines(run.stdout).at(-1), from: ranFrom(dir, run.loaded) };
    };
    // WHEN / THEN
    expect(help()).toEqual({ last: LAST_HELP_LINE, from: 'sources' });
    build(dir);
    expect(help()).toEqual({ last: LAST_HELP_LINE, from: 'build' });
    // a source edited after the build
    const main = path.join(dir, 'src', 'cli', 'main.ts');
    fs.writeFileSync(main, fs.readFileSync(main, 'utf8').replace(LAST_HELP_LINE, 'Edited after the build.'));
    expect(help()).toEqual({ last: 'Edited after the build.', from: 'sources' });
    build(dir);
    expect(help()).toEqual({ last: 'Edited after the build.', from: 'build' });
    // a new source file, then the file removed again
    const extra = path.join(dir, 'src', 'model', 'extra.ts');
    fs.writeFileSync(extra, 'export const EXTRA = 1;\n');
    expect(help().from).toBe('sources');
    build(dir);
    expect(help().from).toBe('build');
    fs.rmSync(extra);
    expect(help().from).toBe('sources');
    // tsconfig.json, which the build reads, changed
    build(dir);
    fs.appendFileSync(path.join(dir, 'tsconfig.json'), '\n');
    expect(help().from).toBe('sources');
  }, 120_000);

  test('the cdk8s app (npm run synth, npx cdk8s synth) chooses the same way', () => {
    // GIVEN a built checkout whose app module was then edited
    const dir = checkout();
    build(dir);
    const app = path.join(dir, 'src', 'main.ts');
    fs.writeFileSync(app, `process.stdout.write('edited app\\n');\n${fs.readFileSync(app, 'utf8')}`);
    // WHEN
    const run = runListingModules(path.join(dir, 'src', 'main.cjs'), ['--help']);
    // THEN the edited source ran
    expect(run.stdout.split('\n')[0]).toBe('edited app');
    expect(run.loaded).toContain(app);
  }, 120_000);

  test('without a fresh build and without tsx, it says what to run instead of running old code', () => {
    // GIVEN a checkout without the development dependency tsx, built, then a source changed
    const dir = checkout(['tsx']);
    build(dir);
    fs.appendFileSync(path.join(dir, 'src', 'cli', 'errors.ts'), '\n');
    // WHEN
    const run = runListingModules(path.join(dir, 'src', 'cli', 'meshflip.cjs'), ['--version']);
    // THEN
    expect(run).toEqual({
      status: 2,
      stdout: '',
      stderr:
        `error: the compiled meshflip in ${path.join(dir, 'node_modules', '.cache', 'meshflip')} is missing or older than ${path.join(dir, 'src')}, ` +
        'and tsx (a development dependency) is not installed to run the sources\nhint: run npm run build (npm ci runs it)\n',
      loaded: expect.any(Array) as unknown,
    });
  }, 120_000);
});
