// A local AWS endpoint in front of moto for what moto does not do, still spoken to by the real AWS SDK:
// - STS AssumeRole (query protocol) is refused with STS's own AccessDenied XML when the ExternalId is not the one the
//   test expects for that role (moto checks no trust policy);
// - SSM DescribeInstanceInformation (awsJson1_1) answers from a per-account instance list the test sets (moto has
//   no such call), the account read from the request's access key as moto hands them out;
// - SSM DescribeInstancePatchStates (awsJson1_1, moto has none either) answers from a per-account table of patch
//   states the test sets, refusing more than 50 InstanceIds as SSM does and paging with NextToken;
// - everything else goes to moto unchanged.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** moto's account for the install's own credentials (any key that is not an assumed role's). */
export const MOTO_DEFAULT_ACCOUNT = '123456789012';

export interface AwsProxy {
  url: string;
  /** Role ARN → the ExternalId AssumeRole must carry; a role not listed is refused. */
  externalIds: Map<string, string>;
  /** Account id → managed instance ids DescribeInstanceInformation reports. */
  instances: Map<string, string[]>;
  /** Every AssumeRole that reached the proxy: role ARN, session name and whether it was let through. */
  assumeRoles: Array<{ roleArn: string; sessionName: string; allowed: boolean }>;
  /** Account id → the patch states DescribeInstancePatchStates reports (AWS's shape; times as epoch seconds). */
  patchStates: Map<string, PatchStateWire[]>;
  /** States per DescribeInstancePatchStates page (SSM's MaxResults caps it too); smaller makes tests page. */
  patchPage: { size: number };
  /** Every DescribeInstancePatchStates that reached the proxy: whose account and which ids it asked for. */
  patchCalls: Array<{ account: string; instanceIds: string[]; nextToken: string | null }>;
  close(): Promise<void>;
}

/** An InstancePatchState as SSM sends it over awsJson1_1. */
export interface PatchStateWire {
  InstanceId: string;
  PatchGroup: string;
  BaselineId: string;
  Operation: 'Scan' | 'Install';
  OperationStartTime: number;
  OperationEndTime: number;
  MissingCount?: number;
  CriticalNonCompliantCount?: number;
  SecurityNonCompliantCount?: number;
  FailedCount?: number;
  InstalledPendingRebootCount?: number;
}

function ssmJson(status: number, answer: unknown): { status: number; type: string; body: Buffer } {
  return { status, type: 'application/x-amz-json-1.1', body: Buffer.from(JSON.stringify(answer)) };
}

const accessKeyOf = (req: IncomingMessage): string =>
  /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';

function stsError(code: string, message: string): string {
  return (
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>` +
    `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

export async function startAwsProxy(motoUrl: string): Promise<AwsProxy> {
  const externalIds = new Map<string, string>();
  const instances = new Map<string, string[]>();
  const assumeRoles: AwsProxy['assumeRoles'] = [];
  const patchStates = new Map<string, PatchStateWire[]>();
  const patchPage = { size: 50 };
  const patchCalls: AwsProxy['patchCalls'] = [];
  // Assumed credentials' access keys → the account of the role they were assumed in (learnt from moto's answers).
  const accounts = new Map<string, string>();

  async function handle(req: IncomingMessage, body: Buffer): Promise<{ status: number; type: string; body: Buffer }> {
    const target = String(req.headers['x-amz-target'] ?? '');
    const form = target ? null : new URLSearchParams(body.toString());
    if (form?.get('Action') === 'AssumeRole') {
      const roleArn = form.get('RoleArn') ?? '';
      const allowed = Boolean(externalIds.get(roleArn)) && externalIds.get(roleArn) === form.get('ExternalId');
      assumeRoles.push({ roleArn, sessionName: form.get('RoleSessionName') ?? '', allowed });
      if (!allowed) {
        const message = `User: arn:aws:iam::${MOTO_DEFAULT_ACCOUNT}:user/moto is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
        return { status: 403, type: 'text/xml', body: Buffer.from(stsError('AccessDenied', message)) };
      }
    }
    if (target === 'AmazonSSM.DescribeInstanceInformation') {
      const account = accounts.get(accessKeyOf(req)) ?? MOTO_DEFAULT_ACCOUNT;
      const asked = JSON.parse(body.toString() || '{}') as { Filters?: Array<{ Key: string; Values: string[] }> };
      const ids = asked.Filters?.find((f) => f.Key === 'InstanceIds')?.Values;
      const list = (instances.get(account) ?? []).filter((id) => !ids || ids.includes(id));
      const answer = {
        InstanceInformationList: list.map((id) => ({ InstanceId: id, PingStatus: 'Online', PlatformType: 'Linux' })),
      };
      return { status: 200, type: 'application/x-amz-json-1.1', body: Buffer.from(JSON.stringify(answer)) };
    }
    if (target === 'AmazonSSM.DescribeInstancePatchStates') {
      const account = accounts.get(accessKeyOf(req)) ?? MOTO_DEFAULT_ACCOUNT;
      const asked = JSON.parse(body.toString() || '{}') as {
        InstanceIds?: string[];
        NextToken?: string;
        MaxResults?: number;
      };
      const ids = asked.InstanceIds ?? [];
      patchCalls.push({ account, instanceIds: ids, nextToken: asked.NextToken ?? null });
      if (!ids.length || ids.length > 50) {
        const message = "1 validation error detected: Value at 'instanceIds' failed to satisfy constraint";
        return ssmJson(400, { __type: 'ValidationException', message });
      }
      const list = (patchStates.get(account) ?? []).filter((s) => ids.includes(s.InstanceId));
      const size = Math.min(patchPage.size, asked.MaxResults ?? 50);
      const from = Number(asked.NextToken ?? 0);
      const next = from + size < list.length ? String(from + size) : undefined;
      return ssmJson(200, { InstancePatchStates: list.slice(from, from + size), ...(next ? { NextToken: next } : {}) });
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers)
        .filter(([k]) => !['host', 'connection', 'content-length'].includes(k))
        .map(([k, v]) => [k, String(v)]),
    );
    const upstream = await fetch(`${motoUrl}${req.url ?? '/'}`, {
      method: req.method ?? 'POST',
      headers,
      body: new Uint8Array(body),
    });
    const answer = Buffer.from(await upstream.arrayBuffer());
    if (form?.get('Action') === 'AssumeRole' && upstream.ok) {
      const key = /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(answer.toString())?.[1];
      const account = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(form.get('RoleArn') ?? '')?.[1];
      if (key && account) accounts.set(key, account);
    }
    return { status: upstream.status, type: upstream.headers.get('content-type') ?? 'text/xml', body: answer };
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, Buffer.concat(chunks))
        .then((out) => {
          res.writeHead(out.status, { 'content-type': out.type });
          res.end(out.body);
        })
        .catch((err: Error) => {
          if (!res.headersSent) res.writeHead(502);
          res.end(err.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    externalIds,
    instances,
    assumeRoles,
    patchStates,
    patchPage,
    patchCalls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
