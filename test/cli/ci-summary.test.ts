import * as fs from 'fs';
import * as path from 'path';
import { CONFIGURED_CRDS, describeWithCrds, git, REPO, removeTempDirs, tempDir, writeFiles } from '../util';
import {
  CliRun,
  commitAll,
  countObjects,
  edit,
  gitRepoCopy,
  lineOf,
  lines,
  meshflipAsync,
  meshflipProcess,
  read,
  readGitHubOutputs,
} from './cli-util';

// `meshflip ci-summary` is what the pull-request workflow runs. Each scenario is a git repository
// with a base commit and a head commit, and the binary runs with the environment GitHub Actions
// gives a step: the job summary and output files (which exist beforehand), the event payload
// naming the pull request's base commit, and the base branch name. ci-summary runs as a process
// of its own, as in a step: @actions/core's job summary keeps the file it first wrote to for the
// life of the process. The flips and syntheses that set a scenario up run in this process.

interface CiRun extends CliRun {
  readonly dir: string;
  readonly summary: string;
  /** The GITHUB_OUTPUT file as written, and parsed. */
  readonly outputText: string;
  readonly outputs: Record<string, string>;
}

/**
 * Runs ci-summary in `dir` the way the workflow step does: by default on a pull request from
 * `base` whose head is checked out; `github` replaces the event name and payload and adds variables.
 */
async function ciSummary(
  dir: string,
  base: string,
  github: { eventName?: string; event?: object; env?: NodeJS.ProcessEnv; args?: string[] } = {},
): Promise<CiRun> {
  const folder = tempDir('meshflip-github-');
  const summary = path.join(folder, 'step_summary');
  const output = path.join(folder, 'output');
  const event = path.join(folder, 'event.json');
  fs.writeFileSync(summary, '');
  fs.writeFileSync(output, '');
  fs.writeFileSync(
    event,
    JSON.stringify(github.event ?? { action: 'synchronize', number: 7, pull_request: { base: { ref: 'main', sha: base }, head: { ref: 'flip' } } }),
  );
  const run = await meshflipProcess(dir, ['ci-summary', ...(github.args ?? [])], {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: github.eventName ?? 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_BASE_REF: 'main',
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    MESHFLIP_NOW: '2026-03-01T10:00:00Z',
    ...github.env,
  });
  return { ...run, dir, summary: fs.readFileSync(summary, 'utf8'), outputText: fs.readFileSync(output, 'utf8'), outputs: readGitHubOutputs(output) };
}

/** A workflow command printed on stdout: `::error file=...,line=...::message`. */
interface Annotation {
  readonly level: string;
  readonly properties: Record<string, string>;
  readonly message: string;
}

/** Workflow commands escape `%`, `\r`, `\n` in messages, and also `:` and `,` in properties. */
function unescape(text: string): string {
  return text.replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function annotations(stdout: string): Annotation[] {
  return lines(stdout).flatMap((line) => {
    const match = /^::(error|warning|notice)( [^:]*)?::(.*)$/.exec(line);
    if (match === null) {
      return [];
    }
    const properties = Object.fromEntries(
      (match[2] ?? '')
        .trim()
        .split(',')
        .filter((p) => p !== '')
        .map((p) => {
          const [key, ...value] = p.split('=');
          return [key, unescape(value.join('='))];
        }),
    );
    return [{ level: match[1], properties, message: unescape(match[3]) }];
  });
}

/**
 * Services of the generated large environment: more than the 200 rows a summary shows. Synthesis
 * time grows faster than linearly with the number of rendered files (cdk8s re-resolves the whole
 * app for every chart), so this stays at a few hundred: enough for the caps to cut in.
 */
const FLEET_SIZE = 300;

/**
 * A repository with one Kong Mesh environment of FLEET_SIZE small services, each with a mock
 * (the example captains-log imposter listens on their port, 5000). Traffic permissions are off
 * and there is one zone, so each service renders to three files: workload, mock and route.
 */
function fleetRepo(): string {
  const dir = tempDir('meshflip-fleet-');
  const names = Array.from({ length: FLEET_SIZE }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
  writeFiles(dir, {
    'environments/meshflip.yaml': fs.readFileSync(path.join(REPO, 'environments/meshflip.yaml'), 'utf8'),
    'environments/mocks/captains-log.imposter.json': fs.readFileSync(path.join(REPO, 'environments/mocks/captains-log.imposter.json'), 'utf8'),
    'environments/catalog/fleet.yaml':
      [
        'services:',
        ...names.flatMap((name) => [
          `  ${name}:`,
          `    image: example/${name}:1.0.0`,
          '    ports: [{ name: http, port: 5000 }]',
          '    mock: { imposters: [../mocks/captains-log.imposter.json] }',
        ]),
      ].join('\n') + '\n',
    'environments/fleet.yaml': [
      'name: fleet',
      'catalog: [fleet]',
      'mesh:',
      '  flavor: kong-mesh',
      '  version: 2.14.3',
      '  global:',
      '    konnect:',
      '      region: us',
      '      controlPlaneId: 48e893dc-6a4e-40fb-a933-d06e92cccce6',
      '  zones:',
      '    - name: perf',
      '      cluster: perf-real-services',
      'services:',
      ...names.map((name) => `  ${name}:`),
      '',
    ].join('\n'),
  });
  return dir;
}

let toMock: CiRun;
let objects: number;
let toReal: CiRun;
let invalid: CiRun;
let protectedMock: CiRun;
let fleet: CiRun;
let unprotected: CiRun;
let comment: string;
let movedBase: { pullRequest: CiRun; mergeGroup: CiRun; staleBase: CiRun };

beforeAll(async () => {
  // kong-real's captains-log flipped to its mock.
  const flipToMock = async () => {
    const { dir, base } = gitRepoCopy();
    expect((await meshflipAsync(dir, ['flip', 'kong-real', 'captains-log', '--to', 'mock'])).status).toBe(0);
    commitAll(dir, 'flip captains-log of kong-real to its mock');
    objects = countObjects(path.join(dir, 'dist'));
    comment = path.join(tempDir(), 'comment', 'comment.md');
    return ciSummary(dir, base, { args: ['--comment', comment] });
  };
  // A repository without kong-tutorial, the chaos environments and the migrating one (its inventory has a header-scoped mock), where kong-perf's captains-log
  // is the only service routed to a mock, flipped to real.
  const flipToReal = async () => {
    const { dir } = gitRepoCopy();
    fs.rmSync(path.join(dir, 'environments/kong-tutorial.yaml'));
    fs.rmSync(path.join(dir, 'environments/coolstore-chaos.yaml'));
    fs.rmSync(path.join(dir, 'environments/coolstore-ossm3-chaos.yaml'));
    fs.rmSync(path.join(dir, 'environments/coolstore-migrating.yaml'));
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    const base = commitAll(dir, 'four environments fewer');
    expect((await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real'])).status).toBe(0);
    commitAll(dir, 'flip captains-log of kong-perf to real');
    return ciSummary(dir, base);
  };
  // A typo in kong-perf's routing.
  const typo = async () => {
    const { dir, base } = gitRepoCopy();
    edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: mokc\n');
    commitAll(dir, 'typo');
    return ciSummary(dir, base);
  };
  // The protected coolstore given a mock route and a fault.
  const protectedEnv = async () => {
    const { dir, base } = gitRepoCopy();
    fs.appendFileSync(
      path.join(dir, 'environments/coolstore.yaml'),
      'routing:\n  services:\n    inventory: mock\nfaults:\n  inventory:\n    abort: { httpStatus: 500, percent: 10 }\n',
    );
    commitAll(dir, 'mock inventory in production');
    return ciSummary(dir, base);
  };
  // FLEET_SIZE services flipped to their mocks at once. Synthesis takes a while at this size, so
  // the base and the head state are rendered side by side, then committed one after the other.
  const largeFlip = async () => {
    const dir = fleetRepo();
    const head = tempDir('meshflip-fleet-head-');
    fs.cpSync(dir, head, { recursive: true });
    fs.appendFileSync(path.join(head, 'environments/fleet.yaml'), 'routing:\n  default: mock\n');
    const synths = await Promise.all([meshflipAsync(dir, ['synth']), meshflipAsync(head, ['synth'])]);
    expect(synths.map((s) => s.status)).toEqual([0, 0]);
    git(dir, 'init', '-q');
    const base = commitAll(dir, 'fleet');
    for (const folder of ['environments', 'dist']) {
      fs.rmSync(path.join(dir, folder), { recursive: true });
      fs.cpSync(path.join(head, folder), path.join(dir, folder), { recursive: true });
    }
    commitAll(dir, 'every service of fleet to its mock');
    return ciSummary(dir, base);
  };
  // The production-like coolstore loses protected: true in a pull request.
  const unprotect = async () => {
    const { dir, base } = gitRepoCopy();
    edit(dir, 'environments/coolstore.yaml', 'protected: true\n', '');
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    commitAll(dir, 'coolstore is no longer protected');
    return ciSummary(dir, base);
  };
  // A pull request flips kong-real's captains-log; after it branched off, main flipped kong-perf's
  // captains-log to real. GitHub checks out the merge commit of the two; the event's
  // pull_request.base.sha still names the branch point (github/docs#431).
  const baseMoved = async () => {
    const { dir, base } = gitRepoCopy();
    git(dir, 'switch', '-q', '-c', 'flip');
    expect((await meshflipAsync(dir, ['flip', 'kong-real', 'captains-log', '--to', 'mock'])).status).toBe(0);
    commitAll(dir, 'flip captains-log of kong-real to its mock');
    git(dir, 'switch', '-q', '-');
    expect((await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real'])).status).toBe(0);
    const mainTip = commitAll(dir, 'main: kong-perf captains-log back to real');
    git(dir, '-c', 'commit.gpgsign=false', 'merge', '-q', '--no-ff', '-m', 'Merge flip', 'flip');
    const merge = git(dir, 'rev-parse', 'HEAD').trim();
    const [pullRequest, mergeGroup, staleBase] = await Promise.all([
      ciSummary(dir, base, { env: { GITHUB_SHA: merge } }),
      ciSummary(dir, base, {
        eventName: 'merge_group',
        event: {
          action: 'checks_requested',
          merge_group: { base_sha: mainTip, head_sha: merge, head_ref: 'refs/heads/gh-readonly-queue/main/pr-7' },
        },
        env: { GITHUB_SHA: merge, GITHUB_BASE_REF: '' },
      }),
      ciSummary(dir, base, { args: ['--base', base] }),
    ]);
    return { pullRequest, mergeGroup, staleBase };
  };
  [fleet, toMock, toReal, invalid, protectedMock, unprotected, movedBase] = await Promise.all([
    largeFlip(),
    flipToMock(),
    flipToReal(),
    typo(),
    protectedEnv(),
    unprotect(),
    baseMoved(),
  ]);
}, 300_000);
afterAll(removeTempDirs);

describe('a flip to a mock', () => {
  test('passes and prints no annotation', () => {
    // THEN
    expect(toMock.status).toBe(0);
    expect(annotations(toMock.stdout)).toEqual([]);
  });

  test('writes the environment section, the before -> after row and a call graph to the job summary', () => {
    // THEN httpie and ship-info call captains-log in kong-real, so their calls now reach the mock (dashed)
    expect(toMock.summary).toBe(
      [
        '## meshflip: routing changes in 1 environment',
        '',
        'No protected-environment violations.',
        'After this change 1 changed service sends traffic to a mock.',
        '',
        '### kong-real (kong-mesh)',
        '',
        '| Service | Before | After | Also |',
        '|---|---|---|---|',
        '| captains-log | real | mock | - |',
        '',
        '```mermaid',
        'graph LR',
        '  captains_log["captains-log (mocked)"]',
        '  httpie["httpie"]',
        '  ship_info["ship-info"]',
        '  httpie -.->|mock| captains_log',
        '  ship_info -.->|mock| captains_log',
        '  classDef mocked stroke-dasharray: 5 5,stroke:#d97706;',
        '  class captains_log mocked;',
        '```',
        '',
        '',
        `**Checks passed** (${objects} objects in dist/).`,
        '',
      ].join('\n'),
    );
  });

  test('sets the outputs: the changed environment, and that traffic reaches a mock', () => {
    // THEN each in the multi-line form GitHub reads: name<<delimiter, value, delimiter
    expect(toMock.outputText).toMatch(/^changed-environments<<(ghadelimiter_[0-9a-f-]+)\nkong-real\n\1\n/);
    expect(toMock.outputs).toEqual({
      'changed-environments': 'kong-real',
      'changed-environments-json': '["kong-real"]',
      'routes-to-mock': 'true',
      'routing-change-known': 'true',
    });
  });
  test('writes the pull-request comment: the marker the next run finds it by, then the same summary', () => {
    expect(fs.readFileSync(comment, 'utf8')).toBe(`<!-- meshflip-summary -->\n${toMock.summary}`);
  });
});

describe('a flip of the last mocked service back to real', () => {
  test('reports the change and routes-to-mock=false', () => {
    // THEN
    expect(toReal.status).toBe(0);
    expect(toReal.summary).toContain('After this change no changed service sends traffic to a mock.');
    expect(toReal.summary).toContain(
      '### kong-perf (kong-mesh)\n\n| Service | Before | After | Also |\n|---|---|---|---|\n| captains-log | mock | real | - |\n',
    );
    expect(toReal.outputs).toEqual({
      'changed-environments': 'kong-perf',
      'changed-environments-json': '["kong-perf"]',
      'routes-to-mock': 'false',
      'routing-change-known': 'true',
    });
  });
});

describe('an invalid environment file', () => {
  test('fails with an annotation at the file, line and column of the bad value', () => {
    // THEN at the value of `    captains-log: mokc`
    const line = lineOf(read(invalid.dir, 'environments/kong-perf.yaml'), '    captains-log: mokc');
    expect(invalid.status).toBe(1);
    expect(annotations(invalid.stdout)).toEqual([
      {
        level: 'error',
        properties: { title: 'meshflip: routing.services.captains-log', file: 'environments/kong-perf.yaml', line: String(line), col: '19' },
        message: 'routing.services.captains-log: must be "real", "mock", "record" or a map, got "mokc"; did you mean "mock"?',
      },
    ]);
  });

  test('says in the summary that the routing change is unknown, rather than that there is none', () => {
    // THEN
    expect(invalid.summary).toBe(
      [
        '## meshflip: routing changes unknown',
        '',
        '> The routing change could not be computed: the environment files have errors (see the annotations).',
        '',
        '',
        '**1 check failed**; see the annotations:',
        '',
        `- \`environments/kong-perf.yaml:${lineOf(read(invalid.dir, 'environments/kong-perf.yaml'), '    captains-log: mokc')}\` routing.services.captains-log: must be "real", "mock", "record" or a map`,
        '',
      ].join('\n'),
    );
    expect(invalid.outputs['changed-environments']).toBe('');
    expect(invalid.outputs['routing-change-known']).toBe('false');
  });
});

describe('a protected environment routed to a mock', () => {
  test('fails, with an annotation for the route and one for the fault', () => {
    // THEN the route at its value, the fault at its key (the whole entry is wrong)
    const text = read(protectedMock.dir, 'environments/coolstore.yaml');
    expect(protectedMock.status).toBe(1);
    expect(annotations(protectedMock.stdout)).toEqual([
      {
        level: 'error',
        properties: {
          title: 'meshflip: routing.services.inventory',
          file: 'environments/coolstore.yaml',
          line: String(lineOf(text, '    inventory: mock')),
          col: '16',
        },
        message:
          'routing.services.inventory: cannot route to a mock in a protected environment, got "mock"; protected: true environments only serve real traffic',
      },
      {
        level: 'error',
        properties: { title: 'meshflip: faults.inventory', file: 'environments/coolstore.yaml', line: String(lineOf(text, 'faults:') + 1), col: '3' },
        message: 'faults.inventory: cannot inject faults in a protected environment; protected: true environments carry no faults',
      },
    ]);
    expect(protectedMock.summary).toContain('**2 checks failed**; see the annotations:');
  });
});

describe('an environment that loses protected: true', () => {
  test("opens the job summary with the call-out and repeats it in the environment's section", () => {
    // THEN
    expect(unprotected.status).toBe(0);
    expect(unprotected.summary.split('\n').slice(0, 6)).toEqual([
      '## meshflip: routing changes in 1 environment',
      '',
      '**:warning: environment coolstore is no longer protected**',
      'No protected-environment violations.',
      'After this change no changed service sends traffic to a mock.',
      '',
    ]);
    expect(unprotected.summary).toContain(
      [
        '### coolstore (openshift-service-mesh)',
        '',
        '- :warning: **environment coolstore is no longer protected**',
        '',
        '| Service | Before | After | Also |',
        '|---|---|---|---|',
        '| inventory | real | real | mock deployed |',
      ].join('\n'),
    );
    expect(unprotected.outputs['changed-environments']).toBe('coolstore');
  });
});

describe(`${FLEET_SIZE} services flipped to their mocks`, () => {
  test('keeps the summary short: under the 40,000 character default cap, far below the 65,536 GitHub allows', () => {
    // THEN
    expect(fleet.status).toBe(0);
    expect(fleet.summary.length).toBeLessThan(40_000);
  });

  test('shows the first 200 rows and says how many it left out, and how many of those reach a mock', () => {
    // THEN
    const rows = fleet.summary.split('\n').filter((l) => /^\| svc-\d{3} \| real \| mock \| - \|$/.test(l));
    expect(rows).toHaveLength(200);
    expect(fleet.summary).toContain(`After this change ${FLEET_SIZE} changed services send traffic to a mock.`);
    expect(fleet.summary).toContain(
      `\n…and ${FLEET_SIZE - 200} more services changed (${FLEET_SIZE - 200} now reach a mock, 0 do not); run \`npx meshflip diff\` for all of them.\n`,
    );
    // A graph of hundreds of nodes helps nobody: there is none
    expect(fleet.summary).not.toContain('```mermaid');
    expect(fleet.outputs).toEqual({
      'changed-environments': 'fleet',
      'changed-environments-json': '["fleet"]',
      'routes-to-mock': 'true',
      'routing-change-known': 'true',
    });
  });
});

describe('a pull request whose base branch moved on after it branched off', () => {
  test("summarizes only the pull request's own change: against the merge commit's first parent, not pull_request.base.sha", () => {
    // THEN kong-perf, changed on main meanwhile, is not this pull request's doing
    expect(movedBase.pullRequest.status).toBe(0);
    expect(movedBase.pullRequest.outputs['changed-environments']).toBe('kong-real');
    expect(movedBase.pullRequest.summary).toContain(
      '### kong-real (kong-mesh)\n\n| Service | Before | After | Also |\n|---|---|---|---|\n| captains-log | real | mock | - |\n',
    );
    expect(movedBase.pullRequest.summary).not.toContain('### kong-perf');
  });

  test("in a merge queue, against the merge group's base_sha", () => {
    expect(movedBase.mergeGroup.status).toBe(0);
    expect(movedBase.mergeGroup.outputs['changed-environments']).toBe('kong-real');
  });

  test("compared with the branch point instead, main's change would be listed too", () => {
    // THEN what comparing with pull_request.base.sha used to show
    expect(movedBase.staleBase.outputs['changed-environments']).toBe('kong-perf,kong-real');
  });
});

describeWithCrds('ci-summary --strict, as the workflow runs it with the fetched schemas', () => {
  let strict: CiRun;
  let withoutSchemas: CiRun;
  beforeAll(async () => {
    // A hand edit of dist/ that only the schema check catches: a replica count given as text.
    const { dir, base } = gitRepoCopy();
    edit(dir, 'dist/kong-perf/zone-real-services/crew.k8s.yaml', '  replicas: 1\n', '  replicas: one\n');
    commitAll(dir, 'hand edit');
    [strict, withoutSchemas] = await Promise.all([
      ciSummary(dir, base, { args: ['--strict'], env: { MESHFLIP_CRDS: CONFIGURED_CRDS } }),
      ciSummary(dir, base, { args: ['--strict'], env: { MESHFLIP_CRDS: '' } }),
    ]);
  }, 120_000);

  test('annotates an object that breaks its upstream schema, at its line in dist/', () => {
    // THEN
    const file = 'dist/kong-perf/zone-real-services/crew.k8s.yaml';
    const text = read(strict.dir, file).split('\n');
    // the object's first line: the apiVersion line before its kind
    const line = text.indexOf('kind: Deployment');
    expect(strict.status).toBe(1);
    expect(annotations(strict.stdout).filter((a) => a.message.includes('spec.replicas'))).toEqual([
      {
        level: 'error',
        properties: { title: 'meshflip: Deployment my-services/crew', file, line: String(line), col: '1' },
        message: 'Deployment my-services/crew: spec.replicas: must be an integer, got "one"',
      },
    ]);
  });

  test('refuses --strict without schemas rather than checking less', () => {
    expect(withoutSchemas.status).toBe(1);
    expect(lines(withoutSchemas.stderr)).toEqual([
      'error: --strict needs schemas to be strict with: no --crds, no MESHFLIP_CRDS, and environments/crds is empty',
      "hint: run npx meshflip crds fetch --out <dir> and pass --crds <dir>, or put your clusters' schemas in environments/crds (see environments/crds/README.md)",
    ]);
  });
});

describe('outside a runner, or with its files not there yet', () => {
  test('creates GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files that do not exist yet', async () => {
    // GIVEN
    const { dir, base } = gitRepoCopy();
    const folder = tempDir('meshflip-github-');
    const summary = path.join(folder, 'step_summary');
    const output = path.join(folder, 'output');
    // WHEN
    const run = await meshflipProcess(dir, ['ci-summary', '--base', base], {
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_OUTPUT: output,
      MESHFLIP_NOW: '2026-03-01T10:00:00Z',
    });
    // THEN
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(fs.readFileSync(summary, 'utf8')).toContain('## meshflip: no routing changes');
    expect(readGitHubOutputs(output)).toEqual({
      'changed-environments': '',
      'changed-environments-json': '[]',
      'routes-to-mock': 'true',
      'routing-change-known': 'true',
    });
  });

  test('prints no deprecated ::set-output command when run locally', async () => {
    // GIVEN
    const { dir, base } = gitRepoCopy();
    // WHEN
    const run = await meshflipProcess(dir, ['ci-summary', '--base', base], { MESHFLIP_NOW: '2026-03-01T10:00:00Z' });
    // THEN the summary goes to stdout, and no workflow command does
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('## meshflip: no routing changes');
    expect(run.stdout).not.toContain('::');
  });

  test('fails with a usage error when the event file is not JSON, or a variable names a file in no folder', async () => {
    // GIVEN
    const { dir } = gitRepoCopy();
    const event = path.join(tempDir('meshflip-github-'), 'event.json');
    fs.writeFileSync(event, 'not json');
    // WHEN
    const badEvent = await meshflipProcess(dir, ['ci-summary'], { GITHUB_EVENT_PATH: event });
    const badSummary = await meshflipProcess(dir, ['ci-summary'], { GITHUB_STEP_SUMMARY: '/nonexistent/folder/summary' });
    // THEN
    expect(badEvent.status).toBe(1);
    expect(lines(badEvent.stderr)).toEqual([
      `error: GITHUB_EVENT_PATH=${event}: not a JSON file (${(() => {
        try {
          JSON.parse('not json');
        } catch (e) {
          return (e as Error).message;
        }
        return '';
      })()})`,
      'hint: point GITHUB_EVENT_PATH at the event GitHub Actions wrote, or unset it and pass --base <ref>',
    ]);
    expect(badSummary.status).toBe(1);
    expect(lines(badSummary.stderr)).toEqual([
      'error: GITHUB_STEP_SUMMARY=/nonexistent/folder/summary: cannot write to it (ENOENT)',
      'hint: name a file in a folder that exists, or unset GITHUB_STEP_SUMMARY',
    ]);
  });
});

describe('a change that alters no routing', () => {
  let run: CiRun;
  beforeAll(async () => {
    // GIVEN a pull request that only lowers coolstore's inventory connection limit and bumps the catalogue's inventory image
    const { dir, base } = gitRepoCopy();
    edit(dir, 'environments/coolstore.yaml', '    maxConnections: 100\n', '    maxConnections: 5\n');
    const catalog = read(dir, 'environments/catalog/coolstore.yaml');
    const image = /image: (\S*inventory\S*)\n/.exec(catalog)![1];
    edit(dir, 'environments/catalog/coolstore.yaml', `image: ${image}\n`, `image: ${image}-next\n`);
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    commitAll(dir, 'inventory: 5 connections, next image');
    run = await ciSummary(dir, base);
  }, 120_000);

  test('summarizes the rendered objects per environment and Argo CD Application, under a heading that says routing did not change', () => {
    expect(run.status).toBe(0);
    const summary = lines(run.summary);
    // (the OSSM 3 and migrating coolstore environments share the catalogue: their inventory image changes too)
    expect(summary[0]).toBe('## meshflip: no routing changes; other changes in 5 environments');
    const section = (env: string) => {
      const start = summary.indexOf(`### ${env} (openshift-service-mesh${env === 'coolstore' ? ', protected' : ''})`);
      const end = summary.findIndex((l, i) => i > start && l.startsWith('### '));
      return summary.slice(start, end < 0 ? undefined : end);
    };
    const coolstore = section('coolstore');
    expect(coolstore.slice(0, 12)).toEqual([
      '### coolstore (openshift-service-mesh, protected)',
      '',
      '',
      '#### Rendered objects, per Argo CD Application',
      '',
      '**coolstore-workloads**',
      '',
      '- changed: `Deployment coolstore-inventory/inventory`',
      expect.stringMatching(/^ {2}- image of inventory: \S+ -> \S+-next$/),
      '- changed: `DestinationRule coolstore-inventory/inventory`',
      '  - spec.trafficPolicy.connectionPool.tcp.maxConnections: 100 -> 5',
      '',
    ]);
    // coolstore-chaos shares the catalogue: its image changes too, its own breaker does not
    expect(section('coolstore-chaos').filter((l) => l.startsWith('- changed') || l.startsWith('  - '))).toEqual([
      '- changed: `Deployment coolstore-inventory/inventory`',
      expect.stringMatching(/^ {2}- image of inventory: \S+ -> \S+-next$/),
    ]);
  });
});
