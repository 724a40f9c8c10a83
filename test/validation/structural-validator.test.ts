import { SchemaCompiler, SchemaDialect, SchemaIssue, validateValue } from '../../src/validation/structural-validator';

/** Validates `value` against an inline schema of `dialect` and returns `path: message` lines. */
function problems(schema: unknown, value: unknown, dialect = SchemaDialect.STRUCTURAL): string[] {
  const compiler = new SchemaCompiler({ dialect });
  return render(validateValue(compiler.compile(schema), value));
}

function render(issues: readonly SchemaIssue[]): string[] {
  return issues.map((issue) => `${issue.path}: ${issue.message}`);
}

const OBJECT_META_DEFINITIONS = {
  ObjectMeta: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      namespace: { type: 'string' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
    },
  },
};

describe('objects and unknown fields', () => {
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string' },
      settings: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { level: { type: 'integer' } } },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      empty: { type: 'object' },
    },
  };

  test('passes declared fields, anything under preserve-unknown-fields and any key of a map', () => {
    // WHEN
    const result = problems(schema, { name: 'a', settings: { level: 3, anything: { goes: [1] } }, labels: { 'app.kubernetes.io/name': 'x' } });
    // THEN
    expect(result).toEqual([]);
  });

  test('fails when a closed object has an unknown field, also an object that declares no properties', () => {
    // WHEN
    const result = problems(schema, { nme: 'a', empty: { random: true } });
    // THEN
    expect(result).toEqual(['nme: unknown field, got "nme"', 'empty.random: unknown field, got "random"']);
  });

  test('fails when a declared field under preserve-unknown-fields has the wrong type', () => {
    // WHEN
    const result = problems(schema, { settings: { level: 'high', other: 'kept' } });
    // THEN
    expect(result).toEqual(['settings.level: must be an integer, got "high"']);
  });

  test('fails when a map value has the wrong type, naming a key that is not a plain word in quotes', () => {
    // WHEN
    const result = problems(schema, { labels: { 'app.kubernetes.io/version': 2 } });
    // THEN
    expect(result).toEqual(['labels["app.kubernetes.io/version"]: must be a string, got 2']);
  });

  test('fails when the number of fields is out of bounds and a required field is missing', () => {
    // GIVEN
    const bounded = { type: 'object', minProperties: 2, maxProperties: 3, required: ['a'], additionalProperties: { type: 'integer' } };
    // WHEN
    const result = [...problems(bounded, { b: 1 }), ...problems(bounded, { a: 1, b: 2, c: 3, d: 4 })];
    // THEN
    expect(result).toEqual([': must have at least 2 fields, got 1', 'a: is required', ': must have at most 3 fields, got 4']);
  });
});

/**
 * Before validating a custom resource the API server drops non-nullable nulls that have no default
 * (k8s.io/apiextensions-apiserver pkg/apiserver/schema/defaulting/prunenulls.go, PruneNonNullableNullsWithoutDefaults,
 * called from pkg/apiserver/customresource_handler.go unless the CRD preserves unknown fields) and then fills in
 * defaults, for absent fields and for the nulls left (defaulting/algorithm.go, Default).
 */
describe('null', () => {
  const schema = {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string' },
      members: { type: 'array', items: { type: 'string' } },
      ports: { type: 'array', items: { type: 'integer', default: 80, minimum: 1 } },
      nullableList: { type: 'array', nullable: true, items: { type: 'string' } },
      mode: { type: 'string', enum: ['auto', 'manual'], default: 'auto' },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      weights: { type: 'object', additionalProperties: { type: 'integer', default: 1 } },
      free: {},
    },
  };

  test('passes null where the field is nullable', () => {
    // WHEN
    const result = problems(schema, { name: 'a', nullableList: null });
    // THEN
    expect(result).toEqual([]);
  });

  test('PruneNonNullableNullsWithoutDefaults: drops a non-nullable null without a default, in properties and maps', () => {
    // WHEN
    const result = problems(schema, { name: 'a', members: null, labels: { team: null, app: 'shop' }, free: null });
    // THEN
    expect(result).toEqual([]);
  });

  test('PruneNonNullableNullsWithoutDefaults: a required field that is null is dropped, so it is missing', () => {
    // WHEN
    const result = problems(schema, { name: null });
    // THEN
    expect(result).toEqual(['name: is required']);
  });

  test('PruneNonNullableNullsWithoutDefaults keeps a null item of a list: it is still refused', () => {
    // WHEN
    const result = problems(schema, { name: 'a', members: ['x', null] });
    // THEN
    expect(result).toEqual(['members[1]: must not be null']);
  });

  test('Default: a null with a default becomes the default, in properties, maps and list items, and is validated', () => {
    // GIVEN
    const withBadDefault = { type: 'object', properties: { size: { type: 'integer', minimum: 1, default: 0 } } };
    // WHEN
    const result = problems(schema, { name: 'a', mode: null, weights: { a: null }, ports: [null, 8080] });
    const badDefault = problems(withBadDefault, { size: null });
    // THEN
    expect(result).toEqual([]);
    expect(badDefault).toEqual(['size: must be at least 1, got 0']);
  });

  test('CEL rules see the object after pruning and defaulting: dropped fields are absent, defaults are there', () => {
    // GIVEN
    const withRules = {
      ...schema,
      'x-kubernetes-validations': [
        { rule: '!has(self.members)', message: 'members was not dropped' },
        { rule: 'self.mode == "auto"', message: 'mode was not defaulted' },
        { rule: 'self.weights.a == 1', message: 'the map value was not defaulted' },
      ],
    };
    // WHEN
    const result = problems(withRules, { name: 'a', members: null, weights: { a: null } });
    // THEN
    expect(result).toEqual([]);
  });

  test('a CRD that preserves unknown fields (apiextensions v1beta1) keeps its nulls, and defaults them where it can', () => {
    // GIVEN
    const compiler = new SchemaCompiler({ dialect: SchemaDialect.STRUCTURAL, preserveUnknownFields: true });
    // WHEN
    const result = render(validateValue(compiler.compile(schema), { name: 'a', members: null, mode: null }));
    // THEN
    expect(result).toEqual(['members: must not be null']);
  });
});

describe('scalars', () => {
  test('fails when strings, numbers and arrays break their bounds', () => {
    // GIVEN
    const schema = {
      type: 'object',
      properties: {
        short: { type: 'string', minLength: 2, maxLength: 3 },
        percent: { type: 'number', minimum: 0, maximum: 100, exclusiveMaximum: true },
        positive: { type: 'integer', minimum: 0, exclusiveMinimum: true },
        port: { type: 'integer', format: 'int32' },
        list: { type: 'array', minItems: 1, maxItems: 2, items: { type: 'boolean' } },
      },
    };
    // WHEN
    const result = problems(schema, { short: 'abcd', percent: 100, positive: 0, port: 2 ** 31, list: [] });
    // THEN
    expect(result).toEqual([
      'short: must be at most 3 characters long, got "abcd"',
      'percent: must be less than 100, got 100',
      'positive: must be greater than 0, got 0',
      'port: must be a 32-bit integer (-2147483648 to 2147483647), got 2147483648',
      'list: must have at least 1 item, got 0',
    ]);
  });

  test('counts characters, not UTF-16 units, for string lengths', () => {
    // WHEN
    const result = problems({ type: 'string', maxLength: 2 }, '😀😀');
    // THEN
    expect(result).toEqual([]);
  });

  test('fails when a value is not in the enum or does not match the pattern', () => {
    // GIVEN
    const schema = {
      type: 'object',
      properties: { kind: { type: 'string', enum: ['MeshService', 'MeshServiceSubset'] }, name: { type: 'string', pattern: '^[a-z]+$' } },
    };
    // WHEN
    const result = problems(schema, { kind: 'Foo', name: 'Bar' });
    // THEN
    expect(result).toEqual(['kind: must be one of MeshService, MeshServiceSubset, got "Foo"', 'name: must match the pattern ^[a-z]+$, got "Bar"']);
  });

  test('fails when a date-time is not RFC 3339', () => {
    // WHEN
    const schema = { type: 'string', format: 'date-time' };
    const result = ['2024-01-31T12:00:00Z', '2024-01-31T12:00:00.5+01:00', 'yesterday'].flatMap((value) => problems(schema, value));
    // THEN
    expect(result).toEqual([': must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z, got "yesterday"']);
  });

  test('shortens long values in messages', () => {
    // WHEN
    const result = problems({ type: 'integer' }, 'x'.repeat(100));
    // THEN
    expect(result).toEqual([`: must be an integer, got "${'x'.repeat(56)}...`]);
  });

  test('accepts an integer or a string for int-or-string, and checks string constraints only on strings', () => {
    // GIVEN Kuma and controller-gen spell int-or-string with an anyOf of the two types
    const schema = { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true, pattern: '^\\d+%$' };
    // WHEN
    const result = [...problems(schema, 25), ...problems(schema, '25%'), ...problems(schema, '25'), ...problems(schema, 2.5)];
    // THEN
    expect(result).toEqual([': must match the pattern ^\\d+%$, got "25"', ': must be an integer or a string, got 2.5']);
  });

  test('checks a pattern with a flag in the middle, as Go does', () => {
    // GIVEN a flag in the middle of the pattern, which Go's regexp/syntax allows
    const compiler = new SchemaCompiler({ dialect: SchemaDialect.STRUCTURAL });
    const schema = compiler.compile({ type: 'string', pattern: '^a(?i)b$' });
    // WHEN
    const accepted = validateValue(schema, 'aB');
    const refused = validateValue(schema, 'AB');
    // THEN
    expect(accepted).toEqual([]);
    expect(refused.map((issue) => issue.message)).toEqual(['must match the pattern ^a(?i)b$, got "AB"']);
    expect(compiler.skippedPatterns).toEqual(0);
  });

  test('skips and counts a pattern that is not valid RE2 syntax', () => {
    // GIVEN `\x` with a non-hex digit, which Go's regexp.Compile refuses (the API server would refuse the CRD)
    const compiler = new SchemaCompiler({ dialect: SchemaDialect.STRUCTURAL });
    const schema = compiler.compile({
      type: 'string',
      pattern: '\\x4g',
      'x-kubernetes-validations': [{ rule: 'self.size() > 1' }, { rule: 'self != "x"' }],
    });
    // WHEN
    const result = validateValue(schema, 'anything');
    // THEN
    expect(result).toEqual([]);
    expect(compiler.skippedPatterns).toEqual(1);
    expect(compiler.celRules.map((rule) => rule.evaluable)).toEqual([true, true]);
    expect(compiler.celRulesSkipped).toEqual(0);
  });
});

describe('messages never quote a secret', () => {
  test('a credential in a value that fails its schema is shown redacted, as the secret scan shows it', () => {
    // GIVEN a token where a short name belongs, a password under a credential name, and a URL with a password in an object
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', maxLength: 10 },
        password: { type: 'string', pattern: '^[a-z]+$' },
        upstream: { type: 'string' },
      },
    };
    const token = `ghp_${'A1b2C3d4E5'.repeat(3)}123456`;
    // WHEN
    const result = problems(schema, { name: token, password: 'Hunter2!', upstream: { url: 'postgres://app:s3cr3t-pw@db:5432/app' } });
    // THEN the messages keep their shape, and none holds a secret
    expect(result).toEqual([
      `name: must be at most 10 characters long, got "<redacted \\"ghp_…\\" (40 characters)>"`,
      'password: must match the pattern ^[a-z]+$, got "<redacted \\"…\\" (8 characters)>"',
      'upstream: must be a string, got {"url":"postgres://app:<redacted \\"…\\" (9 characters)>@db...',
    ]);
    expect(result.join('\n')).not.toMatch(/A1b2C3d4E5|Hunter2|s3cr3t/);
  });

  test('values that are plainly not credentials are quoted as they are', () => {
    expect(problems({ type: 'object', properties: { password: { type: 'integer' } } }, { password: 'none' })).toEqual([
      'password: must be an integer, got "none"',
    ]);
  });
});

describe('lists', () => {
  test('fails when a set or a uniqueItems list repeats an item', () => {
    // GIVEN
    const schema = { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } };
    // WHEN
    const result = problems(schema, ['a', 'b', 'a']);
    // THEN
    expect(result).toEqual(['[2]: duplicate entry, same as [0], got "a"']);
  });

  test('fails when a map list repeats a key', () => {
    // GIVEN
    const schema = {
      type: 'array',
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      items: { type: 'object', properties: { name: { type: 'string' }, port: { type: 'integer' } } },
    };
    // WHEN
    const result = problems(schema, [
      { name: 'http', port: 80 },
      { name: 'grpc', port: 81 },
      { name: 'http', port: 82 },
    ]);
    // THEN
    expect(result).toEqual(['[2]: duplicate entry, same name as [0], got "http"']);
  });
});

describe('value constraints: allOf, anyOf, oneOf, not', () => {
  const exactlyOne = {
    type: 'object',
    properties: { a: { type: 'string' }, b: { type: 'string' }, c: { type: 'string' } },
    oneOf: [{ required: ['a'] }, { required: ['b'] }],
  };

  test('passes when exactly one branch matches, and branches do not close the object', () => {
    // WHEN
    const result = problems(exactlyOne, { a: 'x', c: 'y' });
    // THEN
    expect(result).toEqual([]);
  });

  test('fails when none or both of a oneOf of required fields are set', () => {
    // WHEN
    const result = [...problems(exactlyOne, { c: 'y' }), ...problems(exactlyOne, { a: 'x', b: 'y' })];
    // THEN
    expect(result).toEqual([': must set exactly one of a, b, got none', ': must set exactly one of a, b, got a, b']);
  });

  test('fails when a value matches no anyOf branch, saying what each branch wanted', () => {
    // GIVEN
    const schema = {
      type: 'object',
      properties: { path: { type: 'string' }, tls: { type: 'object', properties: { termination: { type: 'string' } } } },
      anyOf: [
        { properties: { path: { maxLength: 0 } } },
        { not: { properties: { tls: { properties: { termination: { enum: ['passthrough'] } } } } } },
      ],
    };
    // WHEN
    const result = [
      ...problems(schema, { path: '/a', tls: { termination: 'edge' } }),
      ...problems(schema, { path: '/a', tls: { termination: 'passthrough' } }),
    ];
    // THEN
    expect(result).toEqual([
      ': must match at least one of: path must be at most 0 characters long, got "/a"; or tls.termination must not be passthrough',
    ]);
  });

  test('fails when a not constraint matches', () => {
    // GIVEN OpenShift's Route targetPort: neither 0 nor ""
    const schema = { 'x-kubernetes-int-or-string': true, allOf: [{ not: { enum: [0] } }, { not: { enum: [''] } }] };
    // WHEN
    const result = [...problems(schema, 0), ...problems(schema, ''), ...problems(schema, 'http')];
    // THEN
    expect(result).toEqual([': must not be 0', ': must not be ""']);
  });

  test('fails when an anyOf of required fields has none of them', () => {
    // GIVEN
    const schema = {
      type: 'object',
      properties: { a: { type: 'string' }, b: { type: 'string' } },
      anyOf: [{ required: ['a'] }, { required: ['b'] }],
    };
    // WHEN
    const result = problems(schema, {});
    // THEN
    expect(result).toEqual([': must set at least one of a, b']);
  });

  test('stays fast when combinators nest deeply', () => {
    // GIVEN 40 levels, each an anyOf of two branches over the level below: 2^40 paths without memoizing
    let schema: Record<string, unknown> = { type: 'object', properties: { leaf: { type: 'string' } }, required: ['leaf'] };
    let value: Record<string, unknown> = {};
    for (let level = 0; level < 40; level++) {
      const below = schema;
      schema = {
        type: 'object',
        properties: { next: below },
        anyOf: [{ properties: { next: below } }, { properties: { next: below }, required: ['next'] }],
      };
      value = { next: value };
    }
    const started = Date.now();
    // WHEN
    const result = problems(schema, value);
    // THEN
    expect(Date.now() - started).toBeLessThan(2000);
    const leaf = `${'next.'.repeat(40)}leaf`;
    expect(result).toHaveLength(41);
    expect(result[0]).toEqual(`${leaf}: is required`);
    expect(result[40]).toEqual(`: must match at least one of: ${leaf} is required; or ${leaf} is required`);
  });
});

describe('embedded resources', () => {
  const objectMeta = new SchemaCompiler({ dialect: SchemaDialect.SWAGGER, definitions: OBJECT_META_DEFINITIONS }).compileDefinition('ObjectMeta');
  const compiler = new SchemaCompiler({ dialect: SchemaDialect.STRUCTURAL, objectMeta });
  const schema = compiler.compile({
    type: 'object',
    properties: {
      template: { type: 'object', 'x-kubernetes-embedded-resource': true, 'x-kubernetes-preserve-unknown-fields': true },
      strictTemplate: {
        type: 'object',
        'x-kubernetes-embedded-resource': true,
        properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
      },
    },
  });

  test('passes an object with apiVersion, kind and metadata', () => {
    // WHEN
    const issues = validateValue(schema, {
      template: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', labels: { a: 'b' } }, data: { anything: 'kept' } },
      strictTemplate: { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 2 } },
    });
    // THEN
    expect(issues).toEqual([]);
  });

  test('fails when an embedded resource has no kind, a bad metadata field or an undeclared field', () => {
    // WHEN
    const issues = validateValue(
      schema,
      {
        template: { apiVersion: 'v1', metadata: { name: 'x', labelz: {} } },
        strictTemplate: { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 'two' }, status: {} },
      },
      { path: 'spec' },
    );
    // THEN
    expect(render(issues)).toEqual([
      'spec.template.kind: is required',
      'spec.template.metadata.labelz: unknown field, got "labelz"',
      'spec.strictTemplate.spec.replicas: must be an integer, got "two"',
      'spec.strictTemplate.status: unknown field, got "status"',
    ]);
  });

  test('fails when an embedded resource is not an object', () => {
    // WHEN
    const issues = validateValue(schema, { template: 'ConfigMap' });
    // THEN
    expect(render(issues)).toEqual(['template: must be an object, got "ConfigMap"']);
  });
});

describe('resources', () => {
  test('checks metadata against ObjectMeta plus the constraints the CRD declares for it', () => {
    // GIVEN a CRD that limits the name length and declares metadata only as an object
    const objectMeta = new SchemaCompiler({ dialect: SchemaDialect.SWAGGER, definitions: OBJECT_META_DEFINITIONS }).compileDefinition('ObjectMeta');
    const compiler = new SchemaCompiler({ dialect: SchemaDialect.STRUCTURAL, objectMeta });
    const schema = compiler.compileResource({
      type: 'object',
      properties: { metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 5 } } }, spec: { type: 'object' } },
    });
    // WHEN
    const issues = validateValue(schema, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'too-long', owner: 'me' }, extra: 1 });
    // THEN
    expect(render(issues)).toEqual([
      'metadata.owner: unknown field, got "owner"',
      'metadata.name: must be at most 5 characters long, got "too-long"',
      'extra: unknown field, got "extra"',
    ]);
  });
});

describe('swagger definitions', () => {
  const definitions = {
    Spec: {
      type: 'object',
      properties: {
        port: { $ref: '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString' },
        size: { $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity' },
        raw: { $ref: '#/definitions/RawExtension' },
        children: { type: 'array', items: { $ref: '#/definitions/Spec' } },
      },
    },
    RawExtension: { type: 'object' },
    'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { oneOf: [{ type: 'string' }, { type: 'number' }] },
  };
  const schema = new SchemaCompiler({ dialect: SchemaDialect.SWAGGER, definitions }).compileDefinition('Spec');

  test('resolves $ref recursively and accepts IntOrString, Quantity and any RawExtension', () => {
    // WHEN
    const issues = validateValue(schema, { port: 'http', size: 1.5, raw: { any: 'thing' }, children: [{ port: 80, size: '1Gi', children: [] }] });
    // THEN
    expect(issues).toEqual([]);
  });

  test('fails when a definition with properties gets an unknown field', () => {
    // WHEN
    const issues = validateValue(schema, { children: [{ prot: 80 }] });
    // THEN
    expect(render(issues)).toEqual(['children[0].prot: unknown field, got "prot"']);
  });
});

describe('protobuf schemas', () => {
  const definitions = {
    Conf: {
      type: 'object',
      additionalProperties: true,
      properties: {
        load_balancer: { $ref: '#/definitions/LoadBalancer', additionalProperties: true },
        destination: { type: 'object', additionalProperties: { type: 'string' } },
        max_connections: { type: 'integer', additionalProperties: true },
        config: { type: 'object', additionalProperties: true },
      },
    },
    LoadBalancer: {
      type: 'object',
      additionalProperties: true,
      properties: { roundRobin: { type: 'object', additionalProperties: true, properties: {} } },
    },
  };
  const schema = new SchemaCompiler({ dialect: SchemaDialect.PROTOBUF, definitions }).compile({ $ref: '#/definitions/Conf', definitions });

  test('accepts proto and JSON field names, maps, structs and integers written as strings', () => {
    // WHEN
    const issues = [
      ...validateValue(schema, {
        load_balancer: { roundRobin: {} },
        destination: { 'kuma.io/service': 'a' },
        max_connections: '10',
        config: { x: [1] },
      }),
      ...validateValue(schema, { loadBalancer: { round_robin: {} }, maxConnections: 10 }),
    ];
    // THEN
    expect(issues).toEqual([]);
  });

  test('fails when a message gets an unknown field although it says additionalProperties: true', () => {
    // WHEN
    const issues = validateValue(schema, { loadBalancer: { leastRequest: {} }, max_connections: 'ten' }, { path: 'spec.conf' });
    // THEN
    expect(render(issues)).toEqual([
      'spec.conf.loadBalancer.leastRequest: unknown field, got "leastRequest"',
      'spec.conf.max_connections: must be an integer, got "ten"',
    ]);
  });
});
