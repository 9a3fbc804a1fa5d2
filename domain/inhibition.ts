// Inhibition rules, as Prometheus Alertmanager has them: while a source alert fires, a target alert whose `equal`
// fields hold the same values as the source's is inhibited: stored, counted and attached to the source's incident,
// but it opens no incident of its own and pages nobody. Alertmanager's semantics kept on purpose:
// - an `equal` field missing on both alerts counts as equal (a missing label reads as the empty string);
// - an alert that matches both the source and the target matchers cannot be inhibited by another alert that also
//   matches both (otherwise two such alerts would inhibit each other and nobody would hear of either), and so no
//   alert ever inhibits itself.
// Matchers are the silences' (domain/silences.ts): regular expressions on RE2, compiled once per router pass through
// a PatternCache. Pure: the router and the correlation lab pass the rules, the target and the firing sources.
import { z } from 'zod';
import { PatternCache } from './matchers.ts';
import { compileMatchers, MATCHER_FIELD, matchersSchema, type Matcher, type MutableAlert } from './silences.ts';

/** Rules a company may hold (MAX_INHIBITION_RULES); every one is compiled and asked about each target alert. */
export const DEFAULT_MAX_INHIBITION_RULES = 100;

/** Fields a rule may require to be equal: Alertmanager rules name a handful (alertname, cluster, instance). */
export const MAX_EQUAL_FIELDS = 10;

const equalSchema = z
  .array(z.string().regex(MATCHER_FIELD, 'must be asset, signature, tool, severity or label:<name>'))
  .max(MAX_EQUAL_FIELDS, `must name at most ${MAX_EQUAL_FIELDS} fields`)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    for (const [i, f] of fields.entries()) {
      if (seen.has(f)) ctx.addIssue({ code: 'custom', message: `names ${f} twice`, path: [i] });
      seen.add(f);
    }
  });

/** What a company admin may save; an issue's path names the field ("sourceMatchers.0.value", "equal.2"). */
export const inhibitionRuleSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(120, 'must be at most 120 characters'),
    /** While an alert matching these fires... */
    sourceMatchers: matchersSchema,
    /** ...alerts matching these are inhibited... */
    targetMatchers: matchersSchema,
    /** ...when these fields hold the same value on both (none: any target of the company). */
    equal: equalSchema,
    comment: z.string().max(500, 'must be at most 500 characters').optional(),
  })
  .strict();

export type InhibitionRuleInput = z.infer<typeof inhibitionRuleSchema>;

/** A stored rule. Its matchers are as saved: a row RE2 refuses today inhibits nothing (Inhibitor.invalid). */
export interface InhibitionRule {
  id: string;
  name: string;
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  equal: string[];
  comment?: string;
}

/** An alert as the inhibitor sees it: the matchable fields, its id, and its event time (epoch ms: the oldest wins). */
export interface InhibitableAlert extends MutableAlert {
  id: string;
  at?: number;
}

export interface Inhibition {
  ruleId: string;
  sourceAlertId: string;
}

type Check = (a: MutableAlert) => boolean;

interface CompiledRule {
  rule: InhibitionRule;
  source: Check[];
  target: Check[];
  equal: string[];
}

function fieldValue(a: MutableAlert, field: string): string {
  if (field === 'asset') return a.asset;
  if (field === 'signature') return a.signature;
  if (field === 'tool') return a.tool;
  if (field === 'severity') return a.severity;
  return a.labels?.[field.slice('label:'.length)] ?? '';
}

const all = (checks: Check[], a: MutableAlert) => checks.every((check) => check(a));

/** Why a stored rule inhibits nothing, named like the GraphQL input's fields, or null. */
export function inhibitionRuleProblem(rule: Omit<InhibitionRule, 'id' | 'name'>, cache = new PatternCache()) {
  return compileRule({ ...rule, id: '', name: '' }, cache).problem;
}

function compileRule(rule: InhibitionRule, cache: PatternCache): { compiled?: CompiledRule; problem: string | null } {
  const sides: Record<'sourceMatchers' | 'targetMatchers', Check[]> = { sourceMatchers: [], targetMatchers: [] };
  for (const side of ['sourceMatchers', 'targetMatchers'] as const) {
    const c = compileMatchers(rule[side], cache, 1);
    if (!c.ok) return { problem: c.problem.replace(/^matchers/, side) };
    sides[side] = c.checks;
  }
  const equal = equalSchema.safeParse(rule.equal);
  if (!equal.success) {
    const issue = equal.error.issues[0]!;
    return { problem: `${['equal', ...issue.path].join('.')}: ${issue.message}` };
  }
  return {
    compiled: { rule, source: sides.sourceMatchers, target: sides.targetMatchers, equal: equal.data },
    problem: null,
  };
}

/** Older first: event time, then id, so every router and the lab pick the same source. */
const older = (x: InhibitableAlert, y: InhibitableAlert) => (x.at ?? 0) - (y.at ?? 0) || x.id.localeCompare(y.id);

/**
 * One company's rules, compiled once (per router pass, through the pass's cache) and then asked about each target.
 * A list of sources is indexed once per rule by its `equal` values (kept while the list lives), so a claim of many
 * targets against many sources costs a lookup per target and rule, not a scan.
 */
export class Inhibitor {
  private readonly compiled: CompiledRule[] = [];
  private readonly problems: Array<{ ruleId: string; name: string; problem: string }> = [];
  private readonly indexes = new WeakMap<InhibitableAlert[], Map<CompiledRule, Map<string, InhibitableAlert[]>>>();

  constructor(rules: InhibitionRule[], cache = new PatternCache()) {
    for (const rule of rules) {
      const c = compileRule(rule, cache);
      if (c.compiled) this.compiled.push(c.compiled);
      else this.problems.push({ ruleId: rule.id, name: rule.name, problem: c.problem! });
    }
  }

  /** No rule can inhibit anything: the router reads no sources. */
  get empty(): boolean {
    return this.compiled.length === 0;
  }

  /** Rules that inhibit nothing because a matcher or field is refused, with why. */
  invalid(): Array<{ ruleId: string; name: string; problem: string }> {
    return [...this.problems];
  }

  /** Whether some rule could inhibit the alert: the router reads sources only for a claim holding such an alert. */
  isTarget(a: MutableAlert): boolean {
    return this.compiled.some((r) => all(r.target, a));
  }

  /** Whether the alert could inhibit anything. */
  isSource(a: MutableAlert): boolean {
    return this.compiled.some((r) => all(r.source, a));
  }

  /** The rule's sources by their `equal` values, oldest first. */
  private index(r: CompiledRule, sources: InhibitableAlert[]): Map<string, InhibitableAlert[]> {
    let perRule = this.indexes.get(sources);
    if (!perRule) this.indexes.set(sources, (perRule = new Map()));
    let idx = perRule.get(r);
    if (!idx) {
      idx = new Map();
      for (const s of sources) {
        if (!all(r.source, s)) continue;
        const key = keyOf(r, s);
        const list = idx.get(key);
        if (list) list.push(s);
        else idx.set(key, [s]);
      }
      for (const list of idx.values()) list.sort(older);
      perRule.set(r, idx);
    }
    return idx;
  }

  /**
   * The rule and the oldest firing source that inhibit the target, or null. `firingSources` are the company's
   * alerts still firing (the target among them or not: it never inhibits itself); `eligible`, when given, leaves
   * out sources that may not inhibit this time (the router's: one inhibited earlier in the same claim).
   */
  inhibitedBy(
    target: InhibitableAlert,
    firingSources: InhibitableAlert[],
    eligible?: (source: InhibitableAlert) => boolean,
  ): Inhibition | null {
    let best: { rule: CompiledRule; source: InhibitableAlert } | null = null;
    for (const r of this.compiled) {
      if (!all(r.target, target)) continue;
      // Alertmanager: a target that is also a source is inhibited only by sources that are not targets too.
      const twoSided = all(r.source, target);
      for (const s of this.index(r, firingSources).get(keyOf(r, target)) ?? []) {
        if (best && older(best.source, s) <= 0) break;
        if (s.id === target.id || (twoSided && all(r.target, s)) || (eligible && !eligible(s))) continue;
        best = { rule: r, source: s };
        break;
      }
    }
    return best ? { ruleId: best.rule.rule.id, sourceAlertId: best.source.id } : null;
  }
}

/** The alert's values of the rule's `equal` fields, as one key (a missing label is the empty string). */
const keyOf = (r: CompiledRule, a: MutableAlert) => JSON.stringify(r.equal.map((f) => fieldValue(a, f)));
