-- On-call rotations per company and category: layers (primary, backup) handing off at a wall-clock time, and
-- overrides on top (domain/on-call.ts reads them).
CREATE TABLE on_call_schedules (
  id          text PRIMARY KEY,
  company_id  text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  name        text NOT NULL,
  -- NULL: every category without a schedule of its own.
  category    text,
  layers      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (company_id, name)
);
CREATE UNIQUE INDEX on_call_schedules_category ON on_call_schedules (company_id, coalesce(category, ''));

CREATE TABLE on_call_overrides (
  id          text PRIMARY KEY,
  schedule_id text NOT NULL REFERENCES on_call_schedules(id) ON DELETE CASCADE,
  user_id     text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  layer       integer NOT NULL DEFAULT 0 CHECK (layer >= 0),
  starts_at   timestamptz NOT NULL,
  ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
  created_by  text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX on_call_overrides_schedule ON on_call_overrides (schedule_id, ends_at);

-- The incident's category (domain/on-call.ts categoryOf), set when it opens: which rotation it pages.
ALTER TABLE incidents ADD COLUMN category text;
