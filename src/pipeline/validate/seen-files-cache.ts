import * as path from 'path';
import { SEEN_FORMAT, SeenEntry, SeenFiles } from '../dist/seen-files';
import { KeptEntries, versionedEntry } from './kept-entries';

/** How many groups of files (an environment's, of one dist/) are kept; the least recently used beyond that are removed. */
const MAX_ENTRIES = 200;

const SEEN_ENTRY = versionedEntry<SeenEntry>('json', SEEN_FORMAT, (entry) => Array.isArray(entry.files));

/** The files of dist/ seen (`SeenFiles`), kept beside the check results of `checksDir` (`defaultCacheDir`) in `seen` below it; none without a folder. */
export function seenFilesIn(checksDir: string | undefined): SeenFiles | undefined {
  return checksDir === undefined ? undefined : new SeenFiles(new KeptEntries(path.join(checksDir, 'seen'), SEEN_ENTRY, MAX_ENTRIES));
}
