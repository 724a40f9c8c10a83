import { spawn } from 'child_process';
import * as path from 'path';
import { BIN, copyRepo, REPO, removeTempDirs } from '../util';

// `meshflip ... | head -1` and `npm run synth | head -1`: once the reader has gone, a write to the
// pipe fails with EPIPE. The command stops there, quietly, with the exit code it had, instead of
// crashing with a stack trace (src/cli/quiet-pipe.cjs, installed by both entry points).

afterAll(removeTempDirs);

/** Runs an entry point with a stdout whose reader is gone before anything is written. */
function runWithClosedStdout(script: string, args: readonly string[], cwd: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd,
      env: { ...process.env, MESHFLIP_CRDS: undefined, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

describe('a reader that goes away', () => {
  test.each([
    ['meshflip synth', BIN, ['synth']],
    ['npm run synth (src/main.cjs)', path.join(REPO, 'src', 'main.cjs'), []],
  ])('%s stops quietly, with exit code 0', async (_name, script, args) => {
    const repo = copyRepo(['environments', 'dist']);
    const { status, stderr } = await runWithClosedStdout(script, args, repo);
    expect(stderr).toBe('');
    expect(status).toBe(0);
  });
});
