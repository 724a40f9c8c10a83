/** Items grouped by a key of each, the groups in the order their first item comes, each in the items' order. */
export function groupBy<T, K>(items: Iterable<T>, keyOf: (item: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = out.get(key);
    if (group === undefined) {
      out.set(key, [item]);
    } else {
      group.push(item);
    }
  }
  return out;
}
