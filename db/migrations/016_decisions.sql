-- Every decision an incident got, one row each (activities/decision.ts): which provider and model, on which prompt
-- version and input (sha256 of what the model was shown), what came back, how long and how many tokens it took, and
-- why the rules decided instead when they did. incidents.decision keeps the one the workflow acted on.
-- No foreign key to incidents: the decision is written by the workflow, which may decide before its row is saved.
CREATE TABLE decisions (
  id              text PRIMARY KEY,
  incident_id     text NOT NULL,
  company_id      text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  provider        text NOT NULL CHECK (provider IN ('rules', 'gemini', 'bedrock')),
  model           text,
  prompt_version  text,
  input_digest    text CHECK (input_digest ~ '^[0-9a-f]{64}$'),
  output          jsonb NOT NULL,
  latency_ms      integer CHECK (latency_ms >= 0),
  tokens_in       integer CHECK (tokens_in >= 0),
  tokens_out      integer CHECK (tokens_out >= 0),
  fallback_reason text,
  created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX decisions_incident ON decisions (incident_id, created_at DESC);
CREATE INDEX decisions_company ON decisions (company_id, created_at DESC);
