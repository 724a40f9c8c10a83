import { loadProject } from './src/model/load';
import { synthesize } from './src/pipeline/synth';
const t0 = Date.now();
const files = synthesize(loadProject('.'));
console.log(Date.now() - t0, 'ms', files.length, 'files');
for (const f of files) console.log(f.path, f.content.length);
const want = process.argv[2];
if (want) console.log(files.find(f => f.path === want)?.content);
