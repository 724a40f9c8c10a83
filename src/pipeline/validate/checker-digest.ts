import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { meshflipRoot, rendererDigest } from '../synth/inputs-digest';

let dependencies: string | undefined;

/** The identity of the code that checks: the renderer build, and every dependency the lockfile pins (the credential rules, the CEL evaluator...). */
export function checkerDigest(): string {
  if (dependencies === undefined) {
    const lock = path.join(meshflipRoot(), 'package-lock.json');
    dependencies = createHash('sha256')
      .update(rendererDigest())
      .update(fs.existsSync(lock) ? fs.readFileSync(lock) : '')
      .digest('hex');
  }
  return dependencies;
}

/**
 * The key of a kept entry: the SHA-256 of everything its value was computed from, as JSON, with the
 * identity of the code (`checkerDigest`). Each kind of entry names its own format in `parts`.
 */
export function entryKey(parts: Record<string, unknown>): string {
  return createHash('sha256')
    .update(JSON.stringify({ ...parts, checker: checkerDigest() }))
    .digest('hex');
}
