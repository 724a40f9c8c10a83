import * as command from '@actions/core/lib/command';
import fc from 'fast-check';
import { escapeData, escapeProperty, problemAnnotation, workflowCommand } from '../../src/cli/workflow-command';
import { loadProject } from '../../src/model/load';
import { Problem, SpecError } from '../../src/model/spec-error';
import { at, CATALOG, fixtureRepo } from '../model/fixtures';
import { removeTempDirs } from '../util';

// The runner reads every line of a step's output that starts with "::" as a command. These
// functions must write exactly what @actions/core writes: actions/toolkit
// packages/core/src/command.ts (Command.toString, escapeData, escapeProperty) and
// packages/core/src/utils.ts (toCommandValue).

afterAll(() => removeTempDirs());

/** What @actions/core's issueCommand writes to stdout, without its line break. */
function toolkitCommand(name: string, properties: Record<string, unknown>, message: unknown): string {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    command.issueCommand(name, properties, message);
  } finally {
    spy.mockRestore();
  }
  return written.join('').replace(/\r?\n$/, '');
}

test('escapes %, CR and LF in messages, and also : and , in properties, as actions/toolkit does', () => {
  expect(escapeData('100% done\r\n::error::x')).toBe('100%25 done%0D%0A::error::x');
  expect(escapeProperty('a:b,c%\n')).toBe('a%3Ab%2Cc%25%0A');
});

test('writes the same command line as @actions/core for any properties and message', () => {
  const text = fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('::error file=x::y', '\n::add-mask::x', '%0A', 'a,b:c', '\r'));
  fc.assert(
    fc.property(
      fc.constantFrom('error', 'warning', 'notice'),
      fc.dictionary(fc.constantFrom('title', 'file', 'line', 'col'), fc.oneof(text, fc.nat()), { noNullPrototype: true }),
      text,
      (name, properties, message) => {
        expect(workflowCommand(name, properties, message)).toBe(toolkitCommand(name, properties, message));
      },
    ),
  );
});

test('keeps a forged command in an imposter file name and a field inside the one annotation', () => {
  // GIVEN a problem about a file whose name holds a line break and a workflow command, and a field with an escape sequence
  const problem = {
    file: 'environments/mocks/x\n::error file=README.md,line=1::forged,.json',
    line: 3,
    col: 5,
    field: 'services["a\u001b[2Kb"]',
    message: 'must name a service',
    got: '"x\r\n::warning::y"',
  };
  // WHEN
  const annotation = problemAnnotation(problem);
  // THEN it is one line that starts one command, with the file name escaped for the property
  expect(annotation).toBe(
    '::error title=meshflip%3A services["a\\u001b[2Kb"],file=environments/mocks/x\\u000a%3A%3Aerror file=README.md%2Cline=1%3A%3Aforged%2C.json,line=3,col=5' +
      '::services["a\\u001b[2Kb"]: must name a service, got "x\\u000d\\u000a::warning::y"',
  );
  expect(annotation.split(/\r|\n/)).toHaveLength(1);
});

test('writes a warning for a problem of that severity', () => {
  expect(problemAnnotation({ file: 'environments/lab.yaml', line: 1, col: 2, field: 'name', message: 'is odd', severity: 'warning' })).toBe(
    '::warning title=meshflip%3A name,file=environments/lab.yaml,line=1,col=2::name: is odd',
  );
});

test('keeps a workflow command injected through a line break in an imposter path inside the annotation of its problem', () => {
  // GIVEN a catalogue whose imposter path holds a line break and a forged command
  const catalog = CATALOG.replace('- ../mocks/orders.imposter.json', '- "../mocks/x\\n::error file=README.md::forged.json"');
  const root = fixtureRepo({ 'environments/catalog/shop.yaml': catalog });
  // WHEN its problems are annotated
  let problems: readonly Problem[] = [];
  try {
    loadProject(root);
  } catch (e) {
    problems = SpecError.is(e) ? e.problems : [];
  }
  const annotations = problems.map(problemAnnotation);
  // THEN there is one annotation, on one line, and the forged command is part of its message
  expect(annotations).toEqual([
    `::error title=meshflip%3A services.orders.mock.imposters[0],file=environments/catalog/shop.yaml,line=${at(catalog, '"../mocks/x').replace(':', ',col=')}` +
      '::services.orders.mock.imposters[0]: must name an imposter file that exists (looked for environments/mocks/x\\u000a::error file=README.md::forged.json), ' +
      'got "../mocks/x\\n::error file=README.md::forged.json"; paths are relative to the file that declares the mock',
  ]);
  expect(annotations.join('').split(/\r|\n/)).toHaveLength(1);
});
