// Alerts that a silence or a maintenance window mutes: marked with why, taken off the queue, and kept out of
// correlation, so they open no incident and page nobody. Runs inside the router's placement transaction.
import type { TransactionSql } from '../../db/sql.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import { mutedBy, type Matcher, type Muting, type SilenceRule } from '../../domain/silences.ts';
import type { ClaimedAlert } from './queue.ts';

/** Returns the ids of the alerts it muted. */
export async function muteAlerts(
  tx: TransactionSql,
  companyId: string,
  alerts: ClaimedAlert[],
  settings: CompanySettings,
): Promise<Set<string>> {
  if (alerts.length === 0) return new Set();
  const earliest = alerts.reduce((m, a) => (a.receivedAt < m ? a.receivedAt : m), alerts[0]!.receivedAt);
  const rows = await tx<{ id: string; matchers: Matcher[]; startsAt: string; endsAt: string }[]>`
    SELECT id, matchers, starts_at AS "startsAt", silence_effective_end(s) AS "endsAt"
    FROM silences s WHERE company_id = ${companyId} AND silence_effective_end(s) > ${earliest}`;
  const windows = settings.maintenanceWindows ?? [];
  if (rows.length === 0 && windows.length === 0) return new Set();
  const silences: SilenceRule[] = rows.map((r) => ({
    id: r.id,
    matchers: r.matchers,
    startsAt: Date.parse(r.startsAt),
    endsAt: Date.parse(r.endsAt),
  }));
  const muted: Array<{ id: string; why: Muting }> = [];
  for (const a of alerts) {
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
