/**
 * The construct id of something named in the input: `Namespace:constructor`.
 *
 * The constructs library keeps a node's children in a plain object and refuses a child whose id is
 * already "there" (`if (this._children[childName])` in `Node.addChild`, constructs 10.x), so a bare
 * id of `constructor`, `toString` or `valueOf` collides with Object.prototype and throws
 * "There is already a Construct with name 'constructor'". A kind prefix keeps every id off the
 * prototype and also keeps ids of different kinds apart. Ids never reach dist/: every rendered
 * object has an explicit name.
 */
export function constructId(kind: string, name: string): string {
  return `${kind}:${name}`;
}
