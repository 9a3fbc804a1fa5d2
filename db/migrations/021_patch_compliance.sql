-- Patch compliance (issue 14 item 8): what SSM Patch Manager last reported (DescribeInstancePatchStates) for each
-- company's registered instances, kept so the dashboard reads it without calling AWS. The summary (compliant share,
-- stale scans) is computed on read (domain/patch-compliance.ts), so a scan's age is always counted from now.

-- One row per company per refresh outcome: the instances asked about at the last successful refresh, and the
-- tenant's sentence when the latest attempt failed (the states of the last success stay).
CREATE TABLE patch_refreshes (
  company_id    text PRIMARY KEY REFERENCES companies(id) ON DELETE CASCADE,
  refreshed_at  timestamptz,
  asked         text[] NOT NULL DEFAULT '{}',
  attempted_at  timestamptz NOT NULL DEFAULT now(),
  failure       text CHECK (length(failure) <= 500)
);

-- The counts as the API has them, per instance the company registered and Patch Manager scanned.
CREATE TABLE patch_states (
  company_id                      text NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  instance_id                     text NOT NULL,
  missing_count                   integer NOT NULL DEFAULT 0,
  critical_non_compliant_count    integer NOT NULL DEFAULT 0,
  security_non_compliant_count    integer NOT NULL DEFAULT 0,
  failed_count                    integer NOT NULL DEFAULT 0,
  installed_pending_reboot_count  integer NOT NULL DEFAULT 0,
  operation                       text NOT NULL DEFAULT '',
  operation_end_time              timestamptz NOT NULL,
  PRIMARY KEY (company_id, instance_id)
);
