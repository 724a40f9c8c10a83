import * as fs from 'fs';
import * as path from 'path';
import { EnvironmentRouting, RenderedObject } from '../../meshes/effective-routing';
import { distFolder } from '../../model/load';
import { compareStrings, SpecError } from '../../model/spec-error';
import {
  environmentOf,
  groupByEnvironment,
  groupFilesByEnvironment,
  isObjectFile,
  listFiles,
  parseDistFile,
  RenderedFile,
  renderedObjects,
} from '../dist/read-dist';
import { recoverInterruptedWrite } from '../dist/write-dist';
import { StringPool } from '../dist/fast-yaml';
import { readEnvironmentRouting } from '../routing/routing-reader';
import { unchangedSinceRendered } from '../synth/inputs-digest';
import { INPUTS_FILE, outputsDigest, recordedInputs } from '../dist/outputs-digest';
import { KeptRouting } from '../validate/validate';
import { synthesizeChanged } from '../validate/incremental-synth';
import { blobId, listCommittedFiles, readBlobs, verifyCommit } from './git';
import { diffObjectTexts } from './object-diff';
import { diffRouting, EnvironmentChange, withObjectChanges } from './routing-diff';

/** The working tree as rendered: every file of dist/, and the routing of those environments that were rendered. */
export interface HeadRendering {
  /** Where dist/ is in the repository (repository.path). */
  readonly distPath: string;
  /** The environments the working tree declares, by name. */
  readonly environments: readonly string[];
  readonly files: readonly RenderedFile[];
  /** Files of dist/ that are part of the working tree's rendering as they are (environments not rendered), by path. */
  readonly keptFiles: readonly string[];
  /** Read back from rendered objects; an environment missing here is read from dist/, which holds its files as rendered. */
  readonly routing: readonly EnvironmentRouting[];
}

/**
 * How the routing, and every other rendered object, changes between a base revision and the
 * working tree: the base is read from dist/ as committed at `baseRef` (it passed CI), the head is
 * what the working tree renders (`head`: a caller that has just rendered it, as ci-summary after
 * validating; else the environments whose inputs changed are rendered and the rest read from dist/).
 *
 * Only environments whose INPUTS.sha256 differs between the base and the head are compared: the
 * same inputs rendered by the same renderer give the same files, so the others cannot have
 * changed. Their base files alone are extracted from git.
 */
export async function changeSinceBase(root: string, baseRef: string, head?: HeadRendering, keptRouting?: KeptRouting): Promise<EnvironmentChange[]> {
  verifyCommit(root, baseRef);
  if (head === undefined) {
    // A flip killed midway is finished (or undone) before the environment files are read.
    recoverInterruptedWrite(path.join(root, distFolder(root)));
  }
  const rendering = head ?? (await renderWorkingTree(root));
  const distPath = rendering.distPath;
  const baseFiles = listCommittedFiles(root, baseRef, distPath);
  const distDir = path.join(root, distPath);
  const headByPath = new Map<string, RenderedFile>(rendering.files.map((f) => [f.path, f]));
  const kept = new Set(rendering.keptFiles);
  /** A file of the head: as rendered, or read from dist/ when it is kept as it is there. */
  const headFile = (file: string): RenderedFile | undefined =>
    headByPath.get(file) ?? (kept.has(file) ? { path: file, content: fs.readFileSync(path.join(distDir, ...file.split('/')), 'utf8') } : undefined);
  const environments = new Set(
    [...baseFiles.keys(), ...headByPath.keys(), ...kept].map(environmentOf).filter((e): e is string => e !== undefined && !e.includes('/')),
  );
  const known = new Set(rendering.environments);
  const compared = new Set(
    [...environments].filter((env) => {
      const inputs = headFile(`${env}/${INPUTS_FILE}`);
      const base = baseFiles.get(`${env}/${INPUTS_FILE}`);
      return inputs === undefined || base === undefined || blobId(inputs.content) !== base;
    }),
  );
  // A file that belongs to no environment folder (the root Application, bootstrap patches) is always compared.
  const selected = (file: string) => {
    const env = environmentOf(file);
    return env === undefined || compared.has(env) || !(known.has(env) || baseFiles.has(`${env}/${INPUTS_FILE}`));
  };
  // The compared files of both sides, by path: the head's text, and the base's git blob. A head
  // file whose text has the base file's blob id is the same file: it is parsed once, for both.
  const headFiles = [...headByPath.keys(), ...kept].filter(selected).map((file) => headFile(file)!);
  const headFileByPath = new Map(headFiles.map((f) => [f.path, f]));
  const basePaths = [...baseFiles.keys()].filter(selected);
  const differing = basePaths.filter((file) => {
    const text = headFileByPath.get(file)?.content;
    return text === undefined || blobId(text) !== baseFiles.get(file);
  });
  // The base's routing may be kept (`keptRouting`): the base files of a compared environment are
  // then all read, to find it under their digest.
  const blobs = readBlobs(
    root,
    differing.filter((f) => /\.ya?ml$/.test(f) || keptRouting !== undefined).map((f) => baseFiles.get(f)!),
  );
  const differs = new Set(differing);
  const baseText = (file: string): string => (differs.has(file) ? blobs.get(baseFiles.get(file)!)! : headFileByPath.get(file)!.content);
  const headObjects = new Map<string, RenderedObject[]>();
  const strings: StringPool = new Map();
  const objectsOfHead = (f: RenderedFile): RenderedObject[] => {
    let objects = headObjects.get(f.path);
    if (objects === undefined) {
      objects = f.objects !== undefined && f.lines !== undefined ? renderedObjects(f) : parseDistFile(f.path, f.content, strings);
      headObjects.set(f.path, objects);
    }
    return objects;
  };
  /** The routing of the compared environments that have files on one side, read back from that side's objects. */
  const routingOf = (paths: readonly string[], objectsOf: (file: string) => RenderedObject[]): EnvironmentRouting[] => {
    const byEnv = groupByEnvironment(paths.filter((file) => compared.has(environmentOf(file) ?? '') && isObjectFile(file)).flatMap(objectsOf));
    return [...byEnv.keys()].sort(compareStrings).map((env) => readEnvironmentRouting(env, byEnv.get(env)!));
  };
  const keptBase = keptRoutingOf(compared, basePaths, baseText, keptRouting);
  const baseRouting = [
    ...keptBase.values(),
    ...routingOf(basePaths.filter((file) => !keptBase.has(environmentOf(file) ?? '')).sort(compareStrings), (file) =>
      differs.has(file) ? parseDistFile(file, baseText(file), strings) : objectsOfHead(headFileByPath.get(file)!),
    ),
  ].sort((a, b) => compareStrings(a.name, b.name));
  const renderedRouting = rendering.routing.filter((r) => compared.has(r.name));
  const unread = new Set([...compared].filter((env) => known.has(env) && !renderedRouting.some((r) => r.name === env)));
  // The head's files of an environment not rendered may be those a kept routing was read from, as the base's may.
  const headPaths = headFiles.map((f) => f.path).sort(compareStrings);
  const keptHead = keptRoutingOf(unread, headPaths, (file) => headFileByPath.get(file)!.content, keptRouting);
  const headRouting = [
    ...renderedRouting,
    ...[
      ...keptHead.values(),
      ...routingOf(
        headPaths.filter((file) => unread.has(environmentOf(file) ?? '') && !keptHead.has(environmentOf(file) ?? '')),
        (file) => objectsOfHead(headFileByPath.get(file)!),
      ),
    ].sort((a, b) => compareStrings(a.name, b.name)),
  ];
  return withObjectChanges(
    diffRouting(baseRouting, headRouting),
    diffObjectTexts(baseText, basePaths, headFiles, distPath),
    baseRouting,
    headRouting,
  );
}

/**
 * The routing of each of `envs` that an earlier run read back from exactly its files on one side
 * (their digest, computed here from `text`: the files as committed for the base, as on disk for the
 * head) and kept.
 */
function keptRoutingOf(
  envs: ReadonlySet<string>,
  paths: readonly string[],
  text: (file: string) => string,
  keptRouting: KeptRouting | undefined,
): Map<string, EnvironmentRouting> {
  const found = new Map<string, EnvironmentRouting>();
  if (keptRouting === undefined) {
    return found;
  }
  for (const [env, files] of groupFilesByEnvironment(paths.filter((file) => envs.has(environmentOf(file) ?? '')))) {
    const inputs = files.includes(`${env}/${INPUTS_FILE}`) ? recordedInputs(text(`${env}/${INPUTS_FILE}`)) : undefined;
    const routing =
      inputs === undefined ? undefined : keptRouting(env, inputs, outputsDigest(files.map((file) => ({ path: file, content: text(file) }))));
    if (routing !== undefined) {
      found.set(env, routing);
    }
  }
  return found;
}

/**
 * The working tree as rendered: the environments whose inputs changed since dist/ was written,
 * and the others as dist/ holds them. Environment files that do not load stop it, as they stop
 * every command. When every input is as dist/ records it (`unchangedSinceRendered`), that is all
 * of dist/ as it is, and nothing is loaded.
 */
async function renderWorkingTree(root: string): Promise<HeadRendering> {
  const distRel = distFolder(root);
  const distDir = path.join(root, distRel);
  const unchanged = unchangedSinceRendered(root, distDir);
  if (unchanged !== undefined) {
    return { distPath: distRel, environments: unchanged, files: [], keptFiles: listFiles(distDir), routing: [] };
  }
  const head = await synthesizeChanged({ root, distDir, distRel });
  if (head.project === undefined) {
    throw new SpecError([...head.problems]);
  }
  return {
    distPath: head.project.settings.distPath,
    environments: head.project.environments.map((e) => e.name),
    files: head.files,
    keptFiles: head.keptFiles,
    routing: head.routing,
  };
}
