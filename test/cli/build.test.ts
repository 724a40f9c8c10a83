import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { REPO, removeTempDirs, tempDir } from '../util';

// What `npm run build` (src/build.cjs) makes of src/ and the packages it imports: each module of
// src/ one file, each package one bundled file of vendor/ (one read instead of dozens of modules at
// start-up), with one copy of each package, as node_modules/ has. Jest's global setup built it.

afterAll(removeTempDirs);

const OUT = path.join(REPO, 'node_modules', '.cache', 'meshflip');
const read = (file: string) => fs.readFileSync(path.join(OUT, file), 'utf8');
/** The imports a compiled file makes: `require("...")`, in order of first appearance. */
const requires = (text: string) => [...new Set([...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1]))];
/** The packages whose modules a bundle holds: esbuild heads each module with a comment naming its file. */
const bundledPackages = (text: string) =>
  [
    ...new Set(
      [...text.matchAll(/^\/\/ node_modules\/((?:@[^/\n]+\/)?[^/\n]+)(?:\/node_modules\/((?:@[^/\n]+\/)?[^/\n]+))?\//gm)].map((m) => m[2] ?? m[1]),
    ),
  ].sort();

describe('the modules of src/', () => {
  test('load each package through vendor/: a bundle of it, or for a package the build leaves in node_modules/, a module that loads it from there', () => {
    // THEN zod, which src/ imports by one name, from its bundle
    expect(requires(read('model/schema.js'))).toContain('../vendor/zod.js');
    expect(requires(read('model/schema.js'))).not.toContain('zod');
    expect(bundledPackages(read('vendor/zod.js'))).toEqual(['zod']);
    // AND @bufbuild/cel, which src/ imports by two names (the package and /ext, which share modules), from node_modules/
    expect(requires(read('validation/cel.js'))).toEqual(expect.arrayContaining(['../vendor/@bufbuild__cel.js', '../vendor/@bufbuild__cel__ext.js']));
    expect(read('vendor/@bufbuild__cel.js')).toBe(`'use strict';\nmodule.exports = require("@bufbuild/cel");\n`);
    expect(read('vendor/@bufbuild__cel__ext.js')).toBe(`'use strict';\nmodule.exports = require("@bufbuild/cel/ext");\n`);
    // AND koffi, a native addon that loads its binary from beside itself, from node_modules/
    expect(requires(read('pipeline/dist/exchange.js'))).toContain('../../vendor/koffi.js');
    expect(read('vendor/koffi.js')).toBe(`'use strict';\nmodule.exports = require("koffi");\n`);
  });
});

describe('the bundles of vendor/', () => {
  test('hold one copy of each package: cdk8s-plus-28 loads the cdk8s and constructs of vendor/, which meshflip uses too', () => {
    const plus = read('vendor/cdk8s-plus-28.js');
    expect(bundledPackages(plus)).toContain('cdk8s-plus-28');
    expect(bundledPackages(plus)).not.toContain('cdk8s');
    expect(bundledPackages(plus)).not.toContain('constructs');
    expect(requires(plus)).toEqual(expect.arrayContaining(['./cdk8s.js', './constructs.js']));
    expect(requires(read('vendor/cdk8s.js'))).toContain('./constructs.js');
  });

  test("share a package that src/ imports too: the profiler of @secretlint/core's bundle is the one src/model/secret-scan.ts silences", () => {
    // GIVEN
    expect(requires(read('vendor/@secretlint__core.js'))).toContain('./@secretlint__profiler.js');
    expect(bundledPackages(read('vendor/@secretlint__core.js'))).not.toContain('@secretlint/profiler');
    // WHEN the compiled scan runs secretlint in a process of its own
    const script = [
      `const { scanStrings } = require(${JSON.stringify(path.join(OUT, 'model', 'secret-scan.js'))});`,
      `scanStrings([{ value: 'password=compiled-scan', names: true }]).then(([found]) => setImmediate(() =>`,
      `  console.log(JSON.stringify({ found: found.length, marks: performance.getEntries().map((e) => e.name) }))));`,
    ].join('\n');
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    // THEN it found the password, and nothing marked the timeline
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(JSON.parse(run.stdout)).toEqual({ found: 1, marks: [] });
  });

  test("bundle a package's own copy of another (cdk8s's yaml) with it, as Node.js loads it apart", () => {
    // GIVEN cdk8s has a yaml of its own, beside meshflip's
    expect(fs.existsSync(path.join(REPO, 'node_modules', 'cdk8s', 'node_modules', 'yaml', 'package.json'))).toBe(true);
    // THEN
    expect(bundledPackages(read('vendor/cdk8s.js'))).toEqual(expect.arrayContaining(['cdk8s', 'yaml']));
    expect(requires(read('vendor/cdk8s.js'))).not.toContain('./yaml.js');
  });

  test('give a module of a package that reads a file beside it its own folder: cdk8s finds the script it runs to read a manifest', () => {
    // GIVEN a manifest of two documents
    const file = path.join(tempDir('meshflip-vendor-'), 'manifest.yaml');
    fs.writeFileSync(file, 'kind: A\n---\nkind: B\n');
    // WHEN cdk8s of vendor/ reads it (Yaml.load runs node_modules/cdk8s/lib/_loadurl.mjs, found by its __dirname)
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle as the command loads it
    const { Yaml } = require(path.join(OUT, 'vendor', 'cdk8s.js')) as typeof import('cdk8s');
    // THEN
    expect(Yaml.load(file)).toEqual([{ kind: 'A' }, { kind: 'B' }]);
  });
});

describe("the tests' packages", () => {
  test("are the command's: jest maps each package the build bundled to its file of vendor/, and no other", () => {
    // GIVEN the packages the build bundled (a file of vendor/ holding a package's modules, not one line loading it from node_modules/)
    const bundles = fs.readdirSync(path.join(OUT, 'vendor')).filter((file) => bundledPackages(read(path.join('vendor', file))).length > 0);
    // THEN jest maps each one's name, and only that name (`^zod$`, not `zod/v4`), to its bundle
    const vendor = `<rootDir>/${path.relative(REPO, path.join(OUT, 'vendor')).split(path.sep).join('/')}`;
    const expected = Object.fromEntries(
      bundles.map((file) => [`^${file.replace(/\.js$/, '').replace('__', '/').replaceAll('.', '\\.')}$`, `${vendor}/${file}`]),
    );
    const { jest: config } = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
      jest: { moduleNameMapper: Record<string, string> };
    };
    expect(config.moduleNameMapper).toEqual(expected);
  });

  test('are one copy each: a package a test imports is the object the modules of src/ use', () => {
    // WHEN a test loads cdk8s-plus-28 and constructs (whose bundle the cdk8s-plus-28 bundle loads), and src/ loads them too
    /* eslint-disable @typescript-eslint/no-require-imports -- the modules as jest resolves them */
    const kplus = require('cdk8s-plus-28') as typeof import('cdk8s-plus-28');
    const { Construct } = require('constructs') as typeof import('constructs');
    const { MeshEnvironment } = require('../../src/constructs/mesh-environment') as typeof import('../../src/constructs/mesh-environment');
    /* eslint-enable @typescript-eslint/no-require-imports */
    // THEN each name is its bundle, and the constructs of all three are one class
    expect([require.resolve('cdk8s-plus-28'), require.resolve('constructs'), require.resolve('zod')]).toEqual(
      ['cdk8s-plus-28.js', 'constructs.js', 'zod.js'].map((file) => path.join(OUT, 'vendor', file)),
    );
    expect([kplus.Deployment.prototype instanceof Construct, MeshEnvironment.prototype instanceof Construct]).toEqual([true, true]);
  });
});
