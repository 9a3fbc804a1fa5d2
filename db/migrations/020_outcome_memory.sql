-- Outcome memory (db/outcome-memory.ts) reads, for every decision, one asset's latest SSM runs and one signature's
-- latest runs of a company. With executions_company_started alone, an asset or signature with few runs walks the
-- company's whole run history to fill its LIMIT; these let either read start at its own rows.
CREATE INDEX executions_company_asset_started ON executions (company_id, asset_name, started_at DESC)
  WHERE executor = 'ssm';
CREATE INDEX incidents_company_signature ON incidents (company_id, signature, created_at DESC);
