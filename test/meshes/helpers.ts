import * as YAML from 'yaml';
import { synthesize } from '../../src/pipeline/synth/synth';
import { RenderedFile } from '../../src/pipeline/dist/read-dist';
import { fixtureProject } from '../constructs/helpers';

let rendered: RenderedFile[] | undefined;

/** The fixture project, rendered once. */
export function fixtureFiles(): RenderedFile[] {
  rendered ??= synthesize(fixtureProject());
  return rendered;
}

/** The objects of one rendered file. */
export function objectsOf(path: string): any[] {
  const file = fixtureFiles().find((f) => f.path === path);
  if (file === undefined) {
    throw new Error(
      `${path} was not rendered; rendered: ${fixtureFiles()
        .map((f) => f.path)
        .join(', ')}`,
    );
  }
  return [...(file.objects ?? [])];
}

/** Every object of a kind under a dist/ prefix, with its file. */
export function findObjects(prefix: string, kind: string): { file: string; object: any }[] {
  return fixtureFiles()
    .filter((f) => f.path.startsWith(prefix))
    .flatMap((f) => (f.objects ?? []).map((object) => ({ file: f.path, object: object as any })))
    .filter((o) => (o.object.kind ?? o.object.type) === kind);
}

/** Paths of the rendered files under a prefix. */
export function pathsUnder(prefix: string): string[] {
  return fixtureFiles()
    .map((f) => f.path)
    .filter((p) => p.startsWith(prefix));
}

/** The Helm values of an Argo CD Application, whether it carries them as `valuesObject` or as `values` text. */
export function helmValuesOf(application: any): any {
  const helm = application.spec.source.helm;
  return helm.valuesObject ?? YAML.parse(helm.values, { version: '1.1' });
}
