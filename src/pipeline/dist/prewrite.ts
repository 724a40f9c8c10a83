import * as fs from 'fs';
import * as path from 'path';
import { RenderedFile } from './read-dist';
import { contentDigest } from './outputs-digest';
import { FileStat, SeenFiles } from './seen-files';
import { AHEAD_PREFIX, isPlainDistPath, makeStagingFolder, Prewritten, recordedDigests, step, writeAndStat } from './write-dist';

/** Options for `Prewrite`. */
export interface PrewriteOptions {
  /** What lstat said of the files of dist/ when they were last read or written: a file recorded with the digest rendered is not written ahead. */
  readonly seen?: SeenFiles;
  /** Only the files of dist/ this accepts are written ahead (`synth <env>` writes only its environments' files). @default - every file */
  readonly only?: (file: string) => boolean;
}

/**
 * Files of dist/ written ahead, while a synthesis in worker threads still renders the rest: the
 * main thread has nothing else to do then, and the disk works while the workers render. Each new
 * or changed file (one dist/ does not hold, or holds with another digest as `SeenFiles` records it)
 * is written into a folder of its own beside dist/, laid out as dist/; `writeDist` then moves each
 * into the new tree instead of writing it (`WriteOptions.prewritten`), or renames the whole folder
 * into place when it is a new dist/ whole. Nothing in dist/ is touched: until `writeDist` commits,
 * a failed synthesis leaves dist/ exactly as it was, and `discard` removes what was written ahead.
 *
 * A file whose state is not known without reading it (no record) is left to `writeDist`, which
 * compares it. Any failure here (a full disk) stops the writing ahead and removes its folder:
 * `writeDist` then writes every file itself, and reports the failure if it happens again.
 */
export class Prewrite implements Prewritten {
  private readonly dist: string;
  /** Where the copies are written. */
  private folder: string | undefined;
  /** Whether `folder` is this one's to remove (not adopted by a write). */
  private owned = true;
  private stopped = false;
  private readonly copies = new Map<string, { readonly digest: string; readonly stat: FileStat; taken: boolean }>();
  private readonly folders = new Set<string>();
  /** The digest `seen` records for a file of dist/ as lstat sees it now. */
  private readonly recorded: (file: string, stat: FileStat) => string | undefined;

  constructor(
    distDir: string,
    private readonly options: PrewriteOptions = {},
  ) {
    this.dist = path.resolve(distDir);
    this.recorded = recordedDigests(options.seen, this.dist);
  }

  /** Writes ahead those of `files` that are new or changed (see the class). */
  add(files: readonly RenderedFile[]): void {
    if (this.stopped) {
      return;
    }
    try {
      for (const file of files) {
        this.writeAhead(file);
      }
    } catch {
      // writeDist writes what is missing, and says what fails.
      this.discard();
    }
  }

  take(file: string, digest: string): { readonly path: string; readonly stat: FileStat } | undefined {
    const copy = this.copies.get(file);
    if (this.folder === undefined || copy === undefined || copy.taken || copy.digest !== digest) {
      return undefined;
    }
    copy.taken = true;
    return { path: path.join(this.folder, ...file.split('/')), stat: copy.stat };
  }

  adopt(files: readonly { readonly path: string; readonly digest: string }[]): string | undefined {
    const folder = this.folder;
    if (
      folder === undefined ||
      !this.owned ||
      files.length !== this.copies.size ||
      !files.every((f) => {
        const copy = this.copies.get(f.path);
        return copy !== undefined && !copy.taken && copy.digest === f.digest;
      })
    ) {
      return undefined;
    }
    // The copies are where writeDist puts them (`take` gives each in place), and the folder is no
    // longer this one's to remove: no more is written ahead.
    this.stopped = true;
    this.owned = false;
    return folder;
  }

  /** Stops writing ahead and removes what was written and not taken. Never throws: a leftover is removed by the next write (`writeDist`). */
  discard(): void {
    this.stopped = true;
    const folder = this.folder;
    this.folder = undefined;
    if (folder !== undefined && this.owned) {
      try {
        step();
        fs.rmSync(folder, { recursive: true, force: true });
      } catch {
        // left for the next write
      }
    }
  }

  private writeAhead(file: RenderedFile): void {
    // writeDist refuses anything but a plain path (the renderer names none other).
    if (!isPlainDistPath(file.path) || (this.options.only !== undefined && !this.options.only(file.path))) {
      return;
    }
    const digest = contentDigest(file);
    const now = fs.lstatSync(path.join(this.dist, ...file.path.split('/')), { throwIfNoEntry: false });
    if (now !== undefined) {
      // Unchanged, or not known without reading it: writeDist decides.
      const recorded = now.isFile() ? this.recorded(file.path, now) : undefined;
      if (recorded === undefined || recorded === digest) {
        return;
      }
    }
    // Beside dist/, on its file system, so that a rename moves a file into the new tree.
    const folder = (this.folder ??= makeStagingFolder(path.dirname(this.dist), undefined, AHEAD_PREFIX));
    const target = path.join(folder, ...file.path.split('/'));
    const dir = path.dirname(target);
    if (!this.folders.has(dir)) {
      step();
      fs.mkdirSync(dir, { recursive: true });
      this.folders.add(dir);
    }
    step();
    // A folder of this process's own, made fresh: a file is created, never opened through what is there.
    this.copies.set(file.path, { digest, stat: writeAndStat(target, file.content, 'wx'), taken: false });
  }
}
