import { loadProject } from '../../model/load';
import { GitError } from '../../pipeline/changes/git';
import { KonnectPlanError, planKonnectApply, runKonnectPlan } from '../../pipeline/changes/konnect-apply';
import { UsageError } from '../errors';
import { Output, paint } from '../output';
import { defineCommand } from './command';

/** The variable the Konnect access token is read from. */
export const KONNECT_TOKEN_VARIABLE = 'KONNECT_TOKEN';

export const konnectCommand = defineCommand({
  name: 'konnect',
  args: 'apply [<env>...]',
  description: [
    'Applies exactly the files under dist/<env>/konnect/ (the Mesh first, then the policies) with',
    'kumactl apply -f, against the Konnect control plane each environment declares',
    '(mesh.global.konnect.region and controlPlaneId). Argo CD cannot apply them: they are kumactl',
    'resources for a control plane Konnect hosts. Without environments, every Konnect environment.',
    '',
    `The token is read from $${KONNECT_TOKEN_VARIABLE} (a Konnect personal or system account access`,
    'token), never from a file; kumactl keeps it in a private temporary configuration that is',
    "deleted afterwards. kumactl must be Kong Mesh's (it refuses a Kuma control plane otherwise).",
  ],
  options: {
    'dry-run': { type: 'boolean', help: 'kumactl apply --dry-run: check and print the resources, contact nothing' },
    'prune-since': {
      type: 'string',
      arg: '<ref>',
      help: 'Also delete what dist/<env>/konnect/ rendered at <ref> and no longer\nrenders (never a Mesh, never when the environment used another\ncontrol plane at <ref>); a post-merge job passes the pushed-over commit',
    },
  },
  run({ values, positionals, root }, output: Output): number {
    const [action, ...environments] = positionals;
    if (action !== 'apply') {
      throw new UsageError(
        action === undefined ? 'expected a subcommand' : `unknown subcommand "${action}"`,
        'meshflip konnect apply [<env>...] [--dry-run]',
      );
    }
    const dryRun = values['dry-run'] ?? false;
    const token = process.env[KONNECT_TOKEN_VARIABLE];
    if (!dryRun && (token === undefined || token.trim() === '')) {
      throw new UsageError(
        `$${KONNECT_TOKEN_VARIABLE} is not set`,
        `export ${KONNECT_TOKEN_VARIABLE} with a Konnect access token (in GitHub Actions: from a repository secret), or pass --dry-run`,
      );
    }
    if (token !== undefined && /[\s=,]/.test(token.trim())) {
      // kumactl reads --auth-conf as key=value pairs separated by commas.
      throw new UsageError(
        `$${KONNECT_TOKEN_VARIABLE} holds whitespace, "=" or ","; a Konnect token has none`,
        'check the secret the token comes from',
      );
    }
    const project = loadProject(root);
    let plans;
    try {
      plans = planKonnectApply(project, { environments, pruneSince: values['prune-since'] });
    } catch (e) {
      if (e instanceof KonnectPlanError) {
        throw new UsageError(e.message, e.hint);
      }
      if (e instanceof GitError) {
        throw new UsageError(e.message, 'pass a commit of this repository with --prune-since');
      }
      throw e;
    }
    if (plans.length === 0) {
      output.out('no environment has a Konnect-hosted global control plane: nothing to apply');
      return 0;
    }
    const results = runKonnectPlan(plans, {
      root,
      token: token?.trim(),
      dryRun,
      log: (l) => output.out(l),
      logError: (l) => output.err(l),
    });
    const failed = results.filter((r) => !r.ok).map((r) => r.environment);
    if (failed.length > 0) {
      output.err(`${paint(output, 'red', 'error')}: kumactl failed for ${failed.join(', ')}`);
      return 1;
    }
    return 0;
  },
});
