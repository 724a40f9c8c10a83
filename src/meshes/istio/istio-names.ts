// Names that the readers, checks and rules of the Istio family share with its renderers
// (istio-mesh.ts, ossm3-mesh.ts, ossm-migration-mesh.ts): here, so that reading dist/ back does not
// load the renderers and cdk8s.

export const INGRESS_SERVICE_ACCOUNT = 'istio-ingressgateway-service-account';

/**
 * The pod annotation that makes the injector apply its `gateway` template instead of the sidecar
 * one (istio/istio manifests/charts/istio-control/istio-discovery/files/gateway-injection-template.yaml).
 */
export const INJECTION_TEMPLATE_ANNOTATION = 'inject.istio.io/templates';

/** The 2.6 injector skips a namespace that carries this label (`"true"`); Red Hat keeps it until 2.6 is removed. */
export const MAISTRA_IGNORE_NAMESPACE = 'maistra.io/ignore-namespace';

/** The namespace label that names the Istio revision whose injector serves the namespace. */
export const REVISION_LABEL = 'istio.io/rev';

/** Whether rewriting the prefix `prefix` to `rewrite` turns `<prefix>/x` into a path with `//`. */
export function doublesSlash(prefix: string, rewrite: string | undefined): boolean {
  return rewrite !== undefined && rewrite.endsWith('/') && !prefix.endsWith('/');
}
