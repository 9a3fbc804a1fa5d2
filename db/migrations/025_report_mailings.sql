-- The monthly client report email (workflows/monthly-report.ts): one row per company and month, so a retried activity
-- or a re-run Schedule never mails a month twice. Each recipient's email is also a row of notification_deliveries
-- (event key "report:<company>:<month>"), so a retry after a partial send only sends what did not go out.
CREATE TABLE report_mailings (
  company_id   text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  month        text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  -- sending: an activity holds it (until claimed_at + its lease); failed: the last attempt failed, retry may take it.
  status       text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  claimed_at   timestamptz NOT NULL DEFAULT now(),
  attempts     integer NOT NULL DEFAULT 1,
  recipients   integer NOT NULL DEFAULT 0,
  error        text CHECK (length(error) <= 1000),
  sent_at      timestamptz,
  PRIMARY KEY (company_id, month)
);
