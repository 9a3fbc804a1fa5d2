-- Manual merge and split of incidents. A merged incident resolves into another and its correlation group points
-- at the other's, so later alerts of its key join the incident it was merged into. A split moves chosen alerts
-- into a new group of their own, which the router then opens as a new incident.
ALTER TABLE correlation_groups ADD COLUMN merged_into text REFERENCES correlation_groups(id);
ALTER TABLE incidents ADD COLUMN merged_into text;
ALTER TABLE correlation_groups DROP CONSTRAINT correlation_groups_rule_check;
ALTER TABLE correlation_groups ADD CONSTRAINT correlation_groups_rule_check
  CHECK (rule IN ('opened', 'recurrence', 'alone', 'split'));
