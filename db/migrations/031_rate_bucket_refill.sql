-- Rate-limited webhook commits in one statement (api/ingest/alert-insert.ts). A commit used to lock its companies'
-- buckets (SELECT ... FOR UPDATE), work out the tokens in the API and write them with the alerts: a transaction of
-- four statements whose row lock every other commit of the company queued behind, on every production company's path
-- (WEBHOOK_RATE_PER_MINUTE). Now the alerts' INSERT takes the tokens itself: one UPDATE refills a bucket and takes
-- what the requests under the limit use, and the INSERT stores only those requests' alerts. The requests above the
-- limit are known from the refilled amount (a request goes through while the tokens left before it are at least
-- one), which the UPDATE keeps here because RETURNING has no old values before PostgreSQL 18.
ALTER TABLE webhook_rate_buckets ADD COLUMN refilled double precision;
