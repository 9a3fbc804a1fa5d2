-- Ingestion at storm scale: native receivers (status, source identity, labels), resolve at source,
-- per-alert routing backoff with a dead letter, a rate limit shared by every API process, signed-request
-- replay protection, and a record of rejected deliveries.

ALTER TABLE alerts
  -- firing: the condition is active; resolved: the source said it recovered (a notification, not a state).
  ADD COLUMN status        text NOT NULL DEFAULT 'firing' CHECK (status IN ('firing', 'resolved')),
  -- The source's identity of the condition (Alertmanager fingerprint, PagerDuty dedup_key, alarm ARN...).
  ADD COLUMN source_key    text,
  ADD COLUMN labels        jsonb NOT NULL DEFAULT '{}'::jsonb,
  ADD COLUMN receiver      text NOT NULL DEFAULT 'alerts',
  -- Set on a firing alert when its source reported it resolved.
  ADD COLUMN resolved_at   timestamptz,
  -- When the router may next try this alert. Claiming an alert pushes it forward by a lease, so an alert
  -- claimed by a process that died is retried once the lease runs out; failures push it by a backoff.
  ADD COLUMN route_next_at timestamptz NOT NULL DEFAULT now(),
  -- Parked after repeated failures that are the alert's own (not an outage); retryable by an admin.
  ADD COLUMN dead_lettered_at timestamptz;

DROP INDEX alerts_unrouted;
-- The router's queue, per company so that routing takes turns between companies.
CREATE INDEX alerts_route_queue ON alerts (company_id, route_next_at) WHERE routed_at IS NULL AND dead_lettered_at IS NULL;
CREATE INDEX alerts_dead_letter ON alerts (company_id, dead_lettered_at DESC) WHERE dead_lettered_at IS NOT NULL;
-- A resolved notification finds the firing alerts it resolves.
CREATE INDEX alerts_open_by_source ON alerts (company_id, source_key)
  WHERE source_key IS NOT NULL AND status = 'firing' AND resolved_at IS NULL;
-- "Is every alert of this incident resolved at source?"
CREATE INDEX alerts_incident_open ON alerts (incident_id) WHERE status = 'firing' AND resolved_at IS NULL;

ALTER TABLE incidents
  ADD COLUMN source_resolved_at timestamptz,
  -- Repeats of the open incident that the router linked and counted itself, never sending them to the
  -- workflow; alert_count = the workflow's own count + these.
  ADD COLUMN routed_repeats integer NOT NULL DEFAULT 0;

-- The alert-count term of the priority score (domain/priority.ts): +2 per duplicate alert, at most +20.
-- Repeats of an open incident are counted here, not in the workflow, so the row adjusts this term itself.
CREATE FUNCTION alert_count_bonus(n integer) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $$ SELECT LEAST(GREATEST(n - 1, 0) * 2, 20) $$;

-- One token bucket per company, shared by every API process (WEBHOOK_RATE_PER_MINUTE).
CREATE TABLE webhook_rate_buckets (
  company_id text PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
  tokens     double precision NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Signatures seen within the replay window: the same signed request with another delivery id is a replay.
CREATE TABLE webhook_signatures (
  company_id   text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  signature    text NOT NULL,
  delivery_key text NOT NULL,
  seen_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (company_id, signature)
);
CREATE INDEX webhook_signatures_seen ON webhook_signatures (seen_at);

-- Why a tool's deliveries did not arrive: kept per company, bodies truncated with secrets redacted.
CREATE TABLE rejected_deliveries (
  id           bigserial PRIMARY KEY,
  company_id   text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  receiver     text NOT NULL,
  http_status  integer NOT NULL,
  error        text NOT NULL,
  reason       text NOT NULL,
  body_excerpt text NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rejected_deliveries_company ON rejected_deliveries (company_id, received_at DESC);

-- API processes cache key lookups (unknown keys too, briefly); any new company or change to a company's
-- keys or settings tells them to drop what they hold.
CREATE FUNCTION notify_company_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('company_changed', COALESCE(NEW.id, OLD.id));
  RETURN NULL;
END $$;
CREATE TRIGGER companies_changed AFTER INSERT OR UPDATE OR DELETE ON companies
  FOR EACH ROW EXECUTE FUNCTION notify_company_changed();
