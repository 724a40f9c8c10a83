import { BetweenEnvironments } from '../../src/pipeline/validate/heap';

// Between environments, synthesis and validate collect the garbage a rendering left (heap.ts).
// A collection costs a pass over everything the process holds, so it is made only once the heap
// holds enough more than was live after the last one: a process that holds much more than a
// rendering (a test runner's worker, a long-lived host) must not pay a full pass per environment.

const MiB = 1024 * 1024;

test('collects once the heap passes the threshold, then only once it holds half the threshold more than was live after the last collection', () => {
  // GIVEN a heap whose use the test sets (a collection frees nothing: all of it is live), and a collector that counts its calls
  let used = 0;
  let collections = 0;
  const between = new BetweenEnvironments(
    () => used,
    () => collections++,
  );
  const after = (mib: number) => {
    used = mib * MiB;
    between.collectAbove(192 * MiB);
    return collections;
  };
  // WHEN the heap grows past the threshold THEN one collection; what is live after it (200 MiB) is the new floor
  expect([after(100), after(191), after(192)]).toEqual([0, 0, 1]);
  // AND none until 96 MiB more than that
  expect([after(250), after(287), after(288)]).toEqual([1, 1, 2]);
  // AND in a process that holds 800 MiB: one collection, then none per environment that adds less than 96 MiB
  expect([after(800), after(850), after(895), after(896)]).toEqual([3, 3, 3, 4]);
});

test('a collection that frees what a rendering left lowers the floor again', () => {
  // GIVEN a collector that frees everything but 150 MiB
  let used = 0;
  const between = new BetweenEnvironments(
    () => used,
    () => {
      used = 150 * MiB;
    },
  );
  let collections = 0;
  const after = (mib: number) => {
    used = mib * MiB;
    between.collectAbove(192 * MiB);
    collections += used === 150 * MiB ? 1 : 0;
    return collections;
  };
  // THEN the floor is what was live after it (150 MiB): an environment that leaves 96 MiB more is collected after
  expect([after(400), after(193), after(245), after(246), after(500)]).toEqual([1, 1, 1, 2, 3]);
});
