import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Project } from '../../model/load';
import { isKuma } from '../../model/spec';

/** One upstream file: where it goes in the schema folder, where it comes from, and its sha256. */
export interface SchemaFile {
  readonly path: string;
  readonly url: string;
  readonly sha256: string;
}

/** A folder of the schema folder (`kuma`, `alternatives/ossm-2.5-istio`): one upstream product and version. */
export interface SchemaSet {
  readonly name: string;
  readonly product: string;
  readonly files: readonly SchemaFile[];
}

/** The sets an environment of these flavors and versions (`major.minor`) is validated against. */
export interface EnvironmentSchemas {
  readonly flavors: readonly string[];
  readonly versions: readonly string[];
  readonly sets: readonly string[];
}

/** The pinned upstream schemas: `src/pipeline/validate/upstream-schemas.json`. */
export interface SchemaManifest {
  /** Sets every repository needs: the Kubernetes core API and Argo CD (dist/argocd). */
  readonly always: readonly string[];
  readonly environments: readonly EnvironmentSchemas[];
  readonly sets: readonly SchemaSet[];
}

/** The manifest that comes with meshflip. */
export const BUNDLED_MANIFEST = path.join(__dirname, 'upstream-schemas.json');

/** A manifest, download or checksum problem: the message says what and where; the CLI prints it with the hint. */
export class SchemaFetchError extends Error {
  constructor(
    message: string,
    public readonly hint: string,
  ) {
    super(message);
    this.name = 'SchemaFetchError';
  }
}

/**
 * Reads and checks a manifest file.
 *
 * The manifest is untyped JSON: each value is checked before it is used.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument -- untyped JSON, checked field by field */
export function readManifest(file: string): SchemaManifest {
  let data: any;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SchemaFetchError(
      `cannot read the schema manifest ${file}: ${(e as Error).message}`,
      'pass a JSON file laid out like src/pipeline/validate/upstream-schemas.json',
    );
  }
  const fail = (where: string, what: string, got: unknown): never => {
    throw new SchemaFetchError(
      `${file}: ${where}: ${what}, got ${JSON.stringify(got)}`,
      'see src/pipeline/validate/upstream-schemas.json for the layout',
    );
  };
  const strings = (value: unknown, where: string): string[] =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : fail(where, 'must be a list of strings', value);
  const sets: SchemaSet[] = (Array.isArray(data?.sets) ? data.sets : fail('sets', 'must be a list', data?.sets)).map((set: any, i: number) => {
    const name =
      typeof set?.name === 'string' && /^[a-z0-9.-]+(\/[a-z0-9.-]+)?$/.test(set.name)
        ? set.name
        : fail(`sets[${i}].name`, 'must be a folder name such as kuma or alternatives/ossm-3', set?.name);
    const files = (Array.isArray(set.files) ? set.files : fail(`sets[${i}].files`, 'must be a list', set.files)).map((f: any, j: number) => {
      const where = `sets[${i}].files[${j}]`;
      const rel =
        typeof f?.path === 'string' && f.path.startsWith(`${name}/`) && !f.path.split('/').includes('..')
          ? f.path
          : fail(`${where}.path`, `must be a path under ${name}/`, f?.path);
      const url = typeof f.url === 'string' && /^https?:\/\//.test(f.url) ? f.url : fail(`${where}.url`, 'must be an http(s) URL', f.url);
      const sha256 =
        typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256)
          ? f.sha256
          : fail(`${where}.sha256`, 'must be 64 lowercase hex digits', f.sha256);
      return { path: rel, url, sha256 };
    });
    return { name, product: String(set.product ?? name), files };
  });
  const known = new Set(sets.map((s) => s.name));
  const setNames = (value: unknown, where: string): string[] =>
    strings(value, where).map((n) => (known.has(n) ? n : fail(where, `names no set of the manifest (${[...known].join(', ')})`, n)));
  const environments = (Array.isArray(data.environments) ? data.environments : fail('environments', 'must be a list', data.environments)).map(
    (e: any, i: number) => ({
      flavors: strings(e?.flavors, `environments[${i}].flavors`),
      versions: strings(e?.versions, `environments[${i}].versions`),
      sets: setNames(e?.sets, `environments[${i}].sets`),
    }),
  );
  return { always: setNames(data.always, 'always'), environments, sets };
}
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-argument */

/** The sets a project's environments need, and a note for each environment whose version has no pinned schemas of its own. */
export function setsForProject(manifest: SchemaManifest, project: Project): { sets: string[]; notes: string[] } {
  const sets = new Set(manifest.always);
  const notes: string[] = [];
  // A mesh moving to another version (OpenShift Service Mesh 2.6 to 3) runs both: it needs the sets of each.
  const declared = project.environments.flatMap((env) => [
    { env, version: env.mesh.version },
    ...(!isKuma(env.mesh) && env.mesh.migration !== undefined ? [{ env, version: env.mesh.migration.to }] : []),
  ]);
  for (const { env, version } of declared) {
    const { flavor } = env.mesh;
    const minor = `${version.major}.${version.minor}`;
    const forFlavor = manifest.environments.filter((e) => e.flavors.includes(flavor));
    if (forFlavor.length === 0) {
      throw new SchemaFetchError(
        `${env.file}: mesh.flavor ${flavor}: the schema manifest pins no schemas for it`,
        "add its sets to the manifest, or fill a schema folder by hand (README: Validating against your clusters' schemas)",
      );
    }
    // The pinned versions of the same major version, the newest first: the closest API there is.
    const exact = forFlavor.find((e) => e.versions.includes(minor));
    const sameMajor = forFlavor.filter((e) => e.versions.some((v) => v.split('.')[0] === String(version.major)));
    const chosen = exact ?? sameMajor[sameMajor.length - 1] ?? forFlavor[forFlavor.length - 1];
    if (exact === undefined) {
      notes.push(
        `${env.name} declares ${flavor} ${version.text}; no schemas are pinned for ${minor}, so it is validated against those of ${chosen.versions.join(', ')}`,
      );
    }
    chosen.sets.forEach((s) => sets.add(s));
  }
  return { sets: manifest.sets.map((s) => s.name).filter((name) => sets.has(name)), notes };
}

/** What `fetchSchemas` did. */
export interface FetchReport {
  /** Per set: how many files, how many were already there with the right checksum. */
  readonly sets: readonly { readonly name: string; readonly product: string; readonly files: number; readonly cached: number }[];
  /** Files of earlier fetches no longer wanted, removed. */
  readonly removed: readonly string[];
}

/** The file in a schema folder that says meshflip filled it, and with what. */
export const FETCHED_MARKER = '.meshflip-schemas.json';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every file under `dir`, relative, with forward slashes. */
function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) {
    return [];
  }
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

/** The files of `out`; fails unless it is missing, empty, or a folder `fetchSchemas` filled. */
export function checkFetchFolder(out: string): string[] {
  const existing = listFiles(out);
  if (existing.length > 0 && !existing.includes(FETCHED_MARKER)) {
    throw new SchemaFetchError(
      `${out} holds files meshflip did not fetch (no ${FETCHED_MARKER})`,
      'fetch into an empty or new folder; meshflip only replaces the files of a folder it filled',
    );
  }
  return existing;
}

/**
 * Fills `out` with the files of `setNames`: a file already there with the pinned sha256 is kept
 * (a restored cache downloads nothing, and a tampered cache is caught), any other is downloaded
 * and written only when its sha256 matches. Files of sets no longer wanted are removed. `out`
 * must be empty, missing, or a folder this function filled before.
 */
export async function fetchSchemas(
  manifest: SchemaManifest,
  setNames: readonly string[],
  out: string,
  options: { timeoutMs?: number } = {},
): Promise<FetchReport> {
  const existing = checkFetchFolder(out);
  const sets = setNames.map(
    (name) =>
      manifest.sets.find((s) => s.name === name) ??
      (() => {
        throw new SchemaFetchError(`no schema set "${name}" in the manifest`, `sets: ${manifest.sets.map((s) => s.name).join(', ')}`);
      })(),
  );
  const report: { name: string; product: string; files: number; cached: number }[] = [];
  for (const set of sets) {
    let cached = 0;
    for (const file of set.files) {
      const target = path.join(out, ...file.path.split('/'));
      if (fs.existsSync(target) && sha256(fs.readFileSync(target)) === file.sha256) {
        cached++;
        continue;
      }
      const data = await download(file.url, options.timeoutMs ?? 60_000);
      const actual = sha256(data);
      if (actual !== file.sha256) {
        throw new SchemaFetchError(
          `${file.url}: sha256 is ${actual}, the manifest pins ${file.sha256}; refused, ${file.path} was not written`,
          'the upstream file changed or the download was altered: check the URL, and update the manifest only after reviewing the new file',
        );
      }
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const temp = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(temp, data);
      fs.renameSync(temp, target);
    }
    report.push({ name: set.name, product: set.product, files: set.files.length, cached });
  }
  const wanted = new Set([FETCHED_MARKER, ...sets.flatMap((s) => s.files.map((f) => f.path))]);
  const removed = existing.filter((f) => !wanted.has(f));
  for (const file of removed) {
    fs.rmSync(path.join(out, ...file.split('/')));
    // A folder left empty would still count as a schema set.
    for (
      let dir = path.dirname(path.join(out, ...file.split('/')));
      dir !== path.resolve(out) && fs.readdirSync(dir).length === 0;
      dir = path.dirname(dir)
    ) {
      fs.rmdirSync(dir);
    }
  }
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, FETCHED_MARKER), `${JSON.stringify({ sets: sets.map((s) => ({ name: s.name, product: s.product })) }, null, 2)}\n`);
  return { sets: report, removed };
}

async function download(url: string, timeoutMs: number): Promise<Buffer> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new SchemaFetchError(
      `${url}: download failed: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      'check the network (the runner needs to reach the URL), then run again: files already fetched are kept',
    );
  }
  if (!response.ok) {
    throw new SchemaFetchError(
      `${url}: download failed: HTTP ${response.status} ${response.statusText}`.trimEnd(),
      'check that the URL still serves the pinned file',
    );
  }
  return Buffer.from(await response.arrayBuffer());
}
