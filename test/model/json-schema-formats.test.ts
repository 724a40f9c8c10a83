import { DRAFT_7_FORMATS, generateJsonSchemas } from '../../src/model/json-schema';

/** Every `format` keyword of a schema (string values of a key named format outside `properties`). */
function formats(node: unknown, out: string[] = [], underProperties = false): string[] {
  if (node === null || typeof node !== 'object') {
    return out;
  }
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (!underProperties && key === 'format' && typeof value === 'string') {
      out.push(value);
    }
    formats(value, out, key === 'properties' && !Array.isArray(node));
  }
  return out;
}

// Editors (the YAML language server) validate with standard JSON Schema: a format they do not
// know is at best ignored. zod names its own checks as formats (`starts_with`).
test('the JSON Schemas use only the formats of JSON Schema draft 7, and keep the pattern that says "starts with /"', () => {
  // WHEN
  const schemas = generateJsonSchemas();
  // THEN
  const used = Object.values(schemas).flatMap((text) => formats(JSON.parse(text)));
  expect(used.filter((f) => !DRAFT_7_FORMATS.has(f))).toEqual([]);
  expect(schemas['catalog.schema.json']).toContain('"pattern": "^\\\\/.*"');
});
