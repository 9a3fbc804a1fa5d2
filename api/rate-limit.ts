// A token bucket per company: bursts up to a minute's allowance, refilled continuously.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token; returns 0 when allowed, else the seconds until one is available. */
  take(key: string): number {
    if (this.perMinute <= 0) return 0;
    const now = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - b.tokens) / rate / 1000);
  }
}

/**
 * The alerts a minute a company is held to. Its own `webhookRatePerMinute` counts up to the install's ceiling
 * (WEBHOOK_RATE_PER_MINUTE_MAX): a value stored before there was one, above it or the 0 that used to mean
 * unlimited, is held to the ceiling. Without a setting of its own, the install's default applies.
 */
export function companyRatePerMinute(setting: unknown, installDefault: number, ceiling: number): number {
  if (typeof setting !== 'number' || !Number.isFinite(setting) || setting < 0) return installDefault;
  return setting === 0 ? ceiling : Math.min(setting, ceiling);
}

/** Why a company may not save `value` as its rate (naming the ceiling), or null when it may. */
export function rateAboveCeiling(value: unknown, ceiling: number): string | null {
  return typeof value === 'number' && value > ceiling
    ? `must be at most ${ceiling}, the most alerts a minute this install allows a company`
    : null;
}
