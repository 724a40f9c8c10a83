/**
 * Offline, strict validation of rendered manifests against upstream schemas: CustomResourceDefinitions, the
 * Kubernetes swagger definitions and the legacy Kuma spec schemas, loaded at run time from a folder.
 */
export { compileGoRegExp } from './go-regexp';
export { LEGACY_SPEC_SCHEMA_DIR, SWAGGER_DEFINITIONS_FILE, SchemaStore } from './schema-store';
export type { ResourceScope, SchemaStoreSummary, ValidateOptions } from './schema-store';
export { ALTERNATIVES_DIR, OSSM_ISTIO_DIR, schemaSets } from './schema-sets';
export type { SchemaSets } from './schema-sets';
export { CEL_PER_CALL_LIMIT, CelRule } from './cel';
export type { CelFailure, CelRuleSource } from './cel';
export {
  CompiledSchema,
  QUANTITY_PATTERN,
  SchemaCompiler,
  SchemaDialect,
  celEvaluationStats,
  renderValue,
  validateValue,
} from './structural-validator';
export type { SchemaCompilerProps, SchemaIssue, ValidateValueOptions } from './structural-validator';
