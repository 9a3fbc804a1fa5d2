// The sentence a tenant reads when something failed. Raw AWS, SMTP, PostgreSQL and Temporal text names account
// ids, IAM principals, hosts and addresses, and whether a resource exists: it goes to the server log and to MSP
// admins only. Here a failure becomes "<what could not be done>: <why, in plain words>", from its type alone;
// the raw message is read for a few well-known markers (a refused connection, which channel failed), never echoed.

/** What the incident was doing when it failed: the subject of the sentence. */
export type FailureStage = 'decide' | 'send_runbook' | 'await_runbook' | 'page' | 'save' | 'read_patches';

/** A failure as the workflow caught it. */
export interface FailureFacts {
  /** Temporal's failure class: an error an activity threw, a timeout, a cancellation, the server's own. */
  kind: 'application' | 'timeout' | 'cancelled' | 'terminated' | 'server' | 'other';
  /** The thrown error's type: an AWS SDK error's name (AccessDeniedException), PostgresError, NoSsmTarget... */
  type?: string | null;
  /** The raw message: only searched for markers, never part of the sentence. */
  message?: string | null;
}

/** The type the incident store throws when PostgreSQL refuses the incident's data (SQLSTATE class 22, 23). */
export const UNSTORABLE = 'IncidentNotStorable';

const STAGES: Record<FailureStage, { failed: string; timedOut: string; unreachable: string }> = {
  decide: {
    failed: 'No decision could be made',
    timedOut: 'No decision could be made in time',
    unreachable: 'the database could not be reached',
  },
  send_runbook: {
    failed: 'The runbook could not be sent',
    timedOut: 'The runbook could not be sent in time',
    unreachable: 'a service it needs could not be reached',
  },
  await_runbook: {
    failed: "The runbook's result could not be read",
    timedOut: 'The runbook timed out',
    unreachable: 'a service it needs could not be reached',
  },
  page: {
    failed: 'Paging did not reach everyone',
    timedOut: 'Paging timed out',
    unreachable: 'a service it needs could not be reached',
  },
  // activities/patch-compliance.ts: DescribeInstancePatchStates in the company's account.
  read_patches: {
    failed: 'Patch states could not be read',
    timedOut: 'Patch states could not be read in time',
    unreachable: 'AWS could not be reached',
  },
  save: {
    failed: 'The incident could not be saved in full',
    timedOut: 'Saving the incident timed out',
    unreachable: 'the database could not be reached',
  },
};

// AWS error names (the SDK names each error after its code) grouped by what a tenant can make of them.
const AWS_REASONS: Array<[string[], string]> = [
  [
    ['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation', 'AuthorizationError', 'AuthFailure'],
    'AWS refused access',
  ],
  [
    [
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      'ExpiredTokenException',
      'ExpiredToken',
      'InvalidSignatureException',
      'SignatureDoesNotMatch',
      'IncompleteSignature',
      'CredentialsProviderError',
    ],
    'AWS did not accept the credentials it was sent with',
  ],
  [
    ['InvalidInstanceId', 'InvalidInstanceInformationFilterValue', 'InvalidTarget'],
    'the instance is not managed by Systems Manager',
  ],
  [['UnsupportedPlatformType'], "Systems Manager does not support the instance's platform"],
  [
    [
      'InvalidDocument',
      'InvalidDocumentVersion',
      'InvalidDocumentContent',
      'InvalidParameters',
      'InvalidOutputFolder',
      'InvalidRole',
      'InvalidNotificationConfig',
    ],
    "Systems Manager did not accept the runbook's document or parameters",
  ],
  [['DuplicateInstanceId', 'MaxDocumentSizeExceeded'], "Systems Manager did not accept the runbook's request"],
  [
    ['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'TooManyUpdates'],
    'AWS throttled the request',
  ],
  [
    ['InternalServerError', 'InternalFailure', 'InternalError', 'ServiceUnavailable', 'ServiceUnavailableException'],
    'AWS had an internal error',
  ],
];

const OWN_REASONS: Record<string, string> = {
  NoSsmTarget: 'the asset has no instance registered to run it on',
  // activities/aws-role.ts: STS refused to let us into the company's own AWS account.
  AssumeRoleRefused:
    "the company's AWS role could not be assumed (check the ExternalId and the role's trust policy on the AWS account page)",
  InvalidRunbook: 'its commands use a placeholder where it cannot be filled in safely; edit the runbook',
  CompanyGone: 'the company no longer exists',
  [UNSTORABLE]: 'the database refused some of its text',
};

// Node's network error codes and the fetch/SDK timeouts: the far side never answered.
const UNREACHABLE =
  /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|socket hang up)\b/;
const NETWORK_TYPES = new Set(['TimeoutError', 'AbortError', 'NetworkingError', 'RequestTimeout']);

const FALLBACK = 'an unexpected error occurred (the MSP can see the details)';

/** The tenant's sentence for a failure, without a closing period: "The runbook could not be sent: AWS refused access". */
export function tenantFailureText(stage: FailureStage, f: FailureFacts): string {
  if (f.kind === 'timeout') return STAGES[stage].timedOut;
  return `${STAGES[stage].failed}: ${reasonOf(stage, f)}`;
}

function reasonOf(stage: FailureStage, f: FailureFacts): string {
  const type = f.type ?? '';
  const message = f.message ?? '';
  if (f.kind === 'cancelled') return 'it was cancelled';
  if (f.kind === 'terminated' || f.kind === 'server') return 'the workflow service reported an error';
  const own = OWN_REASONS[type];
  if (own) return own;
  const aws = AWS_REASONS.find(([names]) => names.includes(type));
  if (aws) return aws[1];
  // Paging names the channel that failed: the notify activity lists each failed delivery by channel.
  if (stage === 'page') {
    const email = /\bemail to\b/i.test(message);
    const chat = /\bwebhook\b/i.test(message);
    if (email && chat) return 'emails and chat messages could not be sent';
    if (email) return 'an email could not be sent';
    if (chat) return 'a chat message could not be posted';
  }
  if (UNREACHABLE.test(message) || NETWORK_TYPES.has(type)) return STAGES[stage].unreachable;
  if (type === 'PostgresError') return 'the database reported an error';
  return FALLBACK;
}

/**
 * How a runbook that ran ended, from SSM's terminal status (not Success): the runbook's own output may follow it,
 * since that is the tenant's own.
 */
export function runbookOutcomeText(runbookName: string, status: string): string {
  const rb = `The runbook "${runbookName}"`;
  switch (status) {
    case 'Failed':
      return `${rb} failed on the instance`;
    case 'TimedOut':
    case 'ExecutionTimedOut':
      return `${rb} timed out on the instance`;
    case 'DeliveryTimedOut':
    case 'Undeliverable':
      return `${rb} could not be delivered to the instance`;
    case 'AccessDenied':
      return `${rb} was refused access on the instance`;
    case 'Cancelled':
    case 'Cancelling':
    case 'Terminated':
      return `${rb} was cancelled`;
    case 'InvalidPlatform':
      return `${rb} does not run on the instance's platform`;
    default:
      return `${rb} did not succeed`;
  }
}
