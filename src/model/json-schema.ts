import { z } from 'zod';
import { JSON_SCHEMAS } from './schema';

/** Where the JSON Schemas live, relative to the repository root. */
export const SCHEMA_DIR = 'environments/schemas';

/**
 * The JSON Schemas of the input files, generated from the same zod schemas the loader validates
 * with, by file name. Editors use them (through `# yaml-language-server: $schema=...`) to complete
 * and check fields as you type.
 */
export function generateJsonSchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, schema] of Object.entries(JSON_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    describeDefaults(json);
    dropNonStandardFormats(json);
    const { $schema, ...rest } = json;
    out[file] = `${JSON.stringify({ $schema, $id: `https://meshflip.dev/schemas/${file}`, ...rest }, null, 2)}\n`;
  }
  return out;
}

/**
 * A `default` that is not a value of the field (such as "the first zone") is documentation, not
 * something an editor should insert: it moves into the description.
 */
function describeDefaults(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(describeDefaults);
    return;
  }
  if (node === null || typeof node !== 'object') {
    return;
  }
  const schema = node as Record<string, unknown>;
  if (typeof schema.default === 'string' && !isValueOf(schema, schema.default)) {
    const text = `Default: ${schema.default}.`;
    schema.description =
      schema.description === undefined
        ? text
        : `${typeof schema.description === 'string' ? schema.description : JSON.stringify(schema.description)} ${text}`;
    delete schema.default;
  }
  Object.values(schema).forEach(describeDefaults);
}

/** The `format` values JSON Schema draft 7 defines (section 7.3); editors know no others. */
export const DRAFT_7_FORMATS: ReadonlySet<string> = new Set([
  'date-time',
  'date',
  'time',
  'email',
  'idn-email',
  'hostname',
  'idn-hostname',
  'ipv4',
  'ipv6',
  'uri',
  'uri-reference',
  'iri',
  'iri-reference',
  'uri-template',
  'json-pointer',
  'relative-json-pointer',
  'regex',
]);

/**
 * zod writes its own check names as formats (`startsWith` becomes `"format": "starts_with"`) next
 * to the `pattern` that already says the same in standard terms: such a format goes.
 */
function dropNonStandardFormats(node: unknown): void {
  if (node === null || typeof node !== 'object') {
    return;
  }
  const schema = node as Record<string, unknown>;
  if (!Array.isArray(node) && typeof schema.format === 'string' && !DRAFT_7_FORMATS.has(schema.format)) {
    delete schema.format;
  }
  Object.values(schema).forEach(dropNonStandardFormats);
}

function isValueOf(schema: Record<string, unknown>, value: string): boolean {
  if (Array.isArray(schema.enum)) {
    return schema.enum.includes(value);
  }
  if (schema.type === 'string') {
    return typeof schema.pattern !== 'string' || new RegExp(schema.pattern).test(value);
  }
  if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
    return ((schema.anyOf ?? schema.oneOf) as Record<string, unknown>[]).some((branch) => isValueOf(branch, value));
  }
  return false;
}
