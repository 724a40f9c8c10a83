// Runs the cdk8s app (main.ts) for `npm run synth` and `npx cdk8s synth` (cdk8s.yaml): compiled
// when the build is fresh, else from the sources through tsx (see build.cjs).
// Output piped into `head` and the like: stop quietly when the reader goes away.
require('./cli/quiet-pipe.cjs')();
require('./build.cjs').load('main');
