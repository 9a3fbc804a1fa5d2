-- A signing policy per integration key (domain/key-policy.ts).
-- signing: while the company has an HMAC secret, may the receivers that cannot sign (Alertmanager, Grafana,
-- Datadog, Zabbix, Events v2) use this key? Keys that exist now keep working as before ('unsigned_allowed');
-- the API issues new keys 'signed_only' when the company has a secret (api/tenants/keys.ts).
ALTER TABLE integration_keys ADD COLUMN signing text NOT NULL DEFAULT 'unsigned_allowed'
  CHECK (signing IN ('signed_only', 'unsigned_allowed'));
-- receiver: the one route the key works on; NULL = every route.
ALTER TABLE integration_keys ADD COLUMN receiver text
  CHECK (receiver IN ('alerts', 'alertmanager', 'grafana', 'events_v2', 'datadog', 'zabbix', 'cloudwatch'));

-- The API's key cache holds the policy with the key: a policy change must clear it as a revocation does.
DROP TRIGGER integration_keys_changed ON integration_keys;
CREATE TRIGGER integration_keys_changed
AFTER INSERT OR UPDATE OF key_hash, expires_at, revoked_at, signing, receiver OR DELETE ON integration_keys
FOR EACH ROW EXECUTE FUNCTION notify_integration_key_changed();
