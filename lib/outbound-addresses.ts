// Which IP addresses a tenant-chosen URL may reach. A company admin types a chat webhook's URL, and the worker then
// POSTs from inside the install's network: without this list that is a way to reach the metadata service, the
// database, or anything else only the install can see. Pure: lib/outbound.ts resolves names and calls it.
import { BlockList, isIP } from 'node:net';

/** Why an address is not public, as a refusal names it ("points to a loopback address"). */
export type AddressKind =
  | 'cloud metadata'
  | 'unspecified'
  | 'loopback'
  | 'link-local'
  | 'private'
  | 'shared (carrier-grade NAT)'
  | 'multicast'
  | 'reserved';

type Range = readonly [network: string, prefix: number];

// IANA's special-purpose registries (RFC 6890 and successors), grouped by the reason a refusal gives.
const RANGES: ReadonlyArray<readonly [AddressKind, 'ipv4' | 'ipv6', readonly Range[]]> = [
  // Checked first so the refusal says what it is: AWS's IMDS over IPv4 and over IPv6 (Nitro).
  ['cloud metadata', 'ipv4', [['169.254.169.254', 32]]],
  ['cloud metadata', 'ipv6', [['fd00:ec2::254', 128]]],
  ['unspecified', 'ipv4', [['0.0.0.0', 8]]],
  ['unspecified', 'ipv6', [['::', 128]]],
  ['loopback', 'ipv4', [['127.0.0.0', 8]]],
  ['loopback', 'ipv6', [['::1', 128]]],
  ['link-local', 'ipv4', [['169.254.0.0', 16]]],
  ['link-local', 'ipv6', [['fe80::', 10]]],
  [
    'private',
    'ipv4',
    [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
    ],
  ],
  // Unique local addresses, and the site-local block they replaced.
  [
    'private',
    'ipv6',
    [
      ['fc00::', 7],
      ['fec0::', 10],
    ],
  ],
  ['shared (carrier-grade NAT)', 'ipv4', [['100.64.0.0', 10]]],
  ['multicast', 'ipv4', [['224.0.0.0', 4]]],
  ['multicast', 'ipv6', [['ff00::', 8]]],
  [
    'reserved',
    'ipv4',
    [
      ['192.0.0.0', 24], // IETF protocol assignments
      ['192.0.2.0', 24], // documentation
      ['192.88.99.0', 24], // 6to4 relay anycast
      ['198.18.0.0', 15], // benchmarking
      ['198.51.100.0', 24], // documentation
      ['203.0.113.0', 24], // documentation
      ['240.0.0.0', 4], // future use and the broadcast address
    ],
  ],
  [
    'reserved',
    'ipv6',
    [
      ['::', 96], // IPv4-compatible (deprecated): would carry an IPv4 address past the IPv4 rules
      ['::ffff:0:0:0', 96], // IPv4-translated (SIIT)
      ['64:ff9b:1::', 48], // local-use NAT64
      ['100::', 64], // discard-only
      ['2001::', 23], // IETF protocol assignments, Teredo among them
      ['2001:db8::', 32], // documentation
      ['2002::', 16], // 6to4: embeds any IPv4 address, private ones included
      ['3fff::', 20], // documentation
    ],
  ],
];

const LISTS = RANGES.map(([kind, family, ranges]) => {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, family);
  return { kind, family, list };
});

/** `::ffff:a.b.c.d` (IPv4-mapped) and `64:ff9b::a.b.c.d` (NAT64) reach the IPv4 address inside them. */
const EMBEDS_IPV4 = [/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/, /^64:ff9b::(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,4})$/];

/** The IPv4 address an IPv6 address carries for routing, or null. */
export function embeddedIpv4(ipv6: string): string | null {
  // The URL parser writes every IPv6 form ("::ffff:127.0.0.1", "0:0::FFFF:7f00:1") one canonical way.
  let canonical: string;
  try {
    canonical = new URL(`http://[${ipv6}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const m = EMBEDS_IPV4.map((re) => re.exec(canonical)).find((x) => x !== null);
  if (!m) return null;
  const hi = parseInt(m[1] ?? '0', 16);
  const lo = parseInt(m[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/**
 * Why `address` (an IPv4 or IPv6 literal, optionally with a zone) is not a public address, or null when it is.
 * Not an IP address at all counts as reserved: nothing this module cannot read is let through.
 */
export function nonPublicKind(address: string): AddressKind | null {
  const bare = address.replace(/%.*$/, '').replace(/^\[(.*)\]$/, '$1');
  const version = isIP(bare);
  if (version === 0) return 'reserved';
  if (version === 6) {
    const v4 = embeddedIpv4(bare);
    if (v4 !== null) return nonPublicKind(v4);
  }
  const family = version === 4 ? 'ipv4' : 'ipv6';
  for (const l of LISTS) if (l.family === family && l.list.check(bare, family)) return l.kind;
  return null;
}
