-- A person's merge of one incident into another, from the moment it starts until the target took the source in
-- (router/incident-fold.ts). The merge is several steps: the source's key is fenced off to the target, the source's
-- workflow closes on an Update, its alerts move, the target's workflow takes it in on another. An API process that
-- died between them left the source closed and the target never told. The mark is written with the fence, in its
-- transaction, and deleted with the merge's audit line once the target took the source in (or the source refused,
-- which undoes the fence): a mark older than a few minutes is a merge whose API went away, and a router finishes it
-- as the person asked (router/routing/person-merges.ts), with the same Update ids, so nothing is applied twice.
CREATE TABLE incident_merges (
  id         text PRIMARY KEY,
  company_id text NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
  source_id  text NOT NULL,
  target_id  text NOT NULL,
  -- What the fence changed, to undo it if the source refuses: the source's groups and where they pointed before, and
  -- the alerts on their way linked to the target.
  fence      jsonb NOT NULL,
  -- Who asked, and the audit line the merge leaves once done (api/tenants/audit.ts), but its alert count.
  actor      jsonb NOT NULL,
  comment    text,
  audit      jsonb NOT NULL,
  -- Alerts moved from the source to the target by the merge's attempts so far, beside those the fence linked: the
  -- audit line counts them all, whichever attempt moved them.
  moved      integer NOT NULL DEFAULT 0,
  marked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_merges_marked ON incident_merges (company_id, marked_at);
