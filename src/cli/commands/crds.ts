import * as path from 'path';
import * as core from '@actions/core';
import { loadProject } from '../../model/load';
import {
  BUNDLED_MANIFEST,
  checkFetchFolder,
  fetchSchemas,
  readManifest,
  SchemaFetchError,
  setsForProject,
} from '../../pipeline/validate/upstream-schemas';
import { UsageError } from '../errors';
import { Output, paint, paintErr } from '../output';
import { defineCommand } from './command';

export const crdsCommand = defineCommand({
  name: 'crds',
  args: 'fetch',
  description: [
    'Fills a schema folder (kuma/, istio/, kubernetes/, ...) with the upstream CRDs and schemas the',
    "environments' meshes need, from the URLs and sha256 checksums pinned in the manifest. A file",
    'already there with the pinned checksum is kept (a restored cache downloads nothing); a download',
    'whose checksum differs is refused. Then pass the folder to validate or synth with --crds, or set',
    '$MESHFLIP_CRDS to it. In GitHub Actions it sets the output dir.',
  ],
  options: {
    out: { type: 'string', arg: '<dir>', path: true, help: 'The schema folder to fill (default: $MESHFLIP_CRDS)' },
    all: { type: 'boolean', help: 'Every set of the manifest, not only those the environments need (the\ntests need all)' },
    manifest: { type: 'string', arg: '<file>', path: true, help: 'The pinned URLs and checksums (default: the manifest that comes with\nmeshflip)' },
  },
  async run({ values, positionals, root }, output: Output): Promise<number> {
    if (positionals.length !== 1 || positionals[0] !== 'fetch') {
      throw new UsageError(
        `expected the subcommand fetch, got ${positionals.length === 0 ? 'none' : `"${positionals.join(' ')}"`}`,
        'meshflip crds fetch --out <dir>',
      );
    }
    const outFlag = values.out ?? (process.env.MESHFLIP_CRDS === '' ? undefined : process.env.MESHFLIP_CRDS);
    if (outFlag === undefined) {
      throw new UsageError('no folder to fetch into: pass --out <dir> or set $MESHFLIP_CRDS', 'meshflip crds fetch --out ../crds');
    }
    const out = path.resolve(root, outFlag);
    try {
      const manifest = readManifest(values.manifest === undefined ? BUNDLED_MANIFEST : path.resolve(root, values.manifest));
      checkFetchFolder(out);
      const { sets, notes } = values.all ? { sets: manifest.sets.map((s) => s.name), notes: [] } : setsForProject(manifest, loadProject(root));
      for (const note of notes) {
        output.err(`${paintErr(output, 'yellow', 'note')}: ${note}`);
      }
      const report = await fetchSchemas(manifest, sets, out);
      for (const set of report.sets) {
        const cached =
          set.cached === set.files
            ? 'all from the folder'
            : set.cached === 0
              ? 'downloaded'
              : `${set.files - set.cached} downloaded, ${set.cached} from the folder`;
        output.out(`${set.name}/: ${set.files} file${set.files === 1 ? '' : 's'} of ${set.product} (${cached})`);
      }
      for (const file of report.removed) {
        output.out(`removed ${file} (no longer wanted)`);
      }
      const files = report.sets.reduce((sum, s) => sum + s.files, 0);
      output.out(`${paint(output, 'green', 'fetched')} ${files} files in ${report.sets.length} sets to ${out}, every sha256 as pinned`);
      if (process.env.GITHUB_OUTPUT) {
        core.setOutput('dir', out);
      }
      return 0;
    } catch (e) {
      if (e instanceof SchemaFetchError) {
        throw new UsageError(e.message, e.hint);
      }
      throw e;
    }
  },
});
