// Slows password guessing without handing a stranger a way to lock someone out. Two token buckets:
//  - per (account, client address): a guesser elsewhere drains only their own bucket for the account, so the user's
//    own (account, address) bucket stays full and they can still sign in;
//  - per client address (an IPv6 client by its /64, which one host usually owns whole): one address spraying many
//    accounts with a common password is slowed too.
// An attempt is charged to both before the password is checked, so a burst of concurrent guesses cannot all slip past
// the check while bcrypt runs; a correct password refunds it, so only failures count. Both tables are LRU-capped and
// keyed by bounded strings, so a stream of invented emails or addresses cannot grow memory.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

export interface BucketPolicy {
  /** Attempts allowed at once. */
  burst: number;
  /** Milliseconds to earn back one attempt. */
  refillMs: number;
}

export interface LoginThrottleOptions {
  perAccount?: BucketPolicy;
  perAddress?: BucketPolicy;
  /** Entries kept per table; the least recently used go first. */
  maxEntries?: number;
  now?: () => number;
}

export interface Refusal {
  /** Which bucket is empty: the account from this address, or the address as a whole. */
  scope: 'account' | 'address';
  /** Seconds until the next attempt is allowed. */
  retryAfter: number;
}

/** Ten failures per account and address, then one every 90 s: a person mistyping never notices. */
export const ACCOUNT_POLICY: BucketPolicy = { burst: 10, refillMs: 90_000 };
/** A hundred failures per address, then one every 3 s: an office behind one NAT still signs in. */
export const ADDRESS_POLICY: BucketPolicy = { burst: 100, refillMs: 3_000 };
export const MAX_ENTRIES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/** A Map in least-recently-used order that drops its oldest entries past `max`. */
class CappedLru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

/** The 16-bit groups of an IPv6 address, `::` expanded and an embedded IPv4 tail counted as two. */
function ipv6Groups(ip: string): string[] {
  const split = (part: string) => (part ? part.split(':') : []);
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const [head, tail] = ip.split('::');
  if (tail === undefined) return split(head!);
  const before = split(head!);
  const after = split(tail);
  return [...before, ...Array<string>(8 - width(before) - width(after)).fill('0'), ...after];
}

/** The client as the address bucket sees it: IPv4 as is (also when IPv4-mapped), IPv6 by its /64. */
export function addressKey(ip: string | null): string {
  if (!ip) return 'unknown';
  const bare = ip.split('%')[0]!;
  const mapped = bare.toLowerCase().startsWith('::ffff:') ? bare.slice(7) : null;
  if (mapped && isIP(mapped) === 4) return mapped;
  if (isIP(bare) === 4) return bare;
  if (isIP(bare) !== 6) return bare.slice(0, 64);
  const prefix = ipv6Groups(bare.toLowerCase())
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}

export class LoginThrottle {
  private readonly accounts: CappedLru<Bucket>;
  private readonly addresses: CappedLru<Bucket>;
  private readonly perAccount: BucketPolicy;
  private readonly perAddress: BucketPolicy;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.perAccount = options.perAccount ?? ACCOUNT_POLICY;
    this.perAddress = options.perAddress ?? ADDRESS_POLICY;
    this.now = options.now ?? Date.now;
    this.accounts = new CappedLru(options.maxEntries ?? MAX_ENTRIES);
    this.addresses = new CappedLru(options.maxEntries ?? MAX_ENTRIES);
  }

  /** Charges one attempt to both buckets; null when it may go ahead, else which bucket refuses and for how long. */
  take(account: string, address: string | null): Refusal | null {
    const now = this.now();
    const accountKey = this.accountKey(account, address);
    const addrKey = addressKey(address);
    const byAccount = this.refilled(this.accounts.get(accountKey), this.perAccount, now);
    const byAddress = this.refilled(this.addresses.get(addrKey), this.perAddress, now);
    if (byAccount.tokens < 1) return { scope: 'account', retryAfter: this.wait(byAccount, this.perAccount) };
    if (byAddress.tokens < 1) return { scope: 'address', retryAfter: this.wait(byAddress, this.perAddress) };
    byAccount.tokens -= 1;
    byAddress.tokens -= 1;
    this.accounts.set(accountKey, byAccount);
    this.addresses.set(addrKey, byAddress);
    return null;
  }

  /** The password was right: refund the attempt, and the account starts afresh from this address. */
  succeeded(account: string, address: string | null): void {
    this.accounts.delete(this.accountKey(account, address));
    const addrKey = addressKey(address);
    const byAddress = this.addresses.get(addrKey);
    if (byAddress) byAddress.tokens = Math.min(this.perAddress.burst, byAddress.tokens + 1);
  }

  /** How many buckets each table holds now (for tests and capacity checks). */
  get entries(): { accounts: number; addresses: number } {
    return { accounts: this.accounts.size, addresses: this.addresses.size };
  }

  // Hashed, so an email of any length costs the same 43 characters of key.
  private accountKey(account: string, address: string | null): string {
    return createHash('sha256')
      .update(account.trim().toLowerCase())
      .update('\0')
      .update(addressKey(address))
      .digest('base64url');
  }

  private refilled(bucket: Bucket | undefined, policy: BucketPolicy, now: number): Bucket {
    if (!bucket) return { tokens: policy.burst, at: now };
    const earned = Math.max(0, now - bucket.at) / policy.refillMs;
    return { tokens: Math.min(policy.burst, bucket.tokens + earned), at: now };
  }

  private wait(bucket: Bucket, policy: BucketPolicy): number {
    // Whole milliseconds first: 0.999…9 of a token must not round up to one more second.
    return Math.max(1, Math.ceil(Math.round((1 - bucket.tokens) * policy.refillMs) / 1000));
  }
}
