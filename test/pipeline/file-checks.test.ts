import * as fs from 'fs';
import * as path from 'path';
import { RenderedObject } from '../../src/meshes/effective-routing';
import { Finding } from '../../src/meshes/findings';
import { KeptEntries } from '../../src/pipeline/validate/kept-entries';
import { CheckedFile, FileChecks, FileChecksKeyParts, ObjectCheck, runObjectChecks } from '../../src/pipeline/validate/file-checks';
import { removeTempDirs, tempDir } from '../util';

// Synthesis keeps what the object checks found in each file of an environment, so that a flip,
// which changes a few files of thousands, checks those alone. The findings it gives must be those
// checking every object gives, whatever was kept, and never those of other content or other checks.

afterAll(removeTempDirs);

/** A file of `names.length` ConfigMaps, one per name. */
function file(filePath: string, names: readonly string[]): CheckedFile {
  const objects: RenderedObject[] = names.map((name, i) => ({
    file: filePath,
    line: 1 + i * 5,
    object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } },
  }));
  return { path: filePath, content: names.map((n) => `name: ${n}\n`).join('---\n'), objects };
}

/** A check that finds every object whose name starts with `prefix`, recording what it was given. */
function finder(prefix: string, severity: Finding['severity'] = 'error') {
  const calls: { objects: string[]; environment: number }[] = [];
  const check: ObjectCheck = (objects, environment) => {
    calls.push({ objects: objects.map(nameOf), environment: environment.length });
    return objects.filter((o) => nameOf(o).startsWith(prefix)).map((o) => ({ at: o, severity, message: `${prefix} in ${nameOf(o)}` }));
  };
  return { check, calls };
}

function nameOf(o: RenderedObject): string {
  return (o.object.metadata as { name: string }).name;
}

/** Findings as text, with the file and line of the object each is about. */
function shown(found: readonly (readonly Finding[])[]): string[][] {
  return found.map((list) => list.map((f) => `${f.at.file}:${f.at.line} ${f.severity} ${f.message}`));
}

const KEY: FileChecksKeyParts = { env: 'perf', allowedFingerprints: [], checks: 'none', context: 'kubernetes' };

function environment(): CheckedFile[] {
  return [file('perf/a.k8s.yaml', ['bad-1', 'good-1']), file('perf/b.k8s.yaml', ['good-2']), file('perf/c.k8s.yaml', ['warn-1', 'bad-2', 'warn-2'])];
}

describe('file checks kept between runs', () => {
  test('the first run checks every object, as one call of each check over all of them does', async () => {
    const bad = finder('bad');
    const warn = finder('warn', 'warning');
    const files = environment();
    const kept = await new FileChecks(tempDir('meshflip-cache-')).run(KEY, files, [bad.check, warn.check]);
    const direct = await runObjectChecks(
      files.flatMap((f) => f.objects),
      [finder('bad').check, finder('warn', 'warning').check],
    );
    expect(shown(kept)).toEqual(shown(direct));
    expect(shown(kept)).toEqual([
      ['perf/a.k8s.yaml:1 error bad in bad-1', 'perf/c.k8s.yaml:6 error bad in bad-2'],
      ['perf/c.k8s.yaml:1 warning warn in warn-1', 'perf/c.k8s.yaml:11 warning warn in warn-2'],
    ]);
    expect(bad.calls).toEqual([{ objects: ['bad-1', 'good-1', 'good-2', 'warn-1', 'bad-2', 'warn-2'], environment: 6 }]);
  });

  test('the next run checks only the files whose content changed, and gives what checking them all gives', async () => {
    const dir = tempDir('meshflip-cache-');
    await new FileChecks(dir).run(KEY, environment(), [finder('bad').check, finder('warn', 'warning').check]);
    // GIVEN c changed (its findings move), a new file d, and b gone
    const [a, , c] = environment();
    const changed = file(c.path, ['bad-3', 'warn-1']);
    const files = [a, changed, file('perf/d.k8s.yaml', ['warn-4'])];
    const bad = finder('bad');
    const warn = finder('warn', 'warning');
    // WHEN the checks run again with what was kept
    const found = await new FileChecks(dir).run(KEY, files, [bad.check, warn.check]);
    // THEN only c and d were checked, each check seeing the whole environment around them
    expect(bad.calls).toEqual([{ objects: ['bad-3', 'warn-1', 'warn-4'], environment: 5 }]);
    expect(warn.calls).toEqual(bad.calls);
    // AND the findings are those of checking everything, in the same order, about the objects given now
    const direct = await runObjectChecks(
      files.flatMap((f) => f.objects),
      [finder('bad').check, finder('warn', 'warning').check],
    );
    expect(shown(found)).toEqual(shown(direct));
    expect(found[0][0].at).toBe(a.objects[0]);
  });

  test('files as they were are not checked at all, their findings come back, and the entry is not written again', async () => {
    const dir = tempDir('meshflip-cache-');
    const first = await new FileChecks(dir).run(KEY, environment(), [finder('bad').check]);
    const bad = finder('bad');
    const written = jest.spyOn(KeptEntries.prototype, 'set');
    try {
      const again = await new FileChecks(dir).run(KEY, environment(), [bad.check]);
      expect(bad.calls).toEqual([]);
      expect(shown(again)).toEqual(shown(first));
      expect(written).not.toHaveBeenCalled();
      // One file fewer is another entry
      await new FileChecks(dir).run(KEY, environment().slice(1), [bad.check]);
      expect(written).toHaveBeenCalledTimes(1);
    } finally {
      written.mockRestore();
    }
  });

  test('the same path with other content is checked again, even with the same objects', async () => {
    const dir = tempDir('meshflip-cache-');
    await new FileChecks(dir).run(KEY, environment(), [finder('bad').check]);
    const files = environment().map((f) => (f.path === 'perf/b.k8s.yaml' ? { ...f, content: `${f.content}# edited\n` } : f));
    const bad = finder('bad');
    await new FileChecks(dir).run(KEY, files, [bad.check]);
    expect(bad.calls).toEqual([{ objects: ['good-2'], environment: 6 }]);
  });

  test('another environment, credential exception, schema set or platform keeps its own findings', async () => {
    const dir = tempDir('meshflip-cache-');
    await new FileChecks(dir).run(KEY, environment(), [finder('bad').check]);
    const others: FileChecksKeyParts[] = [
      { ...KEY, env: 'real' },
      { ...KEY, env: undefined },
      { ...KEY, allowedFingerprints: ['f1'] },
      { ...KEY, checks: 'a'.repeat(64) },
      { ...KEY, context: 'openshift' },
    ];
    for (const key of others) {
      const bad = finder('bad');
      await new FileChecks(dir).run(key, environment(), [bad.check]);
      expect(bad.calls).toHaveLength(1);
    }
    // The order of the exceptions is not part of what they are.
    await new FileChecks(dir).run({ ...KEY, allowedFingerprints: ['f2', 'f1'] }, environment(), [finder('bad').check]);
    const bad = finder('bad');
    await new FileChecks(dir).run({ ...KEY, allowedFingerprints: ['f1', 'f2'] }, environment(), [bad.check]);
    expect(bad.calls).toEqual([]);
  });

  test('findings kept for another number of checks, or about objects a file does not have, are not used', async () => {
    const dir = tempDir('meshflip-cache-');
    await new FileChecks(dir).run(KEY, environment(), [finder('bad').check]);
    // Another number of checks under the same key (a changed checker would change the key; this is the entry's own guard)
    const two = [finder('bad'), finder('warn', 'warning')];
    const found = await new FileChecks(dir).run(
      KEY,
      environment(),
      two.map((f) => f.check),
    );
    expect(two[0].calls).toHaveLength(1);
    expect(found).toHaveLength(2);
    // An entry edited to name an object past the end of its file
    const entries = path.join(dir, 'files');
    for (const name of fs.readdirSync(entries)) {
      const entryFile = path.join(entries, name);
      const text = fs.readFileSync(entryFile, 'utf8');
      fs.writeFileSync(entryFile, text.replace('[[[0,"error","bad in bad-1"]]', '[[[7,"error","bad in bad-1"]]'));
    }
    const bad = finder('bad');
    const after = await new FileChecks(dir).run(KEY, environment(), [bad.check, finder('warn', 'warning').check]);
    expect(bad.calls).toEqual([{ objects: ['bad-1', 'good-1'], environment: 6 }]);
    expect(shown(after)[0]).toEqual(['perf/a.k8s.yaml:1 error bad in bad-1', 'perf/c.k8s.yaml:6 error bad in bad-2']);
  });

  test('an entry that cannot be read is no entry, and a folder that cannot be written is no cache', async () => {
    const dir = tempDir('meshflip-cache-');
    await new FileChecks(dir).run(KEY, environment(), [finder('bad').check]);
    const entries = path.join(dir, 'files');
    for (const name of fs.readdirSync(entries)) {
      fs.writeFileSync(path.join(entries, name), '{"format": 1, "key"');
    }
    const bad = finder('bad');
    expect(shown(await new FileChecks(dir).run(KEY, environment(), [bad.check]))[0]).toHaveLength(2);
    expect(bad.calls).toHaveLength(1);
    const blocked = path.join(tempDir('meshflip-cache-'), 'a-file');
    fs.writeFileSync(blocked, '');
    const none = finder('bad');
    expect(shown(await new FileChecks(blocked).run(KEY, environment(), [none.check]))[0]).toHaveLength(2);
    expect(none.calls).toHaveLength(1);
  });

  test('a check that reports an object it was not given is a bug, not a finding to keep', async () => {
    const stray: ObjectCheck = () => [{ at: { file: 'x', line: 1, object: {} }, severity: 'error', message: 'elsewhere' }];
    await expect(new FileChecks(tempDir('meshflip-cache-')).run(KEY, environment(), [stray])).rejects.toThrow(
      'a check found "elsewhere" about an object it was not given',
    );
  });
});
