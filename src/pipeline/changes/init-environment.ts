import * as fs from 'fs';
import * as path from 'path';

/** The mesh flavours `meshflip init` starts an environment with, and the version each gets unless told. */
export const INIT_FLAVORS: Readonly<Record<string, string>> = {
  'kong-mesh': '2.14.3',
  kuma: '2.14.3',
  'openshift-service-mesh': '2.5',
  istio: '1.30',
};

/** What a new environment is made of. */
export interface InitEnvironmentOptions {
  readonly name: string;
  readonly flavor: string;
  readonly version: string;
  readonly catalog: string;
  /** Services of the catalogue, in the order they are listed. */
  readonly services: readonly string[];
  /** Kuma: zones, each with its cluster. */
  readonly zones: readonly { readonly name: string; readonly cluster: string }[];
  /** Kuma: the cluster of the self-hosted global control plane. */
  readonly global?: string;
  /** Istio flavours: the cluster the mesh runs in. */
  readonly cluster?: string;
}

/**
 * The text of a new environment file: valid as it is (it synthesizes), every choice commented,
 * and the lines a real installation needs changed said so.
 */
export function environmentText(o: InitEnvironmentOptions): string {
  const kuma = o.flavor === 'kong-mesh' || o.flavor === 'kuma';
  const out = [
    '# yaml-language-server: $schema=./schemas/environment.schema.json',
    '#',
    `# The ${o.name} environment, started by meshflip init. Render it with npx meshflip synth ${o.name},`,
    '# check it with npx meshflip validate, and route services to their mocks with npx meshflip flip.',
    `name: ${o.name}`,
    `description: ${o.flavor} ${o.version} with the services of ${o.catalog}`,
    `catalog: [${o.catalog}]                    # catalogues (environments/catalog/*.yaml) services come from`,
    'mesh:',
    `  flavor: ${o.flavor}`,
    `  version: ${JSON.stringify(o.version).replace(/^"([0-9]+\.[0-9]+\.[0-9]+)"$/, '$1')}`,
  ];
  if (kuma) {
    out.push(
      '  # The global control plane, self-hosted in a cluster of its own. On Konnect instead:',
      '  #   global: { konnect: { region: eu, controlPlaneId: <the id Konnect shows> } }',
      '  global:',
      '    selfHosted:',
      `      cluster: ${o.global}`,
      '      # The address zones reach the global control plane at (its global-zone-sync Service).',
      `      kdsAddress: grpcs://kds.${o.global}.example.com:5685   # replace with its real address`,
      "  # Zones do not verify the global control plane's certificate: for a first try only. Before",
      '  # production, give kdsTls under selfHosted (README: Kong Mesh / Kuma) and remove this line.',
      '  kdsSkipVerify: true',
      '  zones:                               # each zone control plane runs in one cluster of meshflip.yaml',
      ...o.zones.flatMap((z) => [`    - name: ${z.name}`, `      cluster: ${z.cluster}`]),
    );
  } else {
    out.push(`  cluster: ${o.cluster}                  # from clusters: of environments/meshflip.yaml`);
  }
  out.push(
    'services:                              # the services of the catalogue this environment runs',
    ...o.services.map((s) => `  ${s}:`),
    '# routing:                             # default: every service real; e.g.',
    '#   services:',
    `#     ${o.services[0] ?? 'a-service'}: mock`,
  );
  return `${out.join('\n')}\n`;
}

/**
 * Writes a new environment file and keeps it only when `check` (loading the project with it)
 * passes: when it throws, the file is removed and the error passed on.
 *
 * @returns whether it was written (false: the file exists, and nothing was done)
 */
export function createEnvironment(file: string, text: string, check: () => void): boolean {
  if (!writeNewEnvironment(file, text)) {
    return false;
  }
  try {
    check();
  } catch (e) {
    fs.rmSync(file, { force: true });
    throw e;
  }
  return true;
}

/**
 * Writes a new environment file; refuses to replace one. Written to a temporary file first and
 * linked into place, so a kill leaves either no file or the whole file.
 *
 * @returns whether it was written (false: the file exists)
 */
export function writeNewEnvironment(file: string, text: string): boolean {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, text, { flag: 'wx' });
  try {
    fs.linkSync(temporary, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      return false;
    }
    throw e;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}
