-- Runbook checks (issue 14, item 1): a version may carry a pre-check, run before its actions (a non-zero exit and
-- nothing is changed), and a post-check, run after them (a non-zero exit and the run failed). Both are command
-- templates like `commands`, rendered into one wrapper script sent as the command (domain/runbook-checks.ts).
-- Empty arrays: no check, and the commands are sent as before.
ALTER TABLE runbook_versions
  ADD COLUMN pre_check  text[] NOT NULL DEFAULT '{}',
  ADD COLUMN post_check text[] NOT NULL DEFAULT '{}';
