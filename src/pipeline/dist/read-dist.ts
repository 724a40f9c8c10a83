import * as fs from 'fs';
import * as path from 'path';
import { RenderedObject } from '../../meshes/effective-routing';
import { groupBy } from '../../model/group-by';
import { compareStrings } from '../../model/spec-error';
import { readYamlDocuments, StringPool } from './fast-yaml';

/** One file of dist/: its path relative to dist/ (forward slashes) and its exact content. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
  /** The documents of a YAML file, as rendered. */
  readonly objects?: readonly Record<string, unknown>[];
  /** The line of the file each document starts on. */
  readonly lines?: readonly number[];
  /** The SHA-256 (hex) of `content`'s UTF-8 bytes, when it was computed where the file was rendered (`contentDigest`). */
  readonly digest?: string;
  /**
   * `objects` are exactly what JSON gives back of them, and what a reader of `content` gets: every
   * document was written by meshflip's emitter itself (`emitDocuments`' `direct`).
   */
  readonly plainJson?: boolean;
}

/** The objects of an environment's YAML files as read back before, by path, and how many kept edits they were put together from. */
export interface KeptFileObjects {
  readonly files: ReadonlyMap<string, { readonly objects: readonly Record<string, unknown>[]; readonly lines: readonly number[] }>;
  readonly depth: number;
}

/** Objects kept by the digest of the files they were read from (`ObjectsCache` keeps them between runs). */
export interface KeptObjectsByFiles {
  /** The objects of the YAML files of `env`, whose files (every path and byte) have the digest `outputs` (`outputsDigest`), when they were kept. */
  get(env: string, outputs: string): KeptFileObjects | undefined;
}

/** Every file below `dir`, as paths relative to it with forward slashes. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (current: string, prefix: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(current, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        return;
      }
      throw e;
    }
    for (const entry of entries) {
      const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(path.join(current, entry.name), rel);
      } else {
        out.push(rel);
      }
    }
  };
  walk(dir, '');
  return out.sort(compareStrings);
}

/**
 * The environment a dist/ file belongs to (`argocd/<env>.k8s.yaml` belongs to `<env>`); the root
 * Application and the bootstrap files (`argocd/bootstrap/`) belong to none.
 */
export function environmentOf(file: string): string | undefined {
  // Called for each of a fleet's files, several times a command: the first part without a split.
  const slash = file.indexOf('/');
  const first = slash === -1 ? file : file.slice(0, slash);
  if (first !== 'argocd') {
    return first;
  }
  const [, second, third] = file.split('/');
  const env = (second ?? '').replace(/\.k8s\.yaml$/, '');
  return env === 'root' || (env === 'bootstrap' && third !== undefined) ? undefined : env;
}

/** A patch (dist/argocd/bootstrap/*.patch.yaml) is part of an object, not one: no check over objects reads it. */
export function isPatchFile(file: string): boolean {
  return /\.patch\.ya?ml$/.test(file);
}

/** Whether a file of dist/ holds objects: a YAML file that is not a patch. */
export function isObjectFile(file: string): boolean {
  return /\.ya?ml$/.test(file) && !isPatchFile(file);
}

/**
 * Every file of dist/ and every object in its YAML files, with file and line.
 *
 * `rendered` may hold what a fresh synthesis produced: a file on disk whose text is byte for byte
 * the rendered text has exactly the rendered objects (the emitter writes what the yaml package
 * reads back, a test compares both ways over the examples), so those are used instead of parsing
 * it again. Any other file, a hand edit included, is parsed: by `readYamlFast` when it is in the
 * emitter's subset of YAML, else by the `yaml` package, with the same result either way.
 */
export function readDist(
  distDir: string,
  rendered?: ReadonlyMap<string, RenderedFile>,
  include: (file: string) => boolean = () => true,
  files: string[] = listFiles(distDir),
): { files: string[]; objects: RenderedObject[] } {
  const objects: RenderedObject[] = [];
  const strings: StringPool = new Map();
  for (const file of files) {
    if (!isObjectFile(file) || !include(file)) {
      continue;
    }
    objects.push(...objectsOfText(file, fs.readFileSync(path.join(distDir, file), 'utf8'), rendered?.get(file), strings));
  }
  return { files, objects };
}

/** The objects of a rendered file, with the line each starts on. */
export function renderedObjects(file: RenderedFile): RenderedObject[] {
  return (file.objects ?? []).map((object, i) => ({ file: file.path, object, line: file.lines?.[i] }));
}

/**
 * The objects of a file of dist/ whose text is `text`: those of `rendered` when it is that text as
 * rendered (byte for byte, so the same objects), else parsed (`parseDistFile`).
 */
export function objectsOfText(file: string, text: string, rendered: RenderedFile | undefined, strings: StringPool): RenderedObject[] {
  if (rendered?.objects !== undefined && rendered.lines !== undefined && rendered.content === text) {
    return objectsOfFile(rendered);
  }
  return parseDistFile(file, text, strings);
}

/** The objects of a file that has them (`objects` and `lines`), as `objectsOfText` gives them for its text: what is not a map is not one. */
export function objectsOfFile(rendered: RenderedFile): RenderedObject[] {
  return renderedObjects(rendered).filter(({ object }) => object !== null && typeof object === 'object' && !Array.isArray(object));
}

/**
 * The objects of one YAML file of dist/, as its text holds them, with the line each starts on: read
 * by `readYamlFast` when the text is in the emitter's subset of YAML, else by the `yaml` package.
 * `strings` (shared across files) keeps each distinct string once.
 */
export function parseDistFile(file: string, text: string, strings: StringPool = new Map()): RenderedObject[] {
  const objects: RenderedObject[] = [];
  const { documents, lines } = readYamlDocuments(text, strings);
  documents.forEach((object, i) => {
    if (object !== null && typeof object === 'object' && !Array.isArray(object)) {
      objects.push({ file, object: object as Record<string, unknown>, line: lines[i] });
    }
  });
  return objects;
}

/** Objects grouped by environment (`argocd/<env>.k8s.yaml` counts for `<env>`; the root Application for none). */
export function groupByEnvironment(objects: readonly RenderedObject[]): Map<string, RenderedObject[]> {
  const groups = groupByEnvironmentOf(objects, (o) => o.file);
  groups.delete('');
  return groups;
}

/** Files of dist/ grouped by environment, in their order; '' for the files of none (the root Application, the bootstrap files). */
export function groupFilesByEnvironment(files: readonly string[]): Map<string, string[]> {
  return groupByEnvironmentOf(files, (file) => file);
}

/** Items grouped by the environment of their file (`environmentOf`), in their order; '' for the files of none. */
function groupByEnvironmentOf<T>(items: readonly T[], fileOf: (item: T) => string): Map<string, T[]> {
  return groupBy(items, (item) => environmentOf(fileOf(item)) ?? '');
}

/** The names of the environments that have files in dist/ (found without listing every file). */
export function distEnvironments(distDir: string): string[] {
  const names = new Set<string>();
  for (const top of readEntries(distDir)) {
    if (top.name === 'argocd' && top.isDirectory()) {
      for (const entry of readEntries(path.join(distDir, 'argocd'))) {
        const env = environmentOf(`argocd/${entry.name}${entry.isDirectory() ? '/' : ''}`);
        if (env !== undefined && (!entry.isDirectory() || holdsAFile(path.join(distDir, 'argocd', entry.name)))) {
          names.add(env);
        }
      }
    } else if (!top.isDirectory() || holdsAFile(path.join(distDir, top.name))) {
      names.add(top.name);
    }
  }
  return [...names].sort(compareStrings);
}

/**
 * The files of dist/ that belong to `environments` (as `environmentOf` says), listed without
 * walking the folders of the others.
 */
export function listEnvironmentFiles(distDir: string, environments: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const env of environments) {
    if (env === '' || env.includes('/') || env === '.' || env === '..') {
      continue;
    }
    if (env !== 'argocd') {
      out.push(...filesAt(distDir, env));
    }
    out.push(...filesAt(distDir, `argocd/${env}`));
    for (const entry of readEntries(path.join(distDir, 'argocd'))) {
      if (!entry.isDirectory() && environmentOf(`argocd/${entry.name}`) === env) {
        out.push(`argocd/${entry.name}`);
      }
    }
  }
  return out.filter(inEnvironments(environments)).sort(compareStrings);
}

/** Whether a file of dist/ belongs to one of `environments`: `listEnvironmentFiles` as a test of each path, with nothing listed. */
export function inEnvironments(environments: ReadonlySet<string>): (file: string) => boolean {
  return (file) => {
    const env = environmentOf(file);
    return env !== undefined && environments.has(env);
  };
}

/** `rel` itself when it is a file, else every file below it, as paths relative to `distDir`. */
function filesAt(distDir: string, rel: string): string[] {
  const stat = fs.lstatSync(path.join(distDir, rel), { throwIfNoEntry: false });
  if (stat === undefined) {
    return [];
  }
  return stat.isDirectory() ? listFiles(path.join(distDir, rel)).map((f) => `${rel}/${f}`) : [rel];
}

/** Whether anything but folders lies below `dir` (what `listFiles` would list), found without listing the rest. */
function holdsAFile(dir: string): boolean {
  return readEntries(dir).some((entry) => !entry.isDirectory() || holdsAFile(path.join(dir, entry.name)));
}

function readEntries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return [];
    }
    throw e;
  }
}
