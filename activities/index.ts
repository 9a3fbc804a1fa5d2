// All activities of the worker, built from their dependencies.
import type { Sql } from '../db/sql.ts';
import { awsCredentialsConfigured, type Config } from '../lib/config.ts';
import { createDecisionActivities } from './decision.ts';
import { createProviders } from './decision/providers.ts';
import { createIncidentStoreActivities } from './incident-store.ts';
import { createMailer, type Mailer } from '../lib/mailer.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { createNotifyActivities } from './notify.ts';
import { createApprovalNotifyActivities } from './approval-notify.ts';
import { createOnCallActivities } from './on-call.ts';
import { createSsmActivities } from './ssm.ts';
import { createRoleAssumer } from './aws-role.ts';
import { createPatchActivities } from './patch-compliance.ts';
import { createReportMailActivities } from './report-mail.ts';

export function createActivities(deps: {
  sql: Sql;
  config: Config;
  mailer?: Mailer | null;
  /** The worker registered the incident search attributes: runs may upsert them (workflows/search-attributes.ts). */
  searchAttributes?: boolean;
}) {
  // Without SMTP_URL nobody is emailed; the bell and chat webhooks still page.
  const mailer =
    deps.mailer !== undefined
      ? deps.mailer
      : deps.config.smtpUrl
        ? createMailer({ smtpUrl: deps.config.smtpUrl, from: deps.config.mailFrom })
        : null;
  // The same key the API sealed chat webhook URLs with; without it those deliveries fail and say why.
  const secrets =
    deps.config.encryptionKey && deps.config.encryptionKey.length >= 32
      ? createSecretBox(deps.config.encryptionKey)
      : null;
  const paging = {
    sql: deps.sql,
    mailer,
    publicUrl: deps.config.publicUrl,
    secrets,
    outbound: { allowPrivate: deps.config.outboundAllowPrivate },
  };
  return {
    ...createNotifyActivities(paging),
    ...createApprovalNotifyActivities(paging),
    ...createOnCallActivities({ sql: deps.sql }),
    ...createIncidentStoreActivities({
      sql: deps.sql,
      defaultGroupWaitSeconds: deps.config.defaultGroupWaitSeconds,
      defaultApprovalTimeoutSeconds: deps.config.defaultApprovalTimeoutSeconds,
      searchAttributes: deps.searchAttributes ?? false,
    }),
    ...createDecisionActivities({
      sql: deps.sql,
      config: deps.config.decision,
      providers: createProviders(deps.config.decision, deps.config.awsRegion),
      // A company's own Gemini key was sealed by the API with the same key.
      secrets,
    }),
    ...createSsmActivities({
      sql: deps.sql,
      mode: deps.config.remediationMode,
      credentialsConfigured: awsCredentialsConfigured(),
      region: deps.config.awsRegion,
      pollIntervalMs: deps.config.ssmPollIntervalMs,
      // Install configuration only (SSM_ENDPOINT): the worker's signed AWS calls go nowhere a company chose.
      ...(deps.config.ssmEndpoint ? { endpoint: deps.config.ssmEndpoint } : {}),
      ...(deps.config.stsEndpoint ? { stsEndpoint: deps.config.stsEndpoint } : {}),
      blastRadius: { defaults: deps.config.blastRadiusDefaults, ceilings: deps.config.blastRadiusCeilings },
    }),
    ...createPatchActivities({
      sql: deps.sql,
      roles: createRoleAssumer({
        region: deps.config.awsRegion,
        ...(deps.config.stsEndpoint ? { stsEndpoint: deps.config.stsEndpoint } : {}),
      }),
      region: deps.config.awsRegion,
      endpoint: deps.config.ssmEndpoint,
      credentialsConfigured: awsCredentialsConfigured(),
    }),
    ...createReportMailActivities({ sql: deps.sql, mailer, publicUrl: deps.config.publicUrl }),
  };
}
