// Demo data for `npm start`: created once, idempotently, and re-aligned with DEMO_API_KEY,
// ADMIN_EMAIL and ADMIN_PASSWORD when those are set.
import { randomBytes } from 'node:crypto';
import { hashPassword, verifyPassword } from '../api/auth.ts';
import { insertRunbook } from '../db/runbooks.ts';
import type { Sql } from '../db/sql.ts';
import { hashApiKey, keyHint } from '../domain/api-keys.ts';
import type { RunbookDraft } from '../domain/runbook.ts';

/** The demo tenant's runbooks, as version 1 of each; edits in the dashboard add versions. */
const DEMO_RUNBOOKS: Array<{ id: string; draft: RunbookDraft }> = [
  {
    id: 'rb-disk-cleanup',
    draft: {
      name: 'Clean temp files',
      description: 'Frees disk by removing old temp files and rotated logs',
      signatures: ['disk_full'],
      riskLevel: 'low',
      documentName: 'AWS-RunShellScript',
      commands: ['find /tmp -type f -mtime +1 -delete', 'journalctl --vacuum-size=200M', 'df -h /'],
      parameters: {},
      timeoutSeconds: 600,
    },
  },
  {
    id: 'rb-restart-nginx',
    draft: {
      name: 'Restart nginx',
      description: 'Restarts nginx and checks it answers',
      signatures: ['service_down:nginx'],
      riskLevel: 'high',
      documentName: 'AWS-RunShellScript',
      commands: [
        'sudo systemctl restart nginx',
        'systemctl is-active nginx',
        'curl -fsS -o /dev/null http://localhost/',
      ],
      parameters: {},
      timeoutSeconds: 600,
    },
  },
];

export interface DemoCredentials {
  companyId: string;
  apiKey: string;
  adminEmail: string;
  adminPassword: string;
  technicianEmail: string;
  technicianPassword: string;
}

/**
 * The demo tenant's credentials: environment first, then what an earlier start saved, then defaults and
 * freshly generated secrets.
 */
export function demoCredentials(env: NodeJS.ProcessEnv, saved?: Partial<DemoCredentials> | null): DemoCredentials {
  return {
    companyId: 'comp-acme',
    apiKey: env.DEMO_API_KEY || saved?.apiKey || generateSecret('ak_demo_'),
    adminEmail: env.ADMIN_EMAIL || saved?.adminEmail || 'admin@msp.example',
    adminPassword: env.ADMIN_PASSWORD || saved?.adminPassword || generateSecret(''),
    technicianEmail: env.TECHNICIAN_EMAIL || saved?.technicianEmail || 'tech@acme.example',
    technicianPassword: env.TECHNICIAN_PASSWORD || saved?.technicianPassword || generateSecret(''),
  };
}

export function generateSecret(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`;
}

/** Which stored credentials an existing tenant takes from `creds`; omitted = all (npm start's saved values). */
export interface Realign {
  apiKey: boolean;
  adminPassword: boolean;
  technicianPassword: boolean;
}

export async function seedDemo(
  sql: Sql,
  creds: DemoCredentials,
  realign: Realign = { apiKey: true, adminPassword: true, technicianPassword: true },
): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`
      INSERT INTO companies (id, name) VALUES (${creds.companyId}, 'Acme Corp') ON CONFLICT (id) DO NOTHING`;
    await tx`
      INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint)
      VALUES (${`key-${creds.companyId}`}, ${creds.companyId}, 'Demo key', ${hashApiKey(creds.apiKey)},
              ${keyHint(creds.apiKey)})
      ON CONFLICT (id) DO ${realign.apiKey ? tx`UPDATE SET key_hash = EXCLUDED.key_hash, key_hint = EXCLUDED.key_hint` : tx`NOTHING`}`;
    await tx`
      INSERT INTO assets (company_id, name, instance_id, criticality, os, tags) VALUES
        (${creds.companyId}, 'srv-app-01', 'i-0abc1234def567890', 'critical', 'Ubuntu 22.04', ${['app', 'prod']}),
        (${creds.companyId}, 'srv-web-01', 'i-0def4567abc123890', 'medium', 'Ubuntu 22.04', ${['web', 'prod']})
      ON CONFLICT DO NOTHING`;
    for (const rb of DEMO_RUNBOOKS) {
      const [exists] = await tx`SELECT 1 FROM runbooks WHERE id = ${rb.id}`;
      if (!exists) await insertRunbook(tx, rb.id, creds.companyId, rb.draft, 'seed');
    }
    for (const u of [
      {
        id: 'user-admin',
        email: creds.adminEmail,
        name: 'MSP Admin',
        role: 'msp_admin',
        password: creds.adminPassword,
        realign: realign.adminPassword,
      },
      {
        id: 'user-tech',
        email: creds.technicianEmail,
        name: 'Acme Technician',
        role: 'technician',
        password: creds.technicianPassword,
        realign: realign.technicianPassword,
      },
    ]) {
      const [existing] = await tx<
        { email: string; password_hash: string | null }[]
      >`SELECT email, password_hash FROM users WHERE id = ${u.id}`;
      if (!existing) {
        await tx`INSERT INTO users (id, email, name, role, password_hash) VALUES (${u.id}, ${u.email}, ${u.name}, ${u.role}, ${await hashPassword(u.password)})`;
      } else if (
        u.realign &&
        (existing.email !== u.email || !(await verifyPassword(u.password, existing.password_hash ?? '')))
      ) {
        await tx`UPDATE users SET email = ${u.email}, password_hash = ${await hashPassword(u.password)} WHERE id = ${u.id}`;
      }
      await tx`INSERT INTO user_companies (user_id, company_id) VALUES (${u.id}, ${creds.companyId}) ON CONFLICT DO NOTHING`;
    }
  });
}
