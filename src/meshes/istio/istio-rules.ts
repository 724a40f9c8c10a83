import { field, RenderedObject, str } from '../effective-routing';
import { doublesSlash } from './istio-names';
import { clusterLocal } from './istio-reader';
import { MOCK_APP, SELECTOR_LABEL } from '../mesh';
import { Rule, RuleLocation } from '../rules';
import { EnvironmentSpec, isKuma, IstioMeshSpec, MeshFlavor, ServiceSpec } from '../../model/spec';

/** Whether `env` runs on OpenShift Service Mesh (2.x or 3.x): OpenShift's admission and OLM apply to both. */
function isOssm(env: EnvironmentSpec): env is EnvironmentSpec & { mesh: IstioMeshSpec } {
  return env.mesh.flavor === MeshFlavor.OPENSHIFT_SERVICE_MESH;
}

/** Whether `env` runs on an Istio mesh (OpenShift Service Mesh or upstream Istio). */
function isIstio(env: EnvironmentSpec): env is EnvironmentSpec & { mesh: IstioMeshSpec } {
  return !isKuma(env.mesh);
}

/** Kinds whose `spec.template` is a pod template. */
const POD_OWNERS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** A rendered workload with its pod template. */
interface PodTemplate {
  readonly rendered: RenderedObject;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly spec: Record<string, unknown>;
}

/** Every pod template rendered for the environment. */
function podTemplates(objects: readonly RenderedObject[]): PodTemplate[] {
  return objects
    .filter((o) => POD_OWNERS.has(String(o.object.kind)))
    .map((rendered) => ({
      rendered,
      kind: String(rendered.object.kind),
      name: String(field(rendered.object, 'metadata', 'name')),
      namespace: String(field(rendered.object, 'metadata', 'namespace')),
      labels: (field(rendered.object, 'spec', 'template', 'metadata', 'labels') ?? {}) as Record<string, string>,
      annotations: (field(rendered.object, 'spec', 'template', 'metadata', 'annotations') ?? {}) as Record<string, string>,
      spec: (field(rendered.object, 'spec', 'template', 'spec') ?? {}) as Record<string, unknown>,
    }));
}

/** Whether the OSSM injector adds a sidecar to the pods of `pod` (injection is requested per pod on OSSM 2.x). */
function injected(pod: PodTemplate): boolean {
  return pod.annotations['sidecar.istio.io/inject'] === 'true' || pod.labels['sidecar.istio.io/inject'] === 'true';
}

/**
 * Where the environment declares the workload of `pod`: the mock of a service, the service, or
 * (for anything else) the mesh.
 */
function declaredAt(env: EnvironmentSpec, pod: PodTemplate): RuleLocation {
  const service = env.services.find((s) => s.name === pod.labels[SELECTOR_LABEL] && s.namespace === pod.namespace);
  if (service === undefined) {
    return ['mesh'];
  }
  if (pod.labels.app === MOCK_APP && service.mock !== undefined) {
    return service.mock.origin;
  }
  return service.origin;
}

/**
 * The services of an environment by their cluster-local host (`name.namespace.svc.cluster.local`),
 * the first of each as `find` would: for the rules that look a host up for every route destination.
 */
function servicesByHost(env: EnvironmentSpec): ReadonlyMap<string, ServiceSpec> {
  const byHost = new Map<string, ServiceSpec>();
  for (const s of env.services) {
    const host = `${s.name}.${s.namespace}.svc.cluster.local`;
    if (!byHost.has(host)) {
      byHost.set(host, s);
    }
  }
  return byHost;
}

/** The rendered objects of one kind. */
function objectsOfKind(objects: readonly RenderedObject[], kind: string): RenderedObject[] {
  return objects.filter((o) => o.object.kind === kind);
}

/** `ns/name` of an object. */
function objectRef(o: RenderedObject | PodTemplate): string {
  if ('rendered' in o) {
    return `${o.kind} ${o.namespace}/${o.name}`;
  }
  return `${String(o.object.kind)} ${String(field(o.object, 'metadata', 'namespace'))}/${String(field(o.object, 'metadata', 'name'))}`;
}

/**
 * OSSM 2.x turns `spec.security.identity.type: Kubernetes` (the `base` profile's default) into
 * `global.jwtPolicy: first-party-jwt`; the injection template then mounts no `istio-token`, and
 * pilot-agent reads the pod's own service account token to get its certificate from istiod. A pod
 * with `automountServiceAccountToken: false` has no such file: istio-proxy never becomes ready.
 * OSSM 3 has no such choice (no ServiceMeshControlPlane; its Istio CRD documents
 * `values.global.jwtPolicy` as "deprecated and has no effect"): the rule is about 2.x only.
 */
export const SIDECAR_WITHOUT_TOKEN: Rule = {
  code: 'MF2001',
  level: 'error',
  title: 'a sidecar with no service account token gets no certificate',
  upstream:
    'maistra/istio-operator maistra-2.5 pkg/apis/maistra/conversion/security.go (populateSecurityValues: identity type to global.jwtPolicy); ' +
    'resources/helm/v2.5/istio-control/istio-discovery/files/injection-template.yaml (istio-token only for third-party-jwt); ' +
    'resources/smcp-templates/v2.5/base (identity.type: Kubernetes); ' +
    'istio/istio release-1.18 pilot/cmd/pilot-agent/options/security.go (SetupSecurityOptions: first-party-jwt reads the service account token file)',
  check({ env, objects }, report) {
    if (!isOssm(env)) {
      return;
    }
    const [smcp] = objectsOfKind(objects, 'ServiceMeshControlPlane');
    if (smcp === undefined) {
      return;
    }
    const identity = str(smcp.object, 'spec', 'security', 'identity', 'type') ?? 'Kubernetes';
    if (identity === 'ThirdParty') {
      return;
    }
    const accounts = new Map(
      objectsOfKind(objects, 'ServiceAccount').map((o) => [
        `${String(field(o.object, 'metadata', 'namespace'))}/${String(field(o.object, 'metadata', 'name'))}`,
        o.object.automountServiceAccountToken,
      ]),
    );
    for (const pod of podTemplates(objects).filter(injected)) {
      const account = str(pod.spec, 'serviceAccountName') ?? 'default';
      const automount = pod.spec.automountServiceAccountToken ?? accounts.get(`${pod.namespace}/${account}`) ?? true;
      if (automount === false) {
        report(
          declaredAt(env, pod),
          `${objectRef(pod)} gets no sidecar certificate on ${env.mesh.flavor} ${env.mesh.version}: with the control plane's identity type ${identity} (first-party JWT) ` +
            "pilot-agent authenticates to istiod with the pod's service account token, which automountServiceAccountToken: false leaves out, " +
            'so istio-proxy and the pod never become ready',
          'render security.identity.type: ThirdParty in the ServiceMeshControlPlane (the injector then mounts a projected istio-token), or mount the service account token',
        );
      }
    }
  },
};

/** Security context fields whose value `restricted-v2` takes from the namespace's range, refusing any other. */
const RANGE_FIELDS = ['runAsUser', 'fsGroup'] as const;

/**
 * OpenShift admits pods of ordinary service accounts with the `restricted-v2` SCC, whose
 * `MustRunAsRange` user and `MustRunAs` fsGroup strategies take both from the namespace's
 * `openshift.io/sa.scc.uid-range` and refuse any other value: a pinned UID (the Mountebank image's
 * 1000, say) means the ReplicaSet never creates a pod. The range is assigned when the namespace is
 * created, so no value written in advance is safe.
 */
export const PINNED_UID: Rule = {
  code: 'MF2002',
  level: 'error',
  title: 'a pinned UID or fsGroup that restricted-v2 refuses',
  upstream:
    'openshift/apiserver-library-go pkg/securitycontextconstraints/user/mustrunasrange.go and group/mustrunas.go (Validate); ' +
    'OpenShift 4 "Managing security context constraints" (restricted-v2: MustRunAsRange)',
  check({ env, objects }, report) {
    if (!isOssm(env)) {
      return;
    }
    for (const pod of podTemplates(objects)) {
      const contexts: [string, unknown][] = [
        ['pod', pod.spec.securityContext],
        ...((pod.spec.containers ?? []) as Record<string, unknown>[]).map((c): [string, unknown] => [
          `container ${String(c.name)}`,
          c.securityContext,
        ]),
      ];
      for (const [where, context] of contexts) {
        for (const key of RANGE_FIELDS) {
          const value = field(context, key);
          if (value === undefined) {
            continue;
          }
          const service = env.services.find((s) => s.name === pod.labels[SELECTOR_LABEL] && s.namespace === pod.namespace);
          const own = service !== undefined && pod.labels.app !== MOCK_APP && service.securityContext[key] !== undefined;
          report(
            own ? { file: service.definedIn.file, path: [...service.definedIn.path, 'securityContext', key] } : declaredAt(env, pod),
            `${objectRef(pod)} sets ${key}: ${JSON.stringify(value)} (${where}), which OpenShift's restricted-v2 SCC refuses: it admits only the namespace's range, ` +
              'assigned when the namespace is created, so no pod is ever created',
            own ? `remove ${key}: OpenShift assigns it from the namespace's range` : `render no ${key} on OpenShift: the SCC assigns it`,
          );
        }
      }
    }
  },
};

/**
 * `tracing.type: Jaeger` makes the OSSM 2.x operator render a Jaeger CR, which needs the Jaeger
 * operator (`jaeger-product`); Red Hat removed it from the `redhat-operators` catalog on
 * 2025-11-03, so its Subscription never resolves. The tracing chart is rendered in the same step
 * as the ingress and egress gateways and Grafana, and the reconciler stops at the first failing
 * step: no gateway and no Kiali.
 */
export const JAEGER_WITHOUT_OPERATOR: Rule = {
  code: 'MF2003',
  level: 'error',
  title: 'Jaeger tracing needs an operator the Red Hat catalog no longer has',
  upstream:
    'maistra/istio-operator maistra-2.5 pkg/controller/versions/strategy_v2_5.go (v2_5ChartOrder: tracing with the gateways and Grafana), ' +
    'pkg/controller/servicemesh/controlplane/reconciler.go; Red Hat OpenShift distributed tracing release notes (Jaeger removed from redhat-operators on 2025-11-03)',
  check({ env }, report) {
    if (!isOssm(env) || env.mesh.smcp?.tracing.type !== 'Jaeger' || env.mesh.operators?.jaeger.source !== 'redhat-operators') {
      return;
    }
    report(
      ['mesh', 'controlPlane', 'tracing', 'type'],
      'needs the Jaeger operator (jaeger-product), which the redhat-operators catalog no longer has since 2025-11-03: the control plane stops at its Jaeger step, ' +
        'before the ingress and egress gateways, Grafana and Kiali',
      'remove tracing.type (None is the default), or subscribe jaeger from a catalog that still has it (mesh.operators.jaeger.source)',
    );
  },
};

/**
 * A VirtualService destination without a port is only unambiguous when the Service has one port;
 * `istioctl analyze` reports IST0112 (VirtualServiceDestinationPortSelectorRequired, an error)
 * otherwise. It counts every port of the Service, TCP ones included.
 */
export const DESTINATION_WITHOUT_PORT: Rule = {
  code: 'MF2004',
  level: 'error',
  title: 'a route destination without a port, to a Service with several',
  upstream: 'istio/istio release-1.18 pkg/config/analysis/analyzers/virtualservice/destinationhosts.go (checkServiceEntryPorts)',
  istioCode: 'IST0112',
  check({ env, objects }, report) {
    if (!isIstio(env)) {
      return;
    }
    const byHost = servicesByHost(env);
    for (const vs of objectsOfKind(objects, 'VirtualService')) {
      const namespace = String(field(vs.object, 'metadata', 'namespace'));
      const seen = new Set<string>();
      for (const route of (field(vs.object, 'spec', 'http') ?? []) as unknown[]) {
        for (const target of (field(route, 'route') ?? []) as unknown[]) {
          const host = String(field(target, 'destination', 'host'));
          const service = byHost.get(clusterLocal(host, namespace));
          if (service === undefined || service.ports.length < 2 || field(target, 'destination', 'port') !== undefined || seen.has(host)) {
            continue;
          }
          seen.add(host);
          report(
            { file: service.definedIn.file, path: [...service.definedIn.path, 'ports'] },
            `${objectRef(vs)} routes to ${host} without a port, but the Service has ${service.ports.length} (${service.ports.map((p) => p.port).join(', ')}): ` +
              'istioctl analyze reports it as an error, and which port the traffic reaches is not defined by the route',
            'give every destination of the host a port (route each port separately, matching it)',
          );
        }
      }
    }
  },
};

/** The Argo CD sync wave of a rendered object. */
function waveOf(o: RenderedObject): number {
  return Number(field(o.object, 'metadata', 'annotations', 'argocd.argoproj.io/sync-wave') ?? 0);
}

/** The dist/ folder (one Argo CD Application) a rendered object is in. */
function folderOf(o: RenderedObject): string {
  return o.file.split('/').slice(0, -1).join('/');
}

/**
 * A route to a subset that no DestinationRule defines fails with 503 (`istioctl analyze`:
 * IST0101). Defined is not enough: Istio's guidance is make-before-break, so the
 * DestinationRule must be applied before the route, in the same Argo CD Application (two
 * Applications sync independently) and in an earlier wave (Argo CD applies a wave only once the
 * one before is healthy).
 */
export const SUBSET_BEFORE_ROUTE: Rule = {
  code: 'MF2005',
  level: 'error',
  title: 'a route to a subset that is not defined before it',
  upstream:
    'istio/istio release-1.18 pkg/config/analysis/analyzers/virtualservice/destinationrules.go (IST0101 for a missing subset); ' +
    'istio.io "Traffic Management Best Practices" (make-before-break: add subsets before routing to them); argoproj/gitops-engine pkg/sync/sync_context.go (waves)',
  istioCode: 'IST0101',
  check({ env, objects }, report) {
    if (!isIstio(env)) {
      return;
    }
    // DestinationRules by host, in the order of the objects; the first routing line of each service.
    const rulesByHost = new Map<string, { dr: RenderedObject; subsets: string[] }[]>();
    for (const dr of objectsOfKind(objects, 'DestinationRule')) {
      const host = clusterLocal(String(field(dr.object, 'spec', 'host')), String(field(dr.object, 'metadata', 'namespace')));
      const rule = { dr, subsets: ((field(dr.object, 'spec', 'subsets') ?? []) as unknown[]).map((x) => String(field(x, 'name'))) };
      const forHost = rulesByHost.get(host);
      if (forHost === undefined) {
        rulesByHost.set(host, [rule]);
      } else {
        forHost.push(rule);
      }
    }
    const byHost = servicesByHost(env);
    const routeOrigins = new Map<string, RuleLocation | undefined>();
    for (const r of env.routes) {
      if (!routeOrigins.has(r.service)) {
        routeOrigins.set(r.service, r.origin);
      }
    }
    for (const vs of objectsOfKind(objects, 'VirtualService')) {
      const namespace = String(field(vs.object, 'metadata', 'namespace'));
      const seen = new Set<string>();
      for (const route of (field(vs.object, 'spec', 'http') ?? []) as unknown[]) {
        for (const target of (field(route, 'route') ?? []) as unknown[]) {
          const subset = str(target, 'destination', 'subset');
          const host = clusterLocal(String(field(target, 'destination', 'host')), namespace);
          const service = byHost.get(host);
          if (subset === undefined || service === undefined || seen.has(`${host} ${subset}`)) {
            continue;
          }
          seen.add(`${host} ${subset}`);
          const where = routeOrigins.get(service.name) ?? service.origin;
          const defining = (rulesByHost.get(host) ?? []).filter((r) => r.subsets.includes(subset));
          if (defining.length === 0) {
            report(
              where,
              `${objectRef(vs)} routes to subset ${subset} of ${host}, which no DestinationRule defines: those requests get 503`,
              'define the subset in the DestinationRule of the host',
            );
          } else if (!defining.some((r) => folderOf(r.dr) === folderOf(vs) && waveOf(r.dr) < waveOf(vs))) {
            const [first] = defining;
            report(
              where,
              `${objectRef(vs)} (${folderOf(vs)}, wave ${waveOf(vs)}) routes to subset ${subset} of ${host}, ` +
                `which ${objectRef(first.dr)} (${folderOf(first.dr)}, wave ${waveOf(first.dr)}) defines only as late or in another Argo CD Application: ` +
                'until it is applied those requests get 503',
              'render the DestinationRule in the same Application as the route, in an earlier sync wave (make-before-break)',
            );
          }
        }
      }
    }
  },
};

/**
 * With Automatic approval OLM installs and upgrades to the head of the channel (`stable` carries
 * the newest 2.x), and without a `startingCSV` the first install is the head too: a protected
 * environment would change its mesh version whenever Red Hat publishes one.
 */
export const UNPINNED_OPERATOR: Rule = {
  code: 'MF2006',
  level: 'error',
  title: 'a protected environment whose operators are not pinned',
  upstream:
    'operator-framework/operator-lifecycle-manager pkg/controller/operators/catalog/operator.go (Subscription: installPlanApproval, startingCSV); ' +
    'OpenShift 4 "Updating installed Operators" (Manual approval)',
  check({ env }, report) {
    if (!isOssm(env) || !env.protected || env.mesh.operators === undefined) {
      return;
    }
    const ops = env.mesh.operators;
    for (const [key, op] of Object.entries(ops)) {
      if (op.enabled && op.approval !== 'Manual') {
        report(
          ['mesh', 'operators', key, 'approval'],
          `lets OLM upgrade the ${key} operator of a protected environment to the head of channel ${op.channel} without approval`,
          'remove approval (Manual is the default in a protected environment)',
        );
      }
    }
    if (ops.serviceMesh.startingCSV === undefined) {
      report(
        ['mesh', 'operators', 'serviceMesh'],
        `lets OLM install the head of channel ${ops.serviceMesh.channel} for a protected environment, not the Service Mesh operator of ${env.mesh.version}`,
        env.mesh.sail === undefined
          ? `set startingCSV to the ClusterServiceVersion to install, e.g. servicemeshoperator.v${env.mesh.version}.4 (oc get packagemanifest servicemeshoperator lists them)`
          : `set startingCSV to the ClusterServiceVersion to install, e.g. servicemeshoperator3.v${env.mesh.version.major}.${env.mesh.version.minor}.1 ` +
              '(oc get packagemanifest servicemeshoperator3 lists them)',
      );
    }
  },
};

/**
 * Istio replaces exactly the matched prefix: `prefix: /inventory` with `rewrite: /` sends
 * `/inventory/x` on as `//x`, which most servers (Mountebank's imposters among them) answer 404.
 */
export const DOUBLE_SLASH_REWRITE: Rule = {
  code: 'MF2007',
  level: 'warning',
  title: 'a prefix rewrite that produces a double slash',
  upstream: 'istio/istio pilot/pkg/networking/core/route/route.go (translateRoute: prefix_rewrite); istio/istio#26828',
  check({ env, objects }, report) {
    if (!isIstio(env)) {
      return;
    }
    for (const vs of objectsOfKind(objects, 'VirtualService')) {
      for (const route of (field(vs.object, 'spec', 'http') ?? []) as unknown[]) {
        const rewrite = field(route, 'rewrite', 'uri');
        const prefixes = ((field(route, 'match') ?? []) as unknown[])
          .map((m) => field(m, 'uri', 'prefix'))
          .filter((p): p is string => typeof p === 'string');
        for (const prefix of prefixes.filter((p) => doublesSlash(p, typeof rewrite === 'string' ? rewrite : undefined))) {
          const host = String(field(route, 'route', 0, 'destination', 'host'));
          const service = env.services.find(
            (x) => clusterLocal(host, String(field(vs.object, 'metadata', 'namespace'))) === `${x.name}.${x.namespace}.svc.cluster.local`,
          );
          const index =
            service?.ingress.findIndex((i) => i.name === field(route, 'name') || `${i.name}-mock-by-header` === field(route, 'name')) ?? -1;
          report(
            service === undefined || index < 0
              ? ['mesh', 'ingress']
              : { file: service.definedIn.file, path: [...service.definedIn.path, 'ingress', index, 'rewrite'] },
            `${objectRef(vs)} rewrites the prefix ${prefix} to ${String(rewrite)}: ${prefix}/x reaches ${host} as ${String(rewrite)}/x, with a double slash`,
            `match the prefix ${prefix}/ (and the exact ${prefix}) instead`,
          );
        }
      }
    }
  },
};

/** The paths a gateway match forwards, after the rewrite: one path, or every path that starts with `value`. */
interface ForwardedPaths {
  readonly kind: 'exact' | 'prefix';
  readonly value: string;
}

/**
 * What a declared ingress match forwards to the service: an exact path rewritten is the rewrite;
 * a prefix rewritten is every path starting with the rewrite (Istio replaces the matched prefix,
 * and meshflip matches a prefix whose rewrite ends in `/` as `<prefix>/` and the exact `<prefix>`,
 * so both arrive under the rewrite).
 */
function forwardedPaths(match: { exact: string } | { prefix: string }, rewrite: string | undefined): ForwardedPaths {
  return 'exact' in match ? { kind: 'exact', value: rewrite ?? match.exact } : { kind: 'prefix', value: rewrite ?? match.prefix };
}

/**
 * Whether one Mountebank predicate can match some request path of `paths`. Mountebank compares
 * case-insensitively unless `caseSensitive` (mountebank src/models/predicates.js); anything this
 * cannot judge (`except`, `jsonpath`, a regular expression against a prefix, other fields) counts
 * as a possible match, so the rule never warns about a path a stub might serve.
 */
function predicateCanMatch(predicate: unknown, paths: ForwardedPaths): boolean {
  if (predicate === null || typeof predicate !== 'object') {
    return true;
  }
  const p = predicate as Record<string, unknown>;
  if (p.except !== undefined || p.jsonpath !== undefined || p.xpath !== undefined) {
    return true;
  }
  if (Array.isArray(p.and)) {
    return p.and.every((q) => predicateCanMatch(q, paths));
  }
  if (Array.isArray(p.or)) {
    return p.or.some((q) => predicateCanMatch(q, paths));
  }
  const fold = p.caseSensitive === true ? (s: string) => s : (s: string) => s.toLowerCase();
  const at = fold(paths.value);
  for (const operator of ['equals', 'deepEquals', 'startsWith', 'endsWith', 'contains', 'matches']) {
    const expected = field(p[operator], 'path');
    if (typeof expected !== 'string') {
      continue;
    }
    const want = fold(expected);
    const exact = paths.kind === 'exact';
    let possible: boolean;
    switch (operator) {
      case 'equals':
      case 'deepEquals':
        possible = exact ? at === want : want.startsWith(at);
        break;
      case 'startsWith':
        possible = exact ? at.startsWith(want) : at.startsWith(want) || want.startsWith(at);
        break;
      case 'endsWith':
        possible = exact ? at.endsWith(want) : true;
        break;
      case 'contains':
        possible = exact ? at.includes(want) : true;
        break;
      default: {
        const literal = fold(anchoredLiteral(expected));
        possible = exact ? regexMatches(expected, paths.value, p.caseSensitive === true) : at.startsWith(literal) || literal.startsWith(at);
      }
    }
    if (!possible) {
      return false;
    }
  }
  return true;
}

/**
 * The text every match of a regular expression anchored with `^` starts with (empty when it is
 * not anchored): its leading plain characters, without the last one when a quantifier may drop it.
 */
function anchoredLiteral(expression: string): string {
  const run = /^\^([^\\.[\]()*+?{}|$^]*)/.exec(expression)?.[1] ?? '';
  return /^[*?{]/.test(expression.slice(1 + run.length)) ? run.slice(0, -1) : run;
}

/** Whether a Mountebank `matches` expression matches `text`; one JavaScript cannot compile may match anything. */
function regexMatches(expression: string, text: string, caseSensitive: boolean): boolean {
  try {
    return new RegExp(expression, caseSensitive ? '' : 'i').test(text);
  } catch {
    return true;
  }
}

/** Whether a stub can answer some path of `paths`: it has no predicates, or every one of them can match. */
function stubCanMatch(stub: unknown, paths: ForwardedPaths): boolean {
  const predicates = field(stub, 'predicates');
  return !Array.isArray(predicates) || predicates.every((p) => predicateCanMatch(p, paths));
}

/**
 * A gateway route to a service with a mock forwards paths to the mock whenever the routing sends
 * gateway traffic there (a flip to the mock, a split or a header). Mountebank answers a request no
 * stub matches with the imposter's `defaultResponse`, an empty 200 unless set: the route then
 * reaches a mock that serves nothing on it, and the empty answer looks like success.
 */
export const GATEWAY_PATH_NOT_MOCKED: Rule = {
  code: 'MF2008',
  level: 'warning',
  title: 'a gateway route to a mocked service forwards paths no imposter stub matches',
  upstream:
    'mountebank src/models/imposter.js and src/models/predicates.js (a request no stub matches gets defaultResponse; predicates are case-insensitive by default); ' +
    'istio/istio pilot/pkg/networking/core/route/route.go (translateRoute: uri match and prefix_rewrite)',
  check({ env }, report) {
    if (!isIstio(env) || env.mesh.ingress === undefined) {
      return;
    }
    for (const service of env.services) {
      if (service.mock === undefined) {
        continue;
      }
      service.ingress.forEach((route, i) => {
        const targetPort = service.ports.find((p) => p.port === route.port)?.targetPort;
        const imposters = service.mock!.imposters.filter((imp) => imp.port === targetPort && imp.protocol !== 'tcp');
        if (imposters.length === 0) {
          return;
        }
        route.match.forEach((match, j) => {
          const paths = forwardedPaths(match, route.rewrite);
          const stubs = imposters.flatMap((imp) => (Array.isArray(imp.document.stubs) ? (imp.document.stubs as unknown[]) : []));
          if (imposters.some((imp) => !Array.isArray(imp.document.stubs)) || stubs.some((s) => stubCanMatch(s, paths))) {
            return;
          }
          const declared = 'exact' in match ? `the path ${match.exact}` : `the paths under ${match.prefix}`;
          const forwarded = paths.kind === 'exact' ? paths.value : `${paths.value}...`;
          report(
            { file: service.definedIn.file, path: [...service.definedIn.path, 'ingress', i, 'match', j, 'exact' in match ? 'exact' : 'prefix'] },
            `gateway route ${route.name} forwards ${declared} to ${service.name} as ${forwarded}, but no stub of its mock's imposters on port ${targetPort} ` +
              `(${[...new Set(imposters.map((imp) => imp.file))].join(', ')}) matches it: when the routing sends gateway traffic to the mock, ` +
              "Mountebank answers with the imposter's defaultResponse (an empty 200 unless set)",
            `add a stub whose predicates match ${forwarded} to the imposter, or route the gateway only to paths the mock serves`,
          );
        });
      });
    }
  },
};

/** The rules of OpenShift Service Mesh and Istio environments. */
export const ISTIO_RULES: readonly Rule[] = [
  SIDECAR_WITHOUT_TOKEN,
  PINNED_UID,
  JAEGER_WITHOUT_OPERATOR,
  DESTINATION_WITHOUT_PORT,
  SUBSET_BEFORE_ROUTE,
  UNPINNED_OPERATOR,
  DOUBLE_SLASH_REWRITE,
  GATEWAY_PATH_NOT_MOCKED,
];
