// The login throttle on an injected clock: who gets slowed, who does not, and that memory stays bounded.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { addressKey, LoginThrottle } from '../../api/login-throttle.ts';
import { loadConfig } from '../../lib/config.ts';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const small = { perAccount: { burst: 3, refillMs: 60_000 }, perAddress: { burst: 5, refillMs: 10_000 } };

describe('login throttle', () => {
  it('slows one account from one address, and earns attempts back over time', () => {
    const t = clock();
    const throttle = new LoginThrottle({ ...small, now: t.now });
    for (let i = 0; i < 3; i++) expect(throttle.take('Ann@Example.test', '203.0.113.9')).toBeNull();
    // Case and spaces do not make a new account.
    expect(throttle.take(' ann@example.test ', '203.0.113.9')).toEqual({ scope: 'account', retryAfter: 60 });
    t.advance(59_000);
    expect(throttle.take('ann@example.test', '203.0.113.9')).toEqual({ scope: 'account', retryAfter: 1 });
    t.advance(1_000);
    expect(throttle.take('ann@example.test', '203.0.113.9')).toBeNull();
    expect(throttle.take('ann@example.test', '203.0.113.9')?.scope).toBe('account');
  });

  it('lets the real user in from their own address while a stranger is locked out of the same account', () => {
    const throttle = new LoginThrottle({ ...small, now: clock().now });
    for (let i = 0; i < 3; i++) throttle.take('ann@example.test', '203.0.113.9');
    expect(throttle.take('ann@example.test', '203.0.113.9')?.scope).toBe('account');
    expect(throttle.take('ann@example.test', '198.51.100.7')).toBeNull();
  });

  it('counts only failures: a correct password refunds the attempt and resets the account bucket', () => {
    const throttle = new LoginThrottle({ ...small, now: clock().now });
    throttle.take('ann@example.test', '198.51.100.7');
    throttle.take('ann@example.test', '198.51.100.7');
    throttle.take('ann@example.test', '198.51.100.7');
    throttle.succeeded('ann@example.test', '198.51.100.7');
    for (let i = 0; i < 3; i++) expect(throttle.take('ann@example.test', '198.51.100.7')).toBeNull();
    // The address bucket got one attempt back: 5 - 6 + 1 = 0 left.
    expect(throttle.take('bob@example.test', '198.51.100.7')).toEqual({ scope: 'address', retryAfter: 10 });
  });

  it('slows one address spraying many accounts, and not its neighbours', () => {
    const throttle = new LoginThrottle({ ...small, now: clock().now });
    for (let i = 0; i < 5; i++) expect(throttle.take(`user${i}@example.test`, '203.0.113.9')).toBeNull();
    expect(throttle.take('user99@example.test', '203.0.113.9')).toEqual({ scope: 'address', retryAfter: 10 });
    expect(throttle.take('user99@example.test', '203.0.113.10')).toBeNull();
  });

  it('treats one IPv6 /64 as one client, and an IPv4-mapped address as its IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(null)).toBe('unknown');
    const throttle = new LoginThrottle({ ...small, now: clock().now });
    for (let i = 0; i < 5; i++) throttle.take(`user${i}@example.test`, `2001:db8:1:2::${i + 1}`);
    expect(throttle.take('other@example.test', '2001:db8:1:2:ffff::9')?.scope).toBe('address');
    expect(throttle.take('other@example.test', '2001:db8:1:3::1')).toBeNull();
  });

  it('keeps at most maxEntries buckets per table, dropping the least recently used', () => {
    const throttle = new LoginThrottle({ ...small, maxEntries: 3, now: clock().now });
    throttle.take('a@example.test', '203.0.113.1');
    throttle.take('a@example.test', '203.0.113.1');
    throttle.take('a@example.test', '203.0.113.1');
    throttle.take('b@example.test', '203.0.113.2');
    throttle.take('c@example.test', '203.0.113.3');
    expect(throttle.take('a@example.test', '203.0.113.1')?.scope).toBe('account'); // used last: kept
    throttle.take('d@example.test', '203.0.113.4'); // drops b, the least recently used
    expect(throttle.entries).toEqual({ accounts: 3, addresses: 3 });
  });

  it('holds memory flat under 100,000 invented emails and addresses', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const throttle = new LoginThrottle({ now: clock().now });
    // Fill both tables to their cap first, so what follows measures churn, not the first 10,000 entries.
    for (let i = 0; i < 10_000; i++) throttle.take(`warm-${i}@example.test`, `10.0.${i >> 8}.${i & 255}`);
    gc();
    const before = process.memoryUsage().heapUsed;
    let maxSeen = 0;
    for (let i = 0; i < 100_000; i++) {
      // Long invented emails: the keys are hashes, so their length must not matter.
      throttle.take(`guess-${i}-${'x'.repeat(200)}@example.test`, `2001:db8:${(i >> 16) & 0xffff}:${i & 0xffff}::1`);
      const { accounts, addresses } = throttle.entries;
      maxSeen = Math.max(maxSeen, accounts, addresses);
    }
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(maxSeen).toBeLessThanOrEqual(10_000);
    expect(throttle.entries).toEqual({ accounts: 10_000, addresses: 10_000 });
    // Uncapped, the same stream grows the heap by about 28 MB; capped, by about 1 MB of Map and allocator slack.
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('TRUST_PROXY', () => {
  it('is off unless set, and takes what express takes', () => {
    const trust = (value?: string) => loadConfig(value === undefined ? {} : { TRUST_PROXY: value }).trustProxy;
    expect([trust(), trust(''), trust('false')]).toEqual([false, false, false]);
    expect(trust('true')).toBe(true);
    expect(trust('2')).toBe(2);
    expect(trust('loopback, 10.0.0.0/8')).toBe('loopback, 10.0.0.0/8');
  });
});
