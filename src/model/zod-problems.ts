import { z } from 'zod';
import { SourceFile } from './source-file';
import { describeValue, didYouMean, Problem } from './spec-error';

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

/**
 * Validates `file.data` against `schema` and turns every zod issue into a located problem in the
 * user's words. Returns the parsed value when there are no problems.
 *
 * @param keptAs a name that stands for `schema` alone: the file records what the schema made of
 * its data under it (`SourceFile.keepSchemaValue`), and a file that has such a record (parsed from
 * the same bytes by the same code, perhaps in an earlier run) answers with it instead of being
 * checked again. @default - checked each time, nothing recorded
 */
export function parseWithSchema<T extends AnySchema>(file: SourceFile, schema: T, keptAs?: string): { value?: z.output<T>; problems: Problem[] } {
  if (file.isEmpty) {
    return {
      problems: [
        file.problem([], 'is empty: the file holds no settings', { noGot: true, hint: 'start from one of the example files, or delete this one' }),
      ],
    };
  }
  const kept = keptAs === undefined ? undefined : (file.schemaValue(keptAs) as z.output<T> | undefined);
  if (kept !== undefined) {
    return { value: kept, problems: [] };
  }
  const result = z.safeParse(schema, file.data, { reportInput: true });
  if (result.success) {
    if (keptAs !== undefined) {
      file.keepSchemaValue(keptAs, result.data);
    }
    return { value: result.data, problems: [] };
  }
  const problems = result.error.issues.flatMap((issue) => issueToProblems(file, schema, issue, []));
  return { problems };
}

function issueToProblems(file: SourceFile, root: AnySchema, issue: Issue, prefix: readonly PropertyKey[]): Problem[] {
  const path = [...prefix, ...issue.path].map<string | number>((s) => (typeof s === 'symbol' ? String(s) : s));
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      if (input === undefined && !file.has(path)) {
        return [file.problem(path, 'is required', { got: undefined, hint: requiredHint(root, path, file) })];
      }
      if ((issue.expected === 'number' || issue.expected === 'int') && typeof input === 'number' && !Number.isFinite(input)) {
        // 1e400 and .inf parse as infinity, which no number field takes.
        return [file.problem(path, 'must be a finite number', { got: input, hint: 'use a number in the range the field allows' })];
      }
      return [
        file.problem(path, `must be ${typeName(issue.expected)}`, { got: input, hint: typeHint(issue.expected, input, file.sourceTextAt(path)) }),
      ];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      const message = values.length === 1 ? `must be ${quoteValue(issue.values[0])}` : `must be one of ${values.join(', ')}`;
      return [file.problem(path, message, { got: input, hint: didYouMean(input, values) })];
    }
    case 'too_big':
    case 'too_small':
      return [file.problem(path, sizeMessage(issue), { got: input })];
    case 'not_multiple_of':
      return [file.problem(path, `must be a multiple of ${issue.divisor}`, { got: input })];
    case 'invalid_format': {
      const custom = issue.message.startsWith('must') ? issue.message : `must match ${(issue as { pattern?: string }).pattern ?? issue.format}`;
      return [file.problem(path, custom, { got: input })];
    }
    case 'unrecognized_keys': {
      const known = knownKeys(root, path, file.data);
      return issue.keys.map((key) =>
        file.problem([...path, key], unknownKeyMessage(known), {
          atKey: true,
          gotText: JSON.stringify(key),
          hint: didYouMean(key, known),
        }),
      );
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      const message = inner && inner.message.startsWith('must') ? inner.message : 'is not a valid key';
      return [file.problem(path, message, { atKey: true, gotText: JSON.stringify(path[path.length - 1]) })];
    }
    case 'invalid_union':
      return unionProblems(file, root, issue, path, input);
    case 'custom': {
      const params = (issue.params ?? {}) as { hint?: string; noGot?: boolean; atKey?: boolean };
      return [file.problem(path, issue.message, { got: input, hint: params.hint, noGot: params.noGot, atKey: params.atKey })];
    }
    default:
      return [file.problem(path, issue.message.toLowerCase(), { got: input })];
  }
}

function unionProblems(
  file: SourceFile,
  root: AnySchema,
  issue: Issue & { code: 'invalid_union' },
  path: (string | number)[],
  input: unknown,
): Problem[] {
  const note = issue as { discriminator?: string; options?: unknown[]; note?: string };
  if (note.discriminator !== undefined) {
    const options = (note.options ?? []).map(String);
    const given = (input as Record<string, unknown> | undefined)?.[note.discriminator];
    // zod reports the path of the discriminator key itself.
    if (given === undefined) {
      return [file.problem(path, `is required: one of ${options.join(', ')}`, { got: undefined })];
    }
    return [file.problem(path, `must be one of ${options.join(', ')}`, { got: given, hint: didYouMean(given, options) })];
  }
  // Pick the branch whose shape matches the input (no type mismatch at its root) and report its problems.
  const branches = issue.errors;
  const matching = branches.filter((errors) => !errors.some((e) => e.path.length === 0 && (e.code === 'invalid_type' || e.code === 'invalid_value')));
  if (matching.length > 0) {
    const best = matching.reduce((a, b) => (b.length < a.length ? b : a));
    return best.flatMap((inner) => issueToProblems(file, root, inner, path));
  }
  const expected: string[] = [];
  for (const errors of branches) {
    for (const e of errors) {
      if (e.path.length !== 0) {
        continue;
      }
      if (e.code === 'invalid_value') {
        expected.push(...e.values.map(quoteValue));
      } else if (e.code === 'invalid_type') {
        expected.push(typeName(e.expected));
      }
    }
  }
  const unique = [...new Set(expected)];
  const message = unique.length === 0 ? 'is not valid here' : `must be ${joinOr(unique)}`;
  const candidates = branches.flatMap((errors) =>
    errors.flatMap((e) => (e.path.length === 0 && e.code === 'invalid_value' ? e.values.map(String) : [])),
  );
  return [file.problem(path, message, { got: input, hint: didYouMean(input, candidates) })];
}

function sizeMessage(issue: Issue & { code: 'too_big' | 'too_small' }): string {
  const big = issue.code === 'too_big';
  const limit = Number(big ? (issue as { maximum: number | bigint }).maximum : (issue as { minimum: number | bigint }).minimum);
  const inclusive = (issue as { inclusive?: boolean }).inclusive ?? true;
  const bound = big ? (inclusive ? 'at most' : 'less than') : inclusive ? 'at least' : 'more than';
  switch (issue.origin) {
    case 'string':
      return `must be ${bound} ${limit} character${limit === 1 ? '' : 's'} long`;
    case 'array':
    case 'set':
      return `must have ${bound} ${limit} item${limit === 1 ? '' : 's'}`;
    case 'int':
    case 'number':
    default:
      return `must be ${bound} ${limit}`;
  }
}

function typeName(expected: string): string {
  switch (expected) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'int':
      return 'a whole number';
    case 'boolean':
      return 'true or false';
    case 'null':
      return 'empty';
    default:
      return `a ${expected}`;
  }
}

function typeHint(expected: string, input: unknown, asWritten: string | undefined): string | undefined {
  if (expected === 'string' && (typeof input === 'number' || typeof input === 'boolean')) {
    return `quote the value: "${asWritten ?? String(input)}"`;
  }
  if (expected === 'array' && (typeof input === 'string' || typeof input === 'number')) {
    // Anything but a plain word is shown quoted, so that the hint stays one short line of valid YAML.
    const item = typeof input === 'string' && !/^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$/.test(input) ? describeValue(input) : String(input);
    return `write it as a list: [${item}]`;
  }
  if (expected === 'boolean' && typeof input === 'string' && /^(yes|no|on|off|y|n)$/i.test(input)) {
    return 'write true or false';
  }
  return undefined;
}

function requiredHint(root: AnySchema, path: (string | number)[], file: SourceFile): string | undefined {
  const parent = path.slice(0, -1);
  const key = path[path.length - 1];
  const present = file.valueAt(parent);
  if (present === null || typeof present !== 'object' || typeof key !== 'string') {
    return undefined;
  }
  // A required key that is missing is often a typo of a key that is present.
  const known = knownKeys(root, parent, file.data);
  const typo = Object.keys(present).find((k) => !known.includes(k) && didYouMean(k, [key]) !== undefined);
  return typo === undefined ? undefined : `${JSON.stringify(typo)} looks like a misspelling of ${JSON.stringify(key)}`;
}

function unknownKeyMessage(known: readonly string[]): string {
  if (known.length === 0) {
    return 'unknown key';
  }
  const list = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ');
  return `unknown key (allowed: ${list})`;
}

function quoteValue(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}

function joinOr(items: readonly string[]): string {
  if (items.length <= 1) {
    return items.join('');
  }
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** The keys an object schema accepts at `path`, following the data to pick union branches. */
export function knownKeys(root: AnySchema, path: readonly (string | number)[], data: unknown): string[] {
  let schemas: AnySchema[] = [root];
  let value: unknown = data;
  for (const segment of path) {
    const next: AnySchema[] = [];
    for (const schema of schemas.flatMap((s) => unwrap(s, value))) {
      const def = defOf(schema);
      if (def.type === 'object' && typeof segment === 'string') {
        const shape = def.shape as Record<string, AnySchema>;
        if (shape[segment] !== undefined) {
          next.push(shape[segment]);
        }
      } else if (def.type === 'record') {
        next.push(def.valueType as AnySchema);
      } else if (def.type === 'array' && typeof segment === 'number') {
        next.push(def.element as AnySchema);
      }
    }
    schemas = next;
    value = value !== null && typeof value === 'object' ? (value as Record<string | number, unknown>)[segment] : undefined;
  }
  const keys = new Set<string>();
  for (const schema of schemas.flatMap((s) => unwrap(s, value))) {
    const def = defOf(schema);
    if (def.type === 'object') {
      Object.keys(def.shape as object).forEach((k) => keys.add(k));
    }
  }
  return [...keys].sort();
}

/** Strips wrappers and picks the union options that fit `value`. */
function unwrap(schema: AnySchema, value: unknown): AnySchema[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return unwrap(def.innerType as AnySchema, value);
    case 'pipe':
      return unwrap(def.in as AnySchema, value);
    case 'lazy':
      return unwrap((def.getter as () => AnySchema)(), value);
    case 'union': {
      const options = def.options as AnySchema[];
      const discriminator = def.discriminator as string | undefined;
      if (discriminator !== undefined && value !== null && typeof value === 'object') {
        const wanted = (value as Record<string, unknown>)[discriminator];
        const picked = options.filter((o) => {
          const shape = (o as { _zod: { def: { shape?: Record<string, AnySchema> } } })._zod.def.shape;
          const literal = shape?.[discriminator] as { _zod: { def: { values?: unknown[]; entries?: Record<string, unknown> } } } | undefined;
          const values = literal?._zod.def.values ?? Object.values(literal?._zod.def.entries ?? {});
          return values.includes(wanted);
        });
        if (picked.length > 0) {
          return picked.flatMap((o) => unwrap(o, value));
        }
      }
      return options.flatMap((o) => unwrap(o, value));
    }
    default:
      return [schema];
  }
}

function defOf(schema: AnySchema): Record<string, unknown> {
  return (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
}
