-- An instance id names one machine, and a machine belongs to one company: remediation sends a company's runbooks
-- only to instance ids of its own assets, so no two assets in the install may hold the same one.

-- Duplicates registered before this rule: the oldest registration keeps the id (ties broken by company and name,
-- so every database decides the same way), the others lose it and become assets without an SSM target. Each
-- cleared asset gets an audit entry in its own company's log, which does not say who holds the id.
WITH ranked AS (
  SELECT company_id, name, instance_id,
         row_number() OVER (PARTITION BY instance_id ORDER BY created_at, company_id, name) AS n
  FROM assets
  WHERE instance_id IS NOT NULL
),
cleared AS (
  UPDATE assets a SET instance_id = NULL
  FROM ranked r
  WHERE a.company_id = r.company_id AND a.name = r.name AND r.n > 1
  RETURNING a.company_id, a.name, r.instance_id
)
INSERT INTO audit_log (company_id, actor_id, actor_email, action, target_type, target_id, ip, data)
SELECT company_id, NULL, NULL, 'asset.instance_cleared', 'asset', name, NULL,
       jsonb_build_object(
         'instanceId', instance_id,
         'reason', 'This instance id was registered earlier to another asset; an instance id belongs to one asset '
                   'in the install, so this asset has no SSM target until it is given its own'
       )
FROM cleared;

CREATE UNIQUE INDEX assets_instance_id_unique ON assets (instance_id) WHERE instance_id IS NOT NULL;
