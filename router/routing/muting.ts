// Alerts that a silence or a maintenance window mutes: marked with why, taken off the queue, and kept out of
// correlation, so they open no incident and page nobody. The router judges a claim's alerts before placing them
// (judgeMutings), outside the placement's transaction and lock, on a bounded budget: patterns compiled once per pass
// (RE2, linear time), at most the install's ceiling of silences per company, the event loop handed back every few
// milliseconds so webhooks and /healthz answer during a long pass, and a per-company time budget after which the
// company's remaining alerts wait for the next pass. The placement then writes the verdicts (mutings).
import type { Sql, TransactionSql } from '../../db/sql.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { PatternCache } from '../../domain/matchers.ts';
import {
  DEFAULT_MAX_ACTIVE_SILENCES,
  MutingRules,
  type InvalidRule,
  type Matcher,
  type Muting,
  type SilenceRule,
} from '../../domain/silences.ts';
import type { ClaimedAlert } from './queue.ts';

export interface CompanyRouting {
  settings: CompanySettings;
  silences: SilenceRule[];
}

/**
 * The claim's companies with their settings and the silences that may still cover the claim's oldest alert (a
 * claim after an outage holds older alerts), in one query; at most `maxSilences` a company, the newest.
 */
export async function readCompanies(
  tx: TransactionSql | Sql,
  companies: string[],
  earliest: string,
  maxSilences = DEFAULT_MAX_ACTIVE_SILENCES,
): Promise<Map<string, CompanyRouting>> {
  const rows = await tx<
    {
      id: string;
      settings: CompanySettings | null;
      silences: Array<{ id: string; matchers: Matcher[]; startsAt: string; endsAt: string }>;
    }[]
  >`
    SELECT c.id, c.settings, coalesce((
      SELECT json_agg(json_build_object('id', s.id, 'matchers', s.matchers, 'startsAt', s.starts_at,
        'endsAt', s.effective_end))
      FROM (
        SELECT s.*, silence_effective_end(s) AS effective_end FROM silences s
        -- ends_at bounds the effective end from above, and lets the (company_id, ends_at) index do the filtering.
        WHERE s.company_id = c.id AND s.ends_at > ${earliest} AND silence_effective_end(s) > ${earliest}
        ORDER BY s.created_at DESC LIMIT ${maxSilences}
      ) s), '[]') AS silences
    FROM companies c WHERE c.id = ANY(${companies})`;
  return new Map(
    rows.map((r) => [
      r.id,
      {
        settings: r.settings ?? {},
        silences: r.silences.map((x) => ({
          id: x.id,
          matchers: x.matchers,
          startsAt: Date.parse(x.startsAt),
          endsAt: Date.parse(x.endsAt),
        })),
      },
    ]),
  );
}

function rulesOf(c: CompanyRouting, cache: PatternCache): MutingRules {
  return new MutingRules(c.silences, c.settings.maintenanceWindows ?? [], c.settings.timeZone ?? 'UTC', cache);
}

function mutable(a: ClaimedAlert) {
  return { asset: a.assetName, signature: a.signature, tool: a.toolSource, severity: a.severity, labels: a.labels };
}

/**
 * Why each muted alert is muted; the others are not in the map. An alert the router judged (judgeMutings) keeps its
 * verdict; any other is judged here, synchronously, with the rules compiled once for this call.
 */
export function mutings(alerts: ClaimedAlert[], companies: Map<string, CompanyRouting>): Map<string, Muting> {
  const muted = new Map<string, Muting>();
  const cache = new PatternCache();
  const rules = new Map<string, MutingRules>();
  for (const a of alerts) {
    if (a.muting !== undefined) {
      if (a.muting) muted.set(a.id, a.muting);
      continue;
    }
    const c = companies.get(a.companyId);
    if (!c) continue;
    let r = rules.get(a.companyId);
    if (!r) rules.set(a.companyId, (r = rulesOf(c, cache)));
    const why = r.mutedBy(mutable(a), Date.parse(a.receivedAt));
    if (why) muted.set(a.id, why);
  }
  return muted;
}

export interface MutingBudget {
  /** Silences read per company and pass (MAX_ACTIVE_SILENCES). */
  maxSilences: number;
  /** Matching time a company may spend in one pass; its alerts left over wait for the next pass. */
  companyBudgetMs: number;
  /** Longest stretch of matching before the event loop gets a turn. */
  sliceMs: number;
}

export const DEFAULT_MUTING_BUDGET: MutingBudget = {
  maxSilences: DEFAULT_MAX_ACTIVE_SILENCES,
  companyBudgetMs: 250,
  sliceMs: 10,
};

export interface Judged {
  /** Alerts not judged within their company's budget: to go back to the queue, not counted against them. */
  deferred: ClaimedAlert[];
  /** Silences and windows that mute nothing because the engine refuses a matcher, per company. */
  invalid: Array<InvalidRule & { companyId: string }>;
}

/**
 * A silence or window whose matcher the engine refuses mutes nothing; the server log says so once per process
 * (`reported` holds what was said).
 */
export function reportInvalidRules(
  invalid: Judged['invalid'],
  reported: Set<string>,
  log: ((message: string) => void) | undefined,
): void {
  for (const r of invalid) {
    const name = r.kind === 'silence' ? `silence ${r.id}` : `maintenance window "${r.name}"`;
    const key = `${r.companyId}|${name}|${r.problem}`;
    if (reported.has(key)) continue;
    reported.add(key);
    log?.(`alert router: company ${r.companyId}: ${name} mutes nothing: ${r.problem}`);
  }
}

/**
 * Runs a generator of small steps to its end, handing the event loop back whenever `sliceMs` of work has gone by
 * since it last had it; returns the result and the time spent working (not waiting).
 */
class Slicer {
  private sliceStart = performance.now();

  constructor(private readonly sliceMs: number) {}

  async run<T>(steps: Generator<void, T>): Promise<{ value: T; spentMs: number }> {
    let spentMs = 0;
    let begun = performance.now();
    for (let r = steps.next(); ; r = steps.next()) {
      if (r.done) return { value: r.value, spentMs: spentMs + performance.now() - begun };
      const now = performance.now();
      if (now - this.sliceStart >= this.sliceMs) {
        spentMs += now - begun;
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.sliceStart = begun = performance.now();
      }
    }
  }
}

/**
 * Sets `muting` on each of the alerts not yet placed (a silence, a window, or null), oldest first per company, so
 * that what a budget defers is the newest. The first alert of a company is always judged, so every pass progresses.
 */
export async function judgeMutings(sql: Sql, alerts: ClaimedAlert[], budget: MutingBudget): Promise<Judged> {
  // One a crash left placed was not muted when it was placed: the placement keeps it where it is.
  const pending = alerts.filter((a) => !a.groupId);
  const judged: Judged = { deferred: [], invalid: [] };
  if (pending.length === 0) return judged;
  const companies = [...new Set(pending.map((a) => a.companyId))].sort();
  const earliest = pending.reduce((m, a) => (a.receivedAt < m ? a.receivedAt : m), pending[0]!.receivedAt);
  const info = await readCompanies(sql, companies, earliest, budget.maxSilences);
  const cache = new PatternCache();
  const slicer = new Slicer(budget.sliceMs);
  const byCompany = new Map<string, ClaimedAlert[]>(companies.map((id) => [id, []]));
  for (const a of pending) byCompany.get(a.companyId)!.push(a);
  for (const [companyId, own] of byCompany) {
    const c = info.get(companyId);
    const rules = c ? rulesOf(c, cache) : null;
    own.sort((x, y) => x.receivedAt.localeCompare(y.receivedAt) || x.id.localeCompare(y.id));
    if (!rules || rules.empty) {
      for (const a of own) a.muting = null;
      continue;
    }
    // Compiling is once per pass and bounded by the ceiling on silences (a thousand patterns: about 250 ms), so it is
    // sliced like the rest but not counted against the per-alert budget, which would otherwise leave no room to judge.
    await slicer.run(rules.prepare());
    let spent = 0;
    judged.invalid.push(...rules.invalid().map((r) => ({ ...r, companyId })));
    for (const [i, a] of own.entries()) {
      if (i > 0 && spent >= budget.companyBudgetMs) {
        judged.deferred.push(a);
        continue;
      }
      const r = await slicer.run(rules.judge(mutable(a), Date.parse(a.receivedAt)));
      a.muting = r.value;
      spent += r.spentMs;
    }
  }
  return judged;
}
