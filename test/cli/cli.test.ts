import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BIN, copyRepo, removeTempDirs, REPO, snapshotTree, tempDir } from '../util';
import { ANSI, CliRun, countObjects, edit, lines, meshflipAsync, read, runAsync } from './cli-util';

// The command line as a user meets it: usage, errors about how a command was called, colour,
// and the two commands no other file covers (synth, schema).

const COMMANDS = [
  'synth',
  'validate',
  'flip',
  'diff',
  'explain',
  'revert-expired',
  'schema',
  'ci-summary',
  'crds',
  'konnect',
  'init',
  'mock-contract',
  'mock-record',
];

/** util-linux `script` runs a command on a pseudo-terminal. */
const HAS_SCRIPT = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

let repo: string;
let staleSchemaRepo: string;
let outRepo: string;
let rendered: string;
let cdk8sRepo: string;
let renderedByCdk8s: string;
let before: Record<string, string>;
let staleSchemaBefore: string;
const run: Record<string, CliRun> = {};

// Nothing here changes the repository copy, so every run starts at once.
beforeAll(async () => {
  repo = copyRepo(['environments', 'dist']);
  before = snapshotTree(repo);
  // A copy whose environment schema lost its title.
  staleSchemaRepo = copyRepo(['environments']);
  edit(staleSchemaRepo, 'environments/schemas/environment.schema.json', '"title": "meshflip environment"', '"title": "old"');
  staleSchemaBefore = read(staleSchemaRepo, 'environments/schemas/environment.schema.json');
  // The output folder is inside the repository: a copy of its own, so `repo` stays unchanged.
  outRepo = copyRepo(['environments']);
  rendered = path.join(outRepo, 'rendered');
  // cdk8s-cli runs the app of cdk8s.yaml in the folder it is started in.
  cdk8sRepo = copyRepo(['environments', 'src']);
  for (const file of ['cdk8s.yaml', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    fs.copyFileSync(path.join(REPO, file), path.join(cdk8sRepo, file));
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(cdk8sRepo, 'node_modules'));
  renderedByCdk8s = path.join(cdk8sRepo, 'cdk8s.out');
  const onTerminal = (env: NodeJS.ProcessEnv) =>
    runAsync('script', ['-qec', `"${process.execPath}" "${BIN}" flop`, '/dev/null'], repo, {
      ...process.env,
      TERM: 'xterm-256color',
      NO_COLOR: undefined,
      ...env,
    });
  const subfolder = path.join(repo, 'docs', 'runbooks');
  fs.mkdirSync(subfolder, { recursive: true });
  const runs: Record<string, Promise<CliRun>> = {
    'validate in a subfolder': meshflipAsync(subfolder, ['validate']),
    'explain in a subfolder': meshflipAsync(subfolder, ['explain', 'kong-perf']),
    'explain at the root': meshflipAsync(repo, ['explain', 'kong-perf']),
    'explain outside': meshflipAsync(tempDir(), ['explain', 'kong-perf']),
    help: meshflipAsync(repo, ['--help']),
    nothing: meshflipAsync(repo, []),
    ...Object.fromEntries(COMMANDS.map((c) => [`${c} --help`, meshflipAsync(repo, [c, '--help'])])),
    'flip ... --help': meshflipAsync(repo, ['flip', 'kong-perf', 'captains-log', '--to', 'real', '--help']),
    'unknown command': meshflipAsync(repo, ['flop']),
    'unknown flag': meshflipAsync(repo, ['validate', '--fast']),
    'unknown flag with arguments': meshflipAsync(repo, ['flip', 'kong-perf', 'captains-log', '--to', 'real', '--dry-run']),
    'bad --now': meshflipAsync(repo, ['validate', '--now', 'yesterday']),
    pipe: meshflipAsync(repo, ['flop'], { NO_COLOR: undefined, TERM: 'xterm-256color' }),
    ...(HAS_SCRIPT ? { terminal: onTerminal({}), 'terminal NO_COLOR': onTerminal({ NO_COLOR: '1' }) } : {}),
    'synth --out': meshflipAsync(outRepo, ['synth', '--out', rendered]),
    // cdk8s-cli runs the app of cdk8s.yaml with CDK8S_OUTDIR set to its --output.
    'cdk8s synth': runAsync(path.join(REPO, 'node_modules', '.bin', 'cdk8s'), ['synth', '--output', 'cdk8s.out'], cdk8sRepo, {
      ...process.env,
      CDK8S_OUTDIR: undefined,
      // as every run here: the schemas the tests were given are not the command's
      MESHFLIP_CRDS: undefined,
    }),
    'schema --check': meshflipAsync(repo, ['schema', '--check']),
    'schema --check stale': meshflipAsync(staleSchemaRepo, ['schema', '--check']),
  };
  for (const [name, result] of Object.entries(runs)) {
    run[name] = await result;
  }
}, 120_000);
afterAll(removeTempDirs);

describe('usage', () => {
  test('--help lists every command, one line each, with its summary in one column', () => {
    // WHEN
    const { status, stdout, stderr } = run.help;
    // THEN
    expect(status).toBe(0);
    expect(stderr).toBe('');
    const out = lines(stdout);
    expect(out.slice(0, 3)).toEqual(['Usage: meshflip <command> [options]', '', 'Commands:']);
    expect(out.slice(-2)).toEqual(['', 'Run meshflip <command> --help for the options of a command.']);
    const rows = out.slice(3, -2).map((l) => /^ {2}(\S+)( {2,})(\S.*)$/.exec(l));
    expect(rows.map((r) => r?.[1])).toEqual([...COMMANDS, 'version']);
    // The summaries start in one column, also after the longest name (revert-expired).
    expect(new Set(rows.map((r) => 2 + r![1].length + r![2].length)).size).toBe(1);
  });

  test('fails when no command is given, printing the usage', () => {
    // WHEN
    const { status, stdout } = run.nothing;
    // THEN
    expect(status).toBe(1);
    expect(stdout).toBe(run.help.stdout);
  });

  test.each(COMMANDS)('%s --help prints its usage and exits 0', (command) => {
    // WHEN
    const { status, stdout, stderr } = run[`${command} --help`];
    // THEN a usage line naming the command, a blank line, then the explanation and options
    expect(status).toBe(0);
    expect(stderr).toBe('');
    const out = lines(stdout);
    expect(out[0]).toMatch(new RegExp(`^Usage: meshflip ${command}( |$)`));
    expect(out[1]).toBe('');
    expect(out.length).toBeGreaterThan(2);
  });

  test('--help after other arguments only prints the usage: the flip it asks for does not run', () => {
    // WHEN
    const { status, stdout } = run['flip ... --help'];
    // THEN
    expect(status).toBe(0);
    expect(stdout).toBe(run['flip --help'].stdout);
    expect(snapshotTree(repo)).toEqual(before);
  });
});

describe('mistakes in how a command is called', () => {
  test('fails when the command is unknown, with one error line and a hint listing the commands', () => {
    // WHEN
    const { status, stdout, stderr } = run['unknown command'];
    // THEN
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(lines(stderr)).toEqual(['error: unknown command "flop"', `hint: commands: ${COMMANDS.join(', ')}, version`]);
  });

  test('fails when a flag is unknown, with one error line and a hint, and no stack trace', () => {
    // WHEN
    const { status, stdout, stderr } = run['unknown flag'];
    // THEN
    expect(status).toBe(1);
    expect(stdout).toBe('');
    expect(lines(stderr)).toEqual(["error: Unknown option '--fast'", 'hint: run meshflip validate --help to see the options']);
  });

  test('fails when a flag is unknown on a command that also takes arguments, and changes nothing', () => {
    // WHEN
    const { status, stderr } = run['unknown flag with arguments'];
    // THEN one line from the argument parser (which adds how to pass a value that starts with -), and the hint
    expect(status).toBe(1);
    const err = lines(stderr);
    expect(err).toHaveLength(2);
    expect(err[0]).toMatch(/^error: Unknown option '--dry-run'\. /);
    expect(err[1]).toBe('hint: run meshflip flip --help to see the options');
    expect(snapshotTree(repo)).toEqual(before);
  });

  test('works from a subfolder of the repository, as from its root', () => {
    // WHEN (beforeAll) validate and explain run two levels below the root
    const validate = run['validate in a subfolder'];
    const explain = run['explain in a subfolder'];
    // THEN they find the root that holds environments/meshflip.yaml
    expect(validate.status).toBe(0);
    expect(lines(validate.stdout)).toEqual([
      `valid: 8 environments, ${countObjects(path.join(repo, 'dist'))} objects in dist/: 0 errors, 0 warnings`,
    ]);
    expect(explain.status).toBe(0);
    expect(explain.stdout).toBe(run['explain at the root'].stdout);
  });

  test('outside any repository, says where meshflip must run', () => {
    // WHEN
    const { status, stderr } = run['explain outside'];
    // THEN
    expect(status).toBe(1);
    expect(lines(stderr)).toEqual([
      'error: no environment in dist/',
      'hint: run meshflip from the repository root, the folder that holds environments/meshflip.yaml',
    ]);
  });

  test('fails when --now is not a date-time', () => {
    // WHEN
    const { status, stderr } = run['bad --now'];
    // THEN
    expect(status).toBe(1);
    expect(lines(stderr)).toEqual(['error: --now must be an ISO date-time, got "yesterday"', 'hint: for example --now 2026-12-01T12:00:00Z']);
  });
});

describe('colour', () => {
  // Error labels are red on a terminal; everywhere else the same words arrive plain.
  test('no ANSI escapes when the output is not a terminal, even without NO_COLOR', () => {
    // WHEN stdout and stderr are pipes and NO_COLOR is unset
    const { status, stderr } = run.pipe;
    // THEN
    expect(status).toBe(1);
    expect(stderr).not.toMatch(ANSI);
    expect(lines(stderr)[0]).toBe('error: unknown command "flop"');
  });

  (HAS_SCRIPT ? test : test.skip)('no ANSI escapes on a terminal once NO_COLOR is set', () => {
    // WHEN on a pseudo-terminal (script merges stdout and stderr), with and without NO_COLOR
    const coloured = run.terminal;
    const plain = run['terminal NO_COLOR'];
    // THEN without it the label is red: the control that shows this check can see colour
    expect(coloured.stdout).toContain('\u001b[31merror\u001b[0m: unknown command "flop"');
    expect(plain.stdout).toContain('error: unknown command "flop"');
    expect(plain.stdout).not.toMatch(ANSI);
  });
});

describe('synth', () => {
  test('writes where repository.path says, and validate and explain read from there', async () => {
    // GIVEN a repository whose Argo CD Applications read deploy/manifests
    const dir = copyRepo(['environments']);
    edit(dir, 'environments/meshflip.yaml', '  path: dist\n', '  path: deploy/manifests\n');
    // WHEN
    const synth = await meshflipAsync(dir, ['synth'], { CDK8S_OUTDIR: undefined });
    const validate = await meshflipAsync(dir, ['validate']);
    const explain = await meshflipAsync(dir, ['explain', 'kong-perf', 'captains-log']);
    // THEN
    expect(synth.status).toBe(0);
    expect(fs.existsSync(path.join(dir, 'dist'))).toBe(false);
    expect(Object.keys(snapshotTree(path.join(dir, 'deploy/manifests')))).toContain('kong-perf/ROUTING.md');
    expect(validate.status).toBe(0);
    expect(explain.status).toBe(0);
    expect(lines(explain.stdout)[0]).toBe('kong-perf (kong-mesh)');
  });

  test('renders exactly the committed dist/ into --out', () => {
    // WHEN
    const { status, stdout } = run['synth --out'];
    // THEN every file is new there, and the result is byte for byte what is committed
    const committed = snapshotTree(path.join(repo, 'dist'));
    const count = Object.keys(committed).length;
    expect(status).toBe(0);
    expect(lines(stdout)).toEqual([`synthesized 8 environments into rendered/: ${count} files, ${count} added, 0 changed, 0 removed, 0 unchanged`]);
    expect(snapshotTree(rendered)).toEqual(committed);
  });

  test('npx cdk8s synth runs the same app and renders the same files', () => {
    // WHEN
    const { status } = run['cdk8s synth'];
    // THEN
    expect(status).toBe(0);
    expect(snapshotTree(renderedByCdk8s)).toEqual(snapshotTree(path.join(repo, 'dist')));
  });
});

describe('schema', () => {
  test('--check passes when the committed JSON Schemas match the definitions', () => {
    // WHEN
    const { status, stdout } = run['schema --check'];
    // THEN
    expect(status).toBe(0);
    expect(lines(stdout)).toEqual(['JSON Schemas are up to date']);
  });

  test('fails with --check when a committed schema is out of date, and writes nothing', () => {
    // WHEN
    const { status, stderr } = run['schema --check stale'];
    // THEN
    expect(status).toBe(1);
    expect(lines(stderr)).toEqual([
      'error: out-of-date JSON Schemas: environments/schemas/environment.schema.json',
      'hint: run npm run schema and commit the result',
    ]);
    expect(read(staleSchemaRepo, 'environments/schemas/environment.schema.json')).toBe(staleSchemaBefore);
  });
});
