-- Who hears about an incident: in-app notifications (the bell), and every outside delivery (email, chat webhook)
-- claimed as a row before it is sent, so a retried activity never sends the same message twice.
CREATE TABLE notifications (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  company_id  text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  incident_id text REFERENCES incidents(id) ON DELETE CASCADE,
  -- One notification per event per person: "<incident>:<event seq>", the same on every retry.
  event_key   text NOT NULL,
  kind        text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL,
  severity    text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  read_at     timestamptz,
  UNIQUE (user_id, event_key)
);
CREATE INDEX notifications_unread ON notifications (user_id, created_at DESC) WHERE read_at IS NULL;
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);

CREATE TABLE notification_deliveries (
  event_key   text NOT NULL,
  channel     text NOT NULL CHECK (channel IN ('email', 'webhook')),
  -- An email address, or the name of the company's chat webhook (never its URL: that is a secret).
  target      text NOT NULL,
  status      text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts    integer NOT NULL DEFAULT 1,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  sent_at     timestamptz,
  PRIMARY KEY (event_key, channel, target)
);

-- Per person: { "email": false } turns email off; { "minSeverity": "high" } mutes lower severities everywhere
-- but in the app.
ALTER TABLE users ADD COLUMN notification_prefs jsonb NOT NULL DEFAULT '{}'::jsonb;
