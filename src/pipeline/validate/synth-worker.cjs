// Entry point of a synthesis worker thread: the TypeScript sources run through tsx, as in the CLI.
require('tsx/cjs/api').register();
require('./synth-worker.ts');
