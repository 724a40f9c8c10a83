import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { ENVIRONMENTS_DIR, loadProject } from '../../model/load';
import { createEnvironment, environmentText, INIT_FLAVORS } from '../../pipeline/changes/init-environment';
import { readSchemaClusters } from '../../pipeline/validate/schema-check';
import { UsageError } from '../errors';
import { Output, paint } from '../output';
import { defineCommand } from './command';

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CATALOG_DIR = `${ENVIRONMENTS_DIR}/catalog`;

export const initCommand = defineCommand({
  name: 'init',
  args: '<name>',
  description: [
    'Writes environments/<name>.yaml: the mesh flavour and version, its zones (Kuma, Kong Mesh) or',
    'cluster (OpenShift Service Mesh, Istio), and the services of a catalogue, each line commented.',
    'It refuses to replace a file, and checks the new file as synth would before keeping it.',
  ],
  options: {
    flavor: { type: 'string', arg: '<flavor>', help: 'kong-mesh, kuma, openshift-service-mesh or istio' },
    version: {
      type: 'string',
      arg: '<version>',
      help: 'The mesh version (default: 2.14.3 for Kong Mesh and Kuma, 2.5 for\nOpenShift Service Mesh, 1.30 for Istio)',
    },
    catalog: { type: 'string', arg: '<name>', help: 'The catalogue the services come from (default: the only one)' },
    services: { type: 'string', arg: '<a,b>', help: 'Services of the catalogue to run, with the services they call (default:\nall of them)' },
    zones: { type: 'string', arg: '<zone=cluster,...>', help: 'Kuma, Kong Mesh: the zones and the cluster of each' },
    global: {
      type: 'string',
      arg: '<cluster>',
      help: 'Kuma, Kong Mesh: the cluster of the self-hosted global control plane\n(one that runs no zone)',
    },
    cluster: { type: 'string', arg: '<cluster>', help: 'OpenShift Service Mesh, Istio: the cluster the mesh runs in' },
  },
  run({ values, positionals, root }, output: Output): number {
    const [name, ...rest] = positionals;
    if (name === undefined || rest.length > 0 || !NAME.test(name)) {
      throw new UsageError(
        `expected one environment name (lowercase letters, digits and "-"), got ${positionals.length === 0 ? 'none' : `"${positionals.join(' ')}"`}`,
        'meshflip init lab --flavor kong-mesh --zones real=cluster-a',
      );
    }
    const flavor = values.flavor;
    if (flavor === undefined || !(flavor in INIT_FLAVORS)) {
      throw new UsageError(`--flavor must be one of ${Object.keys(INIT_FLAVORS).join(', ')}, got ${flavor === undefined ? 'none' : `"${flavor}"`}`);
    }
    const clusters = readSchemaClusters(root);
    if (clusters === undefined) {
      throw new UsageError(`${ENVIRONMENTS_DIR}/meshflip.yaml cannot be read`, 'run npx meshflip validate to see why');
    }
    const known = (cluster: string, flag: string) => {
      if (!clusters.names.has(cluster)) {
        throw new UsageError(
          `${flag}: no cluster "${cluster}" in ${ENVIRONMENTS_DIR}/meshflip.yaml`,
          `clusters: ${[...clusters.names].sort().join(', ')}`,
        );
      }
      return cluster;
    };
    const kuma = flavor === 'kong-mesh' || flavor === 'kuma';
    const zones = kuma ? parseZones(values.zones).map((z) => ({ name: z.name, cluster: known(z.cluster, '--zones') })) : [];
    if (kuma ? values.cluster !== undefined : values.zones !== undefined || values.global !== undefined) {
      throw new UsageError(
        kuma
          ? `--flavor ${flavor} runs in zones: pass --zones and --global, not --cluster`
          : `--flavor ${flavor} runs in one cluster: pass --cluster, not --zones or --global`,
      );
    }
    if (kuma && values.global === undefined) {
      throw new UsageError(
        `--flavor ${flavor} needs --global <cluster>, the cluster of the global control plane`,
        `clusters: ${[...clusters.names].sort().join(', ')}`,
      );
    }
    if (!kuma && values.cluster === undefined) {
      throw new UsageError(`--flavor ${flavor} needs --cluster <cluster>`, `clusters: ${[...clusters.names].sort().join(', ')}`);
    }
    const { catalog, services } = catalogServices(root, values.catalog, values.services);
    const file = path.join(root, ENVIRONMENTS_DIR, `${name}.yaml`);
    const text = environmentText({
      name,
      flavor,
      version: values.version ?? INIT_FLAVORS[flavor],
      catalog,
      services,
      zones,
      cluster: values.cluster === undefined ? undefined : known(values.cluster, '--cluster'),
      global: values.global === undefined ? undefined : known(values.global, '--global'),
    });
    // The new file stays only when the project loads with it.
    if (!createEnvironment(file, text, () => loadProject(root))) {
      throw new UsageError(
        `${ENVIRONMENTS_DIR}/${name}.yaml exists already; meshflip init never replaces a file`,
        'choose another name, or edit the file',
      );
    }
    output.out(
      `${paint(output, 'green', 'created')} ${ENVIRONMENTS_DIR}/${name}.yaml (${flavor} ${values.version ?? INIT_FLAVORS[flavor]}, ${services.length} services of ${catalog})`,
    );
    output.out(`next: npx meshflip synth ${name}`);
    return 0;
  },
});

function parseZones(given: string | undefined): { name: string; cluster: string }[] {
  const entries = (given ?? '').split(',').filter((e) => e !== '');
  const zones = entries.map((entry) => {
    const [zone, cluster, ...more] = entry.split('=');
    if (cluster === undefined || more.length > 0 || !NAME.test(zone) || !NAME.test(cluster)) {
      throw new UsageError(`--zones takes zone=cluster pairs separated by commas, got "${given}"`, '--zones real=cluster-a,mocks=cluster-b');
    }
    return { name: zone, cluster };
  });
  if (zones.length === 0) {
    throw new UsageError('--zones is needed: the zones of the mesh and the cluster of each', '--zones real=cluster-a,mocks=cluster-b');
  }
  return zones;
}

function catalogServices(root: string, given: string | undefined, services: string | undefined): { catalog: string; services: string[] } {
  const dir = path.join(root, CATALOG_DIR);
  const catalogs = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.yaml'))
        .map((f) => f.slice(0, -'.yaml'.length))
        .sort()
    : [];
  const catalog = given ?? (catalogs.length === 1 ? catalogs[0] : undefined);
  if (catalog === undefined || !catalogs.includes(catalog)) {
    throw new UsageError(
      given === undefined
        ? `--catalog is needed: ${CATALOG_DIR} holds ${catalogs.length === 0 ? 'no catalogue' : 'several'}`
        : `--catalog: no catalogue "${given}" in ${CATALOG_DIR}`,
      `catalogues: ${catalogs.join(', ') || 'none'}`,
    );
  }
  let entries: Record<string, { calls?: unknown } | null> = {};
  try {
    const data = parse(fs.readFileSync(path.join(dir, `${catalog}.yaml`), 'utf8')) as {
      services?: Record<string, { calls?: unknown } | null>;
    } | null;
    entries = data?.services ?? {};
  } catch {
    // Loading the project after writing reports what is wrong with the catalogue, at its line.
  }
  const declared = Object.keys(entries);
  const chosen = services === undefined ? declared : services.split(',').filter((s) => s !== '');
  const unknown = chosen.filter((s) => !declared.includes(s));
  if (unknown.length > 0 || chosen.length === 0) {
    throw new UsageError(
      `--services: ${unknown.length > 0 ? `not in catalogue ${catalog}: ${unknown.join(', ')}` : 'none given'}`,
      `services of ${catalog}: ${declared.join(', ')}`,
    );
  }
  // A service runs with the services it calls.
  const wanted = new Set(chosen);
  for (let grew = true; grew;) {
    grew = false;
    for (const service of [...wanted]) {
      const calls = entries[service]?.calls;
      for (const called of Array.isArray(calls) ? calls : []) {
        if (typeof called === 'string' && declared.includes(called) && !wanted.has(called)) {
          wanted.add(called);
          grew = true;
        }
      }
    }
  }
  return { catalog, services: declared.filter((s) => wanted.has(s)) };
}
