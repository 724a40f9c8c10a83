import * as fs from 'fs';
import * as path from 'path';
import * as core from '@actions/core';
import { revertExpired } from '../../model/flip';
import { loadProject } from '../../model/load';
import { escapeUnsafeText } from '../../model/unsafe-text';
import { escapeMarkdown } from '../../pipeline/synth/markdown';
import { synthesize } from '../../pipeline/synth/synth';
import { resolveOutputFolder } from '../../pipeline/dist/output-folder';
import { defaultCacheDir } from '../../pipeline/validate/check-cache';
import { recoverInterruptedWrite, writeDist } from '../../pipeline/dist/write-dist';
import { seenFilesIn } from '../../pipeline/validate/seen-files-cache';
import { writeTextFile } from '../../pipeline/dist/write-files';
import { Output, paint } from '../output';
import { defineCommand } from './command';
import { resolveNow } from './validate';

export const revertExpiredCommand = defineCommand({
  name: 'revert-expired',
  description: [
    'Edits the environment files: expired mock routes go back to real (their line is deleted)',
    'and expired faults are removed; then renders dist/. The scheduled workflow opens a pull',
    'request with the result. In GitHub Actions it sets the output reverted (true/false).',
  ],
  options: {
    now: { type: 'string', arg: '<date-time>', help: 'Pretend it is this time' },
    body: { type: 'string', arg: '<file>', path: true, help: 'Also write a pull-request description listing what was reverted' },
  },
  run({ values, root }, output: Output): number {
    const now = resolveNow(values.now);
    const out = resolveOutputFolder(root);
    recoverInterruptedWrite(out.dir);
    const project = loadProject(root);
    const overrides = new Map<string, string>();
    const lines: string[] = [];
    const bodyLines: string[] = [];
    for (const env of project.environments) {
      const text = fs.readFileSync(path.join(root, env.file), 'utf8');
      const { text: next, reverted } = revertExpired(text, env, now);
      if (reverted.length > 0) {
        overrides.set(env.file, next);
        lines.push(...reverted.map((r) => `- ${escapeUnsafeText(`${env.file}: ${r}`)}`));
        bodyLines.push(...reverted.map((r) => `- ${escapeMarkdown(`${env.file}: ${r}`)}`));
      }
    }
    if (process.env.GITHUB_OUTPUT) {
      core.setOutput('reverted', overrides.size > 0 ? 'true' : 'false');
    }
    if (overrides.size === 0) {
      output.out(`nothing has expired as of ${now.toISOString()}`);
      return 0;
    }
    // Check the reverted files before writing anything.
    const next = loadProject(root, { overrides });
    const files = synthesize(next);
    // The environment files and dist/ together: when dist/ cannot be written, or the run is
    // killed midway, the files stay as they were too (or the next run finishes the write).
    writeDist(out.dir, files, {
      root,
      companions: [...overrides].map(([file, content]) => ({ file: path.join(root, file), content })),
      seen: seenFilesIn(defaultCacheDir()),
    });
    output.out(`${paint(output, 'green', 'reverted')} ${lines.length} expired change${lines.length === 1 ? '' : 's'}:`);
    output.out(lines.join('\n'));
    if (values.body !== undefined) {
      writeTextFile(
        values.body,
        [
          'These flips and faults expired, so meshflip reverted them:',
          '',
          ...bodyLines,
          '',
          `Checked at ${now.toISOString()}. To keep one instead, close this pull request and extend its expiry in a reviewed change.`,
          '',
        ].join('\n'),
      );
    }
    return 0;
  },
});
