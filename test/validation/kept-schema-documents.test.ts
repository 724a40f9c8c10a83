import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { SchemaDocuments } from '../../src/pipeline/validate/schema-documents';
import { KeptDocuments, SchemaLoadError, SchemaStore } from '../../src/validation/schema-store';
import { removeTempDirs, tempDir } from '../util';
import { widgetCrd } from './schema-fixtures';

// Parsing the YAML of the CRDs is most of loading a schema folder, so the parsed documents of each
// file are kept between runs by the file's bytes. A store loaded from them must be the store
// parsing gives, and a file must never be answered for by what another file's bytes parsed to.

afterAll(removeTempDirs);

/** A schema folder: the Widget CRD (spec.size an integer, spec.colour an enum) and a Gadget CRD in one file of two documents. */
function schemaFolder(): string {
  const dir = tempDir('meshflip-crds-');
  fs.writeFileSync(
    path.join(dir, 'widgets.yaml'),
    stringify(widgetCrd({ size: { type: 'integer', maximum: 10 }, colour: { type: 'string', enum: ['red', 'blue'] } })),
  );
  const gadget = widgetCrd({ name: { type: 'string', maxLength: 5 } }) as {
    metadata: { name: string };
    spec: { names: { kind: string; plural: string } };
  };
  gadget.metadata.name = 'gadgets.example.io';
  gadget.spec.names = { kind: 'Gadget', plural: 'gadgets' };
  fs.writeFileSync(path.join(dir, 'more.yaml'), `# two documents\n${stringify(gadget)}---\n${stringify({ note: 'not a schema' })}`);
  return dir;
}

/** A copy of a folder under a new path: the store of this process does not know it yet. */
function copyOf(dir: string): string {
  const copy = tempDir('meshflip-crds-');
  fs.cpSync(dir, copy, { recursive: true });
  return copy;
}

const OBJECTS = [
  { apiVersion: 'example.io/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 11, colour: 'green', extra: true } },
  { apiVersion: 'example.io/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { name: 'too long' } },
  { apiVersion: 'example.io/v1', kind: 'Gizmo', metadata: { name: 'z' } },
];

/**
 * Loads a store, counting the YAML files parsed: each file the loader parses it keeps, and only
 * those (with no kept documents, nothing is counted).
 */
function loading(dir: string, kept?: SchemaDocuments): { store: SchemaStore; parsed: number } {
  let parsed = 0;
  const counting: KeptDocuments | undefined =
    kept === undefined
      ? undefined
      : {
          get: (bytes) => kept.get(bytes),
          keep: (bytes, documents) => {
            parsed++;
            kept.keep(bytes, documents);
          },
        };
  const store = SchemaStore.load([dir], counting === undefined ? {} : { keptDocuments: counting });
  return { store, parsed };
}

function answers(store: SchemaStore) {
  return { summary: store.summaryLine(), kinds: store.listKinds(), issues: OBJECTS.map((o) => store.validate(o)) };
}

describe('schema files kept as parsed', () => {
  test('a store loaded from what an earlier load kept parses no YAML and answers as one that parses every file', () => {
    const folder = schemaFolder();
    const kept = new SchemaDocuments(tempDir('meshflip-cache-'));
    const reference = loading(copyOf(folder));
    expect(answers(reference.store).issues.every((issues) => issues.length > 0)).toBe(true);
    const first = loading(copyOf(folder), kept);
    expect(first.parsed).toBe(2);
    const second = loading(copyOf(folder), kept);
    expect(second.parsed).toBe(0);
    expect(answers(second.store)).toEqual(answers(reference.store));
    expect(answers(first.store)).toEqual(answers(reference.store));
  });

  test('a file whose bytes changed is parsed again, and its new schema is the one used', () => {
    const folder = schemaFolder();
    const kept = new SchemaDocuments(tempDir('meshflip-cache-'));
    loading(copyOf(folder), kept);
    const changed = copyOf(folder);
    fs.writeFileSync(path.join(changed, 'widgets.yaml'), stringify(widgetCrd({ size: { type: 'integer', maximum: 20 } })));
    const again = loading(changed, kept);
    expect(again.parsed).toBe(1);
    expect(answers(again.store)).toEqual(answers(loading(copyOf(changed)).store));
    expect(again.store.validate(OBJECTS[0]).map((i) => i.path)).not.toContain('spec.size');
  });

  test('a file that is not valid YAML is reported as before, and nothing is kept of it', () => {
    // GIVEN a folder whose last file in name order is not valid YAML
    const folder = schemaFolder();
    fs.writeFileSync(path.join(folder, 'zz-broken.yaml'), 'kind: [unclosed\n');
    const dir = tempDir('meshflip-cache-');
    const copy = copyOf(folder);
    const failure = () => {
      try {
        SchemaStore.load([copy], { keptDocuments: new SchemaDocuments(dir) });
      } catch (e) {
        return e;
      }
      return undefined;
    };
    // THEN loading it fails at that file, each time
    const message = `${path.join(copy, 'zz-broken.yaml')}:2:1: is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`;
    for (const e of [failure(), failure()]) {
      expect(e).toBeInstanceOf(SchemaLoadError);
      expect((e as SchemaLoadError).message).toBe(message);
    }
    // AND only the two valid files read before it were kept
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(2);
  });

  test('an entry that cannot be read is no entry: the file is parsed', () => {
    const folder = schemaFolder();
    const dir = tempDir('meshflip-cache-');
    loading(copyOf(folder), new SchemaDocuments(dir));
    for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.bin'))) {
      fs.writeFileSync(path.join(dir, name), Buffer.from([0xff, 0x0d, 0x01]));
    }
    const again = loading(copyOf(folder), new SchemaDocuments(dir));
    expect(again.parsed).toBe(2);
    expect(answers(again.store)).toEqual(answers(loading(copyOf(folder)).store));
  });
});
