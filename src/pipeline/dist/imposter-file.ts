import * as fs from 'fs';
import * as path from 'path';

/**
 * Writes an imposter file as meshflip reads it (`mock.imposters`): JSON, two-space indented, with a
 * final newline, replaced in one step (a reader never sees half a file).
 */
export function writeImposterFile(file: string, imposter: Record<string, unknown>): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(imposter, null, 2)}\n`);
  fs.renameSync(temporary, file);
}
