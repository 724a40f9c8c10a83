import * as fs from 'fs';
import * as path from 'path';
import { distFolder, ENVIRONMENTS_DIR, repositoryRootHint } from '../../model/load';
import { didYouMean } from '../../model/spec-error';
import { readDistRouting } from '../../pipeline/routing/routing-reader';
import { seenFilesIn } from '../../pipeline/validate/seen-files-cache';
import { routingCacheIn } from '../../pipeline/validate/routing-cache';
import { defaultCacheDir } from '../../pipeline/validate/check-cache';
import { distEnvironments } from '../../pipeline/dist/read-dist';
import { mermaidGraph, routingJson, routingText } from '../../pipeline/synth/routing-report';
import { recoverInterruptedWrite } from '../../pipeline/dist/write-dist';
import { UsageError } from '../errors';
import { Output } from '../output';
import { defineCommand } from './command';

export const explainCommand = defineCommand({
  name: 'explain',
  args: '<env>|--all [<service>]',
  description: [
    'Prints, for each service, where default and header-carrying traffic go, faults, breakers',
    'and expiry. It reads the rendered mesh objects in dist/, so it shows what the mesh will do,',
    'hand edits included.',
  ],
  options: {
    all: { type: 'boolean', help: 'Every environment' },
    json: { type: 'boolean', help: 'Machine-readable output (README: JSON output)' },
    mermaid: { type: 'boolean', help: 'The call graph as a Mermaid flowchart (mocked calls dashed)' },
    dist: { type: 'string', arg: '<dir>', path: true, help: 'dist/ folder to read (default: repository.path of\nenvironments/meshflip.yaml, dist)' },
  },
  run({ values, positionals, root }, output: Output): number {
    const [envName, service, ...extra] = values.all ? [undefined, ...positionals] : positionals;
    if (extra.length > 0 || (!values.all && envName === undefined)) {
      throw new UsageError('expected an environment name (or --all) and optionally a service', 'meshflip explain kong-perf captains-log');
    }
    if (values.json && values.mermaid) {
      throw new UsageError('--json and --mermaid cannot be combined: each is a whole output of its own', 'pass one of them');
    }
    const distRel = values.dist ?? distFolder(root);
    const distDir = path.resolve(root, distRel);
    recoverInterruptedWrite(distDir);
    const available = distEnvironments(distDir);
    if (available.length === 0) {
      const outside = values.dist === undefined && !fs.existsSync(path.join(root, ENVIRONMENTS_DIR));
      throw new UsageError(`no environment in ${distRel}/`, outside ? repositoryRootHint(root) : 'run npm run synth first');
    }
    // One environment is read alone: its files are all it takes.
    const routings = readDistRouting(
      distDir,
      values.all ? undefined : new Set([envName!]),
      undefined,
      routingCacheIn(defaultCacheDir()),
      seenFilesIn(defaultCacheDir()),
    );
    const selected = values.all
      ? routings.filter((r) => service === undefined || r.services.some((s) => s.name === service))
      : routings.filter((r) => r.name === envName);
    if (selected.length === 0 && !values.all) {
      throw new UsageError(`no environment "${envName}" in dist/`, didYouMean(envName, available) ?? `environments: ${available.join(', ')}`);
    }
    if (service !== undefined && !selected.some((r) => r.services.some((s) => s.name === service))) {
      const scope = values.all ? routings : selected;
      const names = [...new Set(scope.flatMap((r) => r.services.map((s) => s.name)))];
      throw new UsageError(
        `no service "${service}" in ${values.all ? 'any environment' : scope.map((r) => r.name).join(', ')}`,
        didYouMean(service, names) ?? `services: ${names.join(', ')}`,
      );
    }
    const narrowed = selected.map((r) => (service === undefined ? r : { ...r, services: r.services.filter((s) => s.name === service) }));
    if (values.json) {
      output.out(JSON.stringify(routingJson(narrowed), null, 2));
    } else if (values.mermaid) {
      // Several graphs: each opens with a Mermaid comment naming its environment.
      output.out(
        selected
          .map(
            (r) =>
              `${values.all ? `%% ${r.name} (${r.mesh}${r.protected ? ', protected' : ''})\n` : ''}` +
              mermaidGraph(r, service === undefined ? undefined : new Set([service])),
          )
          .join('\n\n'),
      );
    } else {
      output.out(selected.flatMap((r) => routingText(r, service)).join('\n'));
    }
    return 0;
  },
});
