-- Remediation runs once per incident attempt even when a worker or its database session dies mid-call: the claim
-- is committed before AWS is called, and `send_started_at` marks the moment a try handed SendCommand to the SDK
-- (NULL: no try has sent, so a retry may send at once; set: a command may exist, so a retry looks it up first).
-- company_id, asset_name and runbook_id let the blast-radius guard count a company's runs per asset, per runbook
-- and in flight under the company's lock; `invocations` keeps each instance's status and output.
ALTER TABLE executions
  ADD COLUMN send_started_at timestamptz,
  ADD COLUMN company_id text REFERENCES companies(id) ON DELETE CASCADE,
  ADD COLUMN asset_name text,
  ADD COLUMN runbook_id text,
  ADD COLUMN invocations jsonb,
  -- When SSM will have ended the run (delivery + execution timeouts): an unfinished row counts as running until then.
  ADD COLUMN deadline_at timestamptz;

UPDATE executions e SET company_id = i.company_id, asset_name = i.asset_name
FROM incidents i WHERE i.id = e.incident_id AND e.company_id IS NULL;

CREATE INDEX executions_company_started ON executions (company_id, started_at);
CREATE INDEX executions_company_open ON executions (company_id, deadline_at) WHERE finished_at IS NULL;
