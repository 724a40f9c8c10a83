import { Rule } from './rules';

/** The rules of OpenShift Service Mesh and Istio environments. */
export const ISTIO_RULES: readonly Rule[] = [];
