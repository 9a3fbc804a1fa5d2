// The SSM calls remediation makes, through the real AWS SDK, with bounded requests (domain/ssm-timing.ts) and
// AWS's errors sorted into what a Temporal retry can change (throttling, 5xx, the network) and what it cannot
// (access denied, an instance SSM does not manage, a document or parameters it refuses).
import { ApplicationFailure } from '@temporalio/common';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import {
  DELIVERY_TIMEOUT_SECONDS,
  EXECUTION_TIMEOUT_DOCUMENTS,
  SDK_CONNECTION_TIMEOUT_MS,
  SDK_MAX_ATTEMPTS,
  SDK_REQUEST_TIMEOUT_MS,
} from '../domain/ssm-timing.ts';
import type { InstanceResult } from '../workflows/types.ts';
import { ASSUME_ROLE_REFUSED, type AwsCredentialIdentity } from './aws-role.ts';

/** GetCommandInvocation returns at most this many characters of each stream; the rest is only in S3 or CloudWatch. */
export const SSM_OUTPUT_LIMIT = 24_000;
export const TRUNCATED_MARK = '[output truncated by SSM]';

/** `credentials` unset: the install's own (the SDK's default chain); set: a company's assumed role's. */
export function createSsmClient(
  region: string,
  endpoint: string | undefined,
  credentials?: AwsCredentialIdentity,
): SSMClient {
  return new SSMClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(credentials ? { credentials } : {}),
    // The SDK retries throttling, 5xx and network errors itself; the send activity's timeouts are derived from these.
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: SDK_CONNECTION_TIMEOUT_MS, requestTimeout: SDK_REQUEST_TIMEOUT_MS },
  });
}

// Refusals no retry changes: Temporal stops at once and the incident escalates with failure-text's sentence
// (the type is the AWS error's name, which domain/failure-text.ts reads).
const FINAL = new Set([
  ASSUME_ROLE_REFUSED,
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'InvalidInstanceId',
  'InvalidInstanceInformationFilterValue',
  'InvalidTarget',
  'UnsupportedPlatformType',
  'InvalidDocument',
  'InvalidDocumentVersion',
  'InvalidDocumentContent',
  'InvalidParameters',
  'InvalidOutputFolder',
  'InvalidRole',
  'InvalidNotificationConfig',
  'DuplicateInstanceId',
  'MaxDocumentSizeExceeded',
  'ValidationException',
]);

interface AwsError extends Error {
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
}

/** AWS answered with a refusal (a 4xx, throttling included): the command was not accepted, so none exists. */
export function refusedByAws(err: unknown): boolean {
  const status = (err as AwsError | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * The error as Temporal should see it: a final refusal is non-retryable, everything else (throttling and 5xx the
 * SDK already retried, the network) retryable with the activity's backoff. The type keeps the AWS error's name.
 */
export function asActivityFailure(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof ApplicationFailure) return err;
  if (FINAL.has(err.name)) return ApplicationFailure.nonRetryable(err.message, err.name);
  return ApplicationFailure.retryable(err.message, err.name);
}

export interface SendParams {
  instanceIds: string[];
  documentName: string;
  commands: string[];
  comment: string;
  executionTimeoutSeconds: number;
}

export async function sendCommand(client: SSMClient, c: SendParams): Promise<string> {
  const parameters: Record<string, string[]> = { commands: c.commands };
  // SSM ends the run on the instance after this (ExecutionTimedOut); a named document defines its own parameters.
  if (EXECUTION_TIMEOUT_DOCUMENTS.has(c.documentName))
    parameters.executionTimeout = [String(c.executionTimeoutSeconds)];
  const out = await client.send(
    new SendCommandCommand({
      InstanceIds: c.instanceIds,
      DocumentName: c.documentName,
      Parameters: parameters,
      Comment: c.comment.slice(0, 100),
      // Delivery only: a command an offline agent has not picked up by then ends as DeliveryTimedOut.
      TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
    }),
  );
  if (!out.Command?.CommandId) throw new Error(`SSM SendCommand (${c.comment}) returned no CommandId`);
  return out.Command.CommandId;
}

/**
 * A command an earlier try of this attempt sent, recognised by the instance and its comment. ListCommands lists
 * the newest first, and the blast-radius guard keeps an instance's commands per hour few: five pages reach far back.
 */
export async function findSentCommand(client: SSMClient, instanceId: string, comment: string): Promise<string | null> {
  let nextToken: string | undefined;
  for (let page = 0; page < 5; page++) {
    const out = await client.send(
      new ListCommandsCommand({ InstanceId: instanceId, MaxResults: 50, NextToken: nextToken }),
    );
    const hit = out.Commands?.find((c) => c.Comment === comment.slice(0, 100));
    if (hit?.CommandId) return hit.CommandId;
    nextToken = out.NextToken;
    if (!nextToken) break;
  }
  return null;
}

/** The ids among `instanceIds` SSM does not manage in the client's account (DescribeInstanceInformation). */
export async function unmanagedInstances(client: SSMClient, instanceIds: string[]): Promise<string[]> {
  const found = new Set<string>();
  // The InstanceIds filter takes up to 50 values a call.
  for (let i = 0; i < instanceIds.length; i += 50) {
    let nextToken: string | undefined;
    do {
      const out = await client.send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: 'InstanceIds', Values: instanceIds.slice(i, i + 50) }],
          MaxResults: 50,
          NextToken: nextToken,
        }),
      );
      for (const info of out.InstanceInformationList ?? []) if (info.InstanceId) found.add(info.InstanceId);
      nextToken = out.NextToken;
    } while (nextToken);
  }
  return instanceIds.filter((id) => !found.has(id));
}

/** SSM cuts each stream at 24,000 characters: say so rather than show a cut-off log as the whole. */
export function markTruncated(text: string): string {
  return text.length >= SSM_OUTPUT_LIMIT ? `${text}\n${TRUNCATED_MARK}` : text;
}

/** The invocation's terminal result on one instance, or null while it runs (or before SSM has created it). */
export async function readInvocation(
  client: SSMClient,
  commandId: string,
  instanceId: string,
  isTerminal: (status: string) => boolean,
): Promise<InstanceResult | null> {
  try {
    const inv = await client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
    const status = inv.Status ?? 'Pending';
    if (!isTerminal(status)) return null;
    const output = inv.StandardOutputContent ?? '';
    const error = inv.StandardErrorContent ?? '';
    return {
      instanceId,
      status,
      output: markTruncated(output),
      error: markTruncated(error),
      truncated: output.length >= SSM_OUTPUT_LIMIT || error.length >= SSM_OUTPUT_LIMIT,
      ...(inv.ResponseCode !== undefined && inv.ResponseCode >= 0 ? { exitCode: inv.ResponseCode } : {}),
    };
  } catch (err) {
    // Right after SendCommand the invocation may not exist yet: keep polling.
    if (err instanceof InvocationDoesNotExist) return null;
    throw err;
  }
}
