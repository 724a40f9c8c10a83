import * as fs from 'fs';
import * as path from 'path';
import { REPO } from '../util';

/** Every `.ts` file under `dir`, repository-relative, sorted. */
function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(REPO, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => `${dir}/${f.split(path.sep).join('/')}`)
    .sort();
}

/** Calls of Node's fs that change the file system. */
const WRITES =
  /\bfs(?:\.promises)?\.(?:writeFile|writeFileSync|appendFile|appendFileSync|mkdir|mkdirSync|rename|renameSync|rm|rmSync|unlink|unlinkSync|copyFile|copyFileSync|cp|cpSync|symlink|symlinkSync|link|linkSync|truncate|truncateSync|open|openSync)\(/;

test('only pipeline/ writes files: the commands of cli/ and every other layer call its functions', () => {
  // WHEN (main.ts makes cdk8s-cli's scratch folder, which cdk8s.yaml names, before it hands over to the pipeline)
  const writers = sources('src')
    .filter((file) => !file.startsWith('src/pipeline/') && file !== 'src/main.ts')
    .filter((file) => WRITES.test(fs.readFileSync(path.join(REPO, file), 'utf8').replace(/fs\.openSync\([^)]*O_RDONLY[^)]*\)/g, '')));
  // THEN flip writes its environment file with dist/, atomically, through pipeline/ too
  expect(writers).toEqual([]);
  expect(sources('src/cli')).toContain('src/cli/commands/flip.ts');
});

test('the pattern finds a write', () => {
  // THEN the check above cannot pass by matching nothing
  expect(WRITES.test('    fs.writeFileSync(target, content);')).toBe(true);
  expect(WRITES.test('    fs.mkdirSync(dir, { recursive: true });')).toBe(true);
  expect(WRITES.test("    const text = fs.readFileSync(file, 'utf8');")).toBe(false);
});
