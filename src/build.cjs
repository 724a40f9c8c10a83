// The compiled meshflip, and the choice between it and the sources.
//
// `npm run build` (which `npm ci` and `npm install` run, as the `prepare` script) transpiles every
// src/**/*.ts with esbuild, one output file per source file (no bundle: the layout, module identity
// and __dirname-relative files stay as they are in src/), into node_modules/.cache/meshflip/.
// esbuild is what tsx runs the sources with, so the compiled code is the code the sources run as.
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
 * Node.js 22.1 and later keep the compiled code of the modules a run loads for the next run
 * (`module.enableCompileCache`), which saves about a fifth of a small command's time; Node.js 20
 * has no such cache and runs as before. A folder that cannot be written is no cache: Node.js
 * reports it in the status it returns, never by throwing. `NODE_COMPILE_CACHE` puts it elsewhere,
 * `NODE_DISABLE_COMPILE_CACHE=1` turns it off.
 */
function keepCompiledCode() {
  const { enableCompileCache } = require('module');
  if (typeof enableCompileCache === 'function') {
    enableCompileCache(CODE_CACHE);
  }
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

/** Transpiles src/ into OUT; returns the number of files written. */
function build() {
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
  esbuild.buildSync({
    entryPoints: files.filter((f) => f.endsWith('.ts')).map((f) => path.join(SRC, f)),
    outdir: temp,
    outbase: SRC,
    bundle: false,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    // `await import('./x')` becomes a require(), as tsc and tsx make it for CommonJS.
    supported: { 'dynamic-import': false },
    sourcemap: 'linked',
    tsconfig: path.join(ROOT, 'tsconfig.json'),
    logLevel: 'warning',
  });
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

module.exports = { OUT, SRC, isFresh, load, build };

if (require.main === module) {
  const start = Date.now();
  const count = build();
  process.stdout.write(`built ${count} files of src/ into ${path.relative(process.cwd(), OUT) || '.'} in ${Date.now() - start} ms\n`);
}
