import { ChildProcess, spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { REPO, tempDir } from '../util';

/** Real Mountebank processes and HTTP calls on 127.0.0.1, for the tests of test/mocks. */

export const MB = path.join(REPO, 'node_modules', '@mbtest', 'mountebank', 'bin', 'mb');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request to 127.0.0.1. */
export function send(port: number, method: string, requestPath: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: requestPath, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends JSON to the admin API of a Mountebank; returns the status. */
export async function admin(adminPort: number, method: string, requestPath: string, body?: unknown): Promise<number> {
  return (await send(adminPort, method, requestPath, { 'content-type': 'application/json' }, body === undefined ? undefined : JSON.stringify(body)))
    .status;
}

/** A real Mountebank without imposters, its admin API on a free port. */
export async function startMountebank(): Promise<{ process: ChildProcess; adminPort: number }> {
  const adminPort = await freePort();
  const child = spawn(process.execPath, [MB, 'start', '--port', String(adminPort), '--nologfile', '--pidfile', path.join(tempDir(), 'mb.pid')], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await send(adminPort, 'GET', '/imposters')).status === 200) {
        return { process: child, adminPort };
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('mb did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
