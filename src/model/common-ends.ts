/**
 * How many items two sequences share at their start (`head`), and then at their end (`tail`, never
 * overlapping the head in either): what lies between is what differs. Lines of two versions of a
 * file, or their characters.
 */
export function commonEnds<T>(a: ArrayLike<T>, b: ArrayLike<T>): { head: number; tail: number } {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) {
    head++;
  }
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) {
    tail++;
  }
  return { head, tail };
}
