import { Problem } from '../model/spec-error';
import { EnvironmentChange } from '../pipeline/changes/routing-diff';

// The machine-readable shapes of --json (README: JSON output). Each field is picked by name, so
// an internal type can grow without changing what scripts read; a field is only ever added.

/** One problem: where, what, and the severity. */
export interface ProblemJson {
  readonly severity: 'error' | 'warning';
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly field: string;
  readonly message: string;
  readonly got: string | null;
  readonly hint: string | null;
}

export function problemJson(p: Problem): ProblemJson {
  return {
    severity: p.severity ?? 'error',
    file: p.file,
    line: p.line,
    col: p.col,
    field: p.field,
    message: p.message,
    got: p.got ?? null,
    hint: p.hint ?? null,
  };
}

/** How the routing of an environment changes (diff, flip). */
export interface ChangeJson {
  readonly environment: string;
  readonly mesh: string;
  readonly protected: boolean;
  readonly status: 'added' | 'removed' | 'changed';
  readonly protection: 'removed' | 'added' | null;
  readonly violations: readonly string[];
  readonly services: readonly {
    readonly service: string;
    readonly before: string;
    readonly after: string;
    readonly details: readonly string[];
    readonly toMock: boolean;
  }[];
}

export function changeJson(c: EnvironmentChange): ChangeJson {
  return {
    environment: c.name,
    mesh: c.mesh,
    protected: c.protected,
    status: c.status,
    protection: c.protection ?? null,
    violations: [...c.violations],
    services: c.services.map((s) => ({ service: s.service, before: s.before, after: s.after, details: [...s.details], toMock: s.toMock })),
  };
}

/** JSON as printed: two-space indentation, one document. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
