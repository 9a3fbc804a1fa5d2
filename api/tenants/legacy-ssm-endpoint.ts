// Before this release a company could store `ssm.endpoint`, and the worker then sent its SigV4-signed SSM calls
// (the install's access key id and session token) to that URL. The endpoint is install configuration now
// (SSM_ENDPOINT); a value still stored is dropped at API start, each with an audit entry for the company to see.
import type { Sql } from '../../db/sql.ts';
import { audit } from './audit.ts';

const SYSTEM = { id: null, email: null, ip: null };

/** Scheme and host only: enough to recognise where calls would have gone, without a path or userinfo. */
function origin(url: string): string {
  return URL.canParse(url) ? new URL(url).origin : '(not a URL)';
}

/** Drops `settings.ssm.endpoint` wherever it is stored; idempotent, and safe when several APIs start at once. */
export async function dropLegacySsmEndpoints(sql: Sql): Promise<number> {
  return sql.begin(async (tx) => {
    // FOR UPDATE: a second API starting at the same time waits, then finds the key gone and skips the row.
    const dropped = await tx<{ id: string; endpoint: string }[]>`
      WITH old AS (
        SELECT id, settings->'ssm'->>'endpoint' AS endpoint FROM companies
        WHERE settings->'ssm' ? 'endpoint' FOR UPDATE
      )
      UPDATE companies c
      SET settings = CASE WHEN (c.settings->'ssm') - 'endpoint' = '{}'::jsonb THEN c.settings - 'ssm'
                          ELSE c.settings #- '{ssm,endpoint}' END,
          updated_at = now()
      FROM old WHERE c.id = old.id
      RETURNING c.id, old.endpoint`;
    for (const d of dropped) {
      await audit(tx, SYSTEM, {
        companyId: d.id,
        action: 'company.setting_dropped',
        targetType: 'company',
        targetId: d.id,
        data: {
          setting: 'ssm.endpoint',
          endpoint: origin(d.endpoint),
          reason: 'The SSM endpoint is install configuration (SSM_ENDPOINT), not a company setting',
        },
      });
    }
    return dropped.length;
  });
}
