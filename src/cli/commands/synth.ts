import { ENVIRONMENTS_DIR } from '../../model/load';
import { compareStrings, didYouMean, SpecError } from '../../model/spec-error';
import { environmentFiles, SynthesisResult, synthesizeProject } from '../../pipeline/validate/parallel-synth';
import { resolveOutputFolder } from '../../pipeline/dist/output-folder';
import { belongsTo, withOthersAsTheyAre } from '../../pipeline/dist/select-environments';
import { schemaFolder } from '../schema-option';
import { defaultCacheDir } from '../../pipeline/validate/check-cache';
import { defaultParseCache } from '../../pipeline/validate/parse-cache';
import { recoverInterruptedWrite, writeDist, WriteResult } from '../../pipeline/dist/write-dist';
import { Prewrite } from '../../pipeline/dist/prewrite';
import { RenderedFile } from '../../pipeline/dist/read-dist';
import { seenFilesIn } from '../../pipeline/validate/seen-files-cache';
import { UsageError } from '../errors';
import { Output, paint, printProblems } from '../output';
import { defineCommand } from './command';

export const synthCommand = defineCommand({
  name: 'synth',
  args: '[<env>...]',
  description: [
    'Reads environments/, checks everything, and renders the Argo CD objects and every',
    "environment's manifests into dist/ (or --out). Nothing is written unless everything",
    'succeeds; unchanged files are left as they are; files no longer produced are removed.',
    'With environment names, only their files (dist/<env>/ and dist/argocd/<env>.k8s.yaml)',
    'are written; every other file of dist/ is left exactly as it is.',
  ],
  options: {
    out: {
      type: 'string',
      arg: '<dir>',
      path: true,
      help: 'Output folder, a folder of its own inside the repository (default:\n$CDK8S_OUTDIR, else repository.path of environments/meshflip.yaml, dist)',
    },
    crds: {
      type: 'string',
      arg: '<dir>',
      path: true,
      help: 'Validate the rendered objects against these schemas first (default:\n$MESHFLIP_CRDS, else environments/crds when it holds anything);\nnothing is written if they fail',
    },
    strict: { type: 'boolean', help: 'With schemas: a kind without a schema is an error' },
    jobs: { type: 'string', arg: '<N>', help: 'Render with N worker threads (default: one per core for large\nprojects, else 1)' },
  },
  async run({ values, given, positionals, root }, output: Output): Promise<number> {
    const known = environmentFiles(root).map((e) => e.name);
    const unknown = positionals.filter((name) => !known.includes(name));
    if (unknown.length > 0) {
      throw new UsageError(
        `no environment "${unknown[0]}" in ${ENVIRONMENTS_DIR}/`,
        didYouMean(unknown[0], known) ?? `environments: ${known.join(', ')}`,
      );
    }
    const only = positionals.length === 0 ? undefined : new Set(positionals);
    const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
    if (jobs !== undefined && (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)) {
      throw new UsageError(`--jobs must be a whole number from 1 to 64, got "${values.jobs}"`, '--jobs 2 renders with two worker threads');
    }
    const override =
      values.out !== undefined
        ? { value: values.out, source: '--out', shown: given.out }
        : process.env.CDK8S_OUTDIR !== undefined && process.env.CDK8S_OUTDIR !== ''
          ? { value: process.env.CDK8S_OUTDIR, source: 'CDK8S_OUTDIR' }
          : undefined;
    const out = resolveOutputFolder(root, override);
    const crdsRoot = schemaFolder(root, values.crds, values.strict ?? false);
    // A flip killed midway is finished (or undone) before the environment files are read.
    recoverInterruptedWrite(out.dir);
    // What is written is recorded, so that the next command that digests it need not read it.
    const seen = seenFilesIn(defaultCacheDir());
    // While worker threads render, what they have rendered is written ahead, beside dist/.
    const ahead = new Prewrite(out.dir, { seen, ...(only === undefined ? {} : { only: (file: string) => belongsTo(file, only) }) });
    let result: SynthesisResult;
    let files: readonly RenderedFile[];
    let writeResult: WriteResult;
    try {
      result = await synthesizeProject({
        root,
        distRel: out.rel,
        crdsRoot,
        strict: values.strict ?? false,
        jobs,
        cacheDir: defaultCacheDir(),
        parseCache: defaultParseCache(),
        onFiles: (files) => ahead.add(files),
      });
      const errors = result.problems.filter((p) => p.severity !== 'warning');
      if (errors.length > 0) {
        throw new SpecError(result.problems);
      }
      printProblems(output, result.problems);
      files = only === undefined ? result.files : withOthersAsTheyAre(out.dir, result.files, only);
      writeResult = writeDist(out.dir, files, { root, seen, prewritten: ahead });
    } finally {
      ahead.discard();
    }
    const changes = writeResult.added.length + writeResult.changed.length + writeResult.removed.length;
    // With names, the count covers their files only, not the others kept as they are.
    const count = only === undefined ? files.length : result.files.filter((f) => belongsTo(f.path, only)).length;
    const unchanged = count - writeResult.added.length - writeResult.changed.length;
    const rendered = only === undefined ? `${result.environments} environments` : [...only].sort(compareStrings).join(', ');
    output.out(
      `${paint(output, 'green', 'synthesized')} ${rendered} into ${out.rel}/: ` +
        `${count} files, ${writeResult.added.length} added, ${writeResult.changed.length} changed, ${writeResult.removed.length} removed, ${unchanged} unchanged` +
        `${crdsRoot === undefined ? '' : '; every object matches its schema'}`,
    );
    if (changes > 0 && changes <= 40) {
      for (const f of writeResult.added) output.out(`  + ${f}`);
      for (const f of writeResult.changed) output.out(`  ~ ${f}`);
      for (const f of writeResult.removed) output.out(`  - ${f}`);
    }
    return 0;
  },
});
