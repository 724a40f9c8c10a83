import fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import { Document, isMap, isScalar, isSeq, Node, Pair, parseDocument, stringify } from 'yaml';
import { z } from 'zod';
import { readProject } from '../../src/model/load';
import { defaultCacheDir } from '../../src/pipeline/validate/check-cache';
import { defaultParseCache, ParseCache, ParseCacheOptions } from '../../src/pipeline/validate/parse-cache';
import { loadAndScan } from '../../src/model/secret-scan';
import { EnvironmentSchema } from '../../src/model/schema';
import { parseWithSchema } from '../../src/model/zod-problems';
import { FieldPath, SourceFile } from '../../src/model/source-file';
import { REPO, removeTempDirs, tempDir } from '../util';
import { fixtureRepo, kongEnvironment } from '../model/fixtures';
import { TRICKY_SCALARS } from './yaml-scalars';

afterAll(() => removeTempDirs());

/**
 * Where a path is in a yaml Document, as SourceFile looked it up before it kept only a `Located`
 * tree of the document: the definition the tree must answer exactly as.
 */
function referenceFind(doc: Document.Parsed, path: FieldPath): { node?: Node; pair?: Pair; fallback: number; complete: boolean } {
  let node: unknown = doc.contents;
  let pair: Pair | undefined;
  let fallback = (node as Node | null)?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const next = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (next === undefined) {
        return { node, pair, fallback, complete: false };
      }
      pair = next;
      fallback = (next.key as Node | null)?.range?.[0] ?? fallback;
      node = next.value ?? undefined;
      if (node === undefined || (isScalar(node) && node.range != null && node.range[0] === node.range[1])) {
        node = undefined;
      }
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      pair = undefined;
      fallback = (node as Node | null)?.range?.[0] ?? fallback;
    } else {
      return { node: (node as Node | undefined) ?? undefined, pair, fallback, complete: false };
    }
  }
  return { node: node as Node | undefined, pair, fallback, complete: true };
}

/** The offset `locate` names for a path, by the reference. */
function referenceOffset(doc: Document.Parsed, path: FieldPath, atKey: boolean): number {
  const found = referenceFind(doc, path);
  const node = atKey && found.pair !== undefined && isScalar(found.pair.key) ? found.pair.key : (found.node ?? (found.pair?.key as Node | undefined));
  return node?.range?.[0] ?? found.fallback;
}

/** Every path of the document, and next to each map and list a key and an index it does not have. */
function pathsOf(doc: Document.Parsed): FieldPath[] {
  const out: FieldPath[] = [[], ['absent'], [0]];
  const walk = (node: unknown, at: FieldPath) => {
    if (isMap(node)) {
      out.push([...at, 'absent-key'], [...at, 'absent-key', 'deeper']);
      for (const item of node.items) {
        const key = isScalar(item.key) ? String(item.key.value) : '?';
        out.push([...at, key], [...at, key, 'deeper'], [...at, key, 0]);
        walk(item.value, [...at, key]);
      }
    } else if (isSeq(node)) {
      out.push([...at, node.items.length], [...at, -1]);
      node.items.forEach((item, i) => {
        out.push([...at, i], [...at, i, 'deeper']);
        walk(item, [...at, i]);
      });
    }
  };
  walk(doc.contents, []);
  return out;
}

/** What a file answers about every path: what loading and messages ask of it. */
function answers(file: SourceFile, paths: readonly FieldPath[]) {
  return {
    problems: file.problems,
    data: file.data,
    isEmpty: file.isEmpty,
    text: file.text,
    paths: paths.map((p) => ({
      p,
      value: file.locate(p),
      key: file.locate(p, true),
      has: file.has(p),
      source: file.sourceTextAt(p),
      got: file.valueAt(p),
    })),
  };
}

/** Whether two plain values are the same: the same keys in the same order, the same primitives by `Object.is`. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return Object.is(a, b);
  }
  if (Array.isArray(a) !== Array.isArray(b)) {
    return false;
  }
  const keys = Object.keys(a);
  const bKeys = Object.keys(b);
  return (
    keys.length === bKeys.length &&
    keys.every((key, i) => key === bKeys[i] && sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]))
  );
}

/** A restore from what `kept()` gives, after the trip through an entry file. */
function restored(file: SourceFile, input: string | Uint8Array): SourceFile {
  return SourceFile.restore(file.path, input, v8.deserialize(v8.serialize(file.kept())) as ReturnType<SourceFile['kept']>);
}

/** Hand-written files with the shapes the generator does not make: empty values, flow collections, aliases, comments, problems. */
const HAND_WRITTEN = [
  '',
  '# only a comment\n',
  'a:\nb: ~\nc: ""\nd: []\ne: {}\n',
  'services:\n  orders: { image: x, ports: [ { port: 8080 } ] }\n  empty:\n  list:\n    - \n    - a: 1\n      b:\n',
  'x: &anchor { a: 1 }\ny: *anchor\nz: [*anchor, 2]\n',
  'seq:\n- [a: 1, b]\n- ? complex\n  : value\n',
  'text: |\n  two\n  lines\nfolded: >-\n  one\n  line\nquoted: "a\\tb"\n',
  'inf: .inf\nnan: .nan\nneg: -0\noct: 0o17\nnull: null\n1: number key\n',
  'dup: 1\ndup: 2\n',
  'bad: [unclosed\n',
  '- top\n- list\n',
  'plain scalar document\n',
  '---\na: 1\n---\nb: 2\n',
  'a: 1\r\nb:\r\n  - c\r\n',
  '\ufeffbom: true\n',
  // Maps large enough to be indexed, with repeated keys (the first one counts), in a list.
  `${Array.from({ length: 40 }, (_, i) => `k${i % 30}: ${i}`).join('\n')}\nlist:\n${Array.from({ length: 20 }, (_, i) => `  - { a${i % 18}: ${i}, ${Array.from({ length: 20 }, (_, j) => `b${j % 17}: ${j}`).join(', ')} }`).join('\n')}\n`,
];

/** Documents of random shape and style, through the yaml stringifier. */
const generated = fc
  .letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom<unknown>(...TRICKY_SCALARS, null, 0, -1.5, true),
      fc.dictionary(fc.constantFrom('a', 'b', 'name', 'x y', '1', 'true', 'routing', 'services'), tie('value'), { maxKeys: 5 }),
      fc.array(tie('value'), { maxLength: 4 }),
    ),
  }))
  .value.chain((value) => fc.record({ value: fc.constant(value), flow: fc.boolean(), indent: fc.constantFrom(2, 4) }))
  .map(({ value, flow, indent }) => stringify(value, { indent, collectionStyle: flow ? 'flow' : 'any' }));

describe('a parsed file keeps where its nodes are', () => {
  test('looks every path up exactly as the yaml document does, for hand-written and generated files', () => {
    const check = (text: string) => {
      const file = SourceFile.parse('environments/x.yaml', text);
      const doc = parseDocument(text, { uniqueKeys: false, keepSourceTokens: false });
      for (const p of pathsOf(doc)) {
        for (const atKey of [false, true]) {
          const offset = referenceOffset(doc, p, atKey);
          const before = text.slice(0, offset);
          const line = before.split('\n').length;
          const col = offset - (before.lastIndexOf('\n') + 1) + 1;
          expect({ p, atKey, at: file.locate(p, atKey) }).toEqual({ p, atKey, at: { line, col } });
        }
        const found = referenceFind(doc, p);
        expect({ p, has: file.has(p) }).toEqual({ p, has: found.complete });
        const range = found.complete ? found.node?.range : undefined;
        expect({ p, source: file.sourceTextAt(p) }).toEqual({ p, source: range == null ? undefined : text.slice(range[0], range[1]).trim() });
      }
    };
    // Multi-document files are a problem; their first document is the one both look into.
    HAND_WRITTEN.filter((t) => !t.includes('---') && !t.startsWith('\ufeff')).forEach(check);
    fc.assert(fc.property(generated, check), { numRuns: 300 });
  });

  test('a restored file answers everything as the parse it was kept from', () => {
    const check = (text: string, input: string | Uint8Array) => {
      const file = SourceFile.parse('environments/x.yaml', input);
      const paths = pathsOf(parseDocument(text, { uniqueKeys: false }));
      const [was, is] = [answers(file, paths), answers(restored(file, input), paths)];
      expect(is).toEqual(was);
      // toEqual does not tell a missing key from one holding undefined, nor key order, nor -0 from 0
      // (and toStrictEqual cannot be used: deserialized objects come from another realm than jest's).
      expect(sameValue(is, was)).toBe(true);
    };
    for (const text of HAND_WRITTEN) {
      check(text, text);
      check(text, Buffer.from(text, 'utf8'));
    }
    // Bytes that are not UTF-8: a file with problems, restored with them.
    check('a: b\n', Buffer.from([0x61, 0x3a, 0x20, 0xe9, 0x0a]));
    fc.assert(
      fc.property(generated, (text) => check(text, Buffer.from(text, 'utf8'))),
      { numRuns: 200 },
    );
    // The example project's files, as they are.
    for (const file of [
      'environments/meshflip.yaml',
      ...fs
        .readdirSync(path.join(REPO, 'environments'))
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => `environments/${f}`),
    ]) {
      const bytes = fs.readFileSync(path.join(REPO, file));
      check(bytes.toString('utf8'), bytes);
    }
  });
});

test('a restored file reads where its nodes are back only when a position is first asked for', () => {
  const text = fs.readFileSync(path.join(REPO, 'environments', 'kong-perf.yaml'), 'utf8');
  const fresh = SourceFile.parse('environments/kong-perf.yaml', text);
  const kept = v8.deserialize(v8.serialize(fresh.kept())) as ReturnType<SourceFile['kept']>;
  const file = SourceFile.restore(fresh.path, text, kept);
  expect(file.data).toEqual(parseDocument(text).toJS());
  expect(file.isEmpty).toBe(false);
  // Nothing asked where: the tree is still the bytes it was restored from, kept again as they are.
  expect(file.kept().tree).toBe(kept.tree);
  expect(file.lineOf(['mesh', 'zones'])).toBe(fresh.lineOf(['mesh', 'zones']));
  expect(file.locate(['services'], true)).toEqual(fresh.locate(['services'], true));
  // Asked: read back, and kept again as the same tree.
  expect(file.kept().tree).not.toBe(kept.tree);
  expect(v8.deserialize(file.kept().tree!)).toEqual(v8.deserialize(kept.tree!));
});

describe('a parsed file records what a schema made of its data', () => {
  const text = kongEnvironment('lab', 'routing:', '  services:', '    orders: { to: mock, weight: 20 }');

  test('answers the next check under the same name with the record, a fresh copy each time, also once restored', () => {
    // GIVEN a file the environment schema accepted, with what it made of the data recorded
    const file = SourceFile.parse('environments/lab.yaml', text);
    const checked = parseWithSchema(file, EnvironmentSchema, 'environment');
    expect(checked.problems).toEqual([]);
    const fresh = z.safeParse(EnvironmentSchema, file.data).data;
    expect(sameValue(checked.value, fresh)).toBe(true);
    // WHEN the value given is changed, as a caller may change what it resolves
    (checked.value as { name: string }).name = 'changed';
    // THEN the next check under that name answers what the schema made of the data, not the change
    expect(sameValue(parseWithSchema(file, EnvironmentSchema, 'environment').value, fresh)).toBe(true);
    // AND it answers from the record, without checking: the name stands for the schema
    expect(sameValue(parseWithSchema(file, z.never(), 'environment').value, fresh)).toBe(true);
    // AND under another name, or none, the data is checked
    expect(parseWithSchema(file, z.never(), 'catalog').problems).not.toEqual([]);
    expect(parseWithSchema(file, z.never()).problems).not.toEqual([]);
    // AND a file restored from what was kept of it has the record
    expect(sameValue(restored(file, text).schemaValue('environment'), fresh)).toBe(true);
  });

  test('records nothing when the schema refuses the data, which is checked again each time', () => {
    const file = SourceFile.parse('environments/lab.yaml', `${text}colour: blue\n`);
    const first = parseWithSchema(file, EnvironmentSchema, 'environment');
    expect(first.problems.map((p) => p.field)).toEqual(['colour']);
    expect(file.schemaValue('environment')).toBeUndefined();
    expect(restored(file, text).schemaValue('environment')).toBeUndefined();
    expect(parseWithSchema(file, EnvironmentSchema, 'environment')).toEqual(first);
  });
});

describe('ParseCache', () => {
  const options = (dir: string, code = 'code-a'): ParseCacheOptions => ({ dir, code });

  test('lives next to the kept check results, and nowhere when the cache folder is set empty', () => {
    expect(defaultParseCache({ MESHFLIP_CACHE_DIR: '/var/cache/ci' })?.dir).toBe(path.resolve('/var/cache/ci', 'parses'));
    expect(path.dirname(defaultParseCache({ XDG_CACHE_HOME: '/home/u/.xdg' })!.dir)).toBe(
      path.dirname(defaultCacheDir({ XDG_CACHE_HOME: '/home/u/.xdg' })!),
    );
    expect(defaultParseCache({ MESHFLIP_CACHE_DIR: '' })).toBeUndefined();
  });

  test('keys a parse by the path, the bytes, text against bytes and the code', () => {
    const dir = tempDir();
    const cache = new ParseCache(options(dir));
    const key = cache.key('environments/a.yaml', Buffer.from('a: 1\n'));
    expect(cache.key('environments/a.yaml', Buffer.from('a: 1\n'))).toBe(key);
    const others = [
      cache.key('environments/b.yaml', Buffer.from('a: 1\n')),
      cache.key('environments/a.yaml', Buffer.from('a: 2\n')),
      cache.key('environments/a.yaml', 'a: 1\n'),
      new ParseCache(options(dir, 'code-b')).key('environments/a.yaml', Buffer.from('a: 1\n')),
    ];
    expect(new Set([key, ...others]).size).toBe(5);
  });

  test('makes the folders it creates private to the user', () => {
    const dir = path.join(tempDir(), 'meshflip', 'parses');
    const input = Buffer.from('a: 1\n');
    new ParseCache(options(dir)).keep('environments/a.yaml', input, SourceFile.parse('environments/a.yaml', input));
    expect(fs.readdirSync(dir)).toHaveLength(1);
    expect([dir, path.dirname(dir)].map((d) => (fs.statSync(d).mode & 0o777).toString(8))).toEqual(['700', '700']);
  });

  test('gives back what it kept, and nothing for a file with problems, a corrupt entry or an entry of another key', () => {
    const dir = tempDir();
    const cache = new ParseCache(options(dir));
    const input = Buffer.from('services:\n  orders: { image: x }\n');
    expect(cache.restore('environments/a.yaml', input)).toBeUndefined();
    const file = SourceFile.parse('environments/a.yaml', input);
    cache.keep('environments/a.yaml', input, file);
    expect(cache.restore('environments/a.yaml', input)?.data).toEqual(file.data);

    const broken = Buffer.from('services: [\n');
    cache.keep('environments/b.yaml', broken, SourceFile.parse('environments/b.yaml', broken));
    expect(cache.restore('environments/b.yaml', broken)).toBeUndefined();

    const entry = path.join(dir, `${cache.key('environments/a.yaml', input)}.bin`);
    fs.copyFileSync(entry, path.join(dir, `${cache.key('environments/c.yaml', input)}.bin`));
    expect(cache.restore('environments/c.yaml', input)).toBeUndefined();
    fs.writeFileSync(entry, 'not an entry');
    expect(cache.restore('environments/a.yaml', input)).toBeUndefined();
  });
});

describe('loading with kept parses', () => {
  /** A load's outcome as the commands use it: the project's environments and settings, the problems. */
  const outcome = (read: ReturnType<typeof readProject>) => ({ problems: read.problems, project: { ...read.project, root: undefined } });

  test('a second load restores every file, and gives what parsing them gives', async () => {
    const root = fixtureRepo({
      'environments/lab.yaml': kongEnvironment('lab', 'routing:', '  services:', '    orders: { to: mock, weight: 20 }'),
    });
    const parseCache = options(tempDir());
    const first = await loadAndScan(root, { parseCache });
    expect(first.problems).toEqual([]);
    const parse = jest.spyOn(SourceFile, 'parse');
    const checked = jest.spyOn(SourceFile.prototype, 'keepSchemaValue');
    try {
      forgetLastLoad();
      const again = readProject(copyOf(root), { parseCache });
      // Only the imposter files, which the loader reads as it resolves mocks, are parsed again,
      // and no file is checked against its schema again: each answers what the first load's check found.
      expect(parse.mock.calls.map(([file]) => file)).toEqual(['environments/mocks/orders.imposter.json']);
      expect(checked).not.toHaveBeenCalled();
      expect(again.parsed).toEqual([]);
      forgetLastLoad();
      parse.mockClear();
      const parsed = readProject(copyOf(root));
      // Without the cache, every input file is parsed.
      expect(parse.mock.calls.map(([file]) => file).sort()).toEqual(parsed.sources.map((s) => s.file.path).sort());
      // A restored file reads where its nodes are back when first asked: ask, then compare everything.
      again.sources.forEach((s) => s.file.lineOf([]));
      expect(outcome(again)).toEqual(outcome(parsed));
    } finally {
      parse.mockRestore();
      checked.mockRestore();
    }
  });

  test('parses again the file that changed, and only it', async () => {
    const root = fixtureRepo();
    const parseCache = options(tempDir());
    await loadAndScan(root, { parseCache });
    const edited = copyOf(root);
    fs.appendFileSync(path.join(edited, 'environments/lab.yaml'), '# reviewed\n');
    const again = readProject(edited, { parseCache });
    expect(again.parsed?.map((p) => p.file.path)).toEqual(['environments/lab.yaml']);
  });

  test('keeps the files a load without the cache parsed, which the next load reuses from memory (flip loads twice)', async () => {
    // GIVEN a load that keeps nothing (flip's first, of the environment to edit)
    const root = fixtureRepo();
    forgetLastLoad();
    readProject(root);
    // WHEN the project is loaded and scanned with a cache, reusing those parses
    const dir = tempDir();
    const parse = jest.spyOn(SourceFile, 'parse');
    try {
      await loadAndScan(root, { parseCache: options(dir) });
      // THEN nothing was parsed again but the imposter, and the three YAML files are kept
      expect(parse.mock.calls.map(([file]) => file)).toEqual(['environments/mocks/orders.imposter.json']);
    } finally {
      parse.mockRestore();
    }
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.bin'))).toHaveLength(3);
    // AND the next command's cache over the same folder knows it holds them: nothing to keep again
    expect(readProject(root, { parseCache: options(dir) }).parsed).toEqual([]);
  });

  test('an edit given as bytes is kept as the file holding them: once written, the next load from disk parses nothing', async () => {
    // GIVEN an edit checked before it is written (flip), given as the bytes the file will hold
    const root = fixtureRepo();
    const file = 'environments/lab.yaml';
    const edited = Buffer.from(`${fs.readFileSync(path.join(root, file), 'utf8')}# reviewed\n`, 'utf8');
    const parseCache = options(tempDir());
    const checked = await loadAndScan(root, { parseCache, overrides: new Map([[file, edited]]) });
    expect(checked.problems).toEqual([]);
    // WHEN the file is written, and another command loads the project
    fs.writeFileSync(path.join(root, file), edited);
    forgetLastLoad();
    const parse = jest.spyOn(SourceFile, 'parse');
    try {
      const again = readProject(copyOf(root), { parseCache });
      // THEN the edited file is restored, not parsed (the imposter is read as the mocks resolve)
      expect(parse.mock.calls.map(([parsed]) => parsed)).toEqual(['environments/mocks/orders.imposter.json']);
      expect(again.parsed).toEqual([]);
    } finally {
      parse.mockRestore();
    }
    // AND given as text, the same edit is kept under the text: the file on disk is parsed again
    const other = fixtureRepo();
    const textCache = options(tempDir());
    await loadAndScan(other, { parseCache: textCache, overrides: new Map([[file, edited.toString('utf8')]]) });
    fs.writeFileSync(path.join(other, file), edited);
    forgetLastLoad();
    expect(readProject(copyOf(other), { parseCache: textCache }).parsed?.map((p) => p.file.path)).toEqual([file]);
  });

  test('keeps no file in which the credential scan found something', async () => {
    const token = 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef';
    const root = fixtureRepo({
      'environments/lab.yaml': kongEnvironment('lab', 'routing:', '  services:', `    orders: { to: mock, reason: "asked for by ${token}" }`),
    });
    const dir = tempDir();
    const parseCache = options(dir);
    const first = await loadAndScan(root, { parseCache });
    expect(first.problems.map((p) => p.file)).toContain('environments/lab.yaml');
    const again = readProject(copyOf(root), { parseCache });
    expect(again.parsed?.map((p) => p.file.path)).toEqual(['environments/lab.yaml']);
    const kept = fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f)).toString('latin1'));
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.filter((entry) => entry.includes(token))).toEqual([]);
  });

  test('scans only the files it parses: a restored file was scanned, with nothing found, before it was kept', async () => {
    const token = 'gh' + 'p_' + 'A1b2C3d4E5'.repeat(3) + 'abcdef';
    const file = 'environments/lab.yaml';
    const root = fixtureRepo({ 'environments/lab.yaml': kongEnvironment('lab', `description: "asked for by ${token}"`) });
    const parseCache = options(tempDir());
    const first = await loadAndScan(root, { parseCache });
    expect(first.problems.map((p) => [p.file, p.field])).toEqual([[file, 'description']]);
    // A cache that holds the file anyway (loadAndScan never keeps it: see above) answers for its scan too.
    const bytes = fs.readFileSync(path.join(root, file));
    parseCache.keep(file, bytes, SourceFile.parse(file, bytes));
    forgetLastLoad();
    expect((await loadAndScan(copyOf(root), { parseCache })).problems).toEqual([]);
    // Other bytes are another key: the file is parsed, scanned and the credential found.
    const edited = copyOf(root);
    fs.appendFileSync(path.join(edited, file), '# reviewed\n');
    forgetLastLoad();
    expect((await loadAndScan(edited, { parseCache })).problems.map((p) => [p.file, p.field])).toEqual([[file, 'description']]);
  });

  function options(dir: string): ParseCache {
    return new ParseCache({ dir, code: 'test' });
  }
});

/** Makes the next load parse or restore every file: a load keeps the files of the last one (`readProject`), here those of none. */
function forgetLastLoad(): void {
  readProject(tempDir());
}

/** A copy of a repository, in a folder of its own. */
function copyOf(root: string): string {
  const copy = tempDir();
  fs.cpSync(root, copy, { recursive: true });
  return copy;
}
