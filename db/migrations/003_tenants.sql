-- Tenants, people and sessions: integration keys, encrypted signing secrets, asset inventory, invitations,
-- refresh-token sessions and an append-only audit log.

-- Companies are archived, never deleted from the dashboard: their alerts, incidents and audit trail stay.
ALTER TABLE companies ADD COLUMN archived_at timestamptz;
ALTER TABLE companies ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Several keys per company (one per monitoring tool), each named, hashed, rotatable and revocable.
CREATE TABLE integration_keys (
  id           text PRIMARY KEY,
  company_id   text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name         text NOT NULL,
  -- Only a SHA-256 of the key is kept; the key itself is shown once, at creation.
  key_hash     text NOT NULL UNIQUE,
  key_hint     text NOT NULL,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- Written at most once a minute per key: a hot key must not turn every delivery into an UPDATE.
  last_used_at timestamptz,
  -- A rotated key keeps working until expires_at (the overlap); a revoked one stops at revoked_at.
  expires_at   timestamptz,
  revoked_at   timestamptz,
  replaced_by  text REFERENCES integration_keys(id) ON DELETE SET NULL
);
CREATE INDEX integration_keys_company ON integration_keys (company_id, created_at);

INSERT INTO integration_keys (id, company_id, name, key_hash, key_hint)
SELECT 'key-' || id, id, 'Default', api_key_hash, api_key_hint FROM companies;
ALTER TABLE companies DROP COLUMN api_key_hash;
ALTER TABLE companies DROP COLUMN api_key_hint;

-- HMAC signing secrets are sealed with AES-256-GCM by the application (ENCRYPTION_KEY); the database never
-- holds one in clear. A rotated secret keeps verifying until hmac_previous_expires_at.
ALTER TABLE companies RENAME COLUMN hmac_secret TO hmac_secret_legacy;
ALTER TABLE companies ADD COLUMN hmac_secret_sealed text;
ALTER TABLE companies ADD COLUMN hmac_secret_hint text;
ALTER TABLE companies ADD COLUMN hmac_previous_sealed text;
ALTER TABLE companies ADD COLUMN hmac_previous_expires_at timestamptz;

-- The API's key cache listens on company_changed; a key change must clear it like a company change does.
CREATE FUNCTION notify_integration_key_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('company_changed', coalesce(NEW.company_id, OLD.company_id));
  RETURN NULL;
END $$;
CREATE TRIGGER integration_keys_changed
AFTER INSERT OR UPDATE OF key_hash, expires_at, revoked_at OR DELETE ON integration_keys
FOR EACH ROW EXECUTE FUNCTION notify_integration_key_changed();

-- Assets: an inventory with criticality; `critical` stays as the column priority scoring reads.
ALTER TABLE assets ADD COLUMN asset_type text NOT NULL DEFAULT 'server';
ALTER TABLE assets ADD COLUMN os text;
ALTER TABLE assets ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
ALTER TABLE assets ADD COLUMN criticality text NOT NULL DEFAULT 'medium'
  CHECK (criticality IN ('low', 'medium', 'high', 'critical'));
ALTER TABLE assets ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
UPDATE assets SET criticality = 'critical' WHERE critical;
ALTER TABLE assets DROP COLUMN critical;
ALTER TABLE assets ADD COLUMN critical boolean GENERATED ALWAYS AS (criticality = 'critical') STORED;
CREATE INDEX alerts_company_asset ON alerts (company_id, asset_name, received_at DESC);

-- People: an invited user has no password until they follow their link; a disabled one cannot sign in.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;
-- On-call categories (e.g. "database", "network"), read by the lifecycle's rotations.
ALTER TABLE users ADD COLUMN categories text[] NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- One-time links that set a password (invitations and resets). Only a hash of the token is stored.
CREATE TABLE user_invites (
  token_hash  text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX user_invites_user ON user_invites (user_id);

-- A session is one sign-in on one device: the family of refresh tokens rotated from its login.
CREATE TABLE sessions (
  id           text PRIMARY KEY,
  user_id      text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  -- Absolute end (7 days from login); the idle timeout is counted from last_seen_at.
  expires_at   timestamptz NOT NULL,
  revoked_at   timestamptz,
  revoke_reason text,
  ip           text,
  user_agent   text
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Every refresh token ever issued for a session; presenting a used one again is a theft signal.
CREATE TABLE refresh_tokens (
  token_hash  text PRIMARY KEY,
  session_id  text NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Sessions and subscriptions listen here: a revoked session or a changed role takes effect on live streams.
CREATE FUNCTION notify_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('user_changed', coalesce(NEW.user_id, OLD.user_id));
  RETURN NULL;
END $$;
CREATE FUNCTION notify_user_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('user_changed', coalesce(NEW.id, OLD.id));
  RETURN NULL;
END $$;
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
FOR EACH ROW EXECUTE FUNCTION notify_user_row_changed();
CREATE TRIGGER user_companies_changed AFTER INSERT OR DELETE ON user_companies
FOR EACH ROW EXECUTE FUNCTION notify_user_changed();
CREATE TRIGGER sessions_revoked AFTER UPDATE OF revoked_at ON sessions
FOR EACH ROW WHEN (NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL)
EXECUTE FUNCTION notify_user_changed();

-- Append-only: no foreign keys, so entries outlive the incidents, users and companies they name.
CREATE TABLE audit_log (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  -- NULL for MSP-wide actions (a login, a new company before it exists).
  company_id  text,
  actor_id    text,
  actor_email text,
  action      text NOT NULL,
  target_type text,
  target_id   text,
  ip          text,
  data        jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_company_at ON audit_log (company_id, at DESC, id DESC);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
