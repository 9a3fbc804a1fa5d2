// A local AWS endpoint in front of moto for what moto does not do, still spoken to by the real AWS SDK:
// - STS AssumeRole (query protocol) is refused with STS's own AccessDenied XML when the ExternalId is not the one the
//   test expects for that role (moto checks no trust policy);
// - SSM DescribeInstanceInformation (awsJson1_1) answers from a per-account instance list the test sets (moto has
//   no such call), the account read from the request's access key as moto hands them out;
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
  close(): Promise<void>;
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
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
