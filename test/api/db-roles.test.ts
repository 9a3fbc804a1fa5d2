// The production database roles on a PostgreSQL of this test's own (roles are cluster-wide, so not on the run's shared
// one): docker/postgres-init/roles.psql as the postgres image's first start runs it, migrations and db/grants.sql as
// the owner, and what the application role may and may not do afterwards.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded.ts';
import { applyGrants } from '../../db/grants.ts';
import { migrate } from '../../db/migrate.ts';
import { createSql, type Sql } from '../../db/sql.ts';
import { freePort } from '../../lib/ports.ts';
import { createCompany } from '../helpers/fixtures.ts';
import { insertIncident } from '../helpers/incidents.ts';

const DATABASE = 'aw_roles';
const ROLES_FILE = new URL('../../docker/postgres-init/roles.psql', import.meta.url);

let root = '';
let db: EmbeddedDatabase;
let admin: Sql;
let owner: Sql;
let app: Sql;

/** What `psql --set=name=value` does to :'name' (a quoted literal) and :"name" (a quoted identifier). */
function psqlVariables(text: string, vars: Record<string, string>): string {
  return text
    .replace(/:'(\w+)'/g, (_m, name: string) => `'${vars[name]!.replace(/'/g, "''")}'`)
    .replace(/:"(\w+)"/g, (_m, name: string) => `"${vars[name]!.replace(/"/g, '""')}"`);
}

/** The same server and database as another role. */
const as = (role: string, password: string) => {
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  return createSql(url.toString(), { max: 2 });
};

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'aw-roles-'));
  chmodSync(root, 0o755);
  db = await startEmbeddedPostgres({
    dataDir: path.join(root, 'pg'),
    port: await freePort(),
    persistent: false,
    database: DATABASE,
    log: () => {},
  });
  admin = createSql(db.url, { max: 1 });
  const roles = psqlVariables(readFileSync(ROLES_FILE, 'utf8'), {
    owner_password: "owner-pw-with-'quote",
    app_password: 'app-pw',
    dbname: DATABASE,
  });
  await admin.unsafe(roles);
  owner = as('alert_whisperer_owner', "owner-pw-with-'quote");
  app = as('alert_whisperer_app', 'app-pw');
  // The migrate service's order: grants may also run before a table they name exists, then again after.
  await applyGrants(owner);
  await migrate(owner);
  await applyGrants(owner);
});

afterAll(async () => {
  await Promise.all([app?.end(), owner?.end(), admin?.end()]);
  await db?.stop();
  rmSync(root, { recursive: true, force: true });
});

const denied = (query: Promise<unknown>) => expect(query).rejects.toThrow(/permission denied|must be owner/);

describe('database roles for docker compose', () => {
  it('gives the application role no superuser, database or role rights', async () => {
    const [role] = await admin`
      SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls FROM pg_roles
      WHERE rolname = 'alert_whisperer_app'`;
    expect(role).toEqual({
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
    });
  });

  it('lets the application start (nothing to migrate) and read and write rows', async () => {
    expect(await migrate(app)).toEqual([]);
    const company = await createCompany(app, { name: 'Least Privilege Co' });
    const id = await insertIncident(app, company.companyId, 'srv-app');
    await app`UPDATE incidents SET alert_count = 2 WHERE id = ${id}`;
    await app`INSERT INTO audit_log (action, actor_email) VALUES ('test.append', 'app@example.test')`;
    const [row] = await app`SELECT count(*)::int AS n FROM audit_log WHERE action = 'test.append'`;
    expect(row?.n).toBe(1);
    await app`DELETE FROM incidents WHERE id = ${id}`;
  });

  it('refuses the application role any schema change, and any change to the audit log or the migration ledger', async () => {
    await denied(app`CREATE TABLE sneaky (id int)`);
    await denied(app`ALTER TABLE incidents ADD COLUMN sneaky int`);
    await denied(app`DROP TABLE incidents`);
    // Refused by privilege, before the append-only trigger would even run.
    await denied(app`UPDATE audit_log SET action = 'rewritten'`);
    await denied(app`DELETE FROM audit_log`);
    await denied(app`TRUNCATE audit_log`);
    await denied(app`DELETE FROM schema_migrations`);
    await denied(app`CREATE DATABASE sneaky`);
  });

  it('covers tables a later migration creates, and keeps the audit log append-only when the grants run again', async () => {
    await owner`CREATE TABLE later_feature (id int PRIMARY KEY, note text)`;
    await app`INSERT INTO later_feature (id, note) VALUES (1, 'default privileges')`;
    await app`UPDATE later_feature SET note = 'still fine' WHERE id = 1`;
    expect(await app`SELECT note FROM later_feature`).toEqual([{ note: 'still fine' }]);
    await applyGrants(owner);
    await denied(app`UPDATE audit_log SET action = 'rewritten'`);
  });
});
