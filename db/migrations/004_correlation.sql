-- Correlation groups: which alerts belong together, decided by the router with domain/correlate.ts under a
-- per-company lock, so several API processes agree. A group is one incident (one workflow ID); a group stays
-- open for the company's window after its last alert, and the key's next alert after that opens a new group
-- linked to the previous one as a recurrence.

CREATE TABLE correlation_groups (
  id              text PRIMARY KEY,
  company_id      text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  correlation_key text NOT NULL,
  -- 1, 2, 3... per company and key: the workflow ID carries it, so recurrences of a key read in order.
  seq             integer NOT NULL,
  workflow_id     text NOT NULL UNIQUE,
  asset_name      text NOT NULL,
  signature       text NOT NULL,
  -- A host-level fault (host down, unreachable): it takes the asset's other alerts while it is open.
  host_fault      boolean NOT NULL,
  -- How the group began: opened (a new key), recurrence (after the key's previous group went quiet), alone.
  rule            text NOT NULL CHECK (rule IN ('opened', 'recurrence', 'alone')),
  recurrence_of   text REFERENCES correlation_groups(id),
  first_at        timestamptz NOT NULL,
  last_at         timestamptz NOT NULL,
  alert_count     integer NOT NULL,
  tools           text[] NOT NULL DEFAULT '{}',
  -- Set when the group reached the company's minimum alert count and was handed to its workflow.
  opened_at       timestamptz,
  UNIQUE (company_id, correlation_key, seq)
);
CREATE INDEX correlation_groups_recent ON correlation_groups (company_id, last_at DESC);
CREATE INDEX correlation_groups_host_faults ON correlation_groups (company_id, asset_name, last_at DESC) WHERE host_fault;

ALTER TABLE alerts
  ADD COLUMN group_id    text REFERENCES correlation_groups(id),
  -- Why the alert joined its group: {"rule": "same_key" | "host_fault" | ..., "matched": ["asset", ...]}.
  ADD COLUMN correlation jsonb;
CREATE INDEX alerts_group ON alerts (group_id) WHERE group_id IS NOT NULL;

-- The stored-but-unread correlationWindowMinutes (1–1440) becomes correlation.windowMinutes (1–60).
UPDATE companies
SET settings = (settings - 'correlationWindowMinutes')
  || jsonb_build_object('correlation', jsonb_build_object('windowMinutes',
       LEAST(60, GREATEST(1, (settings->>'correlationWindowMinutes')::int))))
WHERE settings ? 'correlationWindowMinutes';

-- A group is over once its incident resolved (and no later incident of its workflow is open); a group below the
-- minimum count has no incident and simply ages out of its window.
CREATE FUNCTION correlation_group_closed(wf text) RETURNS boolean
  LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM incidents WHERE workflow_id = wf)
       AND NOT EXISTS (SELECT 1 FROM incidents WHERE workflow_id = wf AND status <> 'resolved')
  $$;
