import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { formatProblem } from '../../src/model/spec-error';
import { validateRepository } from '../../src/pipeline/validate/validate';
import { copyRepo, removeTempDirs } from '../util';

/**
 * validate traces a finding about dist/ back to the input line through the object's
 * `meshflip.io/source` annotation. dist/ can be edited by anyone: the annotation must never make
 * validate read anything but a regular input file of the repository.
 */

afterAll(() => removeTempDirs());

const ROUTE = 'dist/kong-perf/zone-real-services/captains-log.routing.k8s.yaml';
const SOURCE = 'meshflip.io/source: environments/kong-perf.yaml#routing.services.captains-log';

/** kong-perf's captains-log route without its kuma.io/origin label (a finding), its source annotation set to `source`. */
function handEdited(source: string): string {
  const dir = copyRepo(['environments', 'dist']);
  const file = path.join(dir, ROUTE);
  const text = fs.readFileSync(file, 'utf8');
  // Only the first object, the route, is edited.
  fs.writeFileSync(file, text.replace('    kuma.io/origin: zone\n', '').replace(SOURCE, `meshflip.io/source: ${JSON.stringify(source)}`));
  return dir;
}

/** The problem validate reports about the route (the stale-file problem aside). */
async function routeProblem(dir: string): Promise<string> {
  const { problems } = await validateRepository({ root: dir, now: new Date('2026-01-01T00:00:00Z') });
  return problems.map(formatProblem).filter((p) => p.includes('MeshHTTPRoute'))[0];
}

const FINDING = `${ROUTE}:2:1: MeshHTTPRoute kong-mesh-system/captains-log-route: is applied on a zone control plane without the label kuma.io/origin: zone, which the zone requires`;

test('traces the finding to the line of the input field the annotation names', async () => {
  // GIVEN
  const dir = handEdited('environments/kong-perf.yaml#routing.services.captains-log');
  const line = fs.readFileSync(path.join(dir, 'environments/kong-perf.yaml'), 'utf8').split('\n').indexOf('    captains-log: mock') + 1;
  // THEN
  expect(await routeProblem(dir)).toBe(`${FINDING}; generated from environments/kong-perf.yaml:${line} (routing.services.captains-log)`);
});

test.each([
  ['/dev/zero, a device that never ends', '/dev/zero#routing'],
  ['a path out of the repository', '../../../etc/passwd#routing'],
  ['a path that is not normalized', 'environments/../../etc/passwd#routing'],
  ['a repository file outside environments/', 'package.json#routing'],
])(
  'does not read %s, and names it without a line',
  async (_name, source) => {
    // GIVEN
    const dir = handEdited(source);
    // THEN
    expect(await routeProblem(dir)).toBe(`${FINDING}; generated from ${source.split('#')[0]} (routing)`);
  },
  60_000,
);

test('does not open a FIFO under environments/, which would wait for a writer', async () => {
  // GIVEN
  const dir = handEdited('environments/pipe.yaml#routing');
  execFileSync('mkfifo', [path.join(dir, 'environments', 'pipe.yaml')]);
  // THEN
  expect(await routeProblem(dir)).toBe(`${FINDING}; generated from environments/pipe.yaml (routing)`);
}, 60_000);

test('does not read an input file larger than the input file limit', async () => {
  // GIVEN a 5 MB file the annotation points at
  const dir = handEdited('environments/huge.yml.txt#routing');
  fs.writeFileSync(path.join(dir, 'environments', 'huge.yml.txt'), 'a: b\n'.repeat(1_000_000));
  // THEN
  expect(await routeProblem(dir)).toBe(`${FINDING}; generated from environments/huge.yml.txt (routing)`);
}, 60_000);
