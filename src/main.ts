/**
 * The cdk8s app: renders every environment of environments/ into dist/ (or $CDK8S_OUTDIR).
 * `npm run synth` and `npx cdk8s synth` both run this file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { main } from './cli/main';

/**
 * The output folder of cdk8s.yaml. cdk8s-cli deletes its output folder before it runs the app,
 * so it is a scratch folder of its own: when it is all $CDK8S_OUTDIR names, meshflip writes
 * dist/ itself (atomically, and not at all when synthesis fails) instead.
 */
export const CDK8S_SCRATCH = '.cdk8s.out';

const outdir = process.env.CDK8S_OUTDIR;
if (outdir !== undefined && path.resolve(outdir) === path.resolve(CDK8S_SCRATCH)) {
  delete process.env.CDK8S_OUTDIR;
  // cdk8s-cli fails unless the app creates its output folder; it stays empty.
  fs.mkdirSync(CDK8S_SCRATCH, { recursive: true });
}

void main(['synth', ...process.argv.slice(2)]).then((code) => {
  process.exitCode = code;
});
