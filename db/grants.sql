-- What the application role may do, applied by `npm run grants` after every `npm run migrate` (docker-compose.yml's
-- one-shot `migrate` service), as the owner role that ran the migrations. Safe to apply again and again, and before
-- a table it names exists.
--
-- alert_whisperer_app (docker/postgres-init/roles.psql) is what the api and the worker log in as: it reads and
-- writes rows and never changes the schema; the audit log is append-only for it.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'alert_whisperer_app') THEN
    RAISE EXCEPTION 'role alert_whisperer_app does not exist (docker/postgres-init/roles.psql creates it)';
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO alert_whisperer_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO alert_whisperer_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO alert_whisperer_app;

-- Tables and sequences the owner creates later (the next migration) are covered before this file runs again.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO alert_whisperer_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO alert_whisperer_app;

-- The default privileges above also reach these when a migration creates them; take back what the app must not do.
DO $$
BEGIN
  -- Append-only: who did what stays written (the table's triggers refuse changes for every role, too).
  IF to_regclass('public.audit_log') IS NOT NULL THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_log FROM alert_whisperer_app;
  END IF;
  -- The migrator's ledger: the app only reads it, to see that nothing is pending.
  IF to_regclass('public.schema_migrations') IS NOT NULL THEN
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.schema_migrations FROM alert_whisperer_app;
  END IF;
END $$;
