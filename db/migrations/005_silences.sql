-- Silences: Alertmanager-style matchers with a start and an end, made by hand or from an incident. A silence may
-- also end when a chosen incident resolves (alertmanager#1057). Muted alerts are stored, counted and listed, but
-- open no incident and page nobody. Maintenance windows live in the company's settings (recurring, time zone).

CREATE TABLE silences (
  id             text PRIMARY KEY,
  company_id     text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  matchers       jsonb NOT NULL,
  starts_at      timestamptz NOT NULL,
  ends_at        timestamptz NOT NULL CHECK (ends_at > starts_at),
  comment        text NOT NULL,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  -- Ends early when this incident resolves.
  until_resolved text REFERENCES incidents(id) ON DELETE SET NULL,
  -- Ended early by hand.
  expired_at     timestamptz
);
CREATE INDEX silences_company ON silences (company_id, ends_at DESC);

-- When a silence really ends: its end, an early expiry, or the resolution of the incident it was tied to.
CREATE FUNCTION silence_effective_end(s silences) RETURNS timestamptz
  LANGUAGE sql STABLE AS $$
    SELECT LEAST(s.ends_at, COALESCE(s.expired_at, 'infinity'),
      COALESCE((SELECT i.resolved_at FROM incidents i WHERE i.id = s.until_resolved AND i.status = 'resolved'),
               'infinity'))
  $$;

ALTER TABLE alerts
  -- {"kind": "silence", "id": ...} or {"kind": "maintenance", "name": ...}: why the alert paged nobody.
  ADD COLUMN muted_by jsonb;
CREATE INDEX alerts_muted ON alerts (company_id, received_at DESC) WHERE muted_by IS NOT NULL;
