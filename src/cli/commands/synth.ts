import * as path from 'path';
import { parseArgs } from 'util';
import { loadProject } from '../../model/load';
import { SpecError } from '../../model/spec-error';
import { schemaChecker, resolveCrdsRoot } from '../../pipeline/schema-check';
import { synthesize } from '../../pipeline/synth';
import { findingsToProblems } from '../../pipeline/validate';
import { writeDist } from '../../pipeline/write-dist';
import { Output, paint } from '../output';
import { CommandSpec } from './command';

export const synthCommand: CommandSpec = {
  name: 'synth',
  summary: 'Render every environment into dist/',
  usage: 'meshflip synth [--out <dir>] [--crds <dir>] [--strict]',
  help: [
    'Reads environments/, checks everything, and renders the Argo CD objects and every',
    'environment\'s manifests into dist/ (or --out). Nothing is written unless everything',
    'succeeds; unchanged files are left as they are; files no longer produced are removed.',
    '',
    'Options:',
    '  --out <dir>   Output folder (default: $CDK8S_OUTDIR or dist)',
    '  --crds <dir>  Validate the rendered objects against these schemas first (default: $MESHFLIP_CRDS,',
    '                else environments/crds when it holds anything); nothing is written if they fail',
    '  --strict      With schemas: a kind without a schema is an error',
  ],
  run(argv: string[], output: Output): number {
    const { values } = parseArgs({
      args: argv,
      options: { out: { type: 'string' }, crds: { type: 'string' }, strict: { type: 'boolean' } },
      strict: true,
      allowPositionals: false,
    });
    const root = process.cwd();
    const outDir = path.resolve(root, values.out ?? process.env.CDK8S_OUTDIR ?? 'dist');
    const project = loadProject(root);
    const files = synthesize(project);
    const crds = resolveCrdsRoot(root, values.crds);
    if (crds !== undefined) {
      // Validate what is about to be written; a failure leaves dist/ as it was.
      const objects = files.flatMap((f) => (f.objects ?? []).map((object, i) => ({ file: f.path, object, line: f.lines?.[i] })));
      const problems = findingsToProblems(schemaChecker(crds, values.strict ?? false)(objects), root, path.relative(root, outDir) || '.');
      if (problems.some((p) => p.severity !== 'warning')) {
        throw new SpecError(problems);
      }
    }
    const result = writeDist(outDir, files);
    const changes = result.added.length + result.changed.length + result.removed.length;
    output.out(`${paint(output, 'green', 'synthesized')} ${project.environments.length} environments into ${path.relative(root, outDir) || '.'}/: `
      + `${files.length} files, ${result.added.length} added, ${result.changed.length} changed, ${result.removed.length} removed, ${result.unchanged} unchanged`);
    if (changes > 0 && changes <= 40) {
      for (const f of result.added) output.out(`  + ${f}`);
      for (const f of result.changed) output.out(`  ~ ${f}`);
      for (const f of result.removed) output.out(`  - ${f}`);
    }
    return 0;
  },
};
