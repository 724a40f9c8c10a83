import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { ENVIRONMENTS_DIR, Project } from '../../model/load';
import { compareStrings, didYouMean } from '../../model/spec-error';
import { EnvironmentSpec, isKuma, KumaMeshSpec } from '../../model/spec';
import { readYamlDocuments } from '../dist/fast-yaml';
import { checkoutFolder, git, GitError } from './git';

/** A Kuma resource in kumactl's universal format, as rendered under `dist/<env>/konnect/`. */
export interface KumactlObject {
  readonly type: string;
  readonly name: string;
  /** The mesh of a mesh-scoped resource; the Mesh itself has none. */
  readonly mesh?: string;
}

/** What `meshflip konnect apply` does for one environment. */
export interface KonnectPlan {
  readonly environment: string;
  readonly region: string;
  readonly controlPlaneId: string;
  /** The kumactl API-server address of the environment's Konnect-hosted global control plane. */
  readonly address: string;
  /** Repository paths of the files to apply, the Mesh first: policies name a mesh that must exist. */
  readonly files: readonly string[];
  /** Objects rendered at the prune base and no longer rendered: deleted after the apply. */
  readonly prune: readonly KumactlObject[];
  /** Why something rendered at the prune base is not deleted. */
  readonly notPruned: readonly string[];
}

/** A user-facing reason the plan cannot be made (unknown environment, nothing rendered). */
export class KonnectPlanError extends Error {
  constructor(
    message: string,
    public readonly hint?: string,
  ) {
    super(message);
    this.name = 'KonnectPlanError';
  }
}

/**
 * kumactl's TYPE argument for `kumactl delete` of a resource type. Legacy policies have a
 * hyphenated name (kumahq/kuma 2.5.1 and v2.14.3 pkg/core/resources/apis/mesh, KumactlArg); the
 * targetRef policies are the lower-cased type (pkg/plugins/policies/<policy>, KumactlArg).
 */
const LEGACY_KUMACTL_ARG: Readonly<Record<string, string>> = {
  CircuitBreaker: 'circuit-breaker',
  FaultInjection: 'fault-injection',
  HealthCheck: 'healthcheck',
  ProxyTemplate: 'proxytemplate',
  RateLimit: 'rate-limit',
  Retry: 'retry',
  Timeout: 'timeout',
  TrafficLog: 'traffic-log',
  TrafficPermission: 'traffic-permission',
  TrafficRoute: 'traffic-route',
  TrafficTrace: 'traffic-trace',
};

/** kumactl's TYPE argument for `type`, or undefined when meshflip does not know it. */
export function kumactlArg(type: string): string | undefined {
  return LEGACY_KUMACTL_ARG[type] ?? (/^Mesh[A-Z][A-Za-z]+$/.test(type) ? type.toLowerCase() : undefined);
}

/**
 * The address kumactl uses for a Konnect-hosted global control plane: the Mesh control-planes API
 * of the region, with the control plane's `/api` (the same kuma-cp HTTP API as a self-hosted global).
 */
export function konnectAddress(region: string, controlPlaneId: string): string {
  return `https://${region}.api.konghq.com/v1/mesh/control-planes/${controlPlaneId}/api`;
}

/** The objects of kumactl files, in file order. */
export function kumactlObjects(texts: readonly string[]): KumactlObject[] {
  const out: KumactlObject[] = [];
  for (const text of texts) {
    for (const document of readYamlDocuments(text).documents) {
      const value = document as { type?: unknown; name?: unknown; mesh?: unknown } | null;
      if (value !== null && typeof value === 'object' && typeof value.type === 'string' && typeof value.name === 'string') {
        out.push({ type: value.type, name: value.name, ...(typeof value.mesh === 'string' ? { mesh: value.mesh } : {}) });
      }
    }
  }
  return out;
}

const objectKey = (o: KumactlObject) => `${o.type}\u0000${o.mesh ?? ''}\u0000${o.name}`;

/** The `*.kumactl.yaml` files of a folder, the one holding the Mesh first, then by name. */
function kumactlFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  const names = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.kumactl.yaml'))
    .sort(compareStrings);
  return [...names.filter((f) => f === 'mesh.kumactl.yaml'), ...names.filter((f) => f !== 'mesh.kumactl.yaml')];
}

/** The Konnect region and control plane an environment file declared at `ref`, if any. */
function konnectAt(root: string, ref: string, environment: string): { region?: unknown; controlPlaneId?: unknown } | undefined {
  try {
    const text = git(root, ['show', `${ref}:${ENVIRONMENTS_DIR}/${environment}.yaml`]);
    const doc = parseYaml(text, { maxAliasCount: 100 }) as {
      mesh?: { global?: { konnect?: { region?: unknown; controlPlaneId?: unknown } } };
    } | null;
    return doc?.mesh?.global?.konnect;
  } catch (e) {
    if (e instanceof GitError || (e instanceof Error && e.name.startsWith('YAML'))) {
      return undefined;
    }
    throw e;
  }
}

/** The environments whose global control plane is hosted in Konnect. */
export function konnectEnvironments(project: Project): EnvironmentSpec[] {
  return project.environments.filter((e) => isKuma(e.mesh) && e.mesh.global.kind === 'konnect');
}

/** Options for `planKonnectApply`. */
export interface KonnectPlanOptions {
  /** Only these environments. @default - every environment with a Konnect-hosted global control plane */
  readonly environments?: readonly string[];
  /**
   * A git revision whose `dist/<env>/konnect/` was applied before: what it rendered and the
   * working tree no longer does is deleted, when that is safe.
   *
   * @default - nothing is deleted
   */
  readonly pruneSince?: string;
}

/**
 * What to apply to each Konnect-hosted global control plane: exactly the files under
 * `dist/<env>/konnect/`, and (with `pruneSince`) which objects to delete. A Mesh is never deleted
 * (that would delete every policy and data plane of it), nor anything when the environment was
 * added, removed or moved to another control plane since the base.
 */
export function planKonnectApply(project: Project, options: KonnectPlanOptions = {}): KonnectPlan[] {
  const candidates = konnectEnvironments(project);
  const names = candidates.map((e) => e.name);
  for (const wanted of options.environments ?? []) {
    if (!names.includes(wanted)) {
      const known = project.environments.some((e) => e.name === wanted);
      throw new KonnectPlanError(
        known ? `environment "${wanted}" has no Konnect-hosted global control plane` : `no environment "${wanted}"`,
        known
          ? `Konnect environments: ${names.join(', ') || 'none'}`
          : (didYouMean(
              wanted,
              project.environments.map((e) => e.name),
            ) ?? `Konnect environments: ${names.join(', ') || 'none'}`),
      );
    }
  }
  const selected =
    options.environments === undefined || options.environments.length === 0
      ? candidates
      : candidates.filter((e) => options.environments!.includes(e.name));
  const distPath = project.settings.distPath;
  const base = options.pruneSince === undefined ? undefined : checkoutFolder(project.root, options.pruneSince, distPath);
  try {
    return selected.map((env) => {
      const global = (env.mesh as KumaMeshSpec).global as Extract<KumaMeshSpec['global'], { kind: 'konnect' }>;
      const folder = `${distPath}/${env.name}/konnect`;
      const files = kumactlFiles(path.join(project.root, folder));
      if (files.length === 0) {
        throw new KonnectPlanError(`nothing rendered for environment ${env.name} in ${folder}/`, 'run npm run synth and commit dist/');
      }
      for (const f of files) {
        const first = fs.readFileSync(path.join(project.root, folder, f), 'utf8').split('\n', 1)[0];
        if (first !== `# Generated from ${ENVIRONMENTS_DIR}/${env.name}.yaml by npm run synth. Do not edit.`) {
          throw new KonnectPlanError(
            `${folder}/${f} was not generated from ${ENVIRONMENTS_DIR}/${env.name}.yaml`,
            'run npm run synth: only what meshflip renders is applied',
          );
        }
      }
      const prune: KumactlObject[] = [];
      const notPruned: string[] = [];
      if (base !== undefined) {
        const baseDir = path.join(base.dir, env.name, 'konnect');
        const before = kumactlObjects(kumactlFiles(baseDir).map((f) => fs.readFileSync(path.join(baseDir, f), 'utf8')));
        const now = new Set(kumactlObjects(files.map((f) => fs.readFileSync(path.join(project.root, folder, f), 'utf8'))).map(objectKey));
        const gone = before.filter((o) => !now.has(objectKey(o)));
        const was = gone.length === 0 ? undefined : konnectAt(project.root, options.pruneSince!, env.name);
        for (const o of gone) {
          const what = `${o.type} ${o.name}${o.mesh === undefined ? '' : ` (mesh ${o.mesh})`}`;
          if (was?.region !== global.region || was?.controlPlaneId !== global.controlPlaneId) {
            notPruned.push(`${what}: the environment used another Konnect control plane (or none) at ${options.pruneSince}; delete it there by hand`);
          } else if (o.type === 'Mesh') {
            notPruned.push(`${what}: deleting a Mesh deletes every policy and data plane in it; delete it by hand if that is meant`);
          } else if (kumactlArg(o.type) === undefined || o.mesh === undefined) {
            notPruned.push(`${what}: meshflip does not know how kumactl deletes this type; delete it by hand`);
          } else {
            prune.push(o);
          }
        }
      }
      return {
        environment: env.name,
        region: global.region,
        controlPlaneId: global.controlPlaneId,
        address: konnectAddress(global.region, global.controlPlaneId),
        files: files.map((f) => `${folder}/${f}`),
        prune,
        notPruned,
      };
    });
  } finally {
    base?.remove();
  }
}

/** How `runKonnectPlan` runs kumactl and reports. */
export interface KonnectRunOptions {
  readonly root: string;
  /** The Konnect access token; only passed to kumactl, never printed. Unused with `dryRun`. */
  readonly token?: string;
  /** `kumactl apply --dry-run`: parse and print, contact nothing, delete nothing. */
  readonly dryRun: boolean;
  /** @default 'kumactl' from PATH */
  readonly kumactl?: string;
  readonly log: (line: string) => void;
  readonly logError: (line: string) => void;
}

/** The result per environment: whether every kumactl call succeeded. */
export interface KonnectRunResult {
  readonly environment: string;
  readonly ok: boolean;
}

/**
 * Runs the plans with kumactl, each against its own control plane, from a kumactl configuration
 * in a private temporary folder (`--config-file`), so neither the user's ~/.kumactl nor the
 * repository ever holds the token. Per environment: `config control-planes add` (kumactl checks
 * it can reach the control plane), `apply -f` of each file (the Mesh first), then `delete` of
 * what was pruned; a failed step stops that environment. Flags as in kumahq/kuma 2.5.1 and
 * v2.14.3 app/kumactl/cmd/config/config_control_planes_add.go, cmd/apply/apply.go, cmd/delete/delete.go.
 */
export function runKonnectPlan(plans: readonly KonnectPlan[], options: KonnectRunOptions): KonnectRunResult[] {
  const kumactl = options.kumactl ?? 'kumactl';
  const token = options.token ?? '';
  const mask = (text: string) => (token === '' ? text : text.split(token).join('***'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'meshflip-kumactl-'));
  fs.chmodSync(dir, 0o700);
  const results: KonnectRunResult[] = [];
  try {
    for (const plan of plans) {
      const config = path.join(dir, `${plan.environment}.config`);
      const run = (args: string[], tolerate?: RegExp): boolean => {
        const full = [...args, '--config-file', config];
        options.log(`$ ${mask(['kumactl', ...full].join(' '))}`);
        const result = spawnSync(kumactl, full, { cwd: options.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        if (result.error !== undefined) {
          options.logError(`kumactl could not be run: ${mask(result.error.message)}`);
          return false;
        }
        for (const line of `${result.stdout}`.split('\n').filter((l) => l !== '')) {
          options.log(`  ${mask(line)}`);
        }
        const stderr = `${result.stderr}`.split('\n').filter((l) => l !== '');
        if (result.status !== 0 && tolerate !== undefined && stderr.some((l) => tolerate.test(l))) {
          options.log(`  ${mask(stderr.join(' '))} (already gone)`);
          return true;
        }
        for (const line of stderr) {
          (result.status === 0 ? options.log : options.logError)(`  ${mask(line)}`);
        }
        return result.status === 0;
      };
      options.log(`${plan.environment}: Konnect control plane ${plan.controlPlaneId} (${plan.region})${options.dryRun ? ', dry run' : ''}`);
      let ok = true;
      if (!options.dryRun) {
        ok = run([
          'config',
          'control-planes',
          'add',
          '--name',
          `konnect-${plan.environment}`,
          '--address',
          plan.address,
          '--auth-type',
          'tokens',
          '--auth-conf',
          `token=${token}`,
          '--overwrite',
        ]);
      }
      for (const file of plan.files) {
        ok = ok && run(['apply', ...(options.dryRun ? ['--dry-run'] : []), '-f', file]);
      }
      for (const o of plan.prune) {
        if (options.dryRun) {
          options.log(`would delete ${o.type} ${o.name} (mesh ${o.mesh})`);
        } else {
          // kumactl says "there is no <Type> with name ..." for an object already deleted.
          ok = ok && run(['delete', kumactlArg(o.type)!, o.name, '--mesh', o.mesh!], /^Error: there is no /);
        }
      }
      for (const note of plan.notPruned) {
        options.logError(`  not deleted: ${note}`);
      }
      if (!ok) {
        options.logError(`${plan.environment}: stopped; what follows the failed step was not applied`);
      }
      results.push({ environment: plan.environment, ok });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
