// Unit tests for the tenant's sentence for a failure: each known failure reads as plain words, and no raw text
// (account ids, principals, hosts, addresses, SQL) ever comes through, whatever the message holds.
import { describe, expect, it } from 'vitest';
import { runbookOutcomeText, tenantFailureText, UNSTORABLE, type FailureFacts } from '../../domain/failure-text.ts';

const app = (type: string, message = ''): FailureFacts => ({ kind: 'application', type, message });

// What real failures say: none of it may reach a tenant.
const ACCESS_DENIED =
  'User: arn:aws:sts::123456789012:assumed-role/aw-worker/i-0abc is not authorized to perform: ssm:SendCommand on ' +
  'resource: arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0';
const SMTP_DOWN =
  'Notification not delivered: email to ops@msp.example: Email to ops@msp.example failed: connect ECONNREFUSED 10.0.0.7:25';
const PG_DATA = 'PostgreSQL refused incident inc-1 (SQLSTATE 22021): invalid byte sequence for encoding "UTF8": 0x00';

describe('tenantFailureText', () => {
  it.each([
    ['send_runbook', app('AccessDeniedException', ACCESS_DENIED), 'The runbook could not be sent: AWS refused access'],
    [
      'send_runbook',
      app('InvalidInstanceId', 'Instances [[i-0123456789abcdef0]] not in a valid state for account 123456789012'),
      'The runbook could not be sent: the instance is not managed by Systems Manager',
    ],
    [
      'send_runbook',
      app('NoSsmTarget', 'Asset "web-01" has no EC2/managed instance id'),
      'The runbook could not be sent: the asset has no instance registered to run it on',
    ],
    [
      'send_runbook',
      app('ThrottlingException', 'Rate exceeded'),
      'The runbook could not be sent: AWS throttled the request',
    ],
    [
      'send_runbook',
      app('InvalidDocument', 'Document arn:aws:ssm:us-east-1:123456789012:document/Nope does not exist'),
      "The runbook could not be sent: Systems Manager did not accept the runbook's document or parameters",
    ],
    [
      'send_runbook',
      app('UnrecognizedClientException', 'The security token included in the request is invalid.'),
      'The runbook could not be sent: AWS did not accept the credentials it was sent with',
    ],
    [
      'await_runbook',
      app('InternalServerError', 'Internal error in us-east-1'),
      "The runbook's result could not be read: AWS had an internal error",
    ],
    ['await_runbook', { kind: 'timeout', message: 'Activity task timed out' }, 'The runbook timed out'],
    ['send_runbook', { kind: 'timeout' }, 'The runbook could not be sent in time'],
    [
      'send_runbook',
      app('Error', 'connect ECONNREFUSED 169.254.169.254:443'),
      'The runbook could not be sent: a service it needs could not be reached',
    ],
    ['page', app('Error', SMTP_DOWN), 'Paging did not reach everyone: an email could not be sent'],
    [
      'page',
      app('Error', 'Notification not delivered: webhook "ops": HTTP 502'),
      'Paging did not reach everyone: a chat message could not be posted',
    ],
    [
      'page',
      app('Error', `${SMTP_DOWN}; webhook "ops": timed out`),
      'Paging did not reach everyone: emails and chat messages could not be sent',
    ],
    [
      'page',
      app('CompanyGone', 'Company comp-1 not found'),
      'Paging did not reach everyone: the company no longer exists',
    ],
    [
      'decide',
      app('PostgresError', 'relation "runbooks" does not exist'),
      'No decision could be made: the database reported an error',
    ],
    [
      'decide',
      app('Error', 'connect ECONNREFUSED 10.1.2.3:5432'),
      'No decision could be made: the database could not be reached',
    ],
    [
      'save',
      app(UNSTORABLE, PG_DATA),
      'The incident could not be saved in full: the database refused some of its text',
    ],
    ['save', { kind: 'cancelled' }, 'The incident could not be saved in full: it was cancelled'],
    [
      'send_runbook',
      { kind: 'server', message: 'Namespace default is not found' },
      'The runbook could not be sent: the workflow service reported an error',
    ],
    [
      'send_runbook',
      app('TypeError', "Cannot read properties of undefined (reading 'CommandId')"),
      'The runbook could not be sent: an unexpected error occurred (the MSP can see the details)',
    ],
  ] as const)('%s %j reads "%s"', (stage, facts, sentence) => {
    expect(tenantFailureText(stage, facts)).toBe(sentence);
  });

  it('never repeats the raw message, whatever it holds', () => {
    const raw = [ACCESS_DENIED, SMTP_DOWN, PG_DATA, 'SELECT * FROM users', 'ops@msp.example', '10.0.0.7'];
    for (const stage of ['decide', 'send_runbook', 'await_runbook', 'page', 'save'] as const) {
      for (const kind of ['application', 'timeout', 'cancelled', 'terminated', 'server', 'other'] as const) {
        for (const message of raw) {
          const text = tenantFailureText(stage, { kind, type: 'SomethingNew', message });
          for (const part of ['123456789012', 'arn:', '@', '10.0.0.7', 'SQLSTATE', 'SELECT', 'SomethingNew']) {
            expect(text).not.toContain(part);
          }
        }
      }
    }
  });
});

describe('runbookOutcomeText', () => {
  it.each([
    ['Failed', 'The runbook "Restart nginx" failed on the instance'],
    ['TimedOut', 'The runbook "Restart nginx" timed out on the instance'],
    ['DeliveryTimedOut', 'The runbook "Restart nginx" could not be delivered to the instance'],
    ['Undeliverable', 'The runbook "Restart nginx" could not be delivered to the instance'],
    ['AccessDenied', 'The runbook "Restart nginx" was refused access on the instance'],
    ['Cancelled', 'The runbook "Restart nginx" was cancelled'],
    ['InvalidPlatform', 'The runbook "Restart nginx" does not run on the instance\'s platform'],
    ['SomethingNew', 'The runbook "Restart nginx" did not succeed'],
  ])('%s reads "%s"', (status, sentence) => {
    expect(runbookOutcomeText('Restart nginx', status)).toBe(sentence);
  });
});
