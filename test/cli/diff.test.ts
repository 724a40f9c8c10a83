import { removeTempDirs } from '../util';
import { CliRun, commitAll, edit, gitRepoCopy, lines, meshflipAsync } from './cli-util';

// `meshflip diff` compares dist/ as committed at --base (default HEAD) with a fresh synthesis of
// the working tree's environments/. In the example repository kong-perf routes captains-log to
// its mock, so flipping it to real is a routing change of one service in one environment.

let flipped: { base: string; head: string; uncommitted: CliRun; againstBase: CliRun; againstHead: CliRun; badRef: CliRun };
let handEdit: CliRun;
let split: CliRun;
let protection: { removed: CliRun; setFalse: CliRun; restored: CliRun };

beforeAll(async () => {
  const flip = async () => {
    const { dir, base } = gitRepoCopy();
    expect((await meshflipAsync(dir, ['flip', 'kong-perf', 'captains-log', '--to', 'real'])).status).toBe(0);
    const uncommitted = await meshflipAsync(dir, ['diff']);
    const head = commitAll(dir, 'flip captains-log to real');
    const [againstBase, againstHead, badRef] = await Promise.all([
      meshflipAsync(dir, ['diff', '--base', base]),
      meshflipAsync(dir, ['diff']),
      meshflipAsync(dir, ['diff', '--base', 'no-such-branch']),
    ]);
    return { base, head, uncommitted, againstBase, againstHead, badRef };
  };
  const edited = async () => {
    // The environment file edited by hand, dist/ not synthesized: diff synthesizes the working tree itself.
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/kong-perf.yaml', '    captains-log: mock\n', '    captains-log: real\n');
    return meshflipAsync(dir, ['diff']);
  };
  const weighted = async () => {
    const { dir } = gitRepoCopy();
    expect(
      (
        await meshflipAsync(dir, [
          'flip',
          'kong-perf',
          'captains-log',
          '--to',
          'mock',
          '--weight',
          '30',
          '--expires',
          '2026-12-01',
          '--now',
          '2026-11-01T00:00:00Z',
          '--reason',
          'load test PERF-42',
        ])
      ).status,
    ).toBe(0);
    return meshflipAsync(dir, ['diff']);
  };
  // The production-like coolstore loses protected: true (deleted, or set to false), and gets it back.
  const unprotect = async () => {
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/coolstore.yaml', 'protected: true\n', 'protected: false\n');
    const setFalse = await meshflipAsync(dir, ['diff']);
    edit(dir, 'environments/coolstore.yaml', 'protected: false\n', '');
    const removed = await meshflipAsync(dir, ['diff']);
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    commitAll(dir, 'coolstore is no longer protected');
    edit(dir, 'environments/coolstore.yaml', 'catalog: [coolstore]\n', 'protected: true\ncatalog: [coolstore]\n');
    const restored = await meshflipAsync(dir, ['diff']);
    return { removed, setFalse, restored };
  };
  [flipped, handEdit, split, protection] = await Promise.all([flip(), edited(), weighted(), unprotect()]);
}, 120_000);
afterAll(removeTempDirs);

test('prints the routing change of a flip committed after --base', () => {
  // WHEN
  const { status, stdout, stderr } = flipped.againstBase;
  // THEN the environment with its mesh, then each changed service: before -> after
  expect(status).toBe(0);
  expect(stderr).toBe('');
  expect(lines(stdout)).toEqual(['kong-perf (kong-mesh)', '  captains-log: mock -> real']);
});

test('compares the working tree with HEAD by default', () => {
  // THEN before the commit the flip is a change; after it, HEAD already has it
  expect(lines(flipped.uncommitted.stdout)).toEqual(['kong-perf (kong-mesh)', '  captains-log: mock -> real']);
  expect(flipped.againstHead.status).toBe(0);
  expect(lines(flipped.againstHead.stdout)).toEqual(['no routing changes']);
});

test('sees an environment edit that was never synthesized into dist/', () => {
  // THEN a stale dist/ in the change cannot hide the change
  expect(handEdit.status).toBe(0);
  expect(lines(handEdit.stdout)).toEqual(['kong-perf (kong-mesh)', '  captains-log: mock -> real']);
});

test('prints a split in percent, and the expiry and reason that came with it', () => {
  // THEN 30 % to the mock; a date alone is kept as written
  expect(split.status).toBe(0);
  expect(lines(split.stdout)).toEqual([
    'kong-perf (kong-mesh)',
    '  captains-log: mock -> split 70% real / 30% mock',
    '    expires 2026-12-01',
    '    reason: load test PERF-42',
  ]);
});

test('fails when --base is not a commit, with a hint', () => {
  // WHEN
  const { status, stdout, stderr } = flipped.badRef;
  // THEN
  expect(status).toBe(1);
  expect(stdout).toBe('');
  expect(lines(stderr)).toEqual([
    'error: no commit "no-such-branch" in this repository',
    'hint: pass a branch, tag or commit of this repository with --base',
  ]);
});

/** What losing protection does to coolstore's rendered objects: prune on, operator upgrades automatic, the mock deployed. */
function protectionObjects(lost: boolean): string[] {
  const [was, is] = lost ? ['false', 'true'] : ['true', 'false'];
  const [finalizerWas, finalizerIs] = lost
    ? ['(unset)', 'resources-finalizer.argocd.argoproj.io']
    : ['resources-finalizer.argocd.argoproj.io', '(unset)'];
  const [approvalWas, approvalIs] = lost ? ['Manual', 'Automatic'] : ['Automatic', 'Manual'];
  const application = (name: string) => [
    `      ~ Application argocd/${name}`,
    `          metadata.finalizers[0]: ${finalizerWas} -> ${finalizerIs}`,
    `          spec.syncPolicy.automated.prune: ${was} -> ${is}`,
  ];
  return [
    '  rendered objects:',
    '    argocd:',
    '      ~ AppProject argocd/coolstore',
    `          metadata.annotations.meshflip.io/protected: ${is} -> ${was}`,
    '    coolstore-control-plane:',
    ...application('coolstore-control-plane'),
    '    coolstore-operators:',
    ...application('coolstore-operators'),
    '      ~ Subscription openshift-operators/kiali-ossm',
    `          spec.installPlanApproval: ${approvalWas} -> ${approvalIs}`,
    '      ~ Subscription openshift-operators/servicemeshoperator',
    `          spec.installPlanApproval: ${approvalWas} -> ${approvalIs}`,
    '    coolstore-workloads:',
    ...[
      'ConfigMap coolstore-inventory/inventory-imposters',
      'Deployment coolstore-inventory/inventory-mock',
      'ServiceAccount coolstore-inventory/inventory-mock',
    ].map((o) => `      ${lost ? '+' : '-'} ${o}`),
    ...application('coolstore-workloads'),
    '      ~ DestinationRule coolstore-inventory/inventory',
    `          metadata.annotations.argocd.argoproj.io/sync-wave: ${lost ? '5 -> 4' : '4 -> 5'}`,
    `          spec.subsets[mock] ${lost ? 'added' : 'removed'}`,
    `          spec.subsets[real] ${lost ? 'added' : 'removed'}`,
    // Protected again, the workloads Application no longer prunes: the mock it removes stays live.
    ...(lost
      ? []
      : [
          '      ! Argo CD leaves running ConfigMap coolstore-inventory/inventory-imposters, Deployment coolstore-inventory/inventory-mock, ' +
            'ServiceAccount coolstore-inventory/inventory-mock: coolstore-workloads does not prune automatically; ' +
            'after the sync, prune by hand with argocd app sync coolstore-workloads --prune (or Sync with Prune checked in the Argo CD UI)',
        ]),
  ];
}

test('calls out an environment that loses protected: true, first under its name', () => {
  // THEN the call-out, then what the change lets the environment do: its mock is deployed, Argo CD prunes, operators upgrade themselves
  const expected = [
    'coolstore (openshift-service-mesh)',
    '  ! environment coolstore is no longer protected',
    '  inventory: real -> real',
    '    mock deployed',
    ...protectionObjects(true),
  ];
  expect(protection.removed.status).toBe(0);
  expect(protection.removed.stderr).toBe('');
  expect(lines(protection.removed.stdout)).toEqual(expected);
  expect(lines(protection.setFalse.stdout)).toEqual(expected);
});

test('calls out an environment that becomes protected', () => {
  // THEN
  expect(protection.restored.status).toBe(0);
  expect(lines(protection.restored.stdout)).toEqual([
    'coolstore (openshift-service-mesh, protected)',
    '  ! environment coolstore is now protected',
    '  inventory: real -> real',
    '    mock removed',
    ...protectionObjects(false),
  ]);
});

describe('changes besides routing, read from the rendered objects at --base and in the working tree', () => {
  let run: CliRun;
  beforeAll(async () => {
    // GIVEN a base where kong-perf allows crew 50 connections and connects within 2 s
    const { dir } = gitRepoCopy();
    edit(dir, 'environments/kong-perf.yaml', '    maxConnections: 100\n', '    maxConnections: 50\n');
    expect((await meshflipAsync(dir, ['synth'])).status).toBe(0);
    const base = commitAll(dir, 'crew: 50 connections');
    // WHEN the limit drops to 5, the connect timeout grows to 20 s, the shared catalogue bumps an
    // image (every Kong Mesh environment runs it) and kong-perf's control-plane chart changes version
    edit(dir, 'environments/kong-perf.yaml', '    maxConnections: 50\n', '    maxConnections: 5\n');
    edit(dir, 'environments/kong-perf.yaml', '    connect: 2s\n', '    connect: 20s\n');
    edit(dir, 'environments/kong-perf.yaml', '  version: 2.14.3\n', '  version: 2.14.2\n');
    edit(dir, 'environments/catalog/kong-blog.yaml', 'image: kong/blog:captains-log\n', 'image: kong/blog:captains-log-v2\n');
    run = await meshflipAsync(dir, ['diff', '--base', base]);
  }, 120_000);

  test('lists each environment and Argo CD Application whose objects changed, with the values before and after', () => {
    const image = (env: string) => [
      `    ${env}-zone-real-services:`,
      '      ~ Deployment my-services/captains-log',
      '          image of captains-log: kong/blog:captains-log -> kong/blog:captains-log-v2',
    ];
    const resilience = [
      '      ~ MeshCircuitBreaker kong-mesh-system/crew-circuit-breaker',
      '          spec.to[0].default.connectionLimits.maxConnections: 50 -> 5',
      '      ~ MeshTimeout kong-mesh-system/crew-timeout',
      '          spec.to[0].default.connectionTimeout: 2s -> 20s',
    ];
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    expect(lines(run.stdout)).toEqual([
      'kong-perf (kong-mesh)',
      '  rendered objects:',
      '    kong-perf-mock-services-control-plane:',
      '      ~ Application argocd/kong-perf-mock-services-control-plane',
      '          chart kong-mesh version: 2.14.3 -> 2.14.2',
      '    kong-perf-real-services-control-plane:',
      '      ~ Application argocd/kong-perf-real-services-control-plane',
      '          chart kong-mesh version: 2.14.3 -> 2.14.2',
      '    kong-perf-zone-mock-services:',
      ...resilience,
      ...image('kong-perf').slice(0, 1),
      ...image('kong-perf').slice(1),
      ...resilience,
      'kong-real (kong-mesh)',
      '  rendered objects:',
      ...image('kong-real'),
      'kong-tutorial (kong-mesh)',
      '  rendered objects:',
      ...image('kong-tutorial'),
    ]);
  });
});
