import * as path from 'path';
import { loadProject, Project } from '../../src/model/load';
import { EnvironmentSpec, ServiceSpec } from '../../src/model/spec';
import { REPO } from '../util';

/** The fixture repository of the construct and mesh tests. */
export const FIXTURES = path.join(REPO, 'test', 'fixtures', 'repo');

let cached: Project | undefined;

/** The fixture project (loaded once). */
export function fixtureProject(): Project {
  cached ??= loadProject(FIXTURES);
  return cached;
}

/** One environment of the fixture project. */
export function fixtureEnv(name: string): EnvironmentSpec {
  const env = fixtureProject().environments.find((e) => e.name === name);
  if (env === undefined) {
    throw new Error(`no fixture environment ${name}`);
  }
  return env;
}

/** One service of a fixture environment. */
export function fixtureService(env: string, name: string): ServiceSpec {
  return fixtureEnv(env).services.find((s) => s.name === name)!;
}
