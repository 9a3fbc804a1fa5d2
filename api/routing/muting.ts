// Alerts that a silence or a maintenance window mutes: marked with why, taken off the queue, and kept out of
// correlation, so they open no incident and page nobody. Runs inside the router's placement transaction, with one
// read of the silences for the whole claim and one write of the muted alerts.
import type { TransactionSql } from '../../db/sql.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { mutedBy, type Matcher, type Muting, type SilenceRule } from '../../domain/silences.ts';
import type { ClaimedAlert } from './queue.ts';

/** Returns the ids of the alerts it muted. */
export async function muteAlerts(
  tx: TransactionSql,
  alerts: ClaimedAlert[],
  settingsOf: Map<string, CompanySettings>,
): Promise<Set<string>> {
  if (alerts.length === 0) return new Set();
  const companies = [...new Set(alerts.map((a) => a.companyId))];
  const earliest = alerts.reduce((m, a) => (a.receivedAt < m ? a.receivedAt : m), alerts[0]!.receivedAt);
  // Silences that may still cover the claim's oldest alert (a claim after an outage holds older alerts).
  const rows = await tx<{ id: string; companyId: string; matchers: Matcher[]; startsAt: string; endsAt: string }[]>`
    SELECT id, company_id AS "companyId", matchers, starts_at AS "startsAt", silence_effective_end(s) AS "endsAt"
    FROM silences s WHERE company_id = ANY(${companies}) AND silence_effective_end(s) > ${earliest}`;
  const silencesOf = new Map<string, SilenceRule[]>();
  for (const r of rows) {
    const rule = { id: r.id, matchers: r.matchers, startsAt: Date.parse(r.startsAt), endsAt: Date.parse(r.endsAt) };
    silencesOf.set(r.companyId, [...(silencesOf.get(r.companyId) ?? []), rule]);
  }

  const muted: Array<{ id: string; why: Muting }> = [];
  for (const a of alerts) {
    const settings = settingsOf.get(a.companyId) ?? {};
    const silences = silencesOf.get(a.companyId) ?? [];
    const windows = settings.maintenanceWindows ?? [];
    if (silences.length === 0 && windows.length === 0) continue;
    const why = mutedBy(
      { asset: a.assetName, signature: a.signature, tool: a.toolSource, severity: a.severity, labels: a.labels },
      Date.parse(a.receivedAt),
      silences,
      windows,
      settings.timeZone ?? 'UTC',
    );
    if (why) muted.push({ id: a.id, why });
  }
  if (muted.length) {
    await tx`
      UPDATE alerts a SET muted_by = v.why::jsonb, routed_at = now(), route_error = NULL
      FROM unnest(${muted.map((m) => m.id)}::text[], ${muted.map((m) => JSON.stringify(m.why))}::text[]) AS v(id, why)
      WHERE a.id = v.id`;
  }
  return new Set(muted.map((m) => m.id));
}
