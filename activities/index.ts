// All activities of the worker, built from their dependencies.
import type { Sql } from '../db/sql.ts';
import { awsCredentialsConfigured, type Config } from '../lib/config.ts';
import { createDecisionActivities } from './decision.ts';
import { createIncidentStoreActivities } from './incident-store.ts';
import { createSsmActivities } from './ssm.ts';

export function createActivities(deps: { sql: Sql; config: Config; ssmEndpoint?: string }) {
  return {
    ...createIncidentStoreActivities({
      sql: deps.sql,
      defaultGroupWaitSeconds: deps.config.defaultGroupWaitSeconds,
      defaultApprovalTimeoutSeconds: deps.config.defaultApprovalTimeoutSeconds,
    }),
    ...createDecisionActivities({ sql: deps.sql }),
    ...createSsmActivities({
      sql: deps.sql,
      mode: deps.config.remediationMode,
      credentialsConfigured: awsCredentialsConfigured(),
      region: deps.config.awsRegion,
      pollIntervalMs: deps.config.ssmPollIntervalMs,
      ...(deps.ssmEndpoint ? { endpoint: deps.ssmEndpoint } : {}),
    }),
  };
}
