import * as fs from 'fs';
import * as path from 'path';
import { git, removeTempDirs, tempDir, writeFiles } from '../util';
import { CliRun, commitAll, edit, gitRepoCopy, lines, meshflipAsync, meshflipProcess } from './cli-util';

// `meshflip konnect apply` applies dist/<env>/konnect/*.kumactl.yaml to each environment's
// Konnect-hosted global control plane. A stand-in kumactl on PATH records every call: its
// arguments, the file it was given with -f (as read at that moment) and its --config-file, and
// stores the configuration the way `kumactl config control-planes add` does (token included).
// It is a POSIX shell script, not a Node.js one: a run calls kumactl up to eight times, and each
// Node.js start-up costs a hundred times what a shell's does.

const TOKEN = 'kpat_TestOnlyTokenNotARealOne0123456789abcdefABCDEF';

/** One recorded kumactl call. */
interface Call {
  readonly args: string[];
  readonly file?: string;
  readonly configFile?: string;
}

/**
 * The stand-in: call N is recorded in the folder `$KUMACTL_LOG/N`, its arguments one per line
 * (`args`), the file given with -f (`file`) and the --config-file (`config`), the first of each
 * flag as kumactl takes them. It fails like the server when its arguments contain $KUMACTL_FAIL,
 * and a delete of the resource $KUMACTL_MISSING as one that is not there.
 */
const STUB = `#!/bin/sh
value() { flag=$1; shift; while [ $# -gt 1 ]; do if [ "$1" = "$flag" ]; then printf '%s' "$2"; return; fi; shift; done; }
n=1
while [ -e "$KUMACTL_LOG/$n" ]; do n=$((n + 1)); done
call="$KUMACTL_LOG/$n"
mkdir "$call"
printf '%s\\n' "$@" > "$call/args"
file=$(value -f "$@")
config=$(value --config-file "$@")
if [ -n "$file" ]; then cat -- "$file" > "$call/file" || exit 1; fi
if [ -n "$config" ]; then printf '%s' "$config" > "$call/config"; fi
if [ "$1" = config ]; then printf 'authConf: %s\\n' "$(value --auth-conf "$@")" > "$config"; fi
if [ -n "\${KUMACTL_FAIL+set}" ]; then case "$*" in *"$KUMACTL_FAIL"*) echo "Error: failed server side: $KUMACTL_FAIL" >&2; exit 1 ;; esac; fi
if [ "$1" = delete ] && [ -n "\${KUMACTL_MISSING+set}" ] && [ "$3" = "$KUMACTL_MISSING" ]; then echo "Error: there is no FaultInjection with name \\"$3\\"" >&2; exit 1; fi
if [ "$1" = apply ]; then echo 'resource applied'; fi
exit 0
`;

/** A folder with the stand-in kumactl, and the folder it records into. */
function standIn(): { bin: string; log: string } {
  const bin = tempDir('meshflip-kumactl-bin-');
  fs.writeFileSync(path.join(bin, 'kumactl'), STUB, { mode: 0o755 });
  const log = path.join(bin, 'calls');
  fs.mkdirSync(log);
  return { bin, log };
}

/** The calls recorded in `log`, in order. */
function calls(log: string): Call[] {
  const readIfThere = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);
  return fs
    .readdirSync(log)
    .map(Number)
    .sort((a, b) => a - b)
    .map((n) => path.join(log, String(n)))
    .map((call) => ({
      args: lines(fs.readFileSync(path.join(call, 'args'), 'utf8')),
      file: readIfThere(path.join(call, 'file')),
      configFile: readIfThere(path.join(call, 'config')),
    }));
}

/** The calls without their (temporary) --config-file argument. */
function argsOf(recorded: Call[]): string[] {
  return recorded.map((c) => {
    const i = c.args.indexOf('--config-file');
    return (i === -1 ? c.args : [...c.args.slice(0, i), ...c.args.slice(i + 2)]).join(' ');
  });
}

async function konnect(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ run: CliRun; recorded: Call[] }> {
  const { bin, log } = standIn();
  const run = await meshflipProcess(dir, ['konnect', 'apply', ...args], {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    KUMACTL_LOG: log,
    ...env,
  });
  return { run, recorded: calls(log) };
}

const PERF_ADDRESS = 'https://us.api.konghq.com/v1/mesh/control-planes/48e893dc-6a4e-40fb-a933-d06e92cccce6/api';
const TUTORIAL_ADDRESS = 'https://us.api.konghq.com/v1/mesh/control-planes/0f6b2c1e-3d4a-4b5c-8d7e-9f0a1b2c3d4e/api';

afterAll(removeTempDirs);

describe('konnect apply on the example repository', () => {
  let dir: string;
  let all: { run: CliRun; recorded: Call[] };
  let one: { run: CliRun; recorded: Call[] };
  let dryRun: { run: CliRun; recorded: Call[] };
  let noToken: { run: CliRun; recorded: Call[] };
  let selfHosted: { run: CliRun; recorded: Call[] };
  let typo: { run: CliRun; recorded: Call[] };
  let failing: { run: CliRun; recorded: Call[] };

  beforeAll(async () => {
    dir = gitRepoCopy().dir;
    [all, one, dryRun, noToken, selfHosted, typo, failing] = await Promise.all([
      konnect(dir, [], { KONNECT_TOKEN: TOKEN }),
      konnect(dir, ['kong-perf'], { KONNECT_TOKEN: TOKEN }),
      konnect(dir, ['kong-tutorial', '--dry-run'], { KONNECT_TOKEN: undefined }),
      konnect(dir, [], { KONNECT_TOKEN: undefined }),
      konnect(dir, ['kong-real'], { KONNECT_TOKEN: TOKEN }),
      konnect(dir, ['kong-perff'], { KONNECT_TOKEN: TOKEN }),
      konnect(dir, [], { KONNECT_TOKEN: TOKEN, KUMACTL_FAIL: 'dist/kong-perf/konnect/mesh.kumactl.yaml' }),
    ]);
  });

  test('configures each Konnect control plane and applies exactly its rendered files, the Mesh first', () => {
    // THEN every Konnect environment, none of the others (kong-real's global is self-hosted; coolstore is Istio)
    expect(argsOf(all.recorded)).toEqual([
      `config control-planes add --name konnect-kong-perf --address ${PERF_ADDRESS} --auth-type tokens --auth-conf token=${TOKEN} --overwrite`,
      'apply -f dist/kong-perf/konnect/mesh.kumactl.yaml',
      `config control-planes add --name konnect-kong-tutorial --address ${TUTORIAL_ADDRESS} --auth-type tokens --auth-conf token=${TOKEN} --overwrite`,
      'apply -f dist/kong-tutorial/konnect/mesh.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/captains-log.access.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/captains-log.routing.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/crew.access.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/ship-info.access.kumactl.yaml',
    ]);
    // AND what kumactl read is what dist/ holds
    for (const c of all.recorded.filter((r) => r.args[0] === 'apply')) {
      expect(c.file).toEqual(fs.readFileSync(path.join(dir, c.args[c.args.indexOf('-f') + 1]), 'utf8'));
    }
    expect(all.run.status).toBe(0);
  });

  test("keeps the token out of the output, the repository and the user's kumactl configuration", () => {
    // THEN each environment's calls used its own configuration, outside the repository, deleted afterwards
    const configs = [...new Set(all.recorded.map((c) => c.configFile))];
    expect(configs.map((c) => path.basename(c ?? ''))).toEqual(['kong-perf.config', 'kong-tutorial.config']);
    expect(configs.every((c) => path.relative(dir, c!).startsWith('..') && !fs.existsSync(path.dirname(c!)))).toBe(true);
    // AND the output shows the commands with the token masked
    expect(all.run.stdout + all.run.stderr).not.toContain(TOKEN);
    expect(lines(all.run.stdout)).toContain(
      `$ kumactl config control-planes add --name konnect-kong-perf --address ${PERF_ADDRESS} --auth-type tokens --auth-conf token=*** --overwrite --config-file ${configs[0]}`,
    );
    // AND nothing in the repository changed
    expect(lines(git(dir, 'status', '--porcelain'))).toEqual([]);
  });

  test('applies only the named environment', () => {
    expect(argsOf(one.recorded)).toEqual([
      `config control-planes add --name konnect-kong-perf --address ${PERF_ADDRESS} --auth-type tokens --auth-conf token=${TOKEN} --overwrite`,
      'apply -f dist/kong-perf/konnect/mesh.kumactl.yaml',
    ]);
    expect(one.run.status).toBe(0);
  });

  test('a dry run needs no token and contacts no control plane', () => {
    expect(argsOf(dryRun.recorded)).toEqual([
      'apply --dry-run -f dist/kong-tutorial/konnect/mesh.kumactl.yaml',
      'apply --dry-run -f dist/kong-tutorial/konnect/captains-log.access.kumactl.yaml',
      'apply --dry-run -f dist/kong-tutorial/konnect/captains-log.routing.kumactl.yaml',
      'apply --dry-run -f dist/kong-tutorial/konnect/crew.access.kumactl.yaml',
      'apply --dry-run -f dist/kong-tutorial/konnect/ship-info.access.kumactl.yaml',
    ]);
    expect(dryRun.run.status).toBe(0);
  });

  test('fails when KONNECT_TOKEN is not set, before running kumactl', () => {
    expect(lines(noToken.run.stderr)).toEqual([
      'error: $KONNECT_TOKEN is not set',
      'hint: export KONNECT_TOKEN with a Konnect access token (in GitHub Actions: from a repository secret), or pass --dry-run',
    ]);
    expect(noToken.recorded).toEqual([]);
    expect(noToken.run.status).toBe(1);
  });

  test('fails when the environment has no Konnect-hosted control plane, or does not exist', () => {
    expect(lines(selfHosted.run.stderr)).toEqual([
      'error: environment "kong-real" has no Konnect-hosted global control plane',
      'hint: Konnect environments: kong-perf, kong-tutorial',
    ]);
    expect(lines(typo.run.stderr)).toEqual(['error: no environment "kong-perff"', 'hint: did you mean "kong-perf"?']);
    expect([selfHosted.recorded, typo.recorded]).toEqual([[], []]);
    expect([selfHosted.run.status, typo.run.status]).toEqual([1, 1]);
  });

  test('fails when kumactl fails, stopping that environment and going on with the others', () => {
    expect(argsOf(failing.recorded).filter((a) => a.startsWith('apply'))).toEqual([
      'apply -f dist/kong-perf/konnect/mesh.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/mesh.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/captains-log.access.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/captains-log.routing.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/crew.access.kumactl.yaml',
      'apply -f dist/kong-tutorial/konnect/ship-info.access.kumactl.yaml',
    ]);
    expect(lines(failing.run.stderr)).toEqual([
      '  Error: failed server side: dist/kong-perf/konnect/mesh.kumactl.yaml',
      'kong-perf: stopped; what follows the failed step was not applied',
      'error: kumactl failed for kong-perf',
    ]);
    expect(failing.run.status).toBe(1);
  });
});

describe('konnect apply --prune-since', () => {
  let removedFault: { run: CliRun; recorded: Call[] };
  let alreadyGone: { run: CliRun; recorded: Call[] };
  let movedControlPlane: { run: CliRun; recorded: Call[] };
  let renamedMesh: { run: CliRun; recorded: Call[] };
  let movedBase: string;

  /** The example repository after a change to kong-tutorial, synthesized and committed; returns the repository and the base. */
  async function changed(from: string, to: string): Promise<{ dir: string; base: string }> {
    const { dir, base } = gitRepoCopy();
    edit(dir, 'environments/kong-tutorial.yaml', from, to);
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    commitAll(dir, 'change kong-tutorial');
    return { dir, base };
  }

  beforeAll(async () => {
    const fault = 'faults:\n  captains-log:\n    delay: { value: 1s, percent: 100 }\n';
    const [noFault, moved, renamed] = await Promise.all([
      changed(fault, ''),
      changed(fault, '').then((r) => {
        edit(
          r.dir,
          'environments/kong-tutorial.yaml',
          'controlPlaneId: 0f6b2c1e-3d4a-4b5c-8d7e-9f0a1b2c3d4e',
          'controlPlaneId: 11111111-2222-4333-8444-555555555555',
        );
        commitAll(r.dir, 'another control plane');
        return r;
      }),
      changed('  policies: legacy\n', '  policies: legacy\n  name: tutorial\n'),
    ]);
    movedBase = moved.base;
    [removedFault, alreadyGone, movedControlPlane, renamedMesh] = await Promise.all([
      konnect(noFault.dir, ['kong-tutorial', '--prune-since', noFault.base], { KONNECT_TOKEN: TOKEN }),
      konnect(noFault.dir, ['kong-tutorial', '--prune-since', noFault.base], { KONNECT_TOKEN: TOKEN, KUMACTL_MISSING: 'captains-log-faults' }),
      konnect(moved.dir, ['kong-tutorial', '--prune-since', moved.base], { KONNECT_TOKEN: TOKEN }),
      konnect(renamed.dir, ['kong-tutorial', '--prune-since', renamed.base, '--dry-run']),
    ]);
  });

  test('deletes a fault the change removed, after applying what is rendered', () => {
    // THEN the live delay goes away, as Argo CD's prune would for a Kubernetes object
    expect(argsOf(removedFault.recorded).slice(-1)).toEqual(['delete fault-injection captains-log-faults --mesh default']);
    expect(argsOf(removedFault.recorded).filter((a) => a.startsWith('apply'))).toHaveLength(5);
    expect(removedFault.run.status).toBe(0);
  });

  test('an object already deleted is not an error', () => {
    expect(lines(alreadyGone.run.stdout)).toContain('  Error: there is no FaultInjection with name "captains-log-faults" (already gone)');
    expect(alreadyGone.run.status).toBe(0);
  });

  test('deletes nothing when the environment moved to another control plane since the base', () => {
    expect(argsOf(movedControlPlane.recorded).filter((a) => a.startsWith('delete'))).toEqual([]);
    expect(lines(movedControlPlane.run.stderr)).toContain(
      `  not deleted: FaultInjection captains-log-faults (mesh default): the environment used another Konnect control plane (or none) at ${movedBase}; delete it there by hand`,
    );
    expect(movedControlPlane.run.status).toBe(0);
  });

  test('never deletes a Mesh: a renamed mesh leaves the old one for a person to delete', () => {
    expect(lines(renamedMesh.run.stderr)).toContain(
      '  not deleted: Mesh default: deleting a Mesh deletes every policy and data plane in it; delete it by hand if that is meant',
    );
    expect(lines(renamedMesh.run.stdout)).toContain('would delete TrafficRoute captains-log-route (mesh default)');
    expect(renamedMesh.run.status).toBe(0);
  });
});

test('fails when a file under dist/<env>/konnect/ was not generated by meshflip', async () => {
  // GIVEN a hand-written file beside the rendered ones
  const { dir } = gitRepoCopy();
  writeFiles(dir, { 'dist/kong-perf/konnect/extra.kumactl.yaml': 'type: TrafficRoute\nname: extra\nmesh: default\n' });
  // WHEN
  const { run, recorded } = await konnect(dir, ['kong-perf'], { KONNECT_TOKEN: TOKEN });
  // THEN
  expect(lines(run.stderr)).toEqual([
    'error: dist/kong-perf/konnect/extra.kumactl.yaml was not generated from environments/kong-perf.yaml',
    'hint: run npm run synth: only what meshflip renders is applied',
  ]);
  expect(recorded).toEqual([]);
  expect(run.status).toBe(1);
});
