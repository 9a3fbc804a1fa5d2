-- Tenants, people, runbooks, alerts and incidents: the spine of Alert Whisperer.
-- Ids are text so that seeded ids stay readable ("comp-acme") while generated ones are UUIDs.

CREATE TABLE companies (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  -- Only a SHA-256 of the API key is kept: a database leak must not hand out webhook access.
  api_key_hash  text NOT NULL UNIQUE,
  api_key_hint  text NOT NULL,
  -- When set, every webhook must carry X-Signature = sha256=HMAC(secret, "<X-Timestamp>.<body>").
  hmac_secret   text,
  -- Per-company knobs (correlation wait, approval timeout, SLA minutes, SSM region/endpoint).
  settings      jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE assets (
  company_id    text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name          text NOT NULL,
  instance_id   text,
  critical      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (company_id, name)
);

CREATE TABLE users (
  id            text PRIMARY KEY,
  email         text NOT NULL UNIQUE,
  name          text NOT NULL,
  role          text NOT NULL CHECK (role IN ('msp_admin', 'company_admin', 'technician')),
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

-- Logins compare emails case-insensitively, so uniqueness must too.
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

-- msp_admin sees every company; the others only the companies listed here.
CREATE TABLE user_companies (
  user_id    text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  company_id text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, company_id)
);

CREATE TABLE runbooks (
  id            text PRIMARY KEY,
  company_id    text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name          text NOT NULL,
  description   text NOT NULL DEFAULT '',
  signature     text NOT NULL,
  risk_level    text NOT NULL CHECK (risk_level IN ('low', 'medium', 'high')),
  document_name text NOT NULL DEFAULT 'AWS-RunShellScript',
  actions       text[] NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, signature)
);

CREATE TABLE alerts (
  id              text PRIMARY KEY,
  company_id      text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  delivery_id     text NOT NULL,
  asset_name      text NOT NULL,
  signature       text NOT NULL,
  aggregation_key text NOT NULL,
  severity        text NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  message         text NOT NULL,
  tool_source     text NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now(),
  -- Set once the alert has been handed to its incident workflow; NULL rows are the router's queue.
  routed_at       timestamptz,
  route_attempts  integer NOT NULL DEFAULT 0,
  route_error     text,
  incident_id     text,
  UNIQUE (company_id, delivery_id)
);
CREATE INDEX alerts_unrouted ON alerts (received_at) WHERE routed_at IS NULL;
CREATE INDEX alerts_incident ON alerts (incident_id);

CREATE TABLE incidents (
  id              text PRIMARY KEY,
  company_id      text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  workflow_id     text NOT NULL,
  run_id          text NOT NULL,
  aggregation_key text NOT NULL,
  asset_name      text NOT NULL,
  signature       text NOT NULL,
  severity        text NOT NULL,
  status          text NOT NULL CHECK (status IN ('new', 'awaiting_approval', 'remediating', 'escalated', 'resolved')),
  priority_score  integer NOT NULL,
  alert_count     integer NOT NULL,
  tool_sources    text[] NOT NULL DEFAULT '{}',
  decision        jsonb,
  approval        jsonb,
  execution       jsonb,
  auto_remediated boolean NOT NULL DEFAULT false,
  escalated       boolean NOT NULL DEFAULT false,
  escalation_reason text,
  approval_deadline       timestamptz,
  sla_response_deadline   timestamptz NOT NULL,
  sla_resolution_deadline timestamptz NOT NULL,
  sla_breached    boolean NOT NULL DEFAULT false,
  -- The workflow's own event counter: an activity retried with an older snapshot must not overwrite a newer one.
  version         integer NOT NULL,
  created_at      timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz
);
CREATE INDEX incidents_company_status ON incidents (company_id, status, created_at DESC);
CREATE INDEX incidents_workflow ON incidents (workflow_id);

CREATE TABLE incident_events (
  incident_id text NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  seq         integer NOT NULL,
  kind        text NOT NULL,
  message     text NOT NULL,
  actor       text,
  data        jsonb,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (incident_id, seq)
);

-- One row per SSM command sent, so a retried activity finds the command it already sent instead of running the runbook twice.
CREATE TABLE executions (
  incident_id  text NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  executor     text NOT NULL CHECK (executor IN ('ssm', 'dry_run')),
  command_id   text NOT NULL,
  document_name text NOT NULL,
  instance_ids text[] NOT NULL,
  commands     text[] NOT NULL,
  status       text NOT NULL,
  output       text,
  error        text,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  PRIMARY KEY (incident_id, attempt)
);
