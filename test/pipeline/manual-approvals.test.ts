import * as fs from 'fs';
import * as path from 'path';
import { readDistRouting, readEnvironmentRouting } from '../../src/pipeline/routing/routing-reader';
import { routingJson, routingMarkdown, routingText } from '../../src/pipeline/synth/routing-report';
import { removeTempDirs } from '../util';
import { renderedDist } from '../rendered-dist';

afterAll(removeTempDirs);

// An operator Subscription with installPlanApproval: Manual waits for a person at its first install
// and at every upgrade: OLM creates the InstallPlan with spec.approved false and installs nothing
// until it is true (operator-framework/operator-lifecycle-manager pkg/controller/operators/catalog/
// operator.go; the InstallPlan's name is in the Subscription's status.installPlanRef). Argo CD's
// Subscription health check (resource_customizations/operators.coreos.com/Subscription/health.lua)
// reports the wait as Progressing, and from 3.5 an upgrade waiting as Healthy: ROUTING.md and
// explain say what a person must do instead.

const subscription = (name: string, approval: string, extra: object = {}) => ({
  apiVersion: 'operators.coreos.com/v1alpha1',
  kind: 'Subscription',
  metadata: { name, namespace: 'openshift-operators' },
  spec: { name, channel: 'stable', installPlanApproval: approval, ...extra },
});

const OBJECTS = [
  {
    file: 'lab/operators/servicemesh.k8s.yaml',
    object: subscription('servicemeshoperator', 'Manual', { startingCSV: 'servicemeshoperator.v2.5.4' }),
  },
  { file: 'lab/operators/kiali.k8s.yaml', object: subscription('kiali-ossm', 'Automatic') },
  { file: 'lab/operators/other.k8s.yaml', object: { ...subscription('not-olm', 'Manual'), apiVersion: 'example.com/v1' } },
];

const APPROVE =
  'oc patch installplan "$(oc get subscription servicemeshoperator -n openshift-operators -o jsonpath=\'{.status.installPlanRef.name}\')" ' +
  '-n openshift-operators --type merge -p \'{"spec":{"approved":true}}\'';

test('reads the Subscriptions that approve by hand from the rendered objects, with the Application that syncs them', () => {
  // WHEN
  const routing = readEnvironmentRouting('lab', OBJECTS);
  // THEN the Automatic Subscription and the Subscription of another API group are not waiting
  expect(routing.approvals).toEqual([
    {
      subscription: 'servicemeshoperator',
      namespace: 'openshift-operators',
      operator: 'servicemeshoperator',
      application: 'lab-operators',
      startingCSV: 'servicemeshoperator.v2.5.4',
    },
  ]);
});

test('ROUTING.md lists each Subscription waiting for approval with how to approve it; none without Manual approval', () => {
  // GIVEN
  const routing = readEnvironmentRouting('lab', OBJECTS);
  // WHEN
  const markdown = routingMarkdown(routing, 'environments/lab.yaml');
  const without = routingMarkdown(readEnvironmentRouting('lab', OBJECTS.slice(1, 2)), 'environments/lab.yaml');
  // THEN
  const section = markdown.slice(markdown.indexOf('## Waiting for approval'));
  expect(section.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Operator'))).toEqual([
    `| servicemeshoperator | servicemeshoperator | openshift-operators | lab-operators | servicemeshoperator.v2.5.4 | \`${APPROVE}\` |`,
  ]);
  expect(section).toContain('Approve it in the OpenShift console');
  expect(without).not.toContain('Waiting for approval');
});

test('explain prints the operator as waiting for approval, with the command, and --json gives it a state', () => {
  // GIVEN
  const routing = readEnvironmentRouting('lab', OBJECTS);
  // WHEN
  const text = routingText(routing);
  const json = routingJson([routing]) as { environments: { approvals: unknown[] }[] };
  // THEN
  expect(text).toEqual([
    'lab (istio)',
    '  operator servicemeshoperator: waiting for approval (installPlanApproval: Manual, Subscription openshift-operators/servicemeshoperator, Application lab-operators)',
    `    approve:         ${APPROVE}, or in the console (Operators, Installed Operators, servicemeshoperator, its InstallPlan, Approve)`,
  ]);
  expect(json.environments[0].approvals).toEqual([
    expect.objectContaining({ subscription: 'servicemeshoperator', state: 'waiting for approval', approve: APPROVE }),
  ]);
});

test('a subscription name from a hand edit cannot break the ROUTING.md table row', () => {
  // GIVEN
  const edited = [{ file: 'lab/operators/x.k8s.yaml', object: subscription('a|b', 'Manual') }];
  // WHEN
  const markdown = routingMarkdown(readEnvironmentRouting('lab', edited), 'environments/lab.yaml');
  // THEN every pipe of the name is escaped, so the row keeps its six cells
  const row = markdown.split('\n').find((l) => l.startsWith('| a'))!;
  expect(row.split(/(?<!\\)\|/).length - 2).toBe(6);
});

test('the protected coolstore example shows both of its operators waiting for approval; coolstore-chaos (Automatic) none', () => {
  // WHEN
  const [coolstore, chaos] = readDistRouting(renderedDist(), new Set(['coolstore', 'coolstore-chaos']));
  // THEN
  expect(coolstore.approvals?.map((a) => `${a.operator} ${a.startingCSV ?? '-'}`)).toEqual([
    'kiali-ossm -',
    'servicemeshoperator servicemeshoperator.v2.5.4',
  ]);
  expect(chaos.approvals).toBeUndefined();
  expect(fs.readFileSync(path.join(renderedDist(), 'coolstore', 'ROUTING.md'), 'utf8')).toContain('## Waiting for approval');
});
