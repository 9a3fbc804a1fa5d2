// The SSM clients the runbook activities reach AWS through: the install's own, one per region, or with a company's own
// AWS connection one in its region under credentials assumed from its role. Cached: a client keeps its connections.
import type { SSMClient } from '@aws-sdk/client-ssm';
import { companyRole } from '../db/aws-accounts.ts';
import type { Sql } from '../db/sql.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import type { RoleAssumer } from './aws-role.ts';
import { asActivityFailure, createSsmClient } from './ssm-aws.ts';

/** `install`: the install's default region and its SSM endpoint (SSM_ENDPOINT), never a company's choice. */
export function createSsmClients(sql: Sql, roles: RoleAssumer, install: { region: string; endpoint?: string }) {
  const clients = new Map<string, SSMClient>();

  function cachedClient(key: string, make: () => SSMClient): SSMClient {
    let client = clients.get(key);
    if (!client) {
      client = make();
      clients.set(key, client);
    }
    return client;
  }

  /**
   * The SSM client for the company's calls: with its own AWS connection, in its region under credentials assumed
   * from its role (a client per set of credentials); without one, the install's credentials as before. The
   * endpoint is the install's alone, never something a company chose.
   */
  async function clientFor(companyId: string, settings: CompanySettings): Promise<SSMClient> {
    const role = await companyRole(sql, companyId);
    if (!role) {
      const region = settings.ssm?.region ?? install.region;
      return cachedClient(`install|${region}`, () => createSsmClient(region, install.endpoint));
    }
    const credentials = await roles.credentialsFor(companyId, role).catch((err: unknown) => {
      throw asActivityFailure(err);
    });
    for (const key of clients.keys()) {
      // Expired credentials' clients of this company go as soon as fresh ones arrive.
      if (key.startsWith(`${companyId}|`) && !key.endsWith(`|${credentials.accessKeyId}`)) clients.delete(key);
    }
    return cachedClient(`${companyId}|${role.region}|${credentials.accessKeyId}`, () =>
      createSsmClient(role.region, install.endpoint, credentials),
    );
  }

  return { clientFor };
}
