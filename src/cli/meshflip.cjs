#!/usr/bin/env node
// The meshflip command: runs the TypeScript sources through tsx, so there is no build step.
require('tsx/cjs/api').register();
require('./main.ts').main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
