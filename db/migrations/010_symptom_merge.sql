-- A host fault takes the symptoms its asset showed in the minute before it (domain/correlate.ts). The router
-- re-points their groups and waiting alerts at once, in its placement transaction; an incident a symptom group
-- already opened is merged by Temporal Updates after that, so the group keeps a durable "still to fold in" mark
-- until both workflows took their Update (a crash in between is finished by the next pass).
ALTER TABLE correlation_groups ADD COLUMN absorb_pending boolean NOT NULL DEFAULT false;
CREATE INDEX correlation_groups_absorb_pending ON correlation_groups (company_id) WHERE absorb_pending;
