// Output piped into `head` and the like: stop quietly when the reader goes away, with the exit
// code the command had so far, instead of crashing on EPIPE. Both entry points (meshflip.cjs and
// main.cjs, which `npm run synth` runs) install it before anything is printed.
'use strict';

module.exports = function stopQuietlyWhenTheReaderGoes() {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error) => {
      if (error.code === 'EPIPE') {
        process.exit(process.exitCode ?? 0);
      }
      throw error;
    });
  }
};
