// Entry point of a digest worker thread: the TypeScript sources run through tsx, as in the CLI.
require('tsx/cjs/api').register();
require('./digest-worker.ts');
