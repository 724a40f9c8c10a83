import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { IMPOSTERS_DIR } from '../../src/constructs/mountebank-mock';
import { IMPOSTERS_KEY } from '../../src/meshes/mesh';
import { parseYamlDocuments, REPO, removeTempDirs, tempDir } from '../util';
import { renderedDist } from '../rendered-dist';

const MB = path.join(REPO, 'node_modules', '@mbtest', 'mountebank', 'bin', 'mb');

afterAll(removeTempDirs);

/** The ConfigMap and Deployment of a mock, read back from the rendered dist/. */
function renderedMock(file: string): { configuration: { imposters: { port: number }[] }; args: string[] } {
  const objects = parseYamlDocuments(fs.readFileSync(path.join(renderedDist(), file), 'utf8')) as any[];
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  const deployment = objects.find((o) => o.kind === 'Deployment');
  return { configuration: JSON.parse(configMap.data[IMPOSTERS_KEY]), args: deployment.spec.template.spec.containers[0].args };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function get(port: number, requestPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: requestPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
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

/**
 * Starts a real Mountebank with the arguments and configuration the rendered Deployment and
 * ConfigMap give it. Only the ports change (to free ones on this machine) and the paths (to a
 * temp folder instead of the mounted volume and /tmp).
 */
async function startMock(file: string): Promise<{ process: ChildProcess; ports: Map<number, number> }> {
  const { configuration, args } = renderedMock(file);
  const dir = tempDir();
  const ports = new Map<number, number>();
  for (const imposter of configuration.imposters) {
    const port = await freePort();
    ports.set(imposter.port, port);
    imposter.port = port;
  }
  const configFile = path.join(dir, IMPOSTERS_KEY);
  fs.writeFileSync(configFile, JSON.stringify(configuration));
  const adminPort = await freePort();
  const localArgs = args.map((arg, i) => {
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
  return { process: child, ports };
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
