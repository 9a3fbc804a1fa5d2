// The append-only audit log: who did what to which company, from where. Writes go through here, inside the
// transaction of the change they describe, so a change is never without its entry. Secrets never reach `data`.
import type { Sql } from '../../db/sql.ts';
import { toCsv } from '../../domain/csv.ts';

export { audit, type Actor, type AuditEntry } from '../../db/audit-log.ts';

export interface AuditRecord {
  id: string;
  at: string;
  companyId: string | null;
  actorId: string | null;
  actorEmail: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  data: Record<string, unknown>;
}

export interface AuditFilter {
  /** null = every company and MSP-wide entries (MSP admins only); otherwise these companies' entries. */
  companyIds: string[] | null;
  action?: string | null;
  actorEmail?: string | null;
  from?: string | null;
  to?: string | null;
  /** Entries older than this id (keyset paging, newest first). */
  before?: string | null;
  limit: number;
}

export async function listAudit(sql: Sql, f: AuditFilter): Promise<AuditRecord[]> {
  const limit = Math.min(Math.max(f.limit, 1), 1000);
  return sql<AuditRecord[]>`
    SELECT id::text, at, company_id AS "companyId", actor_id AS "actorId", actor_email AS "actorEmail", action,
           target_type AS "targetType", target_id AS "targetId", ip, data
    FROM audit_log
    WHERE ${f.companyIds === null ? sql`true` : sql`company_id = ANY(${f.companyIds})`}
      ${f.action ? sql`AND action LIKE ${`${f.action.replace(/[%_\\]/g, '\\$&')}%`}` : sql``}
      ${f.actorEmail ? sql`AND lower(actor_email) = lower(${f.actorEmail})` : sql``}
      ${f.from ? sql`AND at >= ${f.from}` : sql``}
      ${f.to ? sql`AND at < ${f.to}` : sql``}
      ${f.before ? sql`AND id < ${f.before}` : sql``}
    -- The table's bigint, not the text "id" of the select list (that sorted "99" above "100").
    ORDER BY audit_log.id DESC
    LIMIT ${limit}`;
}

/** The audit entries as CSV (domain/csv.ts: formula injection neutralised). */
export function auditCsv(rows: AuditRecord[]): string {
  const head = ['id', 'at', 'company_id', 'actor_email', 'action', 'target_type', 'target_id', 'ip', 'data'];
  return toCsv(
    head,
    rows.map((r) => [r.id, r.at, r.companyId, r.actorEmail, r.action, r.targetType, r.targetId, r.ip, r.data]),
  );
}
