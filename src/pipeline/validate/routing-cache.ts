import * as path from 'path';
import { EnvironmentRouting } from '../../meshes/effective-routing';
import { KeptRoutingByFiles } from '../routing/routing-reader';
import { entryKey } from './checker-digest';
import { KeptEntries, versionedEntry } from './kept-entries';

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 1;

/** How many entries are kept; the least recently used beyond that are removed. */
const MAX_ENTRIES = 200;

const ROUTING_ENTRY = versionedEntry<EnvironmentRouting>(
  'json',
  FORMAT,
  (routing) => typeof routing.name === 'string' && Array.isArray(routing.services),
);

/**
 * The effective routing of an environment as read back from its files of dist/, kept between runs
 * by the digest of those files (`outputsDigest`: every path and every byte) and meshflip's code:
 * the routing is read from the objects of exactly those files and nothing else, so files with that
 * digest have that routing. `explain` reads an environment's files to digest them, and parses them
 * only when no entry has their digest; synthesis keeps the routing of every environment it renders.
 */
export class RoutingCache implements KeptRoutingByFiles {
  private readonly entries: KeptEntries<EnvironmentRouting>;

  /** @param dir the folder of the entries (`routingCacheIn`) */
  constructor(dir: string) {
    this.entries = new KeptEntries(dir, ROUTING_ENTRY, MAX_ENTRIES);
  }

  /** The routing of `env` read back from files with the digest `outputs`, when it was kept. */
  get(env: string, outputs: string): EnvironmentRouting | undefined {
    const routing = this.entries.get(routingKey(env, outputs));
    return routing?.name === env ? routing : undefined;
  }

  /** Keeps the routing of `env` read back from files with the digest `outputs`. */
  set(env: string, outputs: string, routing: EnvironmentRouting): void {
    this.entries.set(routingKey(env, outputs), routing);
  }
}

/** The routing kept beside the check results of `checksDir` (`defaultCacheDir`), in `routing` below it; none without a folder. */
export function routingCacheIn(checksDir: string | undefined): RoutingCache | undefined {
  return checksDir === undefined ? undefined : new RoutingCache(path.join(checksDir, 'routing'));
}

function routingKey(env: string, outputs: string): string {
  return entryKey({ format: FORMAT, env, outputs });
}
