// The outbound policy (lib/outbound.ts, lib/outbound-addresses.ts): which URLs and addresses a tenant-chosen
// webhook may reach, the resolver a test plays DNS with, and the send that never follows a redirect.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { companyRatePerMinute, rateAboveCeiling } from '../../api/rate-limit.ts';
import { embeddedIpv4, nonPublicKind } from '../../lib/outbound-addresses.ts';
import {
  checkOutboundUrl,
  OutboundRefused,
  parseOutboundUrl,
  pinnedLookup,
  postJson,
  type Resolver,
} from '../../lib/outbound.ts';

const strict = { allowPrivate: false };
const answers =
  (...addresses: string[]): Resolver =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }) as const);

async function refusal(p: Promise<unknown>): Promise<OutboundRefused> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundRefused);
  return err as OutboundRefused;
}

describe('addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['169.254.10.1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['100.64.0.1', 'shared (carrier-grade NAT)'],
    ['100.127.255.254', 'shared (carrier-grade NAT)'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2002:a00:1::1', 'reserved'],
    ['::7f00:1', 'reserved'],
    // IPv4 inside IPv6 is judged as the IPv4 address it reaches.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:FFFF:169.254.169.254', 'cloud metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['not an address', 'reserved'],
  ])('%s is %s', (address, kind) => {
    expect(nonPublicKind(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(nonPublicKind(address)).toBeNull();
    },
  );

  it('reads the IPv4 address inside mapped and NAT64 addresses, and nothing from others', () => {
    expect(embeddedIpv4('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(embeddedIpv4('64:ff9b::a00:1')).toBe('10.0.0.1');
    expect(embeddedIpv4('2606:4700::1111')).toBeNull();
  });
});

describe('URLs', () => {
  it('takes http and https only, without a user name or password', async () => {
    expect(parseOutboundUrl('https://hooks.slack.com/services/T/B/x').hostname).toBe('hooks.slack.com');
    expect((await refusal(checkOutboundUrl('ftp://example.com/x', strict))).message).toBe(
      'must be an http or https URL',
    );
    expect((await refusal(checkOutboundUrl('https://user:pw@example.com/', strict))).message).toBe(
      'must not carry a user name or password',
    );
    expect((await refusal(checkOutboundUrl('not a url', strict))).message).toBe('is not a URL');
  });

  it.each([
    ['http://127.0.0.1:9998/hook', 'points to a loopback address (127.0.0.1)'],
    ['http://10.0.0.1/', 'points to a private address (10.0.0.1)'],
    ['http://169.254.169.254/latest/meta-data/', 'points to a cloud metadata address (169.254.169.254)'],
    ['http://[::1]/', 'points to a loopback address (::1)'],
    ['http://[::ffff:127.0.0.1]/', 'points to a loopback address (::ffff:7f00:1)'],
    ['http://[fd00:ec2::254]/', 'points to a cloud metadata address (fd00:ec2::254)'],
    // The URL parser reads these as 127.0.0.1 too, as would the socket.
    ['http://2130706433/', 'points to a loopback address (127.0.0.1)'],
    ['http://0x7f.1/', 'points to a loopback address (127.0.0.1)'],
  ])('refuses %s: %s', async (url, reason) => {
    const err = await refusal(checkOutboundUrl(url, strict));
    expect(err.message).toBe(`${reason}; only public addresses may be reached`);
    expect(err.transient).toBe(false);
  });

  it('refuses a name when any of its addresses is not public, and keeps the addresses it checked', async () => {
    const err = await refusal(
      checkOutboundUrl('https://hooks.example.com/x', { allowPrivate: false, resolve: answers('8.8.8.8', '10.1.1.1') }),
    );
    expect(err.message).toBe(
      'points to a private address (hooks.example.com resolves to 10.1.1.1); only public addresses may be reached',
    );
    const ok = await checkOutboundUrl('https://hooks.example.com/x', {
      allowPrivate: false,
      resolve: answers('8.8.8.8', '2606:4700::1111'),
    });
    expect(ok.addresses).toEqual([
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
  });

  it('refuses a name that does not resolve, as a failure a retry may get past', async () => {
    const gone: Resolver = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    const err = await refusal(checkOutboundUrl('https://nowhere.example/x', { allowPrivate: false, resolve: gone }));
    expect(err.message).toBe('names a host, nowhere.example, that does not resolve');
    expect(err.transient).toBe(true);
  });

  it('lets anything through when the install allows private addresses, without asking DNS', async () => {
    const never: Resolver = async () => {
      throw new Error('not asked');
    };
    expect(await checkOutboundUrl('http://127.0.0.1:9/x', { allowPrivate: true, resolve: never })).toMatchObject({
      addresses: null,
    });
    // Still only http(s), without credentials.
    await refusal(checkOutboundUrl('http://u:p@127.0.0.1/', { allowPrivate: true }));
  });

  it('pins the socket to the checked addresses, whatever name it asks for', () => {
    const lookup = pinnedLookup([
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700::1111', family: 6 },
    ]);
    const calls: unknown[][] = [];
    lookup('evil.example', { all: true }, (...args: unknown[]) => calls.push(args));
    lookup('evil.example', { family: 6 }, (...args: unknown[]) => calls.push(args));
    lookup('evil.example', {}, (...args: unknown[]) => calls.push(args));
    expect(calls).toEqual([
      [
        null,
        [
          { address: '8.8.8.8', family: 4 },
          { address: '2606:4700::1111', family: 6 },
        ],
      ],
      [null, '2606:4700::1111', 6],
      [null, '8.8.8.8', 4],
    ]);
  });
});

describe('sending', () => {
  let server: Server;
  let base = '';
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      req.resume();
      if (req.url === '/moved') res.writeHead(302, { location: `${base}/target` }).end();
      else if (req.url === '/broken') res.writeHead(500).end();
      else if (req.url === '/silent')
        return; // never answers
      else res.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const open = { allowPrivate: true, timeoutMs: 5_000 };

  it('posts JSON and resolves with the status', async () => {
    expect(await postJson(`${base}/ok`, { text: 'hi' }, open)).toBe(200);
  });

  it('refuses at send a name that now resolves to loopback (rebinding), without connecting', async () => {
    hits.length = 0;
    const port = new URL(base).port;
    const err = await refusal(
      postJson(
        `http://hooks.example.com:${port}/ok`,
        { text: 'hi' },
        {
          allowPrivate: false,
          timeoutMs: 5_000,
          resolve: answers('127.0.0.1'),
        },
      ),
    );
    expect(err.message).toContain('points to a loopback address (hooks.example.com resolves to 127.0.0.1)');
    expect(hits).toEqual([]);
  });

  it('does not follow a redirect: the target is never asked', async () => {
    hits.length = 0;
    const err = await refusal(postJson(`${base}/moved`, {}, open));
    expect(err.message).toBe('the server answered with a redirect (HTTP 302), which is not followed');
    expect(err.about).toBe('response');
    expect(hits).toEqual(['/moved']);
  });

  it('names a failed status, and a server that never answers times out', async () => {
    await expect(postJson(`${base}/broken`, {}, open)).rejects.toThrow(/^HTTP 500$/);
    await expect(postJson(`${base}/silent`, {}, { ...open, timeoutMs: 300 })).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });
});

describe('company rate ceiling', () => {
  it('holds a company setting to the ceiling; an old 0 means the ceiling; no setting is the default', () => {
    expect(companyRatePerMinute(100, 600, 6000)).toBe(100);
    expect(companyRatePerMinute(50_000, 600, 6000)).toBe(6000);
    expect(companyRatePerMinute(0, 600, 6000)).toBe(6000);
    expect(companyRatePerMinute(undefined, 600, 6000)).toBe(600);
    expect(companyRatePerMinute('lots', 600, 6000)).toBe(600);
    // The install's own default is the install's choice, 0 (unlimited) included.
    expect(companyRatePerMinute(undefined, 0, 6000)).toBe(0);
  });

  it('names the ceiling when a company asks for more', () => {
    expect(rateAboveCeiling(6000, 6000)).toBeNull();
    expect(rateAboveCeiling(6001, 6000)).toBe(
      'must be at most 6000, the most alerts a minute this install allows a company',
    );
    expect(rateAboveCeiling(undefined, 6000)).toBeNull();
  });
});
