import { parseArgs } from 'util';
import { SpecError } from '../../model/spec-error';
import { synthesizeProject } from '../../pipeline/parallel-synth';
import { resolveOutputFolder } from '../../pipeline/output-folder';
import { resolveCrdsRoot } from '../../pipeline/schema-check';
import { writeDist } from '../../pipeline/write-dist';
import { UsageError } from '../errors';
import { Output, paint, printProblems } from '../output';
import { CommandSpec } from './command';

export const synthCommand: CommandSpec = {
  name: 'synth',
  summary: 'Render every environment into dist/',
  usage: 'meshflip synth [--out <dir>] [--crds <dir>] [--strict] [--jobs N]',
  help: [
    'Reads environments/, checks everything, and renders the Argo CD objects and every',
    'environment\'s manifests into dist/ (or --out). Nothing is written unless everything',
    'succeeds; unchanged files are left as they are; files no longer produced are removed.',
    '',
    'Options:',
    '  --out <dir>   Output folder, a folder of its own inside the repository (default: $CDK8S_OUTDIR,',
    '                else repository.path of environments/meshflip.yaml, dist)',
    '  --crds <dir>  Validate the rendered objects against these schemas first (default: $MESHFLIP_CRDS,',
    '                else environments/crds when it holds anything); nothing is written if they fail',
    '  --strict      With schemas: a kind without a schema is an error',
    '  --jobs N      Render with N worker threads (default: one per core for large projects, else 1)',
  ],
  async run(argv: string[], output: Output): Promise<number> {
    const { values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, crds: { type: 'string' }, strict: { type: 'boolean' }, jobs: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    });
    const root = process.cwd();
    const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) {
      throw new UsageError(`--jobs must be a whole number from 1 to 64, got "${values.jobs}"`, '--jobs 2 renders with two worker threads');
    }
    const override = values.out !== undefined ? { value: values.out, source: '--out' }
      : process.env.CDK8S_OUTDIR !== undefined && process.env.CDK8S_OUTDIR !== '' ? { value: process.env.CDK8S_OUTDIR, source: 'CDK8S_OUTDIR' }
        : undefined;
    const out = resolveOutputFolder(root, override);
    const crdsRoot = resolveCrdsRoot(root, values.crds);
    const result = await synthesizeProject({ root, distRel: out.rel, crdsRoot, strict: values.strict ?? false, jobs });
    const errors = result.problems.filter((p) => p.severity !== 'warning');
    if (errors.length > 0) {
      throw new SpecError(result.problems);
    }
    printProblems(output, result.problems);
    const files = result.files;
    const writeResult = writeDist(out.dir, files, { root });
    const changes = writeResult.added.length + writeResult.changed.length + writeResult.removed.length;
    output.out(`${paint(output, 'green', 'synthesized')} ${result.environments} environments into ${out.rel}/: `
      + `${files.length} files, ${writeResult.added.length} added, ${writeResult.changed.length} changed, ${writeResult.removed.length} removed, ${writeResult.unchanged} unchanged`
      + `${crdsRoot === undefined ? '' : '; every object matches its schema'}`);
    if (changes > 0 && changes <= 40) {
      for (const f of writeResult.added) output.out(`  + ${f}`);
      for (const f of writeResult.changed) output.out(`  ~ ${f}`);
      for (const f of writeResult.removed) output.out(`  - ${f}`);
    }
    return 0;
  },
};
