-- Search and paging (issue 15, item 3): incidents and alerts searched by text with ILIKE '%…%', which only an index
-- of trigrams can serve (a b-tree serves prefixes only, and full-text search would miss parts of words such as
-- "web-0" in "web-01" or "disk" in "disk_full"). pg_trgm ships with PostgreSQL (the embedded server too) and is a
-- trusted extension, so the database owner that runs migrations may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX incidents_asset_trgm ON incidents USING gin (asset_name gin_trgm_ops);
CREATE INDEX incidents_signature_trgm ON incidents USING gin (signature gin_trgm_ops);
CREATE INDEX alerts_asset_trgm ON alerts USING gin (asset_name gin_trgm_ops);
CREATE INDEX alerts_signature_trgm ON alerts USING gin (signature gin_trgm_ops);
CREATE INDEX alerts_message_trgm ON alerts USING gin (message gin_trgm_ops);

-- The cursor connections page by a stable key, newest first: (created_at, id) and (received_at, id).
CREATE INDEX incidents_page ON incidents (company_id, created_at DESC, id DESC);
CREATE INDEX alerts_page ON alerts (company_id, received_at DESC, id DESC);
