import * as os from 'os';

/**
 * Swaps two directories in one system call, so that a reader sees either the one or the other
 * under each name and never a moment without.
 *
 * Linux has `renameat2(..., RENAME_EXCHANGE)` (since 3.15; not every file system implements it,
 * which it reports as EINVAL), macOS `renamex_np(..., RENAME_SWAP)` (since 10.12). Node exposes
 * neither, so they are called through koffi, a foreign-function interface whose prebuilt binaries
 * come inside the npm package (no install script needed).
 *
 * Returns false when the swap is not available here (another OS, no libc we know, or a file
 * system that lacks it); the caller then falls back to two renames. Any other failure throws an
 * error with the usual Node `code` (`EACCES`, `EROFS`, ...).
 *
 * @see https://man7.org/linux/man-pages/man2/rename.2.html
 */
export function exchangeDirectories(a: string, b: string): boolean {
  const swap = nativeSwap();
  if (swap === undefined) {
    return false;
  }
  const { result, errno } = swap(a, b);
  if (result === 0) {
    return true;
  }
  const code = ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
  if (UNSUPPORTED.includes(code)) {
    return false;
  }
  throw Object.assign(new Error(`${code}: exchanging ${a} and ${b} failed`), { code, errno: -errno, syscall: 'renameat2', path: a, dest: b });
}

/** What the system says when it cannot exchange (not a failure of this particular swap). */
const UNSUPPORTED = ['EINVAL', 'ENOSYS', 'ENOTSUP', 'EOPNOTSUPP'];

const ERRNO_NAMES = new Map(Object.entries(os.constants.errno).map(([name, value]) => [value, name]));

/** Linux: `AT_FDCWD` and `RENAME_EXCHANGE` from <fcntl.h> / <linux/fs.h>. */
const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;
/** macOS: `RENAME_SWAP` from <stdio.h>. */
const RENAME_SWAP = 2;

type Swap = (a: string, b: string) => { result: number; errno: number };
let loaded: Swap | null | undefined;

function nativeSwap(): Swap | undefined {
  if (loaded === undefined) {
    loaded = null;
    try {
      // Loaded on first use: commands that never write dist/ do not pay for it.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const koffi = require('koffi') as typeof import('koffi');
      if (process.platform === 'linux') {
        const renameat2 = koffi
          .load('libc.so.6')
          .func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)');
        loaded = (a, b) => ({ result: renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) as number, errno: koffi.errno() });
      } else if (process.platform === 'darwin') {
        const renamexNp = koffi.load('/usr/lib/libSystem.B.dylib').func('int renamex_np(const char *from, const char *to, unsigned int flags)');
        loaded = (a, b) => ({ result: renamexNp(a, b, RENAME_SWAP) as number, errno: koffi.errno() });
      }
    } catch {
      // No koffi binary for this platform, or no glibc (musl names its C library differently):
      // the caller falls back to two renames.
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
