import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import { setYamlValue, setYamlValueAt } from '../../src/model/edit-yaml';
import { MAX_ENTRIES } from '../../src/model/limits';
import { SourceFile } from '../../src/model/source-file';
import { writeFleet } from '../bench/fleet';
import { REPO, removeTempDirs, tempDir } from '../util';

// A flip parses only the top-level pair its edit changed (SourceFile.edited), and takes the rest of
// the file from the parse of the text before the edit. Whatever it gives must be exactly what a
// parse of the whole new text gives: its data, its problems (none), and where each node is, which
// every later message and source annotation is placed by.

afterAll(removeTempDirs);

const examples = fs
  .readdirSync(path.join(REPO, 'environments'))
  .filter((f) => f.endsWith('.yaml') && f !== 'meshflip.yaml')
  .map((f) => `environments/${f}`);

const fleetRoot = tempDir();
writeFleet(fleetRoot, { services: 40, environments: 1 });

/** Every file an edit starts from: the examples' environment files, and a fleet's. */
const files = [
  ...examples.map((file) => ({ file, text: fs.readFileSync(path.join(REPO, file), 'utf8') })),
  { file: 'environments/env0.yaml', text: fs.readFileSync(path.join(fleetRoot, 'environments/env0.yaml'), 'utf8') },
];

/** What a parse holds, as it is kept between runs: its problems, data and tree of positions. */
function parsed(file: SourceFile): unknown {
  const kept = file.kept();
  return { text: file.text, problems: kept.problems, data: kept.data, tree: kept.tree === undefined ? undefined : v8.deserialize(kept.tree) };
}

/** The services of an environment file, as its `services:` map names them. */
function servicesOf(source: SourceFile): string[] {
  const services = (source.data as { services?: Record<string, unknown> }).services;
  return Object.keys(services ?? {});
}

/** The edits a flip makes, and others of one value: a route, its weight and header, a reason, a new top-level value. */
const edit = fc.record({
  file: fc.integer({ min: 0, max: files.length - 1 }),
  service: fc.nat(),
  value: fc.oneof(
    fc.constantFrom<unknown>('mock', 'real', 'record'),
    fc.record({ to: fc.constant('mock'), weight: fc.integer({ min: 1, max: 100 }) }),
    fc.record({ to: fc.constant('mock'), header: fc.record({ name: fc.constant('x-mock'), value: fc.string({ minLength: 1, maxLength: 8 }) }) }),
    fc.record({ to: fc.constant('mock'), reason: fc.string({ maxLength: 20 }) }),
  ),
  spliced: fc.boolean(),
});

describe('a file edited within one top-level pair', () => {
  it('is what a parse of the whole new text gives, and is found without one for nearly every flip of a file with routing', () => {
    let found = 0;
    let runs = 0;
    fc.assert(
      fc.property(edit, ({ file: index, service, value, spliced }) => {
        const { file, text } = files[index];
        const before = SourceFile.parse(file, text);
        const services = servicesOf(before);
        const target = ['routing', 'services', services[service % services.length]];
        const after = (spliced ? setYamlValueAt(text, before, target, value) : undefined) ?? setYamlValue(text, target, value);
        const edited = SourceFile.edited(before, file, after);
        // A file without routing gets a new top-level pair, which is no edit of one: parsed whole.
        const hasRouting = 'routing' in (before.data as Record<string, unknown>);
        runs += hasRouting ? 1 : 0;
        if (edited !== undefined) {
          found += hasRouting ? 1 : 0;
          expect(parsed(edited)).toEqual(parsed(SourceFile.parse(file, after)));
          // And asked where a value is, it answers as the parse does.
          expect(edited.locatedAt(target)).toEqual(SourceFile.parse(file, after).locatedAt(target));
        }
      }),
      { numRuns: 150 },
    );
    expect(runs).toBeGreaterThan(50);
    // Not for a reason with an & or a * in it, nor for an edit that leaves the text as it was.
    expect(found).toBeGreaterThan(runs * 0.75);
  });

  it('is what a parse of the whole new text gives after any change of characters, or is left to that parse', () => {
    const change = fc.record({
      file: fc.integer({ min: 0, max: files.length - 1 }),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      remove: fc.integer({ min: 0, max: 3 }),
      insert: fc.constantFrom('', 'x', ' ', '\n', ':', '- ', '"', "'", '#', '\t', 'a: b\n', '\n  y: 1', '{', '&a ', '*a', '---\n', '\u0007'),
    });
    let taken = 0;
    fc.assert(
      fc.property(change, ({ file: index, at, remove, insert }) => {
        const { file, text } = files[index];
        const offset = Math.floor(at * text.length);
        const after = text.slice(0, offset) + insert + text.slice(offset + remove);
        const edited = SourceFile.edited(SourceFile.parse(file, text), file, after);
        if (edited !== undefined) {
          taken++;
          expect(parsed(edited)).toEqual(parsed(SourceFile.parse(file, after)));
        }
      }),
      { numRuns: 1200 },
    );
    // Those that leave the file YAML and change one pair are compared: one in fifteen or so.
    expect(taken).toBeGreaterThan(40);
  });

  it('is what a parse gives for an edit of the first pair, of the last, and of one between', () => {
    const text = '# a comment\nname: a\nrouting:\n  services:\n    x: real\n\n# before faults\nfaults:\n  - service: x\n    delay: 1s\n';
    const edits = [
      text.replace('name: a', 'name: abc'),
      text.replace('x: real', 'x: {to: mock, weight: 30}'),
      text.replace('delay: 1s', 'delay: 250ms\n    percent: 50'),
      `${text}  - service: y\n    delay: 2s\n`,
    ];
    for (const after of edits) {
      const edited = SourceFile.edited(SourceFile.parse('environments/a.yaml', text), 'environments/a.yaml', after);
      expect(edited).toBeDefined();
      expect(parsed(edited!)).toEqual(parsed(SourceFile.parse('environments/a.yaml', after)));
    }
  });

  it('takes the same bytes as text, and leaves bytes that are not UTF-8 to a parse', () => {
    const { file, text } = files[files.length - 1];
    const before = SourceFile.parse(file, text);
    const after = setYamlValue(text, ['routing', 'services', servicesOf(before)[1]], 'mock');
    const fromBytes = SourceFile.edited(before, file, Buffer.from(after, 'utf8'));
    expect(fromBytes).toBeDefined();
    expect(parsed(fromBytes!)).toEqual(parsed(SourceFile.parse(file, Buffer.from(after, 'utf8'))));
    const broken = Buffer.concat([Buffer.from(after, 'utf8'), Buffer.from([0xff])]);
    expect(SourceFile.edited(before, file, broken)).toBeUndefined();
  });

  it('parses only the lines of the entries a flip changed, below the keys above them, for a route set, changed, added or removed', () => {
    const { file, text } = files[files.length - 1];
    const before = SourceFile.parse(file, text);
    const parse = jest.spyOn(SourceFile, 'parse');
    try {
      let edits = 0;
      const routes = (before.data as { routing: { services: object } }).routing.services;
      // Routes of each kind (every third service has one, of three kinds in turn), and none.
      for (const service of servicesOf(before).slice(0, 13)) {
        for (const value of ['mock', 'real', { to: 'mock', weight: 30 }, undefined]) {
          const after = setYamlValue(text, ['routing', 'services', service], value);
          if (after === text) {
            continue;
          }
          parse.mockClear();
          const edited = SourceFile.edited(before, file, after);
          const texts = parse.mock.calls.map(([, input]) => String(input));
          expect(parsed(edited!)).toEqual(parsed(SourceFile.parse(file, after)));
          // Parses of the keys above and the entries the edit touched: the service's own, and the
          // next one's when a route is added before it or removed; a second, when the first (of the
          // map of the route before) finds the line added to be a route. Not the last route
          // removed: where the map ends moves, and the whole pair is parsed.
          if (!(value === undefined && service === Object.keys(routes).at(-1))) {
            expect(texts.length).toBeGreaterThanOrEqual(1);
            expect(texts.length).toBeLessThanOrEqual(2);
            for (const t of texts) {
              expect(t).toMatch(/^routing:\n {2}services:\n {4}svc-\d{4}:/);
              expect((t.match(/^ {4}svc-/gm) ?? []).length).toBeLessThanOrEqual(2);
            }
            edits++;
          }
        }
      }
      expect(edits).toBeGreaterThan(30);
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('is what a parse gives when an edit within a map adds an entry to a map above it, repeats a key, or indents a key differently', () => {
    const text = [
      'name: a',
      'routing:',
      '  services:',
      '    # the routes',
      '',
      '    x:',
      '      to: mock',
      '      weight: 30',
      '    y: real',
      'faults:',
      '  x:',
      '    delay: 1s',
      '',
    ].join('\n');
    const before = SourceFile.parse('environments/a.yaml', text);
    const edits = {
      // After the last line of x's map: an entry of x, of services, of routing, of the file.
      'of x': text.replace('weight: 30\n', 'weight: 30\n      header: {name: x-mock, value: "1"}\n'),
      'of services': text.replace('    y: real\n', '    y: real\n    z: mock\n'),
      'of routing': text.replace('    y: real\n', '    y: real\n  default: real\n'),
      'between two': text.replace('    y: real\n', '    w: mock\n    y: real\n'),
      first: text.replace('    x:\n', '    a: mock\n    x:\n'),
      removed: text.replace('      weight: 30\n', ''),
      replaced: text.replace('    x:\n      to: mock\n      weight: 30\n', '    x: real\n'),
      'after a comment': text.replace('    # the routes\n', '    # the routes\n    b: mock\n'),
    };
    for (const [name, after] of Object.entries(edits)) {
      const edited = SourceFile.edited(before, 'environments/a.yaml', after);
      expect([name, edited === undefined ? undefined : parsed(edited)]).toEqual([name, parsed(SourceFile.parse('environments/a.yaml', after))]);
    }
    // What a parse of the whole text finds a problem in, it gives nothing for.
    const refused = {
      'a key twice': text.replace('    y: real\n', '    y: real\n    x: real\n'),
      'a key indented further': text.replace('    y: real\n', '    y: real\n     z: real\n'),
      'a key indented less': text.replace('    y: real\n', '    y: real\n   z: real\n'),
      // Alone, the lines of y would be a map of their own indentation.
      'an entry indented further': text.replace('    y: real\n', '     y: real\n'),
      'an entry indented less': text.replace('    y: real\n', '   y: real\n'),
      'a value not closed': text.replace('    y: real\n', '    y: "real\n'),
    };
    for (const [name, after] of Object.entries(refused)) {
      expect(SourceFile.parse('environments/a.yaml', after).problems).not.toEqual([]);
      expect([name, SourceFile.edited(before, 'environments/a.yaml', after)]).toEqual([name, undefined]);
    }
  });

  it('gives nothing for an entry added to a map of as many entries as the limit allows', () => {
    const entries = Array.from({ length: MAX_ENTRIES }, (_, i) => `    s${i}: mock\n`).join('');
    const text = `name: a\nrouting:\n  services:\n${entries}faults: {}\n`;
    const before = SourceFile.parse('environments/a.yaml', text);
    expect(before.problems).toEqual([]);
    const after = text.replace('    s5: mock\n', '    s5: mock\n    t: mock\n');
    expect(SourceFile.parse('environments/a.yaml', after).problems).toMatchObject([{ message: expect.stringContaining('over the limit') }]);
    expect(SourceFile.edited(before, 'environments/a.yaml', after)).toBeUndefined();
    // One entry changed instead: the map is as large as it was.
    const changed = text.replace('    s5: mock\n', '    s5: real\n');
    expect(parsed(SourceFile.edited(before, 'environments/a.yaml', changed)!)).toEqual(parsed(SourceFile.parse('environments/a.yaml', changed)));
  });

  it('is left to a parse of the whole text when another file, a file with a problem, or a file with anchors is edited', () => {
    const text = 'name: a\nrouting:\n  services:\n    x: real\n';
    const after = 'name: a\nrouting:\n  services:\n    x: mock\n';
    expect(SourceFile.edited(SourceFile.parse('environments/a.yaml', text), 'environments/a.yaml', after)).toBeDefined();
    expect(SourceFile.edited(SourceFile.parse('environments/a.yaml', text), 'environments/b.yaml', after)).toBeUndefined();
    expect(SourceFile.edited(SourceFile.parse('environments/a.yaml', `${text}bad: [\n`), 'environments/a.yaml', `${after}bad: [\n`)).toBeUndefined();
    // An anchor in one pair and its alias in another: the pair alone would not say what the alias means.
    const anchored = 'base: &b real\nrouting:\n  services:\n    x: *b\n';
    expect(
      SourceFile.edited(SourceFile.parse('environments/a.yaml', anchored), 'environments/a.yaml', anchored.replace('&b real', '&b mock')),
    ).toBeUndefined();
    // A change across two pairs.
    expect(
      SourceFile.edited(SourceFile.parse('environments/a.yaml', text), 'environments/a.yaml', after.replace('name: a', 'name: b')),
    ).toBeUndefined();
  });
});
