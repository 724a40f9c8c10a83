/**
 * The Argo CD health checks meshflip's sync waves depend on. A sync wave waits until every object
 * of the wave before it is Healthy (argoproj/gitops-engine `pkg/sync/sync_context.go`), and an
 * object of a kind Argo CD cannot assess counts as Healthy at once (`pkg/health/health.go`
 * `GetResourceHealth` returns no status): without these checks, waves between Applications, and
 * waves after a control plane, do not wait for anything.
 */

/** A Lua health check, as `argocd-cm` (`resource.customizations.health.<group>_<kind>`) and the `ArgoCD` resource take it. */
export interface HealthCheck {
  readonly group: string;
  readonly kind: string;
  /** The Lua script: `obj` in, `{ status, message }` out. */
  readonly check: string;
  /** What Healthy means, for the README and messages. */
  readonly healthyWhen: string;
  /** The upstream code whose status fields the script reads. */
  readonly reads: string;
}

/**
 * The health of a child Application is its own `status.health`: the check the Argo CD docs give
 * (docs/operator-manual/health.md "Argocd App"; removed from Argo CD in 1.8, argoproj/argo-cd#3781).
 */
const APPLICATION = `hs = { status = "Progressing", message = "waiting for the Application's first health assessment" }
if obj.status ~= nil and obj.status.health ~= nil and obj.status.health.status ~= nil then
  hs.status = obj.status.health.status
  hs.message = obj.status.health.message or ""
end
return hs
`;

/** Lua: still Progressing while the operator has not reconciled the object's current generation. */
const WAIT_FOR_GENERATION = `if obj.metadata.generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < obj.metadata.generation) then
  hs.message = "waiting for the operator to reconcile generation " .. obj.metadata.generation
  return hs
end
`;

/**
 * OSSM 2: Healthy once the operator has reconciled this generation and every component is ready.
 * A failed install or reconcile is Degraded, so a sync fails instead of waiting forever.
 */
const SERVICE_MESH_CONTROL_PLANE = `hs = { status = "Progressing", message = "waiting for the operator to reconcile the control plane" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
${WAIT_FOR_GENERATION}local failed = { InstallError = true, ReconcileError = true, ValidationError = true, DependencyMissingError = true, ErrMultipleSMCPs = true }
local ready = nil
for _, c in ipairs(obj.status.conditions) do
  if (c.type == "Installed" or c.type == "Reconciled") and c.status == "False" and failed[c.reason] then
    return { status = "Degraded", message = c.type .. ": " .. c.reason .. ": " .. (c.message or "") }
  end
  if c.type == "Ready" then
    ready = c
  end
end
if ready ~= nil and ready.status == "True" then
  return { status = "Healthy", message = ready.message or "" }
end
if ready ~= nil then
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
end
return hs
`;

/** OSSM 2: Healthy once every member namespace is configured; an invalid roll or a missing control plane is Degraded. */
const SERVICE_MESH_MEMBER_ROLL = `hs = { status = "Progressing", message = "waiting for the operator to configure the members" }
if obj.status == nil then
  return hs
end
${WAIT_FOR_GENERATION}local configured = {}
for _, m in ipairs(obj.status.configuredMembers or {}) do
  configured[m] = true
end
local missing = {}
for _, m in ipairs((obj.spec or {}).members or {}) do
  if not configured[m] then
    table.insert(missing, m)
  end
end
for _, c in ipairs(obj.status.conditions or {}) do
  if c.type == "Ready" and c.status == "False" and (c.reason == "ErrInvalidName" or c.reason == "ErrMultipleSMCPs") then
    return { status = "Degraded", message = c.reason .. ": " .. (c.message or "") }
  end
end
if #missing > 0 then
  hs.message = "members not configured yet: " .. table.concat(missing, ", ")
  return hs
end
return { status = "Healthy", message = "all members configured" }
`;

/**
 * OSSM 3 (Sail operator): Healthy once the operator has reconciled this generation and the
 * condition `healthy` is True; Degraded when the Reconciled condition is False for one of `failed`
 * (the operator retries, but the spec as written does not reconcile), so a sync fails instead of
 * waiting forever.
 */
function sailCheck(what: string, healthy: 'Ready' | 'Reconciled', failed: readonly string[]): string {
  return `hs = { status = "Progressing", message = "waiting for the Sail operator to reconcile the ${what}" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
${WAIT_FOR_GENERATION}local failed = { ${failed.map((r) => `${r} = true`).join(', ')} }
local cond = nil
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Reconciled" and c.status == "False" and failed[c.reason] then
    return { status = "Degraded", message = "Reconciled: " .. c.reason .. ": " .. (c.message or "") }
  end
  if c.type == "${healthy}" then
    cond = c
  end
end
if cond ~= nil and cond.status == "True" then
  return { status = "Healthy", message = cond.message or "" }
end
if cond ~= nil then
  hs.message = "${healthy}: " .. (cond.reason or "") .. ": " .. (cond.message or "")
end
return hs
`;
}

/**
 * Kiali operator resources (ansible-operator status): Healthy once the last run was Successful,
 * Degraded on Failure; Progressing while it runs. The same reading as Argo CD's built-in check of
 * `Kiali` (argoproj/argo-cd resource_customizations/kiali.io/Kiali/health.lua), for the console
 * plugin, which has none, and waiting for the current generation first.
 */
const KIALI_OPERATOR_RESOURCE = `hs = { status = "Progressing", message = "waiting for the Kiali operator" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Failure" and c.status == "True" then
    return { status = "Degraded", message = c.message or "" }
  end
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Successful" and c.status == "True" then
    return { status = "Healthy", message = c.message or "" }
  end
end
return hs
`;

/** The checks meshflip renders, sorted by group and kind. */
export const HEALTH_CHECKS: readonly HealthCheck[] = [
  {
    group: 'argoproj.io',
    kind: 'Application',
    check: APPLICATION,
    healthyWhen: 'the child Application is Healthy (Progressing until its first assessment)',
    reads: 'argoproj/argo-cd pkg/apis/application/v1alpha1/types.go (ApplicationStatus.Health)',
  },
  {
    group: 'kiali.io',
    kind: 'OSSMConsole',
    check: KIALI_OPERATOR_RESOURCE,
    healthyWhen: "the Kiali operator's last run is Successful; Degraded on Failure",
    reads:
      'kiali/kiali-operator v2.29.0 (ansible-operator status.conditions Successful, Failure, Running), as argoproj/argo-cd resource_customizations/kiali.io/Kiali/health.lua reads them',
  },
  {
    group: 'maistra.io',
    kind: 'ServiceMeshControlPlane',
    check: SERVICE_MESH_CONTROL_PLANE,
    healthyWhen:
      'the operator has reconciled the current generation and the Ready condition is True; Degraded on an install, reconcile, validation or dependency error',
    reads: 'maistra/istio-operator maistra-2.5 pkg/apis/maistra/status/status.go (ConditionTypeReady, ConditionReason*)',
  },
  {
    group: 'maistra.io',
    kind: 'ServiceMeshMemberRoll',
    check: SERVICE_MESH_MEMBER_ROLL,
    healthyWhen: 'every namespace of spec.members is in status.configuredMembers for the current generation',
    reads: 'maistra/istio-operator maistra-2.5 pkg/apis/maistra/v1/servicemeshmemberroll_types.go (ConfiguredMembers, ConditionReason*)',
  },
  {
    group: 'sailoperator.io',
    kind: 'Istio',
    check: sailCheck('control plane', 'Ready', ['ReconcileError']),
    healthyWhen:
      'the operator has reconciled the current generation and the Ready condition is True (istiod of the active revision is ready); Degraded on a ReconcileError',
    reads:
      'openshift-service-mesh/sail-operator v3.4.1 api/v1/istio_types.go (IstioStatus.ObservedGeneration, IstioConditionReconciled, IstioConditionReady, IstioReasonReconcileError)',
  },
  {
    group: 'sailoperator.io',
    kind: 'IstioCNI',
    check: sailCheck('CNI node agent', 'Ready', ['ReconcileError']),
    healthyWhen:
      'the operator has reconciled the current generation and the Ready condition is True (the istio-cni-node DaemonSet is ready); Degraded on a ReconcileError',
    reads:
      'openshift-service-mesh/sail-operator v3.4.1 api/v1/istiocni_types.go (IstioCNIConditionReconciled, IstioCNIConditionReady, IstioCNIReasonReconcileError)',
  },
  {
    group: 'sailoperator.io',
    kind: 'IstioRevisionTag',
    check: sailCheck('revision tag', 'Reconciled', ['NameAlreadyExists', 'RefNotFound', 'ReconcileError']),
    healthyWhen:
      'the operator has reconciled the current generation (the tag points at the active revision); Degraded when its name is taken or its Istio is missing',
    reads:
      'openshift-service-mesh/sail-operator v3.4.1 api/v1/istiorevisiontags_types.go (IstioRevisionTagConditionReconciled, IstioRevisionTagReason*)',
  },
];

/**
 * How Argo CD assesses each kind that meshflip gives a sync wave, when it is not one of
 * `HEALTH_CHECKS`: built into gitops-engine or argo-cd, or ready once applied (no status to wait
 * for). A test keeps every waved kind in dist/ in one of the two lists.
 */
export const OTHER_HEALTH: Readonly<Record<string, string>> = {
  '/ConfigMap': 'ready once applied',
  '/Namespace': 'ready once applied',
  '/PersistentVolumeClaim': 'built in: Bound (gitops-engine pkg/health/health_pvc.go)',
  '/Secret': 'ready once applied',
  '/Service': 'built in: a LoadBalancer has an address (gitops-engine pkg/health/health_service.go)',
  '/ServiceAccount': 'ready once applied',
  'argoproj.io/AppProject': 'ready once applied',
  'apps/Deployment': 'built in: rolled out (gitops-engine pkg/health/health_deployment.go)',
  'apps/StatefulSet': 'built in: rolled out (gitops-engine pkg/health/health_statefulset.go)',
  'batch/Job': 'built in: complete (gitops-engine pkg/health/health_job.go)',
  'gateway.networking.k8s.io/GatewayClass': 'ready once applied',
  'kiali.io/Kiali': 'built in: argoproj/argo-cd resource_customizations/kiali.io/Kiali/health.lua (Successful is Healthy, Failure Degraded)',
  'kuma.io/*': "ready once applied: Kuma policies and the Mesh have no status; kuma-cp's readiness is its Deployment's",
  'networking.istio.io/*': 'ready once applied: Istio configuration has no readiness status by default',
  'monitoring.coreos.com/*': 'ready once applied: Prometheus operator monitors have no status',
  'operators.coreos.com/OperatorGroup': 'ready once applied',
  'operators.coreos.com/Subscription':
    'built in: argoproj/argo-cd resource_customizations/operators.coreos.com/Subscription/health.lua (a first install waiting for Manual approval is Progressing)',
  'rbac.authorization.k8s.io/*': 'ready once applied',
  'route.openshift.io/Route': 'ready once applied',
  'security.istio.io/*': 'ready once applied',
  'telemetry.istio.io/*': 'ready once applied',
};
