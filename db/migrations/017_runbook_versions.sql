-- Runbook library: a runbook is an identity (id, company) pointing at its current version; every edit adds an
-- immutable version, so an incident can name the version it ran and history shows what changed. Archiving hides a
-- runbook from decisions without deleting the versions incidents refer to.
CREATE TABLE runbook_versions (
  runbook_id      text NOT NULL REFERENCES runbooks(id) ON DELETE CASCADE,
  version         integer NOT NULL CHECK (version >= 1),
  name            text NOT NULL,
  description     text NOT NULL DEFAULT '',
  -- Exact signatures or globs (`*` = any run of characters), matched by domain/glob.ts, never as regex.
  signatures      text[] NOT NULL CHECK (cardinality(signatures) >= 1),
  risk_level      text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
  document_name   text NOT NULL,
  -- Command templates; placeholders are rendered shell-quoted per incident (domain/runbook-template.ts).
  commands        text[] NOT NULL CHECK (cardinality(commands) >= 1),
  -- Named values the company sets for {{param.<name>}} (e.g. the service a restart runbook restarts).
  parameters      jsonb NOT NULL DEFAULT '{}'::jsonb,
  timeout_seconds integer NOT NULL DEFAULT 600 CHECK (timeout_seconds BETWEEN 30 AND 172800),
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (runbook_id, version)
);

-- A version is history: changing one would rewrite what an incident says it ran.
CREATE FUNCTION runbook_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'runbook versions are immutable (runbook %, version %): save a new version instead',
    OLD.runbook_id, OLD.version;
END $$;
CREATE TRIGGER runbook_versions_no_update BEFORE UPDATE ON runbook_versions
  FOR EACH ROW EXECUTE FUNCTION runbook_versions_immutable();

ALTER TABLE runbooks
  ADD COLUMN current_version integer,
  ADD COLUMN archived_at timestamptz,
  ADD COLUMN archived_by text,
  -- Two runbooks may share a glob or an archived runbook's signature; the API refuses two live runbooks with the
  -- same exact signature instead.
  DROP CONSTRAINT runbooks_company_id_signature_key,
  ALTER COLUMN name DROP NOT NULL,
  ALTER COLUMN signature DROP NOT NULL,
  ALTER COLUMN risk_level DROP NOT NULL,
  ALTER COLUMN actions DROP NOT NULL;

COMMENT ON COLUMN runbooks.signature IS
  '001 layout, kept so a row inserted the old way becomes version 1 (trigger below); runbook_versions is the truth.';

-- The existing rows are version 1 of themselves.
INSERT INTO runbook_versions (runbook_id, version, name, description, signatures, risk_level, document_name, commands,
                              created_by, created_at)
SELECT id, 1, name, description, ARRAY[signature], risk_level, document_name, actions, 'migration 017', created_at
FROM runbooks;
UPDATE runbooks SET current_version = 1;

-- A row inserted with 001's columns and no version (older scripts, test fixtures) gets its version 1 at once, so
-- decisions, which read only versions, still see it.
CREATE FUNCTION runbooks_legacy_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO runbook_versions (runbook_id, version, name, description, signatures, risk_level, document_name,
                                commands, created_by, created_at)
  VALUES (NEW.id, 1, NEW.name, NEW.description, ARRAY[NEW.signature], NEW.risk_level, NEW.document_name,
          NEW.actions, 'legacy insert', NEW.created_at);
  UPDATE runbooks SET current_version = 1 WHERE id = NEW.id;
  RETURN NULL;
END $$;
CREATE TRIGGER runbooks_legacy_insert AFTER INSERT ON runbooks
  FOR EACH ROW WHEN (NEW.current_version IS NULL AND NEW.signature IS NOT NULL)
  EXECUTE FUNCTION runbooks_legacy_version();

CREATE INDEX runbooks_company_live ON runbooks (company_id) WHERE archived_at IS NULL;
