import * as fs from 'fs';
import * as path from 'path';

/**
 * The files meshflip writes outside dist/ (dist/ itself is `write-dist.ts`): the JSON Schemas of the input files,
 * environment files edited by a command, and the reports a command was asked to write (a pull-request comment or
 * body). The commands in `cli/` decide what to write; this module is where it is written.
 */

/** Writes a text file at `file`, creating the folders it is in. */
export function writeTextFile(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

/**
 * Writes the files of `contents` (file name -> text) into `dir` where they differ from what is there.
 *
 * @returns the names of the files that differed, in the order of `contents`
 */
export function writeChangedFiles(dir: string, contents: Readonly<Record<string, string>>, options: { readonly check?: boolean } = {}): string[] {
  const changed: string[] = [];
  for (const [file, content] of Object.entries(contents)) {
    const target = path.join(dir, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : undefined;
    if (current === content) {
      continue;
    }
    changed.push(file);
    if (options.check !== true) {
      writeTextFile(target, content);
    }
  }
  return changed;
}

/**
 * Makes sure `file` exists and can be written, creating it empty when it does not exist yet (as a GitHub Actions
 * runner creates the files `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` name).
 *
 * @throws the file system error when it cannot be written
 */
export function ensureWritableFile(file: string): void {
  fs.appendFileSync(file, '');
}
