#!/usr/bin/env node
// The meshflip command: runs the compiled build (npm run build, which npm ci runs) when it is
// fresh, else the TypeScript sources through tsx (see ../build.cjs).

// Output piped into `head` and the like: stop quietly when the reader goes away.
require('./quiet-pipe.cjs')();

const argv = process.argv.slice(2);
if (argv.includes('--debug') || !['', '0', undefined].includes(process.env.MESHFLIP_DEBUG)) {
  // Stack traces name the TypeScript sources, not the compiled files.
  process.setSourceMapsEnabled(true);
}
require('../build.cjs')
  .load('cli/main')
  .main(argv)
  .then((code) => {
    process.exitCode = code;
  });
