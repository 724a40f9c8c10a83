import { changeSinceBase } from '../../pipeline/changes/change-summary';
import { GitError } from '../../pipeline/changes/git';
import { defaultCacheDir } from '../../pipeline/validate/check-cache';
import { routingCacheIn } from '../../pipeline/validate/routing-cache';
import { summaryText } from '../../pipeline/changes/routing-diff';
import { UsageError } from '../errors';
import { changeJson, jsonText } from '../json-output';
import { Output, paint } from '../output';
import { defineCommand } from './command';

export const diffCommand = defineCommand({
  name: 'diff',
  description: [
    'Prints the same routing summary as the pull-request workflow: per environment, each',
    'service whose routing changes (before -> after), faults and breakers added or removed,',
    'expiries, environments that lose (or gain) protected: true, and protected-environment',
    'violations; then, per Argo CD Application, every rendered object added, removed or changed',
    '(faults, breaker limits, timeouts, retries, images, replicas, chart versions, Helm values),',
    'with the values before and after. The base is dist/ as committed at --base; the working',
    'tree is what environments/ renders (environments whose inputs are unchanged since dist/',
    'was written, by dist/<env>/INPUTS.sha256, are read from dist/).',
  ],
  options: {
    base: { type: 'string', arg: '<ref>', help: 'The revision to compare with (default: HEAD)' },
    json: { type: 'boolean', help: 'Print the change as one JSON document on stdout (README: JSON output)' },
  },
  async run({ values, root }, output: Output): Promise<number> {
    let changes;
    try {
      // The routing read back from files kept by their digest (synth and flip keep every
      // environment's): neither side of an environment flipped since the base is parsed again.
      const kept = routingCacheIn(defaultCacheDir());
      changes = await changeSinceBase(
        root,
        values.base ?? 'HEAD',
        undefined,
        kept === undefined ? undefined : (env, _inputs, outputs) => kept.get(env, outputs),
      );
    } catch (e) {
      if (e instanceof GitError) {
        throw new UsageError(e.message, 'pass a branch, tag or commit of this repository with --base');
      }
      throw e;
    }
    const base = values.base ?? 'HEAD';
    if (values.json) {
      output.out(jsonText({ base, environments: changes.map(changeJson) }));
      return changes.some((c) => c.violations.length > 0) ? 1 : 0;
    }
    for (const line of summaryText(changes)) {
      const colored = line.startsWith('  !')
        ? paint(output, 'red', line)
        : line.endsWith('-> mock') || / -> (split|mock)/.test(line)
          ? paint(output, 'yellow', line)
          : line.startsWith('  ')
            ? line
            : paint(output, 'bold', line);
      output.out(colored);
    }
    return changes.some((c) => c.violations.length > 0) ? 1 : 0;
  },
});
