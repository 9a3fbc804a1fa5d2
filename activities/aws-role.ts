// AssumeRole into a company's own AWS account from the install's identity, with the ExternalId we generated for it.
// Credentials are short-lived and cached per company until shortly before they expire (domain/aws-account.ts);
// they never leave this process: no log line, no error, no GraphQL field carries them.
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ASSUMED_SESSION_SECONDS, credentialsUsable, roleSessionName } from '../domain/aws-account.ts';
import { SDK_CONNECTION_TIMEOUT_MS, SDK_MAX_ATTEMPTS, SDK_REQUEST_TIMEOUT_MS } from '../domain/ssm-timing.ts';

/** What the SDK's `credentials` option takes. */
export interface AwsCredentialIdentity {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

export interface CompanyRole {
  roleArn: string;
  region: string;
  externalId: string;
}

/** The error's name domain/failure-text.ts and the SSM activities read: STS would not let us assume the role. */
export const ASSUME_ROLE_REFUSED = 'AssumeRoleRefused';

/** STS refused the AssumeRole itself (not the network, not a 5xx): no retry changes that. */
export class AssumeRoleRefused extends Error {
  override readonly name = ASSUME_ROLE_REFUSED;
}

// What STS answers when the role's trust policy, its ExternalId condition or the role itself says no.
const REFUSALS = new Set(['AccessDenied', 'AccessDeniedException', 'MalformedPolicyDocument', 'ValidationError']);

export interface RoleAssumerOptions {
  /** The install's region: where its STS calls go (the regional endpoint). */
  region: string;
  /** STS_ENDPOINT (moto, LocalStack); unset = AWS. */
  stsEndpoint?: string;
  /** AWS_INSTALL_ACCOUNT_ID: the account trust policies name; unset = GetCallerIdentity of the install. */
  installAccountId?: string;
  now?: () => Date;
}

interface Cached {
  /** The role and ExternalId the credentials were assumed with: a change of either assumes afresh. */
  key: string;
  credentials: AwsCredentialIdentity & { expiration: Date };
}

export type RoleAssumer = ReturnType<typeof createRoleAssumer>;

export function createRoleAssumer(opts: RoleAssumerOptions) {
  const now = opts.now ?? (() => new Date());
  const sts = new STSClient({
    region: opts.region,
    ...(opts.stsEndpoint ? { endpoint: opts.stsEndpoint } : {}),
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: SDK_CONNECTION_TIMEOUT_MS, requestTimeout: SDK_REQUEST_TIMEOUT_MS },
  });
  const cache = new Map<string, Cached>();
  // Concurrent sends of one company share one AssumeRole.
  const pending = new Map<string, Promise<Cached>>();
  let installAccount: Promise<string> | null = null;
  let assumeCalls = 0;

  async function assume(companyId: string, role: CompanyRole, key: string): Promise<Cached> {
    assumeCalls++;
    try {
      const out = await sts.send(
        new AssumeRoleCommand({
          RoleArn: role.roleArn,
          ExternalId: role.externalId,
          RoleSessionName: roleSessionName(companyId),
          DurationSeconds: ASSUMED_SESSION_SECONDS,
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
        throw new Error(`STS AssumeRole of ${role.roleArn} for company ${companyId} returned no credentials`);
      }
      return {
        key,
        credentials: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: new Date(c.Expiration),
        },
      };
    } catch (err) {
      if (err instanceof Error && REFUSALS.has(err.name)) {
        // The raw text (account ids, principals) stays in this message: the server log and MSP admins only.
        throw new AssumeRoleRefused(
          `STS refused AssumeRole of ${role.roleArn} for company ${companyId} (${err.name}): ${err.message}`,
        );
      }
      throw err;
    }
  }

  return {
    /** Credentials in the company's account: cached ones while usable, else a fresh AssumeRole. */
    async credentialsFor(companyId: string, role: CompanyRole): Promise<AwsCredentialIdentity> {
      const key = `${role.roleArn}|${role.externalId}`;
      const hit = cache.get(companyId);
      if (hit && hit.key === key && credentialsUsable(hit.credentials.expiration, now())) return hit.credentials;
      let inFlight = pending.get(companyId);
      if (!inFlight) {
        inFlight = assume(companyId, role, key).finally(() => pending.delete(companyId));
        pending.set(companyId, inFlight);
      }
      const fresh = await inFlight;
      cache.set(companyId, fresh);
      return fresh.credentials;
    },

    /** Drops a company's credentials (its role or ExternalId changed). */
    forget(companyId: string): void {
      cache.delete(companyId);
    },

    /** The account trust policies must name: configured, else whoever the install's credentials are. */
    installAccountId(): Promise<string> {
      if (opts.installAccountId) return Promise.resolve(opts.installAccountId);
      installAccount ??= sts.send(new GetCallerIdentityCommand({})).then((out) => {
        if (!out.Account) throw new Error('STS GetCallerIdentity returned no account');
        return out.Account;
      });
      // A failed look-up (no credentials yet) is tried again next time.
      installAccount.catch(() => (installAccount = null));
      return installAccount;
    },

    /** How many AssumeRole calls went out (tests check the cache with it). */
    get assumeCalls(): number {
      return assumeCalls;
    },
  };
}
