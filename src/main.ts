/**
 * The cdk8s app: renders every environment of environments/ into dist/ (or $CDK8S_OUTDIR).
 * `npm run synth` and `npx cdk8s synth` both run this file.
 */
import { main } from './cli/main';

void main(['synth', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
