import * as fs from 'fs';
import * as path from 'path';
import { CommandSpec } from '../../src/cli/commands/command';
import { COMMANDS, CliEnvironment, loadCommands, main } from '../../src/cli/main';
import { ColorMode, GLOBAL_OPTIONS, parseCommandArgs, parserConfig, wantsColor } from '../../src/cli/options';
import { Output } from '../../src/cli/output';
import { REPO } from '../util';

// The conventions of kubectl, helm, gh: --version, --help made from the parser's own table,
// --color per stream, and exit codes that tell a user's mistake from a bug. main() runs in this
// process with a recorded output, so each case costs no start-up.

const VERSION = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

/** A finished in-process run. */
interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs main() with stdout and stderr recorded; `tty` says which of them are terminals. */
async function meshflip(
  argv: string[],
  options: { env?: NodeJS.ProcessEnv; tty?: { out: boolean; err: boolean }; failOut?: Error } = {},
): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const env = options.env ?? {};
  const cli: CliEnvironment = {
    cwd: REPO,
    env,
    output: (mode: ColorMode | undefined): Output => ({
      out: (text) => {
        if (options.failOut !== undefined) {
          throw options.failOut;
        }
        stdout += `${text}\n`;
      },
      err: (text) => {
        stderr += `${text}\n`;
      },
      color: wantsColor(mode, options.tty?.out ?? false, env),
      errColor: wantsColor(mode, options.tty?.err ?? false, env),
    }),
  };
  const status = await main(argv, cli);
  return { status, stdout, stderr };
}

/** The long and short flags a help text lists in its option columns. */
function flagsInHelp(help: string): string[] {
  return help
    .split('\n')
    .flatMap((line) => {
      const match = /^ {2}(?:-(\w), )?(?: {4})?--([a-z][a-z-]*)/.exec(line);
      return match === null ? [] : [`--${match[2]}`, ...(match[1] === undefined ? [] : [`-${match[1]}`])];
    })
    .sort();
}

describe('--version', () => {
  test.each([['--version'], ['-V'], ['version']])('%s prints the version from package.json and exits 0', async (flag) => {
    // WHEN
    const run = await meshflip([flag]);
    // THEN
    expect(run).toEqual({ status: 0, stdout: `meshflip ${VERSION}\n`, stderr: '' });
  });

  test('version takes no arguments', async () => {
    // WHEN
    const run = await meshflip(['version', 'extra']);
    // THEN
    expect(run).toEqual({ status: 1, stdout: '', stderr: 'error: meshflip version takes no arguments, got "extra"\nhint: meshflip --version\n' });
  });
});

/** A command by its name, loaded. */
function command(name: string): CommandSpec {
  return COMMANDS.find((c) => c.name === name)!.load();
}

describe('--help is made from the table the parser uses', () => {
  test('the command list names each command as the command does', () => {
    // WHEN every command of the list is loaded
    const loaded = loadCommands();
    // THEN each is the one its entry names
    expect(loaded.map((c) => c.name)).toEqual(COMMANDS.map((c) => c.name));
  });

  test.each(COMMANDS.map((c) => [c.name]))('%s --help lists exactly the options its parser takes', async (name) => {
    // GIVEN the parser configuration of the command
    const parsed = Object.entries(parserConfig(command(name)).options)
      .flatMap(([long, o]) => [`--${long}`, ...(o.short === undefined ? [] : [`-${o.short}`])])
      .sort();
    // WHEN
    const run = await meshflip([name, '--help']);
    // THEN every flag the parser takes is in the help and the help lists no other
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(flagsInHelp(run.stdout)).toEqual(parsed);
    // and every string option shows what its value looks like
    for (const [long, o] of Object.entries(parserConfig(command(name)).options)) {
      if (o.type === 'string') {
        expect(run.stdout).toMatch(new RegExp(`--${long} \\S`));
      }
    }
  });

  test.each(COMMANDS.map((c) => [c.name]))('%s accepts every flag its help lists', (name) => {
    // GIVEN the flags of the help, each with a value where it takes one
    const spec = command(name);
    const options = parserConfig(spec).options;
    for (const flag of Object.keys(options)) {
      const argv = options[flag].type === 'string' ? [`--${flag}`, 'x'] : [`--${flag}`];
      // WHEN parsed THEN it is taken
      expect(parseCommandArgs(spec, argv, REPO).values[flag]).toBe(
        options[flag].type === 'string' ? (spec.options[flag]?.path === true ? path.join(REPO, 'x') : 'x') : true,
      );
    }
  });

  test('a path option is taken from the folder meshflip runs in', () => {
    // GIVEN
    const validate = command('validate');
    // WHEN
    const { values } = parseCommandArgs(validate, ['--dist', '../out', '--now', '2026-01-01'], '/repo/docs');
    // THEN
    expect(values).toEqual({ dist: '/repo/out', now: '2026-01-01' });
  });

  test('the global options are documented once, in every command', async () => {
    // WHEN
    const run = await meshflip(['diff', '--help']);
    // THEN
    expect(run.stdout).toContain(
      [
        'Global options:',
        '      --color auto|always|never  Colour on stdout and stderr: auto (each stream on a terminal, default),',
        '                                 always or never; FORCE_COLOR and NO_COLOR apply when not given',
        '      --no-color                 The same as --color never',
        '      --debug                    Print the stack trace of an internal error (or set MESHFLIP_DEBUG=1)',
        '  -h, --help                     Print this help',
      ].join('\n'),
    );
    expect(Object.keys(GLOBAL_OPTIONS)).toEqual(['color', 'no-color', 'debug', 'help']);
  });

  test('a command that takes no arguments refuses one, naming it', async () => {
    // WHEN
    const run = await meshflip(['validate', 'kong-perf']);
    // THEN
    expect(run).toEqual({
      status: 1,
      stdout: '',
      stderr: 'error: meshflip validate takes no arguments, got "kong-perf"\nhint: run meshflip validate --help to see the options\n',
    });
  });
});

describe('--color, per stream', () => {
  test.each<[ColorMode | undefined, boolean, NodeJS.ProcessEnv, boolean]>([
    [undefined, true, {}, true],
    [undefined, false, {}, false],
    [undefined, true, { TERM: 'dumb' }, false],
    [undefined, true, { NO_COLOR: '1' }, false],
    [undefined, true, { NO_COLOR: '' }, true],
    [undefined, false, { FORCE_COLOR: '1' }, true],
    [undefined, false, { FORCE_COLOR: '' }, false],
    [undefined, true, { FORCE_COLOR: '0' }, false],
    [undefined, true, { FORCE_COLOR: 'false' }, false],
    [undefined, false, { FORCE_COLOR: '1', NO_COLOR: '1' }, true],
    ['auto', false, {}, false],
    ['always', false, { NO_COLOR: '1' }, true],
    ['never', true, { FORCE_COLOR: '1' }, false],
  ])('--color %s on a terminal: %s, env %j: colour %s', (mode, tty, env, expected) => {
    expect(wantsColor(mode, tty, env)).toBe(expected);
  });

  test('stderr on a terminal is coloured while stdout, redirected, is not', async () => {
    // WHEN an error goes to stderr, the terminal
    const run = await meshflip(['flop'], { tty: { out: false, err: true } });
    // THEN
    expect(run.stderr).toBe(
      '\u001b[31merror\u001b[0m: unknown command "flop"\nhint: commands: synth, validate, flip, diff, explain, revert-expired, schema, ci-summary, crds, konnect, init, mock-contract, mock-record, version\n',
    );
  });

  test('stderr redirected gets no colour while stdout is a terminal', async () => {
    // WHEN
    const run = await meshflip(['flop'], { tty: { out: true, err: false } });
    // THEN
    expect(run.stderr).toBe(
      'error: unknown command "flop"\nhint: commands: synth, validate, flip, diff, explain, revert-expired, schema, ci-summary, crds, konnect, init, mock-contract, mock-record, version\n',
    );
  });

  test.each([['--color', 'never'], ['--no-color']])('%s turns colour off on a terminal, after or before the command', async (...flag) => {
    // WHEN
    const after = await meshflip(['validate', '--now', 'yesterday', ...flag], { tty: { out: true, err: true } });
    const before = await meshflip([...flag, 'validate', '--now', 'yesterday'], { tty: { out: true, err: true } });
    // THEN
    expect(after).toEqual({
      status: 1,
      stdout: '',
      stderr: 'error: --now must be an ISO date-time, got "yesterday"\nhint: for example --now 2026-12-01T12:00:00Z\n',
    });
    expect(before).toEqual(after);
  });

  test('--color always colours a redirected stream', async () => {
    // WHEN
    const run = await meshflip(['validate', '--color=always', '--now', 'yesterday']);
    // THEN
    expect(run.stderr).toBe(
      '\u001b[31merror\u001b[0m: --now must be an ISO date-time, got "yesterday"\nhint: for example --now 2026-12-01T12:00:00Z\n',
    );
  });

  test('fails when --color is not auto, always or never', async () => {
    // WHEN
    const run = await meshflip(['validate', '--color', 'yes']);
    // THEN
    expect(run).toEqual({
      status: 1,
      stdout: '',
      stderr:
        'error: --color must be auto, always or never, got "yes"\nhint: --color never for plain text, --color always to keep colour through a pipe\n',
    });
  });
});

describe('exit codes', () => {
  const bug = new Error('write EIO: disk went away\nsecond line');

  test('an internal error exits 2, says it is a bug and how to report it, without a stack trace', async () => {
    // WHEN the output fails under the command
    const run = await meshflip(['version'], { failOut: bug });
    // THEN
    expect(run).toEqual({
      status: 2,
      stdout: '',
      stderr: [
        'internal error: write EIO: disk went away',
        `This is a bug in meshflip ${VERSION}, not in your input. Please report it with the command you ran, this message and the stack trace (see README: Reporting a bug).`,
        'hint: run again with --debug (or MESHFLIP_DEBUG=1) to print the stack trace',
        '',
      ].join('\n'),
    });
  });

  test.each([
    [['version', '--debug'], {}],
    [['version'], { MESHFLIP_DEBUG: '1' }],
  ])('%j with %j prints the stack trace', async (argv, env) => {
    // WHEN
    const run = await meshflip(argv, { failOut: bug, env });
    // THEN
    expect(run.status).toBe(2);
    expect(run.stderr.split('\n').slice(2).join('\n')).toBe(`${bug.stack}\n`);
  });

  test('a usage error exits 1, no command prints the usage and exits 1, --help exits 0', async () => {
    expect((await meshflip(['diff', '--base'])).status).toBe(1);
    expect((await meshflip([])).status).toBe(1);
    expect((await meshflip(['--help'])).status).toBe(0);
  });
});
test('the README documents every command and option that exists, and nothing else', () => {
  // GIVEN the Command line section of the README
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Command line'), readme.indexOf('\n## ', readme.indexOf('## Command line') + 3));
  // THEN each command has a heading with its usage, and its options are those of its table
  const documented = [...section.matchAll(/^### `meshflip ([a-z-]+)/gm)].map((m) => m[1]);
  expect(documented).toEqual([...COMMANDS.map((c) => c.name), 'version']);
  for (const command of loadCommands()) {
    const start = section.indexOf(`### \`meshflip ${command.name}`);
    const body = section.slice(start, section.indexOf('\n### ', start + 4));
    const flags = [...new Set([...body.matchAll(/`(--[a-z][a-z-]*)/g)].map((m) => m[1]))].sort();
    expect({ command: command.name, flags }).toEqual({
      command: command.name,
      flags: Object.keys(command.options)
        .map((o) => `--${o}`)
        .sort(),
    });
  }
});
