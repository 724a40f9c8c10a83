// Jest's transform of the TypeScript sources and tests (and of the ES module files of
// @secretlint, which jest loads as CommonJS): esbuild, one file at a time, as the build
// (src/build.cjs) and tsx compile the sources, with the settings of tsconfig.json; only its module
// interop is made TypeScript's (see HELPERS). Types are checked by `tsc --noEmit` (npm test), not
// here. The source map goes with the code, so stack traces name the sources.
//
// It replaces ts-jest, which transpiled each file with TypeScript itself: about five times slower,
// which a fresh clone (every CI run) pays for every file before its first test.
'use strict';
const { createHash } = require('crypto');
const fs = require('fs');
const path = require('path');
const { transformSync, version } = require('esbuild');

const ROOT = path.dirname(__dirname);
const TSCONFIG = fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8');
/** What a transformed file depends on besides its own text: esbuild, its options and this file. */
const IDENTITY = createHash('sha256').update(version).update('\0').update(TSCONFIG).update('\0').update(fs.readFileSync(__filename)).digest('hex');

/**
 * Where esbuild's CommonJS output differs from TypeScript's (what ts-jest ran before), it is made
 * to behave as TypeScript's, by redefining two of its helpers on their own line (the source map
 * stays right), so that a test can spy on a module's function as the modules that import it call
 * it (`jest.spyOn(limits, 'readBounded')`):
 *
 * - a namespace import of a module compiled from TypeScript (`import * as limits`) is that module's
 *   exports, as TypeScript's `__importStar` gives, not a copy of them (esbuild's `__toESM`), so a
 *   spy set on it is set where every importer looks;
 * - the exports of such a module are getters that can be redefined, which jest-mock needs to
 *   replace one; esbuild defines them for good. They still read the module's own bindings.
 *
 * Output that uses a helper not written as expected here (another esbuild) fails the transform,
 * not the tests that spy.
 */
const HELPERS = [
  {
    uses: '__toESM(',
    definition: 'var __toESM = ',
    replacement:
      'var __toESM = (mod, isNodeMode) => (mod != null && mod.__esModule && !isNodeMode ? mod : __toESMCopy(mod, isNodeMode)); var __toESMCopy = ',
  },
  {
    uses: '__defProp(',
    definition: 'var __defProp = Object.defineProperty;',
    replacement:
      'var __defProp = (o, k, d) => Object.defineProperty(o, k, d.get !== undefined && d.configurable === undefined ? { ...d, configurable: true } : d);',
  },
];

function asTypeScriptEmits(code, filename) {
  let out = code;
  for (const { uses, definition, replacement } of HELPERS) {
    if (!out.includes(uses)) {
      continue;
    }
    if (!out.includes(definition)) {
      throw new Error(`${filename}: esbuild ${version} defines ${definition.split(' ')[1]} otherwise than test/esbuild-transform.cjs expects`);
    }
    out = out.replace(definition, replacement);
  }
  return out;
}

module.exports = {
  getCacheKey(source, filename) {
    return createHash('sha256').update(IDENTITY).update('\0').update(filename).update('\0').update(source).digest('hex');
  },
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
      tsconfigRaw: TSCONFIG,
    });
    return { code: asTypeScriptEmits(code, filename), map };
  },
};
