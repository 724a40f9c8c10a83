import { createHash } from 'crypto';
import * as path from 'path';
import type { KeptDocuments } from '../../validation/schema-store';
import { checkerDigest } from './checker-digest';
import { cacheRoot, KeptEntries, versionedEntry } from './kept-entries';

/** Bumped whenever what an entry holds changes shape. */
const FORMAT = 1;

/** How many schema files are kept; the least recently used beyond that are removed. */
const MAX_ENTRIES = 400;

const DOCUMENTS_ENTRY = versionedEntry<unknown[]>('v8', FORMAT, (documents) => Array.isArray(documents));

/**
 * The YAML schema files (CRDs) as parsed, kept between runs by their bytes and meshflip's code with
 * every locked dependency (the YAML parser among them): a command that checks objects against the
 * schemas reads the files and deserializes what an earlier run parsed, instead of parsing several
 * MB of YAML. Schema files are public definitions: nothing secret is kept.
 */
export class SchemaDocuments implements KeptDocuments {
  private readonly entries: KeptEntries<unknown[]>;

  /** @param dir the folder of the entries (`defaultSchemaDocuments`: `schemas` in the cache folder) */
  constructor(dir: string) {
    this.entries = new KeptEntries(dir, DOCUMENTS_ENTRY, MAX_ENTRIES);
  }

  get(bytes: Uint8Array): unknown[] | undefined {
    return this.entries.get(documentsKey(bytes));
  }

  keep(bytes: Uint8Array, documents: readonly unknown[]): void {
    this.entries.set(documentsKey(bytes), [...documents]);
  }
}

/** The command line's kept schema documents: `schemas` in the cache folder (`cacheRoot`), or none. */
export function defaultSchemaDocuments(env: NodeJS.ProcessEnv = process.env): SchemaDocuments | undefined {
  const root = cacheRoot(env);
  return root === undefined ? undefined : new SchemaDocuments(path.join(root, 'schemas'));
}

function documentsKey(bytes: Uint8Array): string {
  return createHash('sha256')
    .update(JSON.stringify({ format: FORMAT, code: checkerDigest() }))
    .update('\n')
    .update(bytes)
    .digest('hex');
}
