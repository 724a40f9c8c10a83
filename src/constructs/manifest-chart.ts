import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { IKumactlFile } from '../meshes/mesh';

/** Properties for `ManifestChart`. */
export interface ManifestChartProps {
  /** Path of the rendered file inside dist/, with forward slashes (`kong-perf/zone-real-services/crew.k8s.yaml`). */
  readonly path: string;
  /** Repository paths of the input files the chart is generated from, shown in the file header. */
  readonly sources: readonly string[];
}

/** A chart that renders to exactly one file of dist/. */
export class ManifestChart extends Chart {
  /** Whether `x` is a ManifestChart (works across module copies). */
  public static isManifestChart(x: unknown): x is ManifestChart {
    return x !== null && typeof x === 'object' && (x as { [MANIFEST]?: boolean })[MANIFEST] === true;
  }

  public readonly path: string;
  public readonly sources: readonly string[];

  constructor(scope: Construct, id: string, props: ManifestChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    this.path = props.path;
    this.sources = props.sources;
    Object.defineProperty(this, MANIFEST, { value: true });
  }
}

const MANIFEST = Symbol.for('meshflip.ManifestChart');
const DOCUMENTS = Symbol.for('meshflip.RenderedDocuments');

/** Properties for `RenderedDocuments`. */
export interface RenderedDocumentsProps {
  /** Path of the file inside dist/. */
  readonly path: string;
  readonly sources: readonly string[];
  /** Header lines (without `# `) explaining how the file is applied. */
  readonly header: readonly string[];
}

/**
 * A file of dist/ that is not Kubernetes manifests: Kuma universal-format resources for
 * `kumactl apply`. The documents are plain data, serialized like the charts.
 */
export class RenderedDocuments extends Construct implements IKumactlFile {
  public static isRenderedDocuments(x: unknown): x is RenderedDocuments {
    return x !== null && typeof x === 'object' && (x as { [DOCUMENTS]?: boolean })[DOCUMENTS] === true;
  }

  public readonly path: string;
  public readonly sources: readonly string[];
  public readonly header: readonly string[];
  private readonly documents: Record<string, unknown>[] = [];

  constructor(scope: Construct, id: string, props: RenderedDocumentsProps) {
    super(scope, id);
    this.path = props.path;
    this.sources = props.sources;
    this.header = props.header;
    Object.defineProperty(this, DOCUMENTS, { value: true });
  }

  /** Adds one resource; documents render in the order they are added. */
  public add(resource: Record<string, unknown>): void {
    this.documents.push(resource);
  }

  /** The documents, in order. */
  public toJson(): readonly Record<string, unknown>[] {
    return this.documents;
  }
}
