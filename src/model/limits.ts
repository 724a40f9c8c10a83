import * as fs from 'fs';

/**
 * The limits on input. Each is generous: a fleet of 1,000 services in 10 environments
 * (test/bench/fleet.ts) stays far under every one of them. They exist so that a careless or
 * hostile file gets a clear error at once instead of a hang, an out-of-memory abort or objects
 * the API server refuses. README.md, section Limits, lists them.
 */

/** The largest environment, catalogue or settings file. The fleet's 1,000-service catalogue has about 300 KB. */
export const MAX_INPUT_FILE_BYTES = 4 * 1024 * 1024;

/**
 * The most data a ConfigMap holds: k8s.io/kubernetes pkg/apis/core/validation `ValidateConfigMap`
 * refuses `totalSize > corev1.MaxSecretSize` (1 MiB), counting the keys and values of `data` and
 * `binaryData`. A mock's imposters go into one ConfigMap, so no imposter file can be larger.
 */
export const MAX_CONFIGMAP_BYTES = 1024 * 1024;

/** The most environment files in environments/. */
export const MAX_ENVIRONMENTS = 500;

/** The most entries in any one map or list of an input file: services, routes, env, labels, ports, imposters, ... */
export const MAX_ENTRIES = 10_000;

/** The longest string value in an environment, catalogue or settings file (an env value, a description). */
export const MAX_STRING_LENGTH = 64 * 1024;

/**
 * Reads a file of at most `maxBytes`, without ever reading more than `maxBytes + 1` bytes or
 * blocking: a FIFO, a device such as /dev/zero or a folder is `not-a-file`, a larger file is
 * `too-large`, and a missing one `missing`.
 */
export function readBounded(file: string, maxBytes: number): { bytes: Buffer } | { error: 'missing' | 'not-a-file' | 'too-large'; size?: number } {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (['ENOENT', 'ENOTDIR', 'ENAMETOOLONG', 'ELOOP'].includes(code)) {
      return { error: 'missing' };
    }
    if (code === 'EISDIR' || code === 'ENXIO') {
      return { error: 'not-a-file' };
    }
    throw e;
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) {
      return { error: 'not-a-file' };
    }
    if (stat.size > maxBytes) {
      return { error: 'too-large', size: stat.size };
    }
    // The size can change between fstat and read: read at most one byte more than the size, and no
    // more than one byte past the limit.
    const buffer = Buffer.alloc(Math.min(stat.size, maxBytes) + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) {
      n = fs.readSync(fd, buffer, length, buffer.length - length, null);
    }
    if (length > maxBytes) {
      return { error: 'too-large', size: length };
    }
    return { bytes: buffer.subarray(0, length) };
  } finally {
    fs.closeSync(fd);
  }
}

/** `1048576` as `1,048,576`, the same on every machine whatever its locale. */
export function formatBytes(bytes: number): string {
  return String(bytes).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
