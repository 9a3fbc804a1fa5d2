-- Runbook targets (issue 14, item 1): a version runs on the incident's asset (NULL, as before) or on every asset of
-- the incident's company carrying this tag (assets.tags, migration 003) that has an instance registered, as many as
-- the company's blast-radius limit on concurrent runs allows (domain/runbook-targets.ts). Same migration number as
-- 023_runbook_checks.sql: one number was assigned to this work, and file names keep the order.
ALTER TABLE runbook_versions
  ADD COLUMN target_tag text CHECK (target_tag IS NULL OR length(target_tag) BETWEEN 1 AND 40);
-- No new index: the look-up reads one company's assets through assets' (company_id, name) key, at most a few
-- thousand rows.
