import { removeTempDirs } from '../util';
import { changeSinceBase } from '../../src/pipeline/changes/change-summary';
import { EnvironmentChange, summaryMarkdown } from '../../src/pipeline/changes/routing-diff';
import { CliRun, edit, gitRepoCopy, lines, meshflipAsync } from './cli-util';

// A protected environment's Applications sync without automatic pruning (syncPolicy.automated.prune
// false, rendered so): an object a change removes from dist/ stays live, and its Application stays
// OutOfSync. gitops-engine pkg/sync/sync_context.go (pruneObject) skips such objects with "ignored
// (requires pruning)" unless the sync prunes, and never prunes an object whose live copy carries
// argocd.argoproj.io/sync-options Prune=false ("ignored (no prune)"), not even `argocd app sync --prune`.
// diff and ci-summary compare dist/ at the base with the head, so they say which objects stay.

let run: { text: CliRun };
let changes: EnvironmentChange[];

beforeAll(async () => {
  const { dir } = gitRepoCopy();
  // The catalog and its database removed from the protected coolstore and from the unprotected coolstore-chaos.
  for (const env of ['coolstore', 'coolstore-chaos']) {
    edit(dir, `environments/${env}.yaml`, '  catalog:\n  catalog-database:\n', '');
  }
  run = { text: await meshflipAsync(dir, ['diff']) };
  changes = await changeSinceBase(dir, 'HEAD');
}, 120_000);
afterAll(removeTempDirs);

const REMOVED = [
  'AuthorizationPolicy coolstore-catalog/catalog-database-permissions',
  'AuthorizationPolicy coolstore-catalog/catalog-permissions',
  'Deployment coolstore-catalog/catalog',
  'Deployment coolstore-catalog/catalog-database',
  'Service coolstore-catalog/catalog',
  'Service coolstore-catalog/catalog-database',
  'ServiceAccount coolstore-catalog/catalog',
  'ServiceAccount coolstore-catalog/catalog-database',
];
const NEVER_PRUNED = [
  '      ! Argo CD never prunes Namespace coolstore-catalog (Prune=false), not even with --prune: delete it by hand when it is no longer needed: ' +
    'kubectl delete namespace coolstore-catalog',
  '      ! Argo CD never prunes PersistentVolumeClaim coolstore-catalog/catalog-database-data (Prune=false), not even with --prune: ' +
    'delete it by hand when it is no longer needed: kubectl delete persistentvolumeclaim -n coolstore-catalog catalog-database-data',
];

/** The `!` lines of one environment's part of the diff output. */
function warnings(stdout: string, env: string): string[] {
  const all = lines(stdout);
  const start = all.findIndex((l) => l.startsWith(`${env} (`));
  const end = all.findIndex((l, i) => i > start && !l.startsWith(' '));
  return all.slice(start, end < 0 ? undefined : end).filter((l) => l.trimStart().startsWith('! '));
}

test('for a protected environment, diff names the removed objects Argo CD leaves running and the command that prunes them', () => {
  // THEN
  expect(run.text.status).toBe(0);
  expect(warnings(run.text.stdout, 'coolstore')).toEqual([
    `      ! Argo CD leaves running ${REMOVED.join(', ')}: coolstore-workloads does not prune automatically; ` +
      'after the sync, prune by hand with argocd app sync coolstore-workloads --prune (or Sync with Prune checked in the Argo CD UI)',
    ...NEVER_PRUNED,
  ]);
});

test('an environment that prunes automatically is told only about the objects that say Prune=false', () => {
  expect(warnings(run.text.stdout, 'coolstore-chaos')).toEqual(NEVER_PRUNED);
});

test('the change since the base gives each Application the removed objects left running, why, and what removes them', () => {
  // WHEN
  const left = (env: string) =>
    changes
      .find((e) => e.name === env)!
      .objects!.flatMap((a) => (a.leftRunning ?? []).map((r) => `${a.application} ${r.by} ${r.object} <- ${r.remove}`));
  // THEN
  expect(left('coolstore')).toEqual([
    ...REMOVED.slice(0, 4).map((o) => `coolstore-workloads application ${o} <- argocd app sync coolstore-workloads --prune`),
    'coolstore-workloads annotation Namespace coolstore-catalog <- kubectl delete namespace coolstore-catalog',
    'coolstore-workloads annotation PersistentVolumeClaim coolstore-catalog/catalog-database-data <- kubectl delete persistentvolumeclaim -n coolstore-catalog catalog-database-data',
    ...REMOVED.slice(4).map((o) => `coolstore-workloads application ${o} <- argocd app sync coolstore-workloads --prune`),
  ]);
  expect(left('coolstore-chaos').map((l) => l.split(' ')[1])).toEqual(['annotation', 'annotation']);
});

test('the pull-request summary shows the same as a warning under the Application', () => {
  // WHEN
  const markdown = summaryMarkdown(changes.filter((e) => e.name === 'coolstore'));
  // THEN
  const warning = markdown.split('\n').filter((l) => l.startsWith('- :warning: '));
  expect(warning).toEqual(warnings(run.text.stdout, 'coolstore').map((l) => `- :warning: ${l.trim().slice(2)}`));
});
