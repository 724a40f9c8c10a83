import * as fs from 'fs';
import * as path from 'path';

// src/pipeline/ is built in stages, and each imports only from its own stage or those below:
// the files of dist/ at the bottom, the routing read back from them above, synthesis (which
// writes ROUTING.md from that read-back) above that, validation and change summaries on top
// (a change summary renders and checks the working tree first, as validation does).
const PIPELINE = path.join(__dirname, '../../src/pipeline');
const STAGES: Record<string, number> = { dist: 0, routing: 1, synth: 2, validate: 3, changes: 4 };

interface Edge {
  readonly from: string;
  readonly to: string;
}

/** Every relative import and require of every source file below `root`, as paths of files relative to `root`. */
function pipelineImports(root: string): { files: string[]; edges: Edge[] } {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
      } else if (/\.(ts|cjs)$/.test(entry.name)) {
        files.push(path.relative(root, full).split(path.sep).join('/'));
      }
    }
  };
  walk(root);
  const edges: Edge[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\(\s*|^import\s+)'(\.{1,2}\/[^']+)'/gm)) {
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), m[1]));
      if (!target.startsWith('..')) {
        edges.push({ from: file, to: files.includes(target) ? target : `${target}.ts` });
      }
    }
  }
  return { files, edges };
}

const stageOf = (file: string) => file.split('/')[0];

describe('src/pipeline/ stages', () => {
  const { files, edges } = pipelineImports(PIPELINE);

  it('finds the imports it checks', () => {
    // Guards the parser above: synthesis reads routing back, so at least that edge must be seen.
    expect(edges).toContainEqual({ from: 'synth/synth.ts', to: 'routing/routing-reader.ts' });
  });

  it('has every source file in a stage folder', () => {
    expect(files.filter((f) => STAGES[stageOf(f)] === undefined || !f.includes('/'))).toEqual([]);
  });

  it('imports only from the same stage or a lower one', () => {
    const upward = edges.filter((e) => STAGES[stageOf(e.to)] > STAGES[stageOf(e.from)]).map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const next = new Map<string, string[]>();
    for (const e of edges) {
      next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (node: string, trail: string[]) => {
      if (state.get(node) === 'done') {
        return;
      }
      if (state.get(node) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(node)), node].join(' -> '));
        return;
      }
      state.set(node, 'open');
      for (const to of next.get(node) ?? []) {
        visit(to, [...trail, node]);
      }
      state.set(node, 'done');
    };
    [...next.keys()].sort().forEach((node) => visit(node, []));
    expect(cycles).toEqual([]);
  });
});
