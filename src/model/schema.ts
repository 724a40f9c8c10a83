import { z } from 'zod';
import { DURATION, readDuration } from './duration';

/**
 * The input formats of meshflip: the repository settings (`environments/meshflip.yaml`), service
 * catalogues (`environments/catalog/*.yaml`) and environment files (`environments/*.yaml`).
 *
 * These zod schemas are the single source of truth: the loader validates with them, the TypeScript
 * input types are inferred from them and the committed JSON Schemas are generated from them.
 * Defaults are documented here (`default` in the metadata) and resolved once, in `resolve.ts`.
 */

/** A Kubernetes DNS-1035 label: what Service and namespace names must be. */
export const DNS_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_TEXT = 'must be lowercase letters, digits and "-", starting with a letter and ending with a letter or digit';

const name = (description: string, max = 63) => z.string().min(1).max(max).regex(DNS_LABEL, DNS_LABEL_TEXT).meta({ description });

/** Service names become parts of object names such as `<service>-circuit-breaker`, hence the shorter limit. */
const serviceName = name('Service name', 45);

/** A Go / Envoy style duration such as `500ms`, `1s`, `3m`, `1h30m`: whole milliseconds from 1ms, read exactly (`duration.ts`). */
const duration = (description: string) =>
  z
    .string()
    .regex(DURATION, 'must be a duration such as 500ms, 1s, 5m or 1h')
    .superRefine((text, ctx) => {
      const reading = readDuration(text);
      if (!reading.ok && DURATION.test(text)) {
        ctx.addIssue({ code: 'custom', message: reading.message, params: { hint: reading.hint } });
      }
    })
    .meta({ description });

/**
 * A duration in the same grammar that Mountebank reads, not a mesh: `mock.latency` checks it (`mock-latency.ts`),
 * with reasons of its own.
 */
const mockDuration = (description: string) => z.string().regex(DURATION, 'must be a duration such as 500ms, 1s, 5m or 1h').meta({ description });

const percent = (description: string) => z.number().gt(0).max(100).meta({ description });

/** An ISO 8601 date (`2026-12-01`) or UTC date-time (`2026-12-01T18:00:00Z`). */
export const EXPIRY = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2}))?$/;

const expires = z.string().regex(EXPIRY, 'must be a date (2026-12-01) or a date-time with a zone (2026-12-01T18:00:00Z)').meta({
  description: 'When this change should be reverted. `meshflip validate` warns a day before and fails after it; synthesis ignores it.',
});
const reason = z.string().min(1).max(500).meta({ description: 'Why this change was made; rendered into audit annotations and the routing table.' });

const CPU = /^([0-9]+m|[0-9]+(\.[0-9]+)?)$/;
const MEMORY = /^[0-9]+(Mi|Gi|Ti)$/;
const STORAGE = /^[0-9]+(Gi|Ti)$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]+$/;
/** A Kubernetes label or annotation key: an optional DNS subdomain prefix and a name of at most 63 characters. */
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A Kubernetes label value: empty, or at most 63 characters that start and end alphanumeric. */
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const metadataKey = z
  .string()
  .regex(
    QUALIFIED_NAME,
    'must be a Kubernetes key: an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" or "." that start and end with a letter or digit',
  );

// ---------------------------------------------------------------------------------------------
// Settings: environments/meshflip.yaml
// ---------------------------------------------------------------------------------------------

/** A Kubernetes cluster that Argo CD deploys to. */
export const ClusterSchema = z
  .object({
    server: z.url({ protocol: /^https$/, error: 'must be an https:// URL of a Kubernetes API server' }).meta({
      description:
        'API server URL, as registered in Argo CD (`argocd cluster add`). `https://kubernetes.default.svc` is the cluster Argo CD runs in.',
    }),
    description: z.string().optional(),
  })
  .strict();

/** The form in which meshflip prints a secret's fingerprint: sha256: and the first 16 hex digits of the SHA-256 of the secret. */
export const SECRET_FINGERPRINT = /^sha256:[0-9a-f]{16}$/;

/** A deliberate exception to the credential checks: where the value is, or its fingerprint, and why it is no credential. */
export const AllowedSecretSchema = z
  .object({
    file: z.string().min(1).optional().meta({
      description: 'Repository path of the file that holds the value, as meshflip prints it (environments/catalog/shop.yaml). Goes with field.',
    }),
    field: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'The field that holds the value, as meshflip prints it (services.orders.env.API_TOKEN). Goes with file.' }),
    fingerprint: z
      .string()
      .regex(SECRET_FINGERPRINT, 'must be a fingerprint as meshflip prints it: sha256: and 16 hex digits')
      .optional()
      .meta({ description: 'The fingerprint meshflip prints for the value: allows it wherever it appears, without writing it down.' }),
    reason: z
      .string()
      .min(1)
      .max(500)
      .meta({ description: 'Why this is not a credential (or why it may be committed); shown wherever the exception applies.' }),
  })
  .strict()
  .superRefine((entry, ctx) => {
    const byPlace = entry.file !== undefined || entry.field !== undefined;
    if (byPlace && (entry.file === undefined || entry.field === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must give file and field together',
        params: { noGot: true, hint: 'name the file and the field meshflip printed, or give the fingerprint instead' },
      });
    } else if (byPlace === (entry.fingerprint !== undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'must name either file and field, or a fingerprint',
        params: { noGot: true, hint: 'copy them from the problem meshflip printed for the value' },
      });
    }
  });

export const SettingsSchema = z
  .object({
    repository: z
      .object({
        url: z
          .string()
          .regex(/^(https:\/\/|ssh:\/\/|git@)\S+$/, 'must be a git URL (https://..., ssh://... or git@host:org/repo.git)')
          .meta({
            description: 'The git repository Argo CD reads dist/ from: this repository.',
          }),
        revision: z.string().min(1).optional().meta({ description: 'Branch, tag or commit Argo CD tracks.', default: 'main' }),
        path: z
          .string()
          .regex(
            /^(?!\.\.?(\/|$))[A-Za-z0-9._-]+(\/(?!\.\.?(\/|$))[A-Za-z0-9._-]+)*$/,
            'must be a relative path inside the repository such as dist, without . or .. segments',
          )
          .optional()
          .meta({ description: 'Folder of the rendered manifests inside the repository.', default: 'dist' }),
      })
      .strict(),
    argocd: z
      .object({
        namespace: name('Namespace Argo CD runs in (openshift-gitops on OpenShift GitOps).').optional().meta({ default: 'argocd' }),
        cluster: name('The cluster (from `clusters`) that runs Argo CD; Applications and AppProjects are created there.'),
        version: z
          .string()
          .regex(/^[0-9]{1,3}\.[0-9]{1,3}(\.[0-9]{1,3})?$/, 'must be an Argo CD version such as 3.5 or 2.14.3')
          .optional()
          .meta({
            description:
              'The oldest Argo CD version (OpenShift GitOps: the Argo CD version it ships) that runs dist/: meshflip uses only the features it has (README: minimum versions). At least 2.8.',
            default: '2.8',
          }),
      })
      .strict(),
    clusters: z.record(name('Cluster name'), ClusterSchema).meta({ description: 'Every cluster an environment may deploy to, by name.' }),
    allowedSecrets: z.array(AllowedSecretSchema).optional().meta({
      description:
        'Values that look like credentials but are not, each with the reason. Synth, validate and the pull-request summary list every exception in force; one that matches nothing is an error.',
      default: [],
    }),
  })
  .strict()
  .meta({ title: 'meshflip settings', description: 'Repository-wide settings: where Argo CD runs and which clusters exist.' });

// ---------------------------------------------------------------------------------------------
// Services: catalogue entries and environment overrides
// ---------------------------------------------------------------------------------------------

export const PortSchema = z
  .object({
    name: name('Port name; probes and mocks refer to it.', 15),
    port: z.number().int().min(1).max(65535).meta({ description: 'Service port.' }),
    targetPort: z.number().int().min(1).max(65535).optional().meta({ description: 'Container port.', default: 'port' }),
    protocol: z.enum(['http', 'http2', 'grpc', 'tcp']).optional().meta({
      description: 'Application protocol; sets the Service appProtocol, which both meshes use to enable L7 routing.',
      default: 'http',
    }),
  })
  .strict();

const portRef = z.union([z.number().int().min(1).max(65535), name('port name', 15)]);

const ProbeSchema = z
  .object({
    http: z
      .object({ path: z.string().startsWith('/', 'must start with /'), port: portRef })
      .strict()
      .optional(),
    tcp: z.object({ port: portRef }).strict().optional(),
    exec: z
      .object({ command: z.array(z.string()).min(1) })
      .strict()
      .optional(),
    initialDelaySeconds: z.number().int().min(0).max(3600).optional(),
    periodSeconds: z.number().int().min(1).max(3600).optional(),
    timeoutSeconds: z.number().int().min(1).max(3600).optional(),
    failureThreshold: z.number().int().min(1).max(1000).optional(),
  })
  .strict()
  .superRefine((probe, ctx) => {
    const kinds = ['http', 'tcp', 'exec'].filter((k) => probe[k as 'http' | 'tcp' | 'exec'] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'must have exactly one of http, tcp or exec',
        params: { noGot: kinds.length === 0 },
        input: kinds.length === 0 ? undefined : kinds.join(' and '),
      });
    }
  });

const ResourceAmountsSchema = z
  .object({
    cpu: z.string().regex(CPU, 'must be a CPU quantity such as 100m or 0.5').optional(),
    memory: z.string().regex(MEMORY, 'must be a memory quantity in Mi, Gi or Ti, such as 128Mi or 1Gi').optional(),
  })
  .strict();

export const ResourcesSchema = z
  .object({
    requests: ResourceAmountsSchema.optional(),
    limits: ResourceAmountsSchema.optional(),
  })
  .strict()
  .meta({ description: 'CPU and memory requests and limits.', default: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } } });

const keyRef = z.object({ name: name('Object name', 253), key: z.string().min(1).max(253) }).strict();

/** An environment variable: a plain value, or a reference to a key of an existing Secret or ConfigMap. */
export const EnvValueSchema = z
  .union([z.string(), z.object({ secretKeyRef: keyRef }).strict(), z.object({ configMapKeyRef: keyRef }).strict()])
  .meta({
    description: 'A plain string, or {secretKeyRef: {name, key}} / {configMapKeyRef: {name, key}} pointing at an object that exists in the cluster.',
  });

const SecurityContextSchema = z
  .object({
    runAsUser: z
      .number()
      .int()
      .min(0)
      .max(2147483647)
      .optional()
      .meta({ description: 'UID to run as. Leave unset on OpenShift, where the SCC assigns one.' }),
    runAsGroup: z.number().int().min(0).max(2147483647).optional(),
    fsGroup: z.number().int().min(0).max(2147483647).optional(),
    runAsNonRoot: z.boolean().optional().meta({ default: true }),
    readOnlyRootFilesystem: z.boolean().optional().meta({ default: true }),
  })
  .strict()
  .meta({ description: 'Overrides for images that need them; the defaults are non-root, no privilege escalation and a read-only root file system.' });

const StorageSchema = z
  .object({
    size: z.string().regex(STORAGE, 'must be a storage quantity in Gi or Ti, such as 1Gi').meta({ description: 'Requested size.' }),
    mountPath: z.string().startsWith('/', 'must be an absolute path'),
    accessMode: z.enum(['ReadWriteOnce', 'ReadWriteOncePod', 'ReadWriteMany', 'ReadOnlyMany']).optional().meta({ default: 'ReadWriteOnce' }),
    storageClassName: z.string().min(1).optional().meta({ description: 'Storage class; unset uses the cluster default.' }),
  })
  .strict()
  .meta({ description: 'A PersistentVolumeClaim mounted into the container. Argo CD never prunes it.' });

const IngressRouteSchema = z
  .object({
    name: name('Route name, shown in the mesh (Kiali, access logs).'),
    match: z
      .array(
        z.union([
          z.object({ exact: z.string().startsWith('/', 'must start with /') }).strict(),
          z.object({ prefix: z.string().startsWith('/', 'must start with /') }).strict(),
        ]),
      )
      .min(1)
      .meta({ description: 'URI matches; any one of them selects the route.' }),
    rewrite: z.string().startsWith('/', 'must start with /').optional().meta({ description: 'Rewrite the matched URI prefix to this path.' }),
    port: portRef.optional().meta({ description: 'Service port to send to.', default: 'the first port' }),
  })
  .strict();

const MockSchema = z
  .object({
    imposters: z.array(z.string().min(1)).min(1).meta({
      description:
        "Mountebank imposter files (JSON), relative to the file that declares them. Each imposter listens on one of the service's target ports.",
    }),
    replicas: z.number().int().min(1).max(20).optional().meta({ default: 1 }),
    latency: z
      .union([
        mockDuration('A fixed delay added to every response.'),
        z
          .object({ min: mockDuration('Shortest delay.'), max: mockDuration('Longest delay.') })
          .strict()
          .meta({ description: 'A range: responses are delayed by 11 evenly spaced steps from min to max, in turn.' }),
      ])
      .optional()
      .meta({
        description:
          'Latency the mock adds on purpose to every response (Mountebank wait behaviours), so a test measures against a dependency as slow as chosen.',
        default: 'none: the mock answers as fast as it can',
      }),
  })
  .strict()
  .meta({ description: 'The Mountebank mock that can stand in for this service.' });

const serviceFields = {
  description: z.string().optional(),
  image: z.string().min(1).max(512).meta({ description: 'Container image, pinned by tag or digest (never :latest).' }),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional().meta({ default: 'IfNotPresent' }),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  ports: z
    .array(PortSchema)
    .optional()
    .meta({ description: 'Ports the service listens on. A workload without ports is a client only.', default: [] }),
  replicas: z.number().int().min(0).max(1000).optional().meta({ default: 1 }),
  resources: ResourcesSchema.optional(),
  probes: z.object({ readiness: ProbeSchema.optional(), liveness: ProbeSchema.optional(), startup: ProbeSchema.optional() }).strict().optional(),
  env: z.record(z.string().regex(ENV_NAME, 'must be a valid environment variable name'), EnvValueSchema).optional(),
  securityContext: SecurityContextSchema.optional(),
  writablePaths: z
    .array(z.string().startsWith('/', 'must be an absolute path'))
    .optional()
    .meta({
      description: 'Paths that get an emptyDir, so the image can write there with a read-only root file system.',
      default: ['/tmp'],
    }),
  storage: StorageSchema.optional(),
  strategy: z.enum(['RollingUpdate', 'Recreate']).optional().meta({ default: 'RollingUpdate (Recreate when storage is set)' }),
  labels: z
    .record(
      metadataKey,
      z
        .string()
        .regex(
          LABEL_VALUE,
          'must be a Kubernetes label value: at most 63 letters, digits, "-", "_" or "." that start and end with a letter or digit',
        ),
    )
    .optional()
    .meta({ description: 'Extra labels on the workload and its pods.' }),
  annotations: z.record(metadataKey, z.string()).optional().meta({ description: 'Extra annotations on the pod template.' }),
  calls: z.array(name('Name of a service this one calls')).optional().meta({
    description: 'Services this one calls. Drives least-privilege traffic permissions and the call graph.',
    default: [],
  }),
  ingress: z.array(IngressRouteSchema).optional().meta({ description: 'Routes from the mesh ingress gateway to this service (Istio flavors).' }),
  propagates: z
    .array(z.string().min(1).max(128).regex(HEADER_NAME, 'must be a lowercase HTTP header name'))
    .optional()
    .meta({
      description:
        'HTTP headers the application copies from the requests it receives onto the requests it makes. The mesh never does: ' +
        'a header-scoped route of a service this one calls matches only headers listed here (or sent by the gateway or a client).',
      default: [],
    }),
  mock: MockSchema.optional(),
};

/** A full service definition, as written in a catalogue. */
export const CatalogServiceSchema = z
  .object({
    ...serviceFields,
    namespace: name('Namespace the service runs in.').optional().meta({ default: "the environment's namespace" }),
  })
  .strict();

export const CatalogSchema = z
  .object({
    description: z.string().optional(),
    services: z.record(serviceName, CatalogServiceSchema),
  })
  .strict()
  .meta({ title: 'meshflip service catalogue', description: 'Services and their mocks, shared by environments.' });

/**
 * A service in an environment: empty to take the catalogue entry as it is, a set of overrides, or
 * (when no catalogue has it) a full definition.
 */
export const EnvironmentServiceSchema = z.union([
  z.null(),
  z
    .object({
      ...serviceFields,
      namespace: name('Namespace the service runs in.'),
      zones: z.array(name('Zone name')).min(1).meta({ description: 'Kuma zones the service runs in.', default: 'the first zone' }),
    })
    .partial()
    .strict(),
]);

// ---------------------------------------------------------------------------------------------
// Routing overlay
// ---------------------------------------------------------------------------------------------

export const HeaderMatchSchema = z
  .object({
    name: z.string().min(1).max(128).regex(HEADER_NAME, 'must be a lowercase HTTP header name'),
    value: z.string().min(1).max(256),
  })
  .strict()
  .meta({ description: 'Requests carrying this header with this exact value go to the mock.' });

/**
 * Where traffic for one service goes. `mock` and `real` are the short forms; the object form adds a
 * split, a header scope, an expiry and a reason.
 */
export const RouteIntentSchema = z
  .union([
    z.enum(['real', 'mock', 'record']),
    z
      .object({
        to: z.enum(['real', 'mock', 'record']).meta({
          description:
            'real: every request goes to the real service. mock: requests go to the mock (all, a weighted share, or only those with the header). ' +
            'record: every request goes through the mock, which proxies it to the real service and records the answer (fetch it with meshflip mock-record).',
        }),
        weight: z.number().int().min(1).max(100).optional().meta({
          description: 'Percent of default traffic sent to the mock; the rest goes to the real service.',
          default: '100, or 0 when a header is set',
        }),
        header: HeaderMatchSchema.optional(),
        expires: expires.optional(),
        reason: reason.optional(),
      })
      .strict(),
  ])
  .meta({ description: 'real, mock, record, or {to, weight, header, expires, reason}.' });

export const FaultSchema = z
  .object({
    delay: z
      .object({ value: duration('How long to delay.'), percent: percent('Percent of requests delayed.') })
      .strict()
      .optional(),
    abort: z
      .object({ httpStatus: z.number().int().min(200).max(599), percent: percent('Percent of requests aborted.') })
      .strict()
      .optional(),
    expires: expires.optional(),
    reason: reason.optional(),
  })
  .strict()
  .meta({ description: 'Faults injected into requests served by the real service (never the mock).' });

export const CircuitBreakerSchema = z
  .object({
    maxConnections: z.number().int().min(1).max(2147483647).optional(),
    maxPendingRequests: z.number().int().min(1).max(2147483647).optional(),
    maxRequests: z.number().int().min(1).max(2147483647).optional(),
    maxRetries: z.number().int().min(0).max(2147483647).optional(),
    maxRequestsPerConnection: z.number().int().min(1).max(2147483647).optional().meta({ description: 'Istio flavors only.' }),
    outlierDetection: z
      .object({
        consecutive5xxErrors: z.number().int().min(1).max(2147483647),
        interval: duration('How often hosts are checked.').optional(),
        baseEjectionTime: duration('Minimum ejection time.').optional(),
        maxEjectionPercent: z.number().int().min(0).max(100).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .meta({ description: 'Connection limits and outlier detection for calls to the service (real and mock alike).' });

export const TimeoutSchema = z
  .object({
    connect: duration('TCP connect timeout.').optional(),
    request: duration('Whole-request timeout.').optional(),
    idle: duration('Idle connection timeout.').optional(),
  })
  .strict()
  .meta({ description: 'Timeouts for calls to the service.' });

export const RetrySchema = z
  .object({
    attempts: z.number().int().min(1).max(20),
    perTryTimeout: duration('Timeout of each attempt.').optional(),
    on: z
      .array(z.enum(['5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'refused-stream']))
      .min(1)
      .optional()
      .meta({ description: 'Conditions that trigger a retry.', default: ['5xx', 'connect-failure', 'refused-stream'] }),
  })
  .strict()
  .meta({ description: 'Retries for calls to the service.' });

export const RoutingSchema = z
  .object({
    default: RouteIntentSchema.optional().meta({
      description:
        'Where every service that has a mock sends traffic, unless `services` says otherwise. `default: mock` flips the whole environment.',
      default: 'real',
    }),
    services: z.record(name('Service name'), RouteIntentSchema).optional().meta({ description: 'Per-service routing, overriding `default`.' }),
  })
  .strict();

// ---------------------------------------------------------------------------------------------
// Meshes
// ---------------------------------------------------------------------------------------------

const VERSION = /^\d+\.\d+(\.\d+)?$/;
const version = (description: string) => z.string().regex(VERSION, 'must be a version such as 2.14.3 or 2.5').meta({ description });

const ZoneSchema = z
  .object({
    name: name('Zone name, as provisioned on the global control plane.'),
    cluster: name('Cluster (from environments/meshflip.yaml) the zone control plane runs in.'),
    ingress: z.boolean().optional().meta({ description: 'Deploy a zone ingress (needed for cross-zone traffic).', default: true }),
    egress: z.boolean().optional().meta({
      description: 'Deploy a zone egress. Traffic goes through it only when the Mesh sets routing.zoneEgress, which meshflip does not.',
      default: false,
    }),
    tokenSecret: z
      .object({ name: name('Secret name', 253), key: z.string().min(1).optional().meta({ default: 'token' }) })
      .strict()
      .optional()
      .meta({
        description: 'The Secret in the control-plane namespace holding the zone token. Created out of band; never rendered.',
        default: { name: 'cp-token', key: 'token' },
      }),
  })
  .strict();

const SecretKeySchema = (what: string, key: string) =>
  z
    .object({
      name: name('Secret name', 253),
      key: z
        .string()
        .min(1)
        .max(253)
        .regex(/^[-._a-zA-Z0-9]+$/, 'must be a Secret key: letters, digits, "-", "_" and "."')
        .optional()
        .meta({ default: key }),
    })
    .strict()
    .meta({ description: `${what} Created out of band; meshflip renders its name, never its value.` });

/** A base64-encoded PEM certificate: public, so it may be rendered. */
const CA_BUNDLE = /^LS0tLS1CRUdJTi[A-Za-z0-9+/]*={0,2}$/;

const ControlPlaneTlsSchema = z
  .union([
    z
      .object({
        certManager: z
          .object({
            issuer: z
              .object({
                name: name('Issuer or ClusterIssuer name', 253),
                kind: z.enum(['Issuer', 'ClusterIssuer']).optional().meta({ default: 'Issuer' }),
              })
              .strict()
              .optional()
              .meta({ description: 'An existing cert-manager issuer.', default: 'a self-signed Issuer the chart creates' }),
          })
          .strict()
          .meta({
            description: 'cert-manager issues the certificate and injects its CA into the webhooks (chart 2.13+; cert-manager must be installed).',
          }),
      })
      .strict(),
    z
      .object({
        secret: z
          .object({
            name: name(
              'Name of a kubernetes.io/tls Secret (tls.crt, tls.key, ca.crt) in the control-plane namespace of every control-plane cluster.',
              253,
            ),
            caBundle: z
              .string()
              .regex(CA_BUNDLE, 'must be the base64 of a PEM CA certificate (base64 -w0 ca.crt), which starts with LS0tLS1CRUdJTi')
              .meta({ description: 'The CA certificate that signed it, base64-encoded (public; rendered into the webhooks).' }),
          })
          .strict(),
      })
      .strict(),
  ])
  .meta({
    description:
      "Certificate of the control planes' webhooks and API. Without one the chart generates a new CA on every `helm template`, as Argo CD renders it, so the control planes never stay in sync.",
    default: 'certManager with a self-signed issuer from chart 2.13 on; required before',
  });

const KumaMeshSchema = z
  .object({
    flavor: z.enum(['kong-mesh', 'kuma']).meta({ description: 'Kong Mesh or Kuma.' }),
    version: version('Kong Mesh / Kuma version of the control planes, e.g. 2.14.3. Selects policy kinds and chart version.'),
    name: name('Name of the Kuma mesh.').optional().meta({ default: 'default' }),
    policies: z.enum(['targetRef', 'legacy']).optional().meta({
      description:
        'Policy generation: targetRef (MeshHTTPRoute, MeshFaultInjection, ...) or legacy (TrafficRoute, FaultInjection, ...; removed in 3.0).',
      default: 'targetRef from 2.6 on, legacy before',
    }),
    placement: z.enum(['global', 'zone']).optional().meta({
      description: 'Where targetRef policies are created: on the global control plane, or on each zone with kuma.io/origin: zone (2.6+).',
      default: 'zone with a Konnect global control plane, global with a self-hosted one',
    }),
    mtls: z
      .object({
        backend: name('Name of the builtin CA backend.').optional().meta({ default: 'ca-1' }),
        certificateRotation: z
          .string()
          .regex(/^[0-9]+[smhd]$/, 'must be a lifetime such as 1d or 12h')
          .optional()
          .meta({ description: 'Data plane certificate lifetime.', default: '1d' }),
        caExpiration: z
          .string()
          .regex(/^[0-9]+[smhdy]$/, 'must be a lifetime such as 10y or 365d')
          .optional()
          .meta({ default: '10y' }),
        caRsaBits: z
          .union([z.literal(2048), z.literal(3072), z.literal(4096)])
          .optional()
          .meta({ default: 2048 }),
      })
      .strict()
      .optional()
      .meta({ description: 'The builtin CA mTLS backend. mTLS is always on.' }),
    global: z
      .union([
        z
          .object({
            konnect: z
              .object({
                region: z.enum(['us', 'eu', 'au', 'me', 'in']).meta({ description: 'Konnect region.' }),
                controlPlaneId: z
                  .string()
                  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, 'must be a Konnect control plane id (a UUID)'),
              })
              .strict(),
          })
          .strict(),
        z
          .object({
            selfHosted: z
              .object({
                cluster: name('Cluster the global control plane runs in.'),
                kdsAddress: z
                  .string()
                  .regex(/^grpcs:\/\/[^\s/:]+(:\d+)?$/, 'must be grpcs://host:port')
                  .meta({ description: 'Address zones use to reach the global control plane (its global-zone-sync Service).' }),
                kdsTls: z
                  .object({
                    serverSecretName: name(
                      'Name of the kubernetes.io/tls Secret, in the global control-plane namespace, whose certificate names the host of kdsAddress.',
                      253,
                    ),
                    caSecretName: name('Name of the Secret, in each zone control-plane namespace, whose ca.crt signed that certificate.', 253),
                  })
                  .strict()
                  .optional()
                  .meta({
                    description:
                      'The certificate the global control plane serves KDS with and the CA zones verify it against. Needed unless kdsSkipVerify.',
                  }),
              })
              .strict(),
          })
          .strict(),
      ])
      .meta({ description: 'The global control plane: hosted in Konnect, or self-hosted on Kubernetes.' }),
    zones: z
      .array(ZoneSchema)
      .min(1)
      .meta({ description: 'Zones, each with the cluster its control plane runs in. Services run in the first zone unless told otherwise.' }),
    controlPlaneTls: ControlPlaneTlsSchema.optional(),
    license: SecretKeySchema('The Kong Mesh licence of the self-hosted global control plane (KMESH_LICENSE_INLINE).', 'license.json')
      .optional()
      .meta({ default: 'none: the bundled licence (5 data plane proxies, 30 days)' }),
    kdsSkipVerify: z
      .boolean()
      .optional()
      .meta({ description: 'Skip verifying the global control plane certificate (as the tutorial does). Avoid in production.', default: false }),
    chartVersion: version('Helm chart version of the control planes.').optional().meta({ default: 'the mesh version' }),
  })
  .strict();

const OperatorSchema = z
  .object({
    enabled: z.boolean().optional(),
    channel: z.string().min(1).optional().meta({ default: 'stable' }),
    source: z.string().min(1).optional().meta({ default: 'redhat-operators' }),
    approval: z.enum(['Automatic', 'Manual']).optional().meta({
      description: 'installPlanApproval. Manual: every install plan, the first one included, waits for approval.',
      default: 'Manual in a protected environment, else Automatic',
    }),
    startingCSV: z.string().min(1).optional().meta({
      description:
        'The ClusterServiceVersion to install first, e.g. servicemeshoperator.v2.5.4. Required for the Service Mesh operator of a protected environment.',
    }),
  })
  .strict();

const IstioControlPlaneFields = {
  cluster: name('Cluster the mesh runs in.'),
  ingress: z
    .object({
      gateway: name('Name of the Istio Gateway.'),
      host: z
        .string()
        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS host name')
        .meta({ description: 'External host name of the gateway.' }),
      api: z
        .enum(['istio', 'gateway-api'])
        .optional()
        .meta({
          description:
            'OpenShift Service Mesh 3: how the ingress gateway is declared. istio: an injected gateway Deployment with an Istio Gateway and VirtualService. ' +
            'gateway-api: a gateway.networking.k8s.io/v1 Gateway of class istio, which istiod deploys, with an HTTPRoute per exposed service; ' +
            'its routes go straight to the Service, so exposed services may carry no mock, fault, timeout or retry.',
          default: 'istio',
        }),
    })
    .strict()
    .optional()
    .meta({ description: 'An ingress Gateway in the control plane namespace, with a Route (OpenShift) to it.' }),
};

const OssmControlPlaneSchema = z
  .object({
    name: name('ServiceMeshControlPlane name (2.x) or Istio resource name (3.x).').optional().meta({ default: 'basic on 2.x, default on 3.x' }),
    namespace: name('Control plane namespace.').optional().meta({ default: 'istio-system' }),
    tracing: z
      .object({
        type: z
          .enum(['Jaeger', 'None', 'OpenTelemetry'])
          .optional()
          .meta({
            description:
              'Jaeger (2.x) needs the Jaeger operator (jaeger-product), which left the redhat-operators catalog on 2025-11-03. ' +
              'OpenTelemetry (3.x) sends spans to an OpenTelemetry collector (Red Hat build of OpenTelemetry, with Tempo) installed separately.',
            default: 'None',
          }),
        sampling: z.number().int().min(0).max(10000).optional().meta({ description: '10000 samples every request.', default: 10000 }),
        service: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'must be a DNS host name')
          .optional()
          .meta({
            description: "OpenTelemetry (3.x): host of the collector's OTLP gRPC service, e.g. otel-collector.observability.svc.cluster.local.",
          }),
        port: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .optional()
          .meta({ description: 'OpenTelemetry (3.x): OTLP gRPC port of the collector.', default: 4317 }),
      })
      .strict()
      .optional(),
    istioVersion: z
      .string()
      .regex(/^1\.[0-9]+(\.[0-9]+)?$/, 'must be an Istio version such as 1.28 or 1.28.10')
      .optional()
      .meta({
        description:
          'OpenShift Service Mesh 3.x: the Istio version the control plane runs (Istio.spec.version). A minor alone follows its newest patch (v1.28-latest).',
      }),
    updateStrategy: z
      .enum(['InPlace', 'RevisionBased'])
      .optional()
      .meta({
        description:
          'OpenShift Service Mesh 3.x: how a new istioVersion is rolled out (Istio.spec.updateStrategy.type). RevisionBased runs a new revision beside the old one; ' +
          "an IstioRevisionTag named default keeps the namespaces' istio-injection label pointing at the active one.",
        default: 'InPlace',
      }),
    cniNamespace: name('OpenShift Service Mesh 3.x: namespace of the Istio CNI node agent (IstioCNI.spec.namespace).')
      .optional()
      .meta({ default: 'istio-cni' }),
    gatewayNamespace: name('OpenShift Service Mesh 3.x: namespace the ingress gateway is injected into.')
      .optional()
      .meta({ default: 'istio-ingress' }),
    kiali: z
      .boolean()
      .optional()
      .meta({ description: 'OpenShift Service Mesh 3.x: Kiali and the OpenShift console plugin through the Kiali operator.', default: true }),
    metrics: z
      .boolean()
      .optional()
      .meta({
        description:
          'OpenShift Service Mesh 3.x: a ServiceMonitor for istiod and a PodMonitor per mesh namespace for OpenShift user-workload monitoring (enableUserWorkload must be on). ' +
          'Their kinds (monitoring.coreos.com) are not in the pinned upstream schemas: validate against schemas read from the cluster.',
        default: false,
      }),
    addons: z
      .object({
        kiali: z.boolean().optional().meta({ default: true }),
        grafana: z.boolean().optional().meta({ default: true }),
        prometheus: z.boolean().optional().meta({ default: true }),
      })
      .strict()
      .optional(),
  })
  .strict();

const OssmMeshSchema = z
  .object({
    flavor: z.literal('openshift-service-mesh'),
    version: version(
      "OpenShift Service Mesh version: 2.x (2.5: a ServiceMeshControlPlane, v1beta1 APIs) or 3.4[.x] (the Sail operator's Istio and IstioCNI, v1 APIs).",
    ),
    ...IstioControlPlaneFields,
    controlPlane: OssmControlPlaneSchema.optional(),
    operators: z
      .object({
        elasticsearch: OperatorSchema.optional().meta({ description: 'OpenShift Elasticsearch operator (optional; off by default).' }),
        jaeger: OperatorSchema.optional().meta({ description: 'Red Hat OpenShift distributed tracing (Jaeger); on when tracing is Jaeger.' }),
        kiali: OperatorSchema.optional().meta({ description: 'Kiali operator; on when the kiali addon is.' }),
        serviceMesh: OperatorSchema.optional().meta({ description: 'The OpenShift Service Mesh operator.' }),
      })
      .strict()
      .optional(),
    migration: z
      .object({
        to: z
          .object({
            version: version('The OpenShift Service Mesh 3 operator the mesh moves to: 3.4[.x].'),
            controlPlane: OssmControlPlaneSchema.optional().meta({
              description:
                "The 3.x control plane, as mesh.controlPlane of an OpenShift Service Mesh 3 environment. Its namespace is the 2.6 control plane's: " +
                'both control planes share the mesh CA there.',
            }),
            operators: z
              .object({
                kiali: OperatorSchema.optional().meta({
                  description: 'Kiali operator (kiali-ossm): the standalone Kiali that replaces the 2.6 addon.',
                }),
                serviceMesh: OperatorSchema.optional().meta({
                  description: 'The OpenShift Service Mesh 3 operator (servicemeshoperator3), installed beside the 2.6 one.',
                }),
              })
              .strict()
              .optional(),
          })
          .strict()
          .meta({
            description: "The OpenShift Service Mesh 3 settings the mesh moves to: once every namespace has moved, they are the environment's mesh.",
          }),
        migrated: z.array(name('A namespace of a service.')).optional().meta({
          description:
            'The namespaces that have moved to the 3.x control plane so far; the others stay members of the 2.6 one. Listing every namespace finishes the move.',
          default: [],
        }),
      })
      .strict()
      .optional()
      .meta({
        description:
          'OpenShift Service Mesh 2.6 only: the move to 3.x, side by side as Red Hat documents it ("Migrating from Service Mesh 2 to Service Mesh 3").',
      }),
  })
  .strict();

const IstioMeshSchema = z
  .object({
    flavor: z.literal('istio'),
    version: version('Upstream Istio version, e.g. 1.30. 1.22 and later use the v1 APIs.'),
    ...IstioControlPlaneFields,
    controlPlane: z
      .object({
        namespace: name('Namespace of istiod and the ingress gateway.').optional().meta({ default: 'istio-system' }),
      })
      .strict()
      .optional()
      .meta({
        description: 'The control plane is installed separately (for example with the Istio Helm charts); meshflip renders the mesh configuration.',
      }),
  })
  .strict();

export const MeshSchema = z.discriminatedUnion('flavor', [KumaMeshSchema, OssmMeshSchema, IstioMeshSchema]);

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

export const EnvironmentSchema = z
  .object({
    name: name('Environment name; must match the file name.', 40),
    // It becomes the AppProject's spec.description, which Argo CD's CRD limits to 255 characters.
    description: z.string().max(255).optional().meta({ description: 'Shown as the Argo CD AppProject description.' }),
    protected: z
      .boolean()
      .optional()
      .meta({
        description:
          'A production-like environment: never routes to a mock, carries no fault and deploys no mocks; no unprotected environment may ' +
          'deploy into its namespaces (on any cluster entry with the same API server) or, on Kuma, mock, route or fault a service it shares with it.',
        default: false,
      }),
    catalog: z
      .array(name('Catalogue name (a file in environments/catalog/)'))
      .optional()
      .meta({ description: 'Catalogues the services come from.', default: [] }),
    namespace: name('Default namespace of the services.').optional().meta({ default: 'the environment name' }),
    mesh: MeshSchema,
    services: z.record(serviceName, EnvironmentServiceSchema).meta({
      description: 'The services deployed: an empty entry takes the catalogue definition, a map overrides it.',
    }),
    mocks: z
      .object({
        enabled: z
          .boolean()
          .optional()
          .meta({ description: 'Deploy the mocks of the services that have one.', default: 'true, false when protected' }),
        zone: name('Kuma zone the mocks run in.').optional().meta({ default: 'the last zone' }),
        image: z.string().min(1).optional().meta({ default: 'bbyars/mountebank:2.9.1' }),
        replicas: z.number().int().min(1).max(20).optional(),
        scrub: z
          .object({
            headers: z.array(z.string().min(1).max(128).regex(HEADER_NAME, 'must be a lowercase HTTP header name')).optional().meta({
              description: 'Headers removed from recordings, besides authorization, cookie, proxy-authorization and set-cookie.',
              default: [],
            }),
            fields: z
              .array(z.string().min(1).max(256))
              .optional()
              .meta({ description: 'JSON fields (at any depth of a body) whose values meshflip mock-record replaces by <scrubbed>.', default: [] }),
          })
          .strict()
          .optional()
          .meta({ description: 'What meshflip mock-record removes from what it recorded, before the secret scan.' }),
      })
      .strict()
      .optional(),
    routing: RoutingSchema.optional(),
    faults: z.record(name('Service name'), FaultSchema).optional(),
    circuitBreakers: z.record(name('Service name'), CircuitBreakerSchema).optional(),
    timeouts: z.record(name('Service name'), TimeoutSchema).optional(),
    retries: z.record(name('Service name'), RetrySchema).optional(),
    trafficPermissions: z.boolean().optional().meta({
      description: 'Render least-privilege traffic permissions from the declared calls (MeshTrafficPermission / AuthorizationPolicy).',
      default: true,
    }),
    delivery: z
      .object({
        automated: z.boolean().optional().meta({ description: 'Let Argo CD sync automatically.', default: true }),
        prune: z.boolean().optional().meta({ description: 'Let Argo CD delete objects that left dist/.', default: 'true, false when protected' }),
        selfHeal: z.boolean().optional().meta({ description: 'Let Argo CD revert changes made in the cluster.', default: true }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .meta({ title: 'meshflip environment', description: 'One environment: its mesh, services, mocks and routing overlay.' });

export type SettingsInput = z.infer<typeof SettingsSchema>;
export type CatalogInput = z.infer<typeof CatalogSchema>;
export type CatalogServiceInput = z.infer<typeof CatalogServiceSchema>;
export type EnvironmentInput = z.infer<typeof EnvironmentSchema>;
export type EnvironmentServiceInput = z.infer<typeof EnvironmentServiceSchema>;
export type RouteIntentInput = z.infer<typeof RouteIntentSchema>;
export type FaultInput = z.infer<typeof FaultSchema>;
export type CircuitBreakerInput = z.infer<typeof CircuitBreakerSchema>;
export type TimeoutInput = z.infer<typeof TimeoutSchema>;
export type RetryInput = z.infer<typeof RetrySchema>;
export type MeshInput = z.infer<typeof MeshSchema>;
export type KumaMeshInput = z.infer<typeof KumaMeshSchema>;
export type OssmMeshInput = z.infer<typeof OssmMeshSchema>;
export type IstioMeshInput = z.infer<typeof IstioMeshSchema>;
export type PortInput = z.infer<typeof PortSchema>;
export type EnvValueInput = z.infer<typeof EnvValueSchema>;

/** The JSON Schemas committed under environments/schemas/, by file name. */
export const JSON_SCHEMAS = {
  'environment.schema.json': EnvironmentSchema,
  'catalog.schema.json': CatalogSchema,
  'settings.schema.json': SettingsSchema,
} as const;
