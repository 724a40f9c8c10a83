import { ApiObject, App, Chart, DependencyGraph } from 'cdk8s';
import { IConstruct } from 'constructs';

/**
 * Renders every chart of an app to its objects, exactly as `chart.toJson()` does, but in one pass.
 *
 * `chart.toJson()` (and so `App.synth()`) first validates the whole app and resolves its
 * dependencies again for every chart: with a chart per file that costs O(charts x constructs),
 * most of the synthesis time of a large fleet. Here both app-wide passes run once, then each chart
 * is rendered from its own subtree, in the same dependency order. The objects are identical
 * (a test compares them with `toJson()` for every chart of the fixtures).
 */
export function renderCharts<C extends Chart>(app: App, charts: readonly C[]): Map<C, Record<string, unknown>[]> {
  const all = app.node.findAll();
  validateOnce(all);
  resolveDependenciesOnce(all);
  const out = new Map<C, Record<string, unknown>[]>();
  for (const chart of charts) {
    const subtree = chart.node.findAll();
    // Without a dependency in the chart, cdk8s's topological order is the order of the tree (every
    // construct an orphan, adopted in the order findAll() gives): the graph is built only when needed.
    const ordered = subtree.some((c) => c.node.dependencies.length > 0) ? new DependencyGraph(chart.node).topology() : subtree;
    const objects = ordered
      .filter((x): x is ApiObject => x instanceof ApiObject)
      // An object belongs to its closest chart, as in cdk8s.
      .filter((x) => Chart.of(x) === chart)
      .map((x) => x.toJson() as Record<string, unknown>);
    out.set(chart, objects);
  }
  return out;
}

/** cdk8s's app validation: every construct's validations, with the construct path in each error. */
function validateOnce(all: readonly IConstruct[]): void {
  const errors: string[] = [];
  for (const child of all) {
    for (const error of child.node.validate()) {
      errors.push(`[${child.node.path}] ${error}`);
    }
  }
  if (errors.length > 0) {
    throw new Error(`Validation failed with the following errors:\n  ${errors.join('\n  ')}`);
  }
}

/**
 * cdk8s's dependency resolution: nested charts and construct dependencies across charts become
 * chart dependencies, and construct dependencies become dependencies between their ApiObjects.
 */
function resolveDependenciesOnce(all: readonly IConstruct[]): void {
  const subtree = new Map<IConstruct, IConstruct[]>();
  const findAll = (c: IConstruct) => {
    let found = subtree.get(c);
    if (found === undefined) {
      found = c.node.findAll();
      subtree.set(c, found);
    }
    return found;
  };
  for (const parent of all.filter((x): x is Chart => x instanceof Chart)) {
    for (const child of parent.node.children.filter((x) => x instanceof Chart)) {
      parent.node.addDependency(child);
    }
  }
  const dependencies = () => all.flatMap((source) => source.node.dependencies.map((target) => ({ source, target })));
  for (const { source, target } of dependencies()) {
    const sourceChart = Chart.of(source);
    const targetChart = Chart.of(target);
    if (sourceChart !== targetChart) {
      sourceChart.node.addDependency(targetChart);
    }
  }
  // Read again, as cdk8s does: the chart dependencies just added count too.
  for (const { source, target } of dependencies()) {
    const sourceChart = Chart.of(source);
    const targetChart = Chart.of(target);
    const targets = findAll(target).filter((c) => c instanceof ApiObject && Chart.of(c) === targetChart);
    const sources = findAll(source).filter((c) => c instanceof ApiObject && Chart.of(c) === sourceChart);
    for (const t of targets) {
      for (const s of sources) {
        if (t !== s) {
          s.node.addDependency(t);
        }
      }
    }
  }
}
