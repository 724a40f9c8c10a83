// Runs the cdk8s app (main.ts) for `npm run synth` and `npx cdk8s synth` (cdk8s.yaml): compiled
// when the build is fresh, else from the sources through tsx (see build.cjs).
require('./build.cjs').load('main');
