/** A dotted product version (`2.14.3`, `2.5`), compared numerically. */
export class Version {
  /** Parses `major.minor[.patch]`; the caller has validated the format. */
  public static parse(text: string): Version {
    const [major, minor, patch] = text.split('.').map((part) => Number(part));
    return new Version(major, minor, patch ?? 0, text);
  }

  private constructor(
    public readonly major: number,
    public readonly minor: number,
    public readonly patch: number,
    public readonly text: string,
  ) {}

  /** Negative, zero or positive as this version is older than, equal to or newer than `major.minor[.patch]`. */
  public compare(other: string): number {
    const o = Version.parse(other);
    return this.major - o.major || this.minor - o.minor || this.patch - o.patch;
  }

  public atLeast(other: string): boolean {
    return this.compare(other) >= 0;
  }

  public toString(): string {
    return this.text;
  }
}
