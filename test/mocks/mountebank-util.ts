import { ChildProcess, spawn } from 'child_process';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { REPO, tempDir } from '../util';

/** Real Mountebank processes and HTTP calls on 127.0.0.1, for the tests of test/mocks. */

export const MB = path.join(REPO, 'node_modules', '@mbtest', 'mountebank', 'bin', 'mb');

/**
 * The ports `freePort` picks from: below the range the system gives out on its own (Linux's
 * ip_local_port_range starts at 32768, macOS's and Windows' at 49152), where every outgoing
 * connection of the machine takes its local port, and where a port asked for with 0 comes from.
 * A port picked there, closed, and then bound by Mountebank could be taken in between by any
 * connection that a test running beside this one opens; no one is handed a port below it.
 */
const PICKED_PORTS = { from: 20_000, to: 32_767, tries: 100 };

/** A port of 127.0.0.1 that nothing listens on now, for a Mountebank or an imposter to bind next. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < PICKED_PORTS.tries; attempt++) {
    const port = PICKED_PORTS.from + Math.floor(Math.random() * (PICKED_PORTS.to - PICKED_PORTS.from + 1));
    if (await canListen(port)) {
      return port;
    }
  }
  throw new Error(`no free port of 127.0.0.1 between ${PICKED_PORTS.from} and ${PICKED_PORTS.to} after ${PICKED_PORTS.tries} tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
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
