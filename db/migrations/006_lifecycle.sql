-- The incident lifecycle people walk (acknowledged, in progress, reopened), who has it, and what they wrote.
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check CHECK (status IN (
  'new', 'acknowledged', 'in_progress', 'awaiting_approval', 'remediating', 'escalated', 'reopened', 'resolved'));

ALTER TABLE incidents
  ADD COLUMN acknowledgement jsonb,
  ADD COLUMN assignee jsonb,
  -- A plain column beside the jsonb: "my incidents" is a list filter.
  ADD COLUMN assignee_id text GENERATED ALWAYS AS (assignee->>'userId') STORED,
  ADD COLUMN resolution_note text,
  ADD COLUMN reopen_count integer NOT NULL DEFAULT 0,
  ADD COLUMN escalation_level integer NOT NULL DEFAULT 0,
  -- The workflow's state as it resolved: a reopen starts a run of the closed incident from it.
  ADD COLUMN final_state jsonb;

CREATE INDEX incidents_assignee ON incidents (assignee_id) WHERE assignee_id IS NOT NULL;

-- Acknowledgements recorded before the column existed.
UPDATE incidents i SET acknowledgement = jsonb_build_object('by', e.actor, 'at', e.created_at)
FROM incident_events e
WHERE e.incident_id = i.id AND e.kind = 'acknowledged' AND i.acknowledgement IS NULL;
