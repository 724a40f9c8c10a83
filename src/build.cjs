// The compiled meshflip, and the choice between it and the sources.
//
// `npm run build` (which `npm ci` and `npm install` run, as the `prepare` script) transpiles every
// src/**/*.ts with esbuild, one output file per source file (the layout, module identity and
// __dirname-relative files stay as they are in src/, and a command loads only the modules it
// uses), into node_modules/.cache/meshflip/, and bundles each package src/ imports into one file of
// its vendor/ folder (see `build`). esbuild is what tsx runs the sources with, so the compiled code
// is the code the sources run as.
//
// The entry points (cli/meshflip.cjs, main.cjs) run the compiled code only while it is fresh: its
// stamp records the path, size and modification time of every file of src/ and of tsconfig.json
// when it was built, and any difference (an edit, a new, renamed or deleted file) makes it stale.
// A stale or missing build runs the sources through tsx, as before there was a build, so a
// development checkout never runs old code; `npm run build` makes it fast again.
'use strict';
const { createHash } = require('crypto');
const fs = require('fs');
const path = require('path');

const SRC = __dirname;
const ROOT = path.dirname(SRC);
/**
 * Where the build goes: generated, so gitignored (node_modules/) and wiped by `npm ci`, which
 * builds it again; every tool (tsc, eslint, jest, editors' search) already skips it.
 */
const OUT = path.join(ROOT, 'node_modules', '.cache', 'meshflip');
const STAMP = path.join(OUT, 'build-stamp.json');

/** A digest of the path, size and modification time of every input of the build. */
function sourceDigest() {
  const hash = createHash('sha256');
  const add = (file) => {
    const stat = fs.statSync(file);
    hash.update(`${path.relative(ROOT, file)}\0${stat.size}\0${stat.mtimeMs}\n`);
  };
  add(path.join(ROOT, 'tsconfig.json'));
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else {
        add(full);
      }
    }
  };
  walk(SRC);
  return hash.digest('hex');
}

/** Whether the build exists and was made from the sources as they are now. */
function isFresh() {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(STAMP, 'utf8'));
  } catch {
    return false;
  }
  return stamp.sources === sourceDigest();
}

/**
 * Where Node.js keeps V8's compiled code of the build's modules between runs: beside the build, so
 * that a build never wipes it and it never makes a build stale. Node.js finds an entry by the
 * module's path and content: code of another build is compiled afresh.
 */
const CODE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'meshflip-v8');

/**
 * Keeps V8's compiled code of the build's modules for the next run, which saves a third to a half
 * of a small command's time (its start-up is mostly compiling what it loads).
 *
 * Node.js 22.1 and later do it themselves (`module.enableCompileCache`). A folder that cannot be
 * written is no cache: Node.js reports it in the status it returns, never by throwing.
 * `NODE_COMPILE_CACHE` puts it elsewhere, `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 *
 * On Node.js 20, meshflip does the same for the build's own files (see `keepCompiledBuild`).
 */
function keepCompiledCode() {
  const { enableCompileCache } = require('module');
  if (typeof enableCompileCache === 'function') {
    enableCompileCache(CODE_CACHE);
  } else if (['', '0', undefined].includes(process.env.NODE_DISABLE_COMPILE_CACHE)) {
    keepCompiledBuild();
  }
}

/**
 * What `module.enableCompileCache` does, for Node.js 20 and the files of the build: each module of
 * OUT is compiled with the code V8 produced for the same text in an earlier run, if any
 * (`vm.Script`'s `cachedData`, as Node.js itself does), and the code of the modules that had none
 * is kept when the process exits, for the next run.
 *
 * The code is found by a digest of the module's text, never by its name or size: V8 checks only the
 * length of the text the code was made from, so code of another text of the same length would run.
 * V8 rejects code made by another V8 or with other V8 flags itself, and the module's code is then
 * made and kept again; the folder is one per Node.js version and platform. It lies in the build,
 * so that a build starts it afresh. Each module's code is a file of its own, read
 * when the module loads (--help reads only its own) and written to a file of its own then renamed
 * into place: a run sees one writer's whole file, and a run that cannot write runs as before.
 *
 * The module is given what Node.js gives it (exports, require, module, __filename, __dirname), with
 * the `require` of its own Module object. With source maps on (--debug), modules are compiled by
 * Node.js as usual, so that stack traces name the TypeScript sources.
 */
function keepCompiledBuild() {
  const Module = require('module');
  const { Script } = require('vm');
  const dir = path.join(OUT, 'code-cache', `node-${process.version}-${process.platform}-${process.arch}`);
  const main = require.main;
  const fresh = [];
  const compile = Module.prototype._compile;
  Module.prototype._compile = function compileWithKeptCode(content, filename) {
    // With source maps on (--debug), Node.js compiles it: only its own compile reads the module's source map.
    // So does a file that starts with a #! line, which only its own compile takes out.
    if (!filename.startsWith(`${OUT}${path.sep}`) || !filename.endsWith('.js') || process.sourceMapsEnabled || content.startsWith('#!')) {
      return compile.call(this, content, filename);
    }
    const file = path.join(dir, createHash('sha256').update(content).digest('hex'));
    let cachedData;
    try {
      cachedData = fs.readFileSync(file);
    } catch {
      // None kept yet: compiled as usual, and kept at exit.
    }
    const script = new Script(Module.wrap(content), { filename, cachedData });
    if (cachedData === undefined || script.cachedDataRejected) {
      fresh.push({ file, script });
    }
    const moduleRequire = (id) => this.require(id);
    moduleRequire.resolve = (request, options) => Module._resolveFilename(request, this, false, options);
    moduleRequire.resolve.paths = (request) => Module._resolveLookupPaths(request, this);
    moduleRequire.main = main;
    moduleRequire.extensions = Module._extensions;
    moduleRequire.cache = Module._cache;
    return script.runInThisContext({ displayErrors: true }).call(this.exports, this.exports, moduleRequire, this, filename, path.dirname(filename));
  };
  process.once('exit', () => {
    try {
      if (fresh.length > 0) {
        fs.mkdirSync(dir, { recursive: true });
      }
      for (const { file, script } of fresh) {
        // The code V8 has now: with the functions compiled while the command ran, not only at load.
        const temp = `${file}.tmp-${process.pid}`;
        fs.writeFileSync(temp, script.createCachedData());
        fs.renameSync(temp, file);
      }
    } catch {
      // Not writable: the next run compiles as this one did.
    }
  });
}

/**
 * Loads a module of src/ by its path without extension (`cli/main`): the compiled one when the
 * build is fresh, else the TypeScript source through tsx.
 */
function load(name) {
  if (isFresh()) {
    keepCompiledCode();
    return require(path.join(OUT, `${name}.js`));
  }
  let tsx;
  try {
    tsx = require('tsx/cjs/api');
  } catch {
    process.stderr.write(
      `error: the compiled meshflip in ${OUT} is missing or older than ${SRC}, and tsx (a development dependency) ` +
        'is not installed to run the sources\nhint: run npm run build (npm ci runs it)\n',
    );
    process.exit(2);
  }
  tsx.register();
  return require(path.join(SRC, `${name}.ts`));
}

/** Packages never bundled: koffi is a native addon, which loads its binary from its own folder. */
const UNBUNDLED = new Set(['koffi']);

/** The package a bare import names: `zod` of `zod/v4`, `@scope/name` of `@scope/name/sub`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Whether an import names a package (`zod`, `@scope/name/sub`), not a file or a Node.js module. */
function isPackageImport(specifier) {
  return !/^(\.|\/|node:)/.test(specifier) && !require('module').isBuiltin(specifier);
}

/** The file of vendor/ that holds a package (`@secretlint/core` -> `@secretlint__core.js`). */
const vendorFile = (pkg) => `${pkg.replaceAll('/', '__')}.js`;

/**
 * The packages src/ imports that are bundled into vendor/, one file each: those imported by one
 * name only (`zod`, not both `@bufbuild/cel` and `@bufbuild/cel/ext`, which would then each hold a
 * copy of what they share) and not in UNBUNDLED. The rest are loaded from node_modules/ as before.
 */
function vendorPackages(specifiers) {
  const byPackage = new Map();
  for (const specifier of specifiers) {
    byPackage.set(packageOf(specifier), [...(byPackage.get(packageOf(specifier)) ?? []), specifier]);
  }
  return new Set([...byPackage].filter(([pkg, names]) => names.length === 1 && names[0] === pkg && !UNBUNDLED.has(pkg)).map(([pkg]) => pkg));
}

/**
 * Compiles src/ into OUT and returns the number of files of src/.
 *
 * Each module of src/ becomes one file, as in src/. Each package it imports (but see
 * `vendorPackages`) becomes one file of vendor/, bundled with everything of its own it loads: a
 * command that loads zod reads one file instead of its 95 modules, which is what most of a small
 * command's start-up went to. A package that one of them imports in turn, and that resolves from
 * there to the same file as from meshflip (cdk8s-plus-28's cdk8s and constructs), is not copied
 * into it but loaded from vendor/ too, so that there is one of each, as in node_modules/.
 */
async function build() {
  const esbuild = require('esbuild');
  // Stat the sources first: a file edited while the build runs leaves the build stale.
  const sources = sourceDigest();
  const files = fs
    .readdirSync(SRC, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(SRC, path.join(e.parentPath, e.name)))
    .sort();
  // Built beside OUT and renamed into place, so a run never sees half a build.
  const temp = `${OUT}.tmp-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  // `await import('./x')` becomes a require(), as tsc and tsx make it for CommonJS.
  const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', supported: { 'dynamic-import': false }, logLevel: 'warning' };

  // Each module of src/ alone: its imports stay imports, of the module beside it or of vendor/.
  const specifiers = new Set();
  await esbuild.build({
    ...common,
    entryPoints: files.filter((f) => f.endsWith('.ts')).map((f) => path.join(SRC, f)),
    outdir: temp,
    outbase: SRC,
    sourcemap: 'linked',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    plugins: [
      externalImports((specifier, importer) => {
        specifiers.add(specifier);
        // The build has the layout of src/: vendor/ is where it would be in src/.
        return relativeImport(path.dirname(importer), path.join(SRC, 'vendor', vendorFile(specifier)));
      }),
    ],
  });
  // vendor/: a bundle of each package of `vendorPackages`, and for every other name src/ imports a
  // module of one line that loads it from node_modules/.
  const vendored = vendorPackages(specifiers);
  await esbuild.build({
    ...common,
    entryPoints: [...vendored].sort().map((pkg) => ({ in: `${VENDOR_ENTRY}${pkg}`, out: vendorFile(pkg).replace(/\.js$/, '') })),
    outdir: path.join(temp, 'vendor'),
    // The folder of the bundle, for the modules of the package that read files beside them.
    banner: { js: 'var __vendorDirname = __dirname;' },
    plugins: [vendorEntries(), sharedPackages(specifiers, vendored), ownFolder(path.join(OUT, 'vendor'))],
  });
  for (const specifier of [...specifiers].filter((name) => !vendored.has(name))) {
    fs.writeFileSync(path.join(temp, 'vendor', vendorFile(specifier)), `'use strict';\nmodule.exports = require(${JSON.stringify(specifier)});\n`);
  }
  for (const file of files.filter((f) => !f.endsWith('.ts'))) {
    const target = path.join(temp, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // X.cjs beside X.ts is the Node entry point of X.ts (a worker thread's script): compiled, it loads X.js.
    const shim = file.endsWith('.cjs') && files.includes(file.replace(/\.cjs$/, '.ts'));
    if (shim) {
      fs.writeFileSync(target, `'use strict';\nrequire('./${path.basename(file, '.cjs')}.js');\n`);
    } else if (!file.endsWith('.cjs')) {
      fs.copyFileSync(path.join(SRC, file), target);
    }
  }
  fs.writeFileSync(path.join(temp, path.basename(STAMP)), `${JSON.stringify({ sources })}\n`);
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  try {
    fs.renameSync(temp, OUT);
  } catch (e) {
    // Another build (a second test run, say) put its own in place in between: keep it if it is of these sources.
    fs.rmSync(temp, { recursive: true, force: true });
    if (!isFresh()) {
      throw e;
    }
  }
  return files.length;
}

/** `to` as an import from a module in `fromDir`: `./x.js`, `../vendor/x.js`. */
function relativeImport(fromDir, to) {
  const rel = path.relative(fromDir, to).split(path.sep).join('/');
  return rel.startsWith('.') ? rel : `./${rel}`;
}

/**
 * An esbuild plugin that leaves every import of a module of src/ an import (each module compiles
 * alone), a package import as the path `redirect` gives for it.
 */
function externalImports(redirect) {
  return {
    name: 'meshflip-external-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') {
          return undefined;
        }
        if (!isPackageImport(args.path)) {
          return { path: args.path, external: true };
        }
        return { path: redirect(args.path, args.importer), external: true };
      });
    },
  };
}

/** The entry points of the bundles of vendor/: `<prefix><package>` (see `vendorEntries`). */
const VENDOR_ENTRY = 'meshflip-vendor:';

/** An esbuild plugin that makes each entry point `<VENDOR_ENTRY><package>` a module that exports the package. */
function vendorEntries() {
  return {
    name: 'meshflip-vendor-entries',
    setup(b) {
      b.onResolve({ filter: new RegExp(`^${VENDOR_ENTRY}`) }, (args) => ({
        path: args.path.slice(VENDOR_ENTRY.length),
        namespace: 'meshflip-vendor',
      }));
      b.onLoad({ filter: /.*/, namespace: 'meshflip-vendor' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(args.path)});\n`,
        resolveDir: ROOT,
        loader: 'js',
      }));
    },
  };
}

/** The package of node_modules/ a file belongs to (`cdk8s` of node_modules/cdk8s/lib/index.js), if any. */
function packageOfFile(file) {
  const parts = file.split(path.sep);
  const at = parts.lastIndexOf('node_modules');
  return at < 0 ? undefined : parts[at + 1]?.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1];
}

/**
 * An esbuild plugin for the bundles of vendor/: in a package's modules, an import of another
 * package meshflip imports, that resolves from there to the very file meshflip's own import of it
 * does, stays an import: of its file of vendor/ (one copy of cdk8s for cdk8s-plus-28 and meshflip),
 * or, for another part of a package that is not bundled, of that part in node_modules/. A package of
 * its own (cdk8s's own yaml), another part of a bundled package, and a package's imports of itself,
 * are bundled.
 */
function sharedPackages(specifiers, vendored) {
  const imported = new Set([...specifiers].map(packageOf));
  return {
    name: 'meshflip-shared-packages',
    setup(b) {
      b.onResolve({ filter: /.*/ }, async (args) => {
        if (
          args.pluginData === 'resolving' ||
          args.namespace !== 'file' ||
          !isPackageImport(args.path) ||
          !imported.has(packageOf(args.path)) ||
          packageOf(args.path) === packageOfFile(args.importer)
        ) {
          return undefined;
        }
        const options = { kind: args.kind, pluginData: 'resolving' };
        const [there, here] = await Promise.all([
          b.resolve(args.path, { ...options, resolveDir: args.resolveDir }),
          b.resolve(args.path, { ...options, resolveDir: ROOT }),
        ]);
        if (there.errors.length > 0 || there.path !== here.path) {
          return undefined;
        }
        // A name of its own in vendor/, else (a part of a package meshflip loads from node_modules/) the name itself.
        if (specifiers.has(args.path)) {
          return { path: `./${vendorFile(args.path)}`, external: true };
        }
        return vendored.has(packageOf(args.path)) ? undefined : { path: args.path, external: true };
      });
    },
  };
}

/**
 * An esbuild plugin that gives each CommonJS module of a package that reads `__dirname` or
 * `__filename` its own, as Node.js would: its folder in node_modules/, found from the bundle's
 * (`__vendorDirname`, which the banner keeps) wherever the checkout is. A module that uses them is
 * CommonJS (they do not exist in an ES module), so esbuild wraps it in a function of its own, and
 * the two declarations stay inside it.
 */
function ownFolder(vendorDir) {
  return {
    name: 'meshflip-own-folder',
    setup(b) {
      b.onLoad({ filter: /\.[cm]?js$/ }, (args) => {
        const contents = fs.readFileSync(args.path, 'utf8');
        if (!/\b__(dirname|filename)\b/.test(contents)) {
          return undefined;
        }
        const rel = (to) => JSON.stringify(path.relative(vendorDir, to).split(path.sep).join('/'));
        const own =
          `var __dirname = require("path").join(__vendorDirname, ${rel(path.dirname(args.path))}), ` +
          `__filename = require("path").join(__vendorDirname, ${rel(args.path)});`;
        // On the first line, so that the lines of the module stay where they are.
        return { contents: `${own}${contents}`, loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}

module.exports = { OUT, SRC, isFresh, load, build };

if (require.main === module) {
  const start = Date.now();
  build().then(
    (count) => process.stdout.write(`built ${count} files of src/ into ${path.relative(process.cwd(), OUT) || '.'} in ${Date.now() - start} ms\n`),
    (e) => {
      process.stderr.write(`${e.stack ?? e}\n`);
      process.exitCode = 1;
    },
  );
}
