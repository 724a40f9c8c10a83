import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { BUNDLED_MANIFEST, FETCHED_MARKER, readManifest } from '../../src/pipeline/validate/upstream-schemas';
import { copyRepo, crds, describeWithCrds, removeTempDirs, snapshotTree, tempDir, writeFiles } from '../util';
import { lines, meshflipAsync, readGitHubOutputs } from './cli-util';

// `meshflip crds fetch` fills the schema folder the workflow validates dist/ against. Here it
// downloads from an HTTP server on 127.0.0.1 that serves a manifest's files and counts requests.

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** An HTTP server on 127.0.0.1 serving `files` (URL path -> body); 404 for anything else. */
interface FileServer {
  readonly url: string;
  readonly files: Map<string, string>;
  readonly requests: string[];
  close(): Promise<void>;
}

async function serve(): Promise<FileServer> {
  const files = new Map<string, string>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url!);
    const body = files.get(req.url!);
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/plain' }).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, files, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

let server: FileServer;

/**
 * A manifest with the bundled manifest's sets and environment rules, each set holding one small
 * file served by the test server: `<set>/<last part>.yaml` with the text `schema of <set>`.
 */
function localManifest(): { file: string; bodies: Record<string, string> } {
  const bundled = JSON.parse(fs.readFileSync(BUNDLED_MANIFEST, 'utf8'));
  const bodies: Record<string, string> = {};
  for (const set of bundled.sets) {
    const rel = `${set.name}/${set.name.split('/').pop()}.yaml`;
    bodies[rel] = `schema of ${set.name}\n`;
    server.files.set(`/upstream/${rel}`, bodies[rel]);
    set.files = [{ path: rel, url: `${server.url}/upstream/${rel}`, sha256: sha256(bodies[rel]) }];
  }
  const file = path.join(tempDir(), 'manifest.json');
  fs.writeFileSync(file, JSON.stringify(bundled));
  return { file, bodies };
}

beforeAll(async () => {
  server = await serve();
});
afterAll(async () => {
  await server.close();
  removeTempDirs();
});

describe('fetching the schemas the environments need', () => {
  test('downloads the sets of the meshes and versions the environments declare, and says which declared version has none of its own', async () => {
    // GIVEN the example environments: Kong Mesh 2.14.3 and 2.5.1, OpenShift Service Mesh 2.5 and 3.4
    const repo = copyRepo(['environments']);
    const { file, bodies } = localManifest();
    const out = path.join(tempDir(), 'crds');
    const githubOutput = path.join(tempDir(), 'output');
    fs.writeFileSync(githubOutput, '');
    server.requests.length = 0;
    // WHEN
    const run = await meshflipAsync(repo, ['crds', 'fetch', '--manifest', file, '--out', out], { GITHUB_OUTPUT: githubOutput });
    // THEN only the sets those meshes need, each verified (OSSM 3 serves upstream Istio's APIs: istio/ with alternatives/ossm-3/)
    expect(run.status).toBe(0);
    expect(lines(run.stderr)).toEqual([
      'note: coolstore-migrating declares openshift-service-mesh 2.6; no schemas are pinned for 2.6, so it is validated against those of 2.5',
      'note: kong-tutorial declares kong-mesh 2.5.1; no schemas are pinned for 2.5, so it is validated against those of 2.14',
    ]);
    const wanted = ['kubernetes', 'argocd', 'kuma', 'istio', 'maistra', 'olm', 'openshift', 'alternatives/ossm-2.5-istio', 'alternatives/ossm-3'];
    expect(lines(run.stdout)).toEqual([
      'kubernetes/: 1 file of Kubernetes 1.28.0 core API (JSON-schema definitions, as cdk8s imports them) (downloaded)',
      'argocd/: 1 file of Argo CD v3.5.1 (downloaded)',
      'kuma/: 1 file of Kuma 2.14.3 (the CRDs Kong Mesh 2.14 installs; Kong Mesh-only kinds are not included) (downloaded)',
      'istio/: 1 file of Istio 1.30.3 (downloaded)',
      'maistra/: 1 file of Maistra 2.5.1 = OpenShift Service Mesh 2.5 (downloaded)',
      'olm/: 1 file of Operator Lifecycle Manager API v0.45.0 (downloaded)',
      'openshift/: 1 file of OpenShift 4.15 API (Route) (downloaded)',
      'alternatives/ossm-2.5-istio/: 1 file of Istio CRDs as OpenShift Service Mesh 2.5 installs them (downloaded)',
      'alternatives/ossm-3/: 1 file of OpenShift Service Mesh 3.4.1 operator (Sail) and Kiali operator v2.29.0 (downloaded)',
      `fetched 9 files in 9 sets to ${out}, every sha256 as pinned`,
    ]);
    const tree = snapshotTree(out);
    expect(Object.keys(tree).sort()).toEqual([FETCHED_MARKER, ...wanted.map((s) => `${s}/${s.split('/').pop()}.yaml`)].sort());
    for (const set of wanted) {
      expect(tree[`${set}/${set.split('/').pop()}.yaml`]).toBe(bodies[`${set}/${set.split('/').pop()}.yaml`]);
    }
    expect(server.requests.length).toBe(9);
    expect(readGitHubOutputs(githubOutput)).toEqual({ dir: out });
  });

  test('a folder restored from a cache downloads nothing; a file changed in it is downloaded again', async () => {
    // GIVEN a complete fetch of every set
    const repo = copyRepo(['environments']);
    const { file, bodies } = localManifest();
    const out = path.join(tempDir(), 'crds');
    expect((await meshflipAsync(repo, ['crds', 'fetch', '--all', '--manifest', file, '--out', out])).status).toBe(0);
    server.requests.length = 0;
    // WHEN it runs again on the same folder
    const again = await meshflipAsync(repo, ['crds', 'fetch', '--all', '--manifest', file, '--out', out]);
    // THEN no request
    expect(again.status).toBe(0);
    expect(server.requests).toEqual([]);
    expect(lines(again.stdout)).toContain(
      'kuma/: 1 file of Kuma 2.14.3 (the CRDs Kong Mesh 2.14 installs; Kong Mesh-only kinds are not included) (all from the folder)',
    );
    // WHEN a cached file was altered (a poisoned or truncated cache)
    fs.writeFileSync(path.join(out, 'kuma', 'kuma.yaml'), 'schema of kuma, altered\n');
    const repaired = await meshflipAsync(repo, ['crds', 'fetch', '--all', '--manifest', file, '--out', out]);
    // THEN only that file is fetched again, and it is the pinned one
    expect(repaired.status).toBe(0);
    expect(server.requests).toEqual(['/upstream/kuma/kuma.yaml']);
    expect(fs.readFileSync(path.join(out, 'kuma', 'kuma.yaml'), 'utf8')).toBe(bodies['kuma/kuma.yaml']);
  });

  test('removes the sets an earlier fetch wrote that are no longer wanted, folders included', async () => {
    // GIVEN every set fetched, for a repository without the OSSM 3 examples (the migrating one included)
    const repo = copyRepo(['environments']);
    for (const env of ['coolstore-ossm3', 'coolstore-ossm3-chaos', 'coolstore-migrating']) {
      fs.rmSync(path.join(repo, 'environments', `${env}.yaml`));
    }
    const { file } = localManifest();
    const out = path.join(tempDir(), 'crds');
    expect((await meshflipAsync(repo, ['crds', 'fetch', '--all', '--manifest', file, '--out', out])).status).toBe(0);
    // WHEN only the environments' sets are fetched into it
    const run = await meshflipAsync(repo, ['crds', 'fetch', '--manifest', file, '--out', out]);
    // THEN upstream Istio and OSSM 3 are gone: a leftover folder would be loaded as a schema set
    expect(run.status).toBe(0);
    expect(lines(run.stdout).filter((l) => l.startsWith('removed'))).toEqual([
      'removed alternatives/ossm-3/ossm-3.yaml (no longer wanted)',
      'removed istio/istio.yaml (no longer wanted)',
    ]);
    expect(fs.existsSync(path.join(out, 'istio'))).toBe(false);
    expect(fs.readdirSync(path.join(out, 'alternatives'))).toEqual(['ossm-2.5-istio']);
  });

  test('refuses a download whose sha256 differs from the pinned one, and does not write it', async () => {
    // GIVEN the server now serves other content for the Kuma file
    const repo = copyRepo(['environments']);
    const { file, bodies } = localManifest();
    server.files.set('/upstream/kuma/kuma.yaml', 'schema of kuma, changed upstream\n');
    const out = path.join(tempDir(), 'crds');
    // WHEN
    const run = await meshflipAsync(repo, ['crds', 'fetch', '--manifest', file, '--out', out]);
    // THEN
    expect(run.status).toBe(1);
    expect(lines(run.stderr).filter((l) => !l.startsWith('note: '))).toEqual([
      `error: ${server.url}/upstream/kuma/kuma.yaml: sha256 is ${sha256('schema of kuma, changed upstream\n')}, the manifest pins ${sha256(bodies['kuma/kuma.yaml'])}; refused, kuma/kuma.yaml was not written`,
      'hint: the upstream file changed or the download was altered: check the URL, and update the manifest only after reviewing the new file',
    ]);
    expect(fs.existsSync(path.join(out, 'kuma'))).toBe(false);
  });

  test('fails with the URL and the HTTP status when a file is not there', async () => {
    // GIVEN
    const repo = copyRepo(['environments']);
    const { file } = localManifest();
    server.files.delete('/upstream/argocd/argocd.yaml');
    // WHEN
    const run = await meshflipAsync(repo, ['crds', 'fetch', '--manifest', file, '--out', path.join(tempDir(), 'crds')]);
    // THEN
    expect(run.status).toBe(1);
    expect(lines(run.stderr).filter((l) => !l.startsWith('note: '))).toEqual([
      `error: ${server.url}/upstream/argocd/argocd.yaml: download failed: HTTP 404 Not Found`,
      'hint: check that the URL still serves the pinned file',
    ]);
  });

  test('never writes into a folder it did not fill', async () => {
    // GIVEN a schema folder filled by hand
    const repo = copyRepo(['environments']);
    const { file } = localManifest();
    const out = tempDir();
    writeFiles(out, { 'kuma/my-cluster.yaml': 'by hand\n' });
    // WHEN
    const run = await meshflipAsync(repo, ['crds', 'fetch', '--manifest', file, '--out', out]);
    // THEN
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toEqual([
      `error: ${out} holds files meshflip did not fetch (no ${FETCHED_MARKER})`,
      'hint: fetch into an empty or new folder; meshflip only replaces the files of a folder it filled',
    ]);
    expect(snapshotTree(out)).toEqual({ 'kuma/my-cluster.yaml': 'by hand\n' });
  });

  test('needs a folder to fetch into', async () => {
    const run = await meshflipAsync(copyRepo(['environments']), ['crds', 'fetch']);
    expect(run.status).toBe(1);
    expect(lines(run.stderr)).toEqual([
      'error: no folder to fetch into: pass --out <dir> or set $MESHFLIP_CRDS',
      'hint: meshflip crds fetch --out ../crds',
    ]);
  });
});

describe('the manifest that comes with meshflip', () => {
  const manifest = readManifest(BUNDLED_MANIFEST);

  test('pins every file by commit: a raw URL at a 40-hex commit, never a branch or tag', () => {
    const files = manifest.sets.flatMap((s) => s.files);
    expect(files.length).toBe(108);
    expect(files.filter((f) => !/^https:\/\/raw\.githubusercontent\.com\/[\w.-]+\/[\w.-]+\/[0-9a-f]{40}\/\S+$/.test(f.url))).toEqual([]);
  });

  describeWithCrds('against a schema folder laid out like SOURCES.md describes', () => {
    test('lists every file of the folder, each with the sha256 of its bytes', () => {
      // GIVEN every schema file of $MESHFLIP_CRDS
      const tree = Object.keys(snapshotTree(crds())).filter((f) => f.includes('/'));
      const pinned = new Map(manifest.sets.flatMap((s) => s.files).map((f) => [f.path, f.sha256]));
      // THEN what `crds fetch --all` writes is that folder, byte for byte
      expect([...pinned.keys()].sort()).toEqual(tree.sort());
      expect(
        tree.filter(
          (f) =>
            createHash('sha256')
              .update(fs.readFileSync(path.join(crds(), f)))
              .digest('hex') !== pinned.get(f),
        ),
      ).toEqual([]);
    });
  });
});
