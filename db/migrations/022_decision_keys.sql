-- Decision engine, the rest of issue 14 item 2.
-- 1. A company's own Gemini API key, sealed with ENCRYPTION_KEY like the HMAC signing secret (lib/secret-box.ts):
--    the worker opens it for that company's decisions; GraphQL only ever shows the hint (its last four characters).
ALTER TABLE companies
  ADD COLUMN gemini_key_sealed text,
  ADD COLUMN gemini_key_hint   text;

-- 2. Who overrode a decision: a person who rejected the runbook it asked for, or ran another runbook instead.
--    requested_by: the person who asked for a fresh decision (redecideIncident), null for the workflow's own.
ALTER TABLE decisions
  ADD COLUMN overridden_by  text,
  ADD COLUMN overridden_at  timestamptz,
  ADD COLUMN override       text CHECK (override IN ('rejected', 'other_runbook')),
  ADD COLUMN requested_by   text;

-- 3. The model's answer while it streams, one row per incident (the latest decision in progress): the worker writes
--    the text so far, a few times a second, and NOTIFYs the incident id; the API re-reads the row within the
--    subscriber's scope (api/graphql/types/decision-progress.ts). The incident's next decision overwrites it.
CREATE TABLE decision_progress (
  incident_id text PRIMARY KEY,
  company_id  text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  provider    text NOT NULL,
  model       text,
  text        text NOT NULL DEFAULT '',
  done        boolean NOT NULL DEFAULT false,
  started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- 4. "Who overrode it", kept on the decision row itself: when a person rejects the runbook a decision asked approval
--    for, or asks for another runbook than the one decided (runRunbook), the incident's latest decision row names
--    them. The workflow writes those as timeline events (kinds 'rejected' and 'run_requested', with the actor);
--    this trigger copies them onto the row in the same transaction, so no code path can record one without the other.
CREATE FUNCTION decisions_mark_override() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  latest record;
BEGIN
  SELECT id, COALESCE(output->'decision', output)->>'runbookId' AS runbook_id INTO latest
    FROM decisions WHERE incident_id = NEW.incident_id
   ORDER BY created_at DESC, id DESC LIMIT 1;
  IF latest.id IS NULL THEN
    RETURN NEW;
  END IF;
  IF NEW.kind = 'rejected' THEN
    UPDATE decisions SET overridden_by = NEW.actor, overridden_at = NEW.created_at, override = 'rejected'
     WHERE id = latest.id AND overridden_by IS NULL;
  ELSIF NEW.kind = 'run_requested' AND (NEW.data->>'runbookId') IS DISTINCT FROM latest.runbook_id THEN
    UPDATE decisions SET overridden_by = NEW.actor, overridden_at = NEW.created_at, override = 'other_runbook'
     WHERE id = latest.id AND overridden_by IS NULL;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER incident_events_mark_override AFTER INSERT ON incident_events
  FOR EACH ROW WHEN (NEW.kind IN ('rejected', 'run_requested') AND NEW.actor IS NOT NULL)
  EXECUTE FUNCTION decisions_mark_override();
