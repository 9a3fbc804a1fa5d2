// Alerts that a silence or a maintenance window mutes: marked with why, taken off the queue, and kept out of
// correlation, so they open no incident and page nobody. The router reads each claimed company's settings and
// silences once per pass (readCompanies) and writes the muted alerts with the rest of its placement.
import type { TransactionSql } from '../../db/sql.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { mutedBy, type Matcher, type Muting, type SilenceRule } from '../../domain/silences.ts';
import type { ClaimedAlert } from './queue.ts';

export interface CompanyRouting {
  settings: CompanySettings;
  silences: SilenceRule[];
}

/**
 * The claim's companies with their settings and the silences that may still cover the claim's oldest alert (a
 * claim after an outage holds older alerts), in one query.
 */
export async function readCompanies(
  tx: TransactionSql,
  companies: string[],
  earliest: string,
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
        'endsAt', silence_effective_end(s)))
      FROM silences s WHERE s.company_id = c.id AND silence_effective_end(s) > ${earliest}), '[]') AS silences
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

/** Why each muted alert is muted; the others are not in the map. */
export function mutings(alerts: ClaimedAlert[], companies: Map<string, CompanyRouting>): Map<string, Muting> {
  const muted = new Map<string, Muting>();
  for (const a of alerts) {
    const c = companies.get(a.companyId);
    const windows = c?.settings.maintenanceWindows ?? [];
    if (!c || (c.silences.length === 0 && windows.length === 0)) continue;
    const why = mutedBy(
      { asset: a.assetName, signature: a.signature, tool: a.toolSource, severity: a.severity, labels: a.labels },
      Date.parse(a.receivedAt),
      c.silences,
      windows,
      c.settings.timeZone ?? 'UTC',
    );
    if (why) muted.set(a.id, why);
  }
  return muted;
}
