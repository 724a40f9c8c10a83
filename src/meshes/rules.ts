import { RenderedObject } from './effective-routing';
import { FieldPath } from '../model/source-file';
import { EnvironmentSpec, Origin } from '../model/spec';
import { compareStrings, Problem } from '../model/spec-error';

/** How bad it is when a rule fires: an error stops synth and fails validate, a warning is printed. */
export type RuleLevel = 'error' | 'warning';

/**
 * Where a rule points: a field of the environment file (its path), or a field of another input
 * file (an `Origin`, e.g. a catalogue entry or a routing line).
 */
export type RuleLocation = FieldPath | Origin;

/** What a rule is given: one environment as declared, and the objects rendered for it. */
export interface RuleContext {
  readonly env: EnvironmentSpec;
  /** Every object rendered for the environment, its Argo CD objects included, with file and line. */
  readonly objects: readonly RenderedObject[];
}

/** Called by a rule for each place it fires. */
export type RuleReport = (at: RuleLocation, message: string, hint?: string) => void;

/**
 * A check of what the real system will do with an environment, in the spirit of `istioctl
 * analyze`: one concern, a stable code people can search for, a level, and the upstream code that
 * makes it so. It points at the environment field that causes the problem, not at dist/.
 */
export interface Rule {
  /** `MF` and four digits. A code never changes meaning once released. */
  readonly code: string;
  readonly level: RuleLevel;
  /** What the rule is about, in a few words (for listings). */
  readonly title: string;
  /** The upstream code or document that behaves as the rule says: repository, tag, path (function). */
  readonly upstream: string;
  /**
   * The `istioctl analyze` code of the same check, reported beside meshflip's own.
   *
   * @default - none
   */
  readonly istioCode?: string;
  /** Reports every place in `context` where the real system would misbehave. */
  check(context: RuleContext, report: RuleReport): void;
}

/** Rule codes: `MF` then four digits. */
const CODE = /^MF[0-9]{4}$/;

/**
 * Runs `rules` over one environment and turns what they report into problems located at the
 * input: `file:line:col: field: MF1012 message, got value; hint`.
 */
export function runRules(rules: readonly Rule[], context: RuleContext): Problem[] {
  const problems: Problem[] = [];
  for (const rule of rules) {
    rule.check(context, (at, message, hint) => {
      const { file, path } = Array.isArray(at) ? { file: context.env.source, path: at as FieldPath } : (at as Origin);
      const codes = rule.istioCode === undefined ? rule.code : `${rule.code} (${rule.istioCode})`;
      problems.push(file.problem(path, `${codes} ${message}`, { ...(hint === undefined ? {} : { hint }), severity: rule.level }));
    });
  }
  return problems;
}

/**
 * Checks that a set of rules is well formed: codes in the `MF0000` form and each used once. Run
 * by the tests over every rule meshflip ships.
 */
export function ruleSetProblems(rules: readonly Rule[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const rule of [...rules].sort((a, b) => compareStrings(a.code, b.code))) {
    if (!CODE.test(rule.code)) {
      out.push(`${rule.code}: a rule code is MF and four digits`);
    }
    if (seen.has(rule.code)) {
      out.push(`${rule.code}: used by more than one rule`);
    }
    seen.add(rule.code);
  }
  return out;
}
