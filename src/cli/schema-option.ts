import * as fs from 'fs';
import { checksIdentity, defaultCacheDir } from '../pipeline/validate/check-cache';
import { defaultParseCache } from '../pipeline/validate/parse-cache';
import { REPOSITORY_CRDS_DIR, resolveCrdsRoot, schemaChecker } from '../pipeline/validate/schema-check';
import { ValidateOptions } from '../pipeline/validate/validate';
import { UsageError } from './errors';

const FETCH_HINT =
  "run npx meshflip crds fetch --out <dir> and pass --crds <dir>, or put your clusters' schemas in " +
  `${REPOSITORY_CRDS_DIR} (see ${REPOSITORY_CRDS_DIR}/README.md)`;

/**
 * The schema folder of --crds, else $MESHFLIP_CRDS, else environments/crds when it holds
 * anything; undefined when there is none. A folder named by the flag or the variable must exist
 * and be a folder, and --strict without any schemas is a usage error: the same for every command.
 */
export function schemaFolder(root: string, flag: string | undefined, strict: boolean, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const variable = env.MESHFLIP_CRDS === '' ? undefined : env.MESHFLIP_CRDS;
  const named = flag ?? variable;
  const crds = resolveCrdsRoot(root, flag);
  if (named !== undefined && crds !== undefined) {
    const source = flag !== undefined ? '--crds' : 'MESHFLIP_CRDS=';
    const given = `${source}${flag !== undefined ? ' ' : ''}${named}`;
    const stat = fs.statSync(crds, { throwIfNoEntry: false });
    if (stat === undefined) {
      throw new UsageError(`${given}: the schema folder does not exist`, FETCH_HINT);
    }
    if (!stat.isDirectory()) {
      throw new UsageError(`${given}: not a folder; schemas are read from a folder (one subfolder per cluster, or files)`, FETCH_HINT);
    }
  }
  if (crds === undefined && strict) {
    throw new UsageError(`--strict needs schemas to be strict with: no --crds, no MESHFLIP_CRDS, and ${REPOSITORY_CRDS_DIR} is empty`, FETCH_HINT);
  }
  return crds;
}

/**
 * The checks over dist/ that depend on the command line, for `validateRepository`: the schema
 * check (with schemas), and the cache of check results (`defaultCacheDir`) keyed by its identity.
 */
export function distChecks(root: string, crds: string | undefined, strict: boolean): Pick<ValidateOptions, 'extraChecks' | 'cache' | 'parseCache'> {
  const dir = defaultCacheDir();
  const parseCache = defaultParseCache();
  return {
    extraChecks: crds === undefined ? [] : [schemaChecker(crds, strict, { root })],
    ...(dir === undefined ? {} : { cache: { dir, checks: checksIdentity(crds, strict, root) } }),
    ...(parseCache === undefined ? {} : { parseCache }),
  };
}
