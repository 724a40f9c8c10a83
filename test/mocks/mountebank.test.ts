import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import { IMPOSTERS_DIR, MOUNTEBANK_ADMIN_PORT, MountebankMock } from '../../src/constructs/mountebank-mock';
import { IMPOSTERS_KEY } from '../../src/meshes/mesh';
import { findWorkloads } from '../../src/meshes/effective-routing';
import { latencySteps, withLatency } from '../../src/model/mock-latency';
import { ServiceSpec } from '../../src/model/spec';
import { fixtureEnv, fixtureService } from '../constructs/helpers';
import { parseYamlDocuments, removeTempDirs, tempDir } from '../util';
import { renderedDist } from '../rendered-dist';
import { admin, freePort, MB, send } from './mountebank-util';

const get = (port: number, requestPath: string) => send(port, 'GET', requestPath);

afterAll(removeTempDirs);

interface RenderedMock {
  configuration: { imposters: { port: number }[] };
  args: string[];
  /** The exec command of the readiness probe. */
  readiness: string[];
}

/** The ConfigMap and Deployment of a mock, read back from a freshly rendered dist/ (or rendered objects). */
function renderedMock(file: string | any[]): RenderedMock {
  const objects = typeof file === 'string' ? (parseYamlDocuments(fs.readFileSync(path.join(renderedDist(), file), 'utf8')) as any[]) : file;
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  const deployment = objects.find((o) => o.kind === 'Deployment');
  const container = deployment.spec.template.spec.containers[0];
  return { configuration: JSON.parse(configMap.data[IMPOSTERS_KEY]), args: container.args, readiness: container.readinessProbe.exec.command };
}

async function waitFor(port: number, requestPath: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await get(port, requestPath);
      if (response.status === 200) {
        return;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`nothing answered on port ${port} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until Mountebank's admin API lists an imposter on each of `ports`. */
async function waitForImposters(adminPort: number, ports: readonly number[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await get(adminPort, '/imposters');
    const listed = new Set((JSON.parse(response.body) as { imposters: { port: number }[] }).imposters.map((i) => i.port));
    if (ports.every((port) => listed.has(port))) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`mb did not load the imposters on ports ${ports.join(', ')} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts a real Mountebank with the arguments and configuration the rendered Deployment and
 * ConfigMap give it. Only the ports change (to free ones on this machine) and the paths (to a
 * temp folder instead of the mounted volume and /tmp).
 */
async function startMock(file: string | any[], options: { taken?: number[]; noConfig?: boolean } = {}): Promise<RunningMock> {
  const { configuration, args, readiness } = renderedMock(file);
  const dir = tempDir();
  const ports = new Map<number, number>();
  const taken = [...(options.taken ?? [])];
  for (const imposter of configuration.imposters) {
    const port = taken.shift() ?? (await freePort());
    ports.set(imposter.port, port);
    imposter.port = port;
  }
  const configFile = path.join(dir, IMPOSTERS_KEY);
  fs.writeFileSync(configFile, JSON.stringify(configuration));
  const adminPort = await freePort();
  const localArgs = args.flatMap((arg, i) => {
    if (options.noConfig && (arg === '--configfile' || args[i - 1] === '--configfile')) {
      return [];
    }
    if (args[i - 1] === '--configfile') {
      expect(arg).toBe(`${IMPOSTERS_DIR}/${IMPOSTERS_KEY}`);
      return configFile;
    }
    if (args[i - 1] === '--port') {
      return String(adminPort);
    }
    return args[i - 1] === '--pidfile' ? path.join(dir, 'mb.pid') : arg;
  });
  const child = spawn(process.execPath, [MB, ...localArgs], { stdio: 'ignore' });
  await waitFor(adminPort, '/imposters');
  if (!options.noConfig) {
    // mb answers on its admin port before it has loaded --configfile: wait until it lists every imposter.
    await waitForImposters(adminPort, [...ports.values()]);
  }
  // The probe as rendered, with the local node, admin port and imposter ports.
  const [node, ...probeArgs] = readiness;
  expect(node).toBe('node');
  expect(probeArgs[2]).toBe(String(MOUNTEBANK_ADMIN_PORT));
  const localProbe = [process.execPath, ...probeArgs.map((arg, i) => (i === 2 ? String(adminPort) : i > 2 ? String(ports.get(Number(arg))) : arg))];
  return { process: child, ports, adminPort, configuration, probe: () => run(localProbe) };
}

interface RunningMock {
  process: ChildProcess;
  /** Local port of each imposter, by the port it has in the mesh. */
  ports: Map<number, number>;
  adminPort: number;
  /** The configuration file as loaded (with the local ports). */
  configuration: { imposters: { port: number }[] };
  /** Runs the rendered readiness probe against this Mountebank. */
  probe: () => Promise<{ code: number | null; stderr: string }>;
}

function run(command: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('the rendered Mountebank mocks, run for real', () => {
  const running: ChildProcess[] = [];
  afterAll(() => running.forEach((p) => p.kill('SIGKILL')));

  test('the captains-log mock answers like the tutorial: one log entry, marked X-Mocked', async () => {
    // GIVEN the mock of captains-log as rendered for kong-perf
    const mock = await startMock('kong-perf/zone-mock-services/captains-log.mock.k8s.yaml');
    running.push(mock.process);
    // WHEN a client calls the service port (5000 in the mesh)
    const response = await get(mock.ports.get(5000)!, '/');
    // THEN
    expect(response.status).toBe(200);
    expect(response.headers['x-mocked']).toBe('true');
    expect(response.headers['content-type']).toBe('application/json');
    const body = JSON.parse(response.body) as { entries: { crewMemberId: string; title: string }[] };
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({ crewMemberId: '111-11-1111', title: 'Kong Mesh Traffic Permissions' });
  }, 40_000);

  test('the inventory mock answers item and list requests and its health check', async () => {
    // GIVEN the mock of inventory as rendered for coolstore-chaos
    const mock = await startMock('coolstore-chaos/workloads/inventory.mock.k8s.yaml');
    running.push(mock.process);
    const port = mock.ports.get(8080)!;
    // WHEN / THEN
    const item = await get(port, '/services/inventory/329299');
    expect(item.status).toBe(200);
    expect(item.headers['x-mocked']).toBe('true');
    expect(JSON.parse(item.body)).toMatchObject({ itemId: '329299', quantity: 999 });
    const list = await get(port, '/services/inventory');
    expect(JSON.parse(list.body)).toHaveLength(1);
    expect((await get(port, '/q/health/ready')).status).toBe(200);
    const unknown = await get(port, '/nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['x-mocked']).toBe('true');
  }, 40_000);
});

describe('the readiness probe of a mock, run against a real Mountebank', () => {
  const running: ChildProcess[] = [];
  afterAll(() => running.forEach((p) => p.kill('SIGKILL')));

  test('fails while the admin API answers without the imposters, and passes once they are loaded', async () => {
    // GIVEN the inventory mock's Mountebank with its admin API up but no imposter loaded yet, as between
    // mb opening port 2525 and its PUT /imposters of --configfile
    const mock = await startMock('coolstore-chaos/workloads/inventory.mock.k8s.yaml', { noConfig: true });
    running.push(mock.process);
    const port = mock.ports.get(8080)!;
    // WHEN / THEN the probe fails and says which port is missing
    expect(await mock.probe()).toEqual({ code: 1, stderr: `imposters not loaded on ports ${port}\n` });
    // WHEN the imposters are loaded the way mb loads its --configfile
    expect(await admin(mock.adminPort, 'PUT', '/imposters', mock.configuration)).toBe(200);
    // THEN
    expect(await mock.probe()).toEqual({ code: 0, stderr: '' });
    expect((await get(port, '/q/health/ready')).status).toBe(200);
  }, 40_000);

  test('fails again when an imposter is removed through the admin API', async () => {
    // GIVEN a loaded mock
    const mock = await startMock('coolstore-chaos/workloads/inventory.mock.k8s.yaml');
    running.push(mock.process);
    const port = mock.ports.get(8080)!;
    await waitFor(port, '/q/health/ready');
    // WHEN someone deletes its imposter (for example through a port-forward)
    expect(await admin(mock.adminPort, 'DELETE', `/imposters/${port}`)).toBe(200);
    // THEN
    expect(await mock.probe()).toEqual({ code: 1, stderr: `imposters not loaded on ports ${port}\n` });
  }, 40_000);

  test('needs no probe for a configuration file Mountebank refuses: mb exits, and the pod restarts', async () => {
    // GIVEN the imposter's port is already taken, so creating it fails (mountebank src/cli/api.js loadConfig
    // treats any answer but 200 to its PUT /imposters as fatal)
    const blocker = net.createServer();
    const taken = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as net.AddressInfo).port)));
    try {
      // WHEN
      const { configuration, args } = renderedMock('coolstore-chaos/workloads/inventory.mock.k8s.yaml');
      configuration.imposters[0].port = taken;
      const dir = tempDir();
      fs.writeFileSync(path.join(dir, IMPOSTERS_KEY), JSON.stringify(configuration));
      const adminPort = await freePort();
      const localArgs = args.map((arg, i) =>
        args[i - 1] === '--configfile'
          ? path.join(dir, IMPOSTERS_KEY)
          : args[i - 1] === '--port'
            ? String(adminPort)
            : args[i - 1] === '--pidfile'
              ? path.join(dir, 'mb.pid')
              : arg,
      );
      const code = await new Promise<number | null>((resolve) =>
        spawn(process.execPath, [MB, ...localArgs], { stdio: 'ignore' }).on('close', resolve),
      );
      // THEN
      expect(code).toBe(1);
    } finally {
      blocker.close();
    }
  }, 40_000);

  test('passes for every rendered mock once mb has loaded its configuration file', async () => {
    for (const file of ['kong-perf/zone-mock-services/captains-log.mock.k8s.yaml', 'coolstore-chaos/workloads/inventory.mock.k8s.yaml']) {
      // GIVEN
      const mock = await startMock(file);
      running.push(mock.process);
      // THEN (loading is quick; the probe is retried as the kubelet would)
      let result = await mock.probe();
      for (let attempt = 0; attempt < 50 && result.code !== 0; attempt++) {
        await new Promise((r) => setTimeout(r, 100));
        result = await mock.probe();
      }
      expect(result).toEqual({ code: 0, stderr: '' });
    }
  }, 60_000);
});

describe('the latency a mock adds, measured against a real Mountebank', () => {
  const running: ChildProcess[] = [];
  afterAll(() => running.forEach((p) => p.kill('SIGKILL')));

  /** How long one GET takes, in milliseconds, with its response. */
  async function timed(port: number, requestPath: string): Promise<{ ms: number; status: number; body: string }> {
    const start = process.hrtime.bigint();
    const response = await get(port, requestPath);
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: response.status, body: response.body };
  }

  // Generous: a loaded machine may answer late, never early (a timer does not fire before its time;
  // 2 ms allow for Node rounding timers to whole milliseconds).
  const EARLY_MS = 2;
  const LATE_MS = 400;

  test('a mock rendered with latency 20ms-40ms answers within it, for every step', async () => {
    // GIVEN the backend mock of the fixtures, declared with latency: { min: 20ms, max: 40ms } and rendered by the construct
    const backend = fixtureService('istio', 'backend');
    const target: ServiceSpec = { ...backend, mock: { ...backend.mock!, latency: { minMs: 20, maxMs: 40, origin: backend.mock!.origin } } };
    const chart = new Chart(Testing.app(), 'test');
    new MountebankMock(chart, 'Mock', { env: fixtureEnv('istio'), target, mesh: { labels: {}, annotations: {} } });
    const manifests = Testing.synth(chart);
    const mock = await startMock(manifests);
    running.push(mock.process);
    const port = mock.ports.get(8080)!;
    await waitFor(port, '/items');
    // WHEN the test sends two rounds of the eleven steps
    const observed: number[] = [];
    for (let i = 0; i < 22; i++) {
      const response = await timed(port, '/items');
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ items: [] });
      observed.push(response.ms);
    }
    // THEN every response took at least 20ms and not much more than 40ms
    for (const ms of observed) {
      expect(ms).toBeGreaterThanOrEqual(20 - EARLY_MS);
      expect(ms).toBeLessThanOrEqual(40 + LATE_MS);
    }
    // and what explain and ROUTING.md read back from the rendered objects is the declared range
    const workloads = findWorkloads(manifests.map((object) => ({ file: 'mock.k8s.yaml', object })));
    expect(workloads.mocks.get(`${backend.namespace}/backend`)?.latency).toEqual({ minMs: 20, maxMs: 40 });
  }, 60_000);

  test('a range is walked in steps, in order, for matched and unmatched requests alike', async () => {
    // GIVEN the inventory imposter with latency 100ms-600ms, loaded into a real Mountebank
    const mock = await startMock('coolstore-chaos/workloads/inventory.mock.k8s.yaml', { noConfig: true });
    running.push(mock.process);
    const port = mock.ports.get(8080)!;
    const latency = { minMs: 100, maxMs: 600, origin: undefined as never };
    const document = withLatency({ ...mock.configuration.imposters[0], port }, latency);
    expect(await admin(mock.adminPort, 'PUT', '/imposters', { imposters: [document] })).toBe(200);
    const steps = latencySteps(latency);
    expect(steps).toEqual([100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 600]);
    // WHEN one round of requests to a stubbed path, and one to a path no stub matches
    const item: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < steps.length; i++) {
      const response = await timed(port, '/services/inventory/329299');
      expect(JSON.parse(response.body)).toMatchObject({ itemId: '329299' });
      item.push(response.ms);
    }
    for (let i = 0; i < steps.length; i++) {
      const response = await timed(port, '/nothing/here');
      expect(response.status).toBe(404);
      unknown.push(response.ms);
    }
    // THEN the n-th request waited the n-th step: never less, and not much more
    for (const observed of [item, unknown]) {
      observed.forEach((ms, i) => {
        expect(ms).toBeGreaterThanOrEqual(steps[i] - EARLY_MS);
        expect(ms).toBeLessThanOrEqual(steps[i] + LATE_MS);
      });
    }
  }, 60_000);
});
