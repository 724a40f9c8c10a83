#!/usr/bin/env node
// The meshflip command: runs the TypeScript sources through tsx, so there is no build step.
require('tsx/cjs/api').register();

// Output piped into `head` and the like: stop quietly when the reader goes away.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') {
      process.exit(process.exitCode ?? 0);
    }
    throw error;
  });
}

require('./main.ts').main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
