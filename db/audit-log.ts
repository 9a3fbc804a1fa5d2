// Writing the append-only audit log: who did what to which company, from where. The API writes its entries through
// here (api/tenants/audit.ts reads them back); so does a router finishing a person's merge the API left half done
// (router/incident-fold.ts). Secrets never reach `data`.
import type { Sql, TransactionSql } from './sql.ts';

export interface Actor {
  id: string | null;
  email: string | null;
  ip: string | null;
}

export interface AuditEntry {
  companyId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  data?: Record<string, unknown>;
}

export async function audit(sql: Sql | TransactionSql, actor: Actor, e: AuditEntry): Promise<void> {
  await sql`
    INSERT INTO audit_log (company_id, actor_id, actor_email, action, target_type, target_id, ip, data)
    VALUES (${e.companyId}, ${actor.id}, ${actor.email}, ${e.action}, ${e.targetType ?? null}, ${e.targetId ?? null},
            ${actor.ip}, ${sql.json((e.data ?? {}) as never)})`;
}
