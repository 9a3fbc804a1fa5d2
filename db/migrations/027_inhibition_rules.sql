-- Inhibition rules (domain/inhibition.ts), as Alertmanager has them: while a source alert fires, target alerts with
-- equal fields are inhibited: stored, counted and attached to the source's incident, but they open no incident and
-- page nobody. The router judges them (router/routing/inhibition.ts); a target is released, and routed afresh, when
-- its source resolves at source (router/routing/resolutions.ts) or when the incident it was attached to resolves
-- (the trigger below, so every way an incident resolves releases them, in the transaction that resolves it).

CREATE TABLE inhibition_rules (
  id              text PRIMARY KEY,
  company_id      text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name            text NOT NULL,
  -- [{"field", "op", "value"}], as silences' matchers.
  source_matchers jsonb NOT NULL,
  target_matchers jsonb NOT NULL,
  -- Matcher fields (asset, signature, tool, severity, label:<name>) whose values must be the same on both alerts.
  equal           text[] NOT NULL DEFAULT '{}',
  comment         text NOT NULL DEFAULT '',
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inhibition_rules_company ON inhibition_rules (company_id, created_at);

ALTER TABLE alerts
  -- {"ruleId", "ruleName", "sourceAlertId"}: why the alert paged nobody. Kept as history once released.
  ADD COLUMN inhibited_by jsonb,
  -- Set when its source resolved (or the incident it was attached to did) and it went back to be routed again.
  ADD COLUMN inhibition_released_at timestamptz;

-- Targets a source alert still inhibits: released when it resolves.
CREATE INDEX alerts_inhibited_source ON alerts ((inhibited_by->>'sourceAlertId'))
  WHERE inhibited_by IS NOT NULL AND inhibition_released_at IS NULL;
-- Targets attached to an incident and not released: Incident.inhibitedCount, and the release when it resolves.
CREATE INDEX alerts_inhibited_incident ON alerts (incident_id)
  WHERE inhibited_by IS NOT NULL AND inhibition_released_at IS NULL;
-- Targets waiting for their source's incident to open (the source's group had none yet).
CREATE INDEX alerts_inhibited_waiting ON alerts (company_id)
  WHERE inhibited_by IS NOT NULL AND inhibition_released_at IS NULL AND incident_id IS NULL;
-- Alerts each rule inhibited: InhibitionRule.inhibitedCount.
CREATE INDEX alerts_inhibited_rule ON alerts ((inhibited_by->>'ruleId')) WHERE inhibited_by IS NOT NULL;

-- A new incident takes the targets that waited for it: those whose source alert is in the incident's group. Under
-- the company's correlation lock (the router's placement holds it while it attaches targets), so a target attached
-- while the incident is being saved is never missed; only for a company that has rules, so others pay one probe.
CREATE FUNCTION inhibition_link_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM inhibition_rules r WHERE r.company_id = NEW.company_id) THEN RETURN NULL; END IF;
  PERFORM pg_advisory_xact_lock(hashtext('correlation'), hashtext(NEW.company_id));
  UPDATE alerts t SET incident_id = NEW.id
  FROM alerts s JOIN correlation_groups g ON g.id = s.group_id
  WHERE t.company_id = NEW.company_id AND t.inhibited_by IS NOT NULL AND t.inhibition_released_at IS NULL
    AND t.incident_id IS NULL AND s.id = t.inhibited_by->>'sourceAlertId' AND g.workflow_id = NEW.workflow_id;
  RETURN NULL;
END $$;
CREATE TRIGGER incidents_inhibition_link AFTER INSERT ON incidents
  FOR EACH ROW EXECUTE FUNCTION inhibition_link_incident();

-- An incident that resolves releases the targets still attached to it that are themselves still firing: they go
-- back on the routing queue to be judged again (another source may still inhibit them; otherwise they open their
-- own incident). Those that recovered on their own stay with it as history.
CREATE FUNCTION inhibition_release_incident() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n integer;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM inhibition_rules r WHERE r.company_id = NEW.company_id)
     AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = NEW.id AND a.inhibited_by IS NOT NULL
                       AND a.inhibition_released_at IS NULL) THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('correlation'), hashtext(NEW.company_id));
  WITH released AS (
    UPDATE alerts SET inhibition_released_at = now(), incident_id = NULL, routed_at = NULL, route_next_at = now(),
      route_attempts = 0, route_error = NULL
    WHERE incident_id = NEW.id AND inhibited_by IS NOT NULL AND inhibition_released_at IS NULL
      AND status = 'firing' AND resolved_at IS NULL AND dead_lettered_at IS NULL
    RETURNING 1
  )
  SELECT count(*) INTO n FROM released;
  -- Wakes the routers (api/ingest/alert-writer.ts ALERT_CHANNEL) at commit.
  IF n > 0 THEN PERFORM pg_notify('alert_stored', ''); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER incidents_inhibition_release AFTER UPDATE OF status ON incidents
  FOR EACH ROW WHEN (NEW.status = 'resolved' AND OLD.status IS DISTINCT FROM 'resolved')
  EXECUTE FUNCTION inhibition_release_incident();
