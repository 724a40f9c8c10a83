import * as v8 from 'v8';
import * as vm from 'vm';

/** Below this much used heap, collecting is not worth its time. */
const COLLECT_ABOVE_BYTES = 192 * 1024 * 1024;

/**
 * Decides when to collect between environments: once the heap passes the threshold, and after a
 * collection only once it holds half the threshold more than was live right after it. In a process
 * that holds much more than a rendering (a test runner's worker, a long-lived host), a collection
 * after every environment would find nothing to free and cost a full pass over all it holds each time.
 */
export class BetweenEnvironments {
  /** The heap in use right after the last collection made here: what was live then. */
  private liveAfterCollection = 0;

  /**
   * @param usedBytes reads the heap in use
   * @param collect runs a full collection
   */
  constructor(
    private readonly usedBytes: () => number,
    private readonly collect: () => void,
  ) {}

  collectAbove(aboveBytes: number): void {
    if (this.usedBytes() < Math.max(aboveBytes, this.liveAfterCollection + aboveBytes / 2)) {
      return;
    }
    this.collect();
    this.liveAfterCollection = this.usedBytes();
  }
}

let gc: (() => void) | undefined;

const thisProcess = new BetweenEnvironments(
  () => v8.getHeapStatistics().used_heap_size,
  () => {
    if (gc === undefined) {
      // The collector is exposed once, for this isolate; the flag does not change how code runs.
      v8.setFlagsFromString('--expose-gc');
      gc = vm.runInNewContext('gc') as () => void;
    }
    gc();
  },
);

/**
 * Collects the garbage an environment's rendering left behind, between environments.
 *
 * Rendering one environment of a large project builds a construct tree of tens of thousands of
 * nodes and lets go of all of it once the files are rendered. V8 collects lazily and grows the heap
 * by a factor each time instead, so without this a ten-environment project peaked at 1.3 GB where
 * its live data never passed 300 MB. A full collection at this natural pause costs about a tenth
 * of a second per environment of 1,000 services and holds the peak near the live size. Small
 * projects never reach the threshold and pay nothing (see `BetweenEnvironments` for when it collects).
 */
export function collectBetweenEnvironments(aboveBytes: number = COLLECT_ABOVE_BYTES): void {
  thisProcess.collectAbove(aboveBytes);
}
