import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { ArgoCdDelivery, RootApplication, targetContents } from '../../constructs/argocd-delivery';
import { constructId } from '../../constructs/construct-id';
import { ManifestChart, RenderedDocuments } from '../../constructs/manifest-chart';
import type { MeshEnvironment } from '../../constructs/mesh-environment';
import { Project } from '../../model/load';
import { EnvironmentSpec, SettingsSpec } from '../../model/spec';
import { EnvironmentRouting, RenderedObject } from '../../meshes/effective-routing';
import { rulesFor } from '../../meshes/index';
import { runRules } from '../../meshes/rules';
import { editedServices } from '../../model/service-scope';
import { compareStrings, Problem } from '../../model/spec-error';
import { StringPool } from '../dist/fast-yaml';
import { isObjectFile, KeptObjectsByFiles, listEnvironmentFiles, parseDistFile, RenderedFile, renderedObjects } from '../dist/read-dist';
import { EnvironmentInputs, environmentInputs, inputsFileContent } from './inputs-digest';
import { INPUTS_FILE, outputsDigest, outputsDigestOf, recordedOutputs } from '../dist/outputs-digest';
import { digestFiles, SeenFiles } from '../dist/seen-files';
import { renderCharts } from './render-charts';
import { readEnvironmentRouting } from '../routing/routing-reader';
import { routingMarkdown } from './routing-report';
import { emitDocuments } from './yaml-emit';

/**
 * The construct of an environment, loaded when one is first built: it brings cdk8s-plus-28 and the
 * mesh renderers, which the commands that only read dist/ back (validate, diff, ci-summary of
 * environments as rendered) never need.
 */
function environmentConstruct(): typeof MeshEnvironment {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when used; typed as the module itself
  return (require('../../constructs/mesh-environment') as typeof import('../../constructs/mesh-environment')).MeshEnvironment;
}

/** A project's files, as rendered, and the effective routing of each environment read back from them. */
export interface Synthesized {
  readonly files: RenderedFile[];
  readonly routing: EnvironmentRouting[];
  /** What the rules of each environment's mesh found (errors stop a synthesis, warnings are shown). */
  readonly problems: Problem[];
}

/** The construct tree of a project, before it is rendered. */
export interface BuiltApp {
  readonly app: App;
  readonly environments: readonly MeshEnvironment[];
}

/** Builds the cdk8s app for every environment of the project. */
export function buildApp(project: Project, outdir?: string): BuiltApp {
  const app = new App({ outdir: outdir ?? 'dist' });
  const environments = project.environments.map((env) => new (environmentConstruct())(app, constructId('Environment', env.name), { env }));
  for (const environment of environments) {
    new ArgoCdDelivery(app, `${environment.env.name}-argocd`, { environment, settings: project.settings });
  }
  new RootApplication(app, 'root-argocd', { settings: project.settings });
  return { app, environments };
}

/** The header every rendered file opens with. */
export function fileHeader(sources: readonly string[], extra: readonly string[] = []): string {
  const list = sources.length <= 1 ? sources.join('') : `${sources.slice(0, -1).join(', ')} and ${sources[sources.length - 1]}`;
  return [`# Generated from ${list} by npm run synth. Do not edit.`, ...extra.map((line) => `# ${line}`)].join('\n') + '\n';
}

/** The objects of each chart and document of the app, with the path and header of its file, in the order of the files (by path). */
function renderObjects(app: App): { path: string; header: string; objects: readonly Record<string, unknown>[] }[] {
  const nodes = app.node.findAll();
  const charts = nodes.filter((n): n is ManifestChart => ManifestChart.isManifestChart(n));
  const rendered = renderCharts(app, charts);
  const out: { path: string; header: string; objects: readonly Record<string, unknown>[] }[] = charts.map((chart) => ({
    path: chart.path,
    header: fileHeader(chart.sources),
    objects: rendered.get(chart)!,
  }));
  for (const node of nodes) {
    if (RenderedDocuments.isRenderedDocuments(node)) {
      out.push({ path: node.path, header: fileHeader(node.sources, node.header), objects: node.toJson() });
    }
  }
  return out.sort((a, b) => compareStrings(a.path, b.path));
}

/** Renders every chart and document of the app into files, sorted by path. */
export function renderApp(app: App): RenderedFile[] {
  return renderObjects(app).map((f) => renderFile(f.path, f.header, f.objects));
}

function renderFile(path: string, header: string, objects: readonly Record<string, unknown>[]): RenderedFile {
  const { text, startLines, direct } = emitDocuments(objects);
  const offset = header.split('\n').length - 1;
  return { path, content: header + text, objects, lines: startLines.map((l) => l + offset), ...(direct ? { plainJson: true } : {}) };
}

/** Builds and renders a project: the complete content of dist/, including each environment's ROUTING.md. */
export function synthesize(project: Project): RenderedFile[] {
  return synthesizeWithRouting(project).files;
}

/**
 * Like `synthesize`, and also returns the effective routing of each environment, read back from
 * the rendered objects.
 *
 * Environments are independent, so each is built as an app of its own, rendered, and let go
 * before the next: memory stays that of the largest environment, not of the fleet. The files are
 * the same as those of one app holding everything (`buildApp`; a test compares them).
 */
export function synthesizeWithRouting(project: Project): Synthesized {
  const files: RenderedFile[] = [];
  const routing: EnvironmentRouting[] = [];
  const problems: Problem[] = [];
  for (const env of project.environments) {
    const rendered = synthesizeEnvironment(env, project.settings, environmentInputs(env, project));
    files.push(...rendered.files);
    routing.push(rendered.routing);
    problems.push(...rendered.problems);
  }
  files.push(...synthesizeRoot(project.settings));
  return { files: files.sort((a, b) => compareStrings(a.path, b.path)), routing, problems };
}

/**
 * The files of one environment: `dist/<env>/**`, its ROUTING.md and `dist/argocd/<env>.k8s.yaml`,
 * and what the rules of its mesh find in it. With `inputs`, also `dist/<env>/INPUTS.sha256`, the
 * record of what it was rendered from.
 */
export function synthesizeEnvironment(env: EnvironmentSpec, settings: SettingsSpec, inputs?: EnvironmentInputs): RenderedEnvironment {
  const app = new App();
  const environment = new (environmentConstruct())(app, constructId('Environment', env.name), { env });
  return completeEnvironment(environment, settings, renderApp(app), inputs);
}

/** One environment's files, its effective routing and what the rules of its mesh found. */
export interface RenderedEnvironment {
  readonly files: RenderedFile[];
  readonly routing: EnvironmentRouting;
  readonly problems: Problem[];
}

/**
 * The files of one environment after an edit of some of its services' own entries (routing,
 * faults, circuit breakers, timeouts, retries: `editedServices`), from the files dist/ holds for
 * the environment as it was (`before`): only those services' files and the files of the
 * environment as a whole are rendered; every other service's files are read from `distDir`, as
 * they are. Undefined when the edit reaches further, when a file of the environment as a whole
 * could also be a file of a service not rendered, or when the environment's files in dist/ are not
 * those its INPUTS.sha256 records (a hand edit): the environment is then rendered whole.
 *
 * The result is what `synthesizeEnvironment(after, ...)` gives, as long as dist/ holds what
 * `before` renders (INPUTS.sha256 says so): each service is rendered seeing only its own entries
 * and writing only files named after it (`MeshEnvironment`), so the files of a service whose
 * entries did not change cannot have changed. A test compares both over every example.
 *
 * With `keptObjects`, the files read from dist/ are not parsed when the objects of files with the
 * digest INPUTS.sha256 records were kept (`ObjectsCache`): they are those files, checked by that
 * digest as above. With `seen`, a file whose lstat is as when it was last read or written is not
 * read to be digested (`SeenFiles`); the content of a file kept is then read only if asked for.
 */
export function synthesizeEnvironmentEdit(
  before: EnvironmentSpec,
  after: EnvironmentSpec,
  settings: SettingsSpec,
  distDir: string,
  inputs?: EnvironmentInputs,
  keptObjects?: KeptObjectsByFiles,
  seen?: SeenFiles,
): (RenderedEnvironment & { readonly kept: readonly string[]; readonly keptFrom: KeptFrom }) | undefined {
  const only = editedServices(before, after);
  if (only === undefined) {
    return undefined;
  }
  const id = constructId('Environment', after.name);
  const was = new (environmentConstruct())(new App(), id, { env: before, only });
  const app = new App();
  const now = new (environmentConstruct())(app, id, { env: after, only });
  const others = new Set(after.services.map((s) => s.name).filter((name) => !only.has(name)));
  for (const environment of [was, now]) {
    for (const [file, writers] of environment.owners) {
      if (writers.has(undefined) && couldBeFileOf(file, others)) {
        return undefined;
      }
    }
  }
  const rendered = new Set([...was.owners.keys(), ...now.owners.keys(), `${after.name}/ROUTING.md`, `${after.name}/${INPUTS_FILE}`]);
  const onDisk = listEnvironmentFiles(distDir, new Set([after.name]));
  const kept = onDisk.filter((file) => file.startsWith(`${after.name}/`) && !rendered.has(file));
  const recordFile = `${after.name}/${INPUTS_FILE}`;
  const recorded = onDisk.includes(recordFile) ? recordedOutputs(fs.readFileSync(path.join(distDir, recordFile), 'utf8')) : undefined;
  if (recorded === undefined) {
    return undefined;
  }
  // The files must be those INPUTS.sha256 records: a hand edit of any of them is rendered over, as
  // a whole rendering would, never carried into the new record, where validate would trust it. A
  // file lstat says has not changed since it was last read or written is not read (`SeenFiles`).
  const bytesRead = new Map<string, Buffer>();
  const digests = digestFiles(seen, distDir, after.name, onDisk, (file, bytes) => bytesRead.set(file, bytes));
  if (recorded !== outputsDigestOf(digests)) {
    return undefined;
  }
  // The objects of the files as dist/ holds them, when kept under the digest INPUTS.sha256 records.
  const known = keptObjects?.get(after.name, recorded);
  const strings: StringPool = new Map();
  const keptFiles = kept.map((file): RenderedFile => {
    // Read when asked for, if it was not read above: what follows needs the objects and the digest.
    let text = bytesRead.get(file)?.toString('utf8');
    const content = () => (text ??= fs.readFileSync(path.join(distDir, file), 'utf8'));
    const digest = digests.get(file)!;
    const found = known?.files.get(file);
    if (!isObjectFile(file) || found !== undefined) {
      return {
        path: file,
        get content() {
          return content();
        },
        digest,
        ...(found === undefined ? {} : { objects: found.objects, lines: found.lines }),
      };
    }
    const objects = parseDistFile(file, content(), strings);
    return { path: file, content: content(), digest, objects: objects.map((o) => o.object), lines: objects.map((o) => o.line!) };
  });
  return {
    ...completeEnvironment(now, settings, [...renderApp(app), ...keptFiles], inputs),
    kept,
    keptFrom: { outputs: recorded, depth: known?.depth },
  };
}

/** The files an edit kept were those of this digest (`outputsDigest`), whose objects were kept `depth` edits deep (none: parsed). */
export interface KeptFrom {
  readonly outputs: string;
  readonly depth?: number;
}

/** Whether a file of dist/ is named as a file of one of `services` would be (`<service>` or `<service>.<kind>`). */
function couldBeFileOf(file: string, services: ReadonlySet<string>): boolean {
  const name = file.slice(file.lastIndexOf('/') + 1);
  for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) {
    if (services.has(name.slice(0, dot))) {
      return true;
    }
  }
  return false;
}

/**
 * An environment's files from those of its `MeshEnvironment`: with its Argo CD objects (from what
 * each target renders), ROUTING.md and, with `inputs`, INPUTS.sha256; its effective routing and
 * what the rules of its mesh find, read from all of its objects in the order of their files.
 */
function completeEnvironment(
  environment: MeshEnvironment,
  settings: SettingsSpec,
  rendered: RenderedFile[],
  inputs?: EnvironmentInputs,
): RenderedEnvironment {
  const env = environment.env;
  const files = [...rendered, ...renderApp(argoCdApp(environment, settings, rendered))].sort((a, b) => compareStrings(a.path, b.path));
  const objects: RenderedObject[] = files.flatMap(renderedObjects);
  const routing = readEnvironmentRouting(env.name, objects);
  files.push({ path: `${env.name}/ROUTING.md`, content: routingMarkdown(routing, env.file) });
  if (inputs !== undefined) {
    const sources = inputs.entries.filter((e) => e.name !== '(renderer)').map((e) => e.name);
    files.push({ path: `${env.name}/${INPUTS_FILE}`, content: inputsFileContent(inputs, fileHeader(sources), outputsDigest(files)) });
  }
  files.sort((a, b) => compareStrings(a.path, b.path));
  return { files, routing, problems: runRules(rulesFor(env), { env, objects }) };
}

/**
 * The Argo CD objects of an environment, in an app of their own: what each target holds is read
 * from the objects of the environment's files, rendered or kept (`targetContents`).
 */
function argoCdApp(
  environment: MeshEnvironment,
  settings: SettingsSpec,
  files: readonly { path: string; objects?: readonly Record<string, unknown>[] }[],
): App {
  const app = new App();
  new ArgoCdDelivery(app, `${environment.env.name}-argocd`, { environment, settings, contents: targetContents(files) });
  return app;
}

/**
 * The effective routing of one environment, exactly as `synthesizeEnvironment` reads it back from
 * the objects it renders, without writing their files, ROUTING.md or running the rules: what flip
 * compares the edited environment with.
 */
export function environmentRouting(env: EnvironmentSpec, settings: SettingsSpec): EnvironmentRouting {
  const app = new App();
  const environment = new (environmentConstruct())(app, constructId('Environment', env.name), { env });
  const rendered = renderObjects(app);
  const objects: RenderedObject[] = [...rendered, ...renderObjects(argoCdApp(environment, settings, rendered))]
    .sort((a, b) => compareStrings(a.path, b.path))
    .flatMap((f) => f.objects.map((object) => ({ file: f.path, object })));
  return readEnvironmentRouting(env.name, objects);
}

/** The root Application's file, `dist/argocd/root.k8s.yaml`. */
export function synthesizeRoot(settings: SettingsSpec): RenderedFile[] {
  const app = new App();
  new RootApplication(app, 'root-argocd', { settings });
  return renderApp(app);
}
