import { Construct } from 'constructs';
import * as kplus from 'cdk8s-plus-28';
import { meshFor } from '../meshes';
import { commonLabels, IEnvironmentScope, IMesh, KEEP_DATA, setWave, SYNC_OPTIONS_ANNOTATION, TargetFormat, Wave } from '../meshes/mesh';
import { EnvironmentSpec, ServiceSpec } from '../model/spec';
import { groupBy } from '../model/group-by';
import { ServiceScopes } from '../model/service-scope';
import { compareStrings } from '../model/spec-error';
import { constructId } from './construct-id';
import { ManifestChart, RenderedDocuments } from './manifest-chart';
import { MeshService } from './mesh-service';
import { MountebankMock } from './mountebank-mock';

/** Properties for `MeshEnvironment`. */
export interface MeshEnvironmentProps {
  readonly env: EnvironmentSpec;
  /**
   * Render the files of these services only, with every file of the environment as a whole: what
   * an edit of their own entries changes (`editedServices`).
   *
   * @default - every service
   */
  readonly only?: ReadonlySet<string>;
}

/**
 * Everything one environment renders under `dist/<env>/`: per target folder, its namespaces,
 * workloads, mocks, routing and permission policies and control plane objects.
 *
 * Each service is rendered within its own scope (`ServiceScopes`): it sees only its own routing,
 * faults and policies, and writes only files named after it (`<service>` or `<service>.<kind>`).
 * Every other file belongs to the environment as a whole. A file may be written by both a service
 * and the environment (a service named like an environment file): `owners` says who wrote each.
 */
export class MeshEnvironment extends Construct implements IEnvironmentScope {
  public readonly env: EnvironmentSpec;
  public readonly mesh: IMesh;
  private readonly targets = new Map<string, Construct>();
  private readonly charts = new Map<string, ManifestChart>();
  private readonly documents = new Map<string, RenderedDocuments>();
  private readonly scopes: ServiceScopes;
  private readonly writers = new Map<string, Set<string | undefined>>();

  constructor(scope: Construct, id: string, props: MeshEnvironmentProps) {
    super(scope, id);
    this.scopes = new ServiceScopes(props.env);
    const env = this.scopes.env;
    this.env = env;
    this.mesh = meshFor(env);
    for (const target of this.mesh.targets) {
      this.targets.set(target.name, new Construct(this, constructId('Target', target.name)));
    }

    this.mesh.addControlPlane(this);
    this.addNamespaces();
    const callers = callersOf(env);
    for (const service of env.services) {
      if (props.only !== undefined && !props.only.has(service.name)) {
        continue;
      }
      this.scopes.within(service.name, () => {
        const pod = this.mesh.podSettings(service.namespace);
        for (const target of this.mesh.workloadTargets(service)) {
          new MeshService(this.chart(target, service.name), 'Workload', { env, service, mesh: pod });
        }
        if (this.mockDeployed(service)) {
          new MountebankMock(this.chart(this.mesh.mockTarget(service), `${service.name}.mock`), 'Mock', {
            env,
            target: service,
            mesh: pod,
            ownService: this.mesh.mockNeedsOwnService(service),
          });
        }
        this.addPolicies(service, callers);
      });
    }
  }

  /**
   * Who wrote each file, by dist/ path: the services (by name) and `undefined` for the environment
   * as a whole.
   */
  public get owners(): ReadonlyMap<string, ReadonlySet<string | undefined>> {
    return this.writers;
  }

  public chart(target: string, file: string): ManifestChart {
    const key = `${target}/${file}`;
    this.written(file, `${this.env.name}/${key}.k8s.yaml`);
    let chart = this.charts.get(key);
    if (chart === undefined) {
      chart = new ManifestChart(this.target(target), constructId('File', file), {
        path: `${this.env.name}/${key}.k8s.yaml`,
        sources: [this.env.file],
      });
      this.charts.set(key, chart);
    }
    return chart;
  }

  public kumactl(target: string, file: string): RenderedDocuments {
    const key = `${target}/${file}`;
    this.written(file, `${this.env.name}/${key}.kumactl.yaml`);
    let doc = this.documents.get(key);
    if (doc === undefined) {
      doc = new RenderedDocuments(this.target(target), constructId('File', file), {
        path: `${this.env.name}/${key}.kumactl.yaml`,
        sources: [this.env.file],
        header: [`Apply to the global control plane with: kumactl apply -f ${this.env.settings.distPath}/${this.env.name}/${key}.kumactl.yaml`],
      });
      this.documents.set(key, doc);
    }
    return doc;
  }

  /** The charts of this environment, by dist/ path. */
  public manifestCharts(): readonly ManifestChart[] {
    return [...this.charts.values()];
  }

  /** Records who writes `path`; a service writes only files named after it. */
  private written(file: string, path: string): void {
    const service = this.scopes.current;
    if (service !== undefined && file !== service && !file.startsWith(`${service}.`)) {
      throw new Error(`service ${service} wrote ${path}, a file not named after it`);
    }
    const writers = this.writers.get(path) ?? new Set<string | undefined>();
    writers.add(service);
    this.writers.set(path, writers);
  }

  private target(name: string): Construct {
    const target = this.targets.get(name);
    if (target === undefined) {
      throw new Error(`mesh ${this.mesh.flavor} asked for unknown target ${name}`);
    }
    return target;
  }

  private mockDeployed(service: ServiceSpec): boolean {
    return this.env.mocks.enabled && service.mock !== undefined;
  }

  /** One Namespace per workload namespace of each target, labelled for the mesh. */
  private addNamespaces(): void {
    const perTarget = new Map<string, Set<string>>();
    const add = (target: string, namespace: string) => {
      const set = perTarget.get(target) ?? new Set<string>();
      set.add(namespace);
      perTarget.set(target, set);
    };
    for (const service of this.env.services) {
      this.mesh.workloadTargets(service).forEach((t) => add(t, service.namespace));
      if (this.mockDeployed(service)) {
        add(this.mesh.mockTarget(service), service.namespace);
      }
    }
    for (const target of this.mesh.targets) {
      const namespaces = [...(perTarget.get(target.name) ?? [])].sort(compareStrings);
      if (namespaces.length === 0 || target.format !== TargetFormat.KUBERNETES) {
        continue;
      }
      const chart = this.chart(target.name, 'namespaces');
      for (const name of namespaces) {
        const meta = this.mesh.namespaceMetadata(name);
        // Deleting a Namespace deletes its claims whatever their own annotations say: a Namespace
        // that holds a claim is never pruned or deleted by Argo CD either (README: Deleting).
        const holdsClaims = this.env.services.some(
          (s) => s.storage !== undefined && s.namespace === name && this.mesh.workloadTargets(s).includes(target.name),
        );
        const annotations = { ...(meta.annotations ?? {}), ...(holdsClaims ? { [SYNC_OPTIONS_ANNOTATION]: KEEP_DATA } : {}) };
        const ns = new kplus.Namespace(chart, constructId('Namespace', name), {
          metadata: {
            name,
            labels: { ...commonLabels(this.env), ...meta.labels },
            annotations: Object.keys(annotations).length > 0 ? annotations : undefined,
          },
        });
        setWave(ns, Wave.NAMESPACES);
      }
    }
  }

  private addPolicies(service: ServiceSpec, callers: ReadonlyMap<string, ServiceSpec[]>): void {
    const env = this.env;
    // The first of each of the service's own entries.
    const own = this.scopes.entriesOf(service.name);
    const policies = {
      service,
      route: own.routes[0],
      fault: own.faults[0],
      circuitBreaker: own.circuitBreakers[0],
      timeout: own.timeouts[0],
      retry: own.retries[0],
      mockDeployed: this.mockDeployed(service),
    };
    if (policies.route || policies.fault || policies.circuitBreaker || policies.timeout || policies.retry) {
      this.mesh.addServicePolicies(this, policies);
    }
    if (env.trafficPermissions && service.ports.length > 0) {
      this.mesh.addTrafficPermissions(this, service, callers.get(service.name) ?? []);
    }
  }
}

/** The services that call each service, in the order of the environment's services: indexed once rather than searched for every service. */
function callersOf(env: EnvironmentSpec): Map<string, ServiceSpec[]> {
  const calls = env.services.flatMap((caller) => [...new Set(caller.calls)].map((callee) => ({ callee, caller })));
  return new Map([...groupBy(calls, (c) => c.callee)].map(([callee, list]) => [callee, list.map((c) => c.caller)]));
}
