// The router's view of an outage (Temporal or PostgreSQL away): one log line when it starts and one when it ends,
// not one per retry, and how long the router backs off between passes while it lasts.

/** The longest pause between passes during an outage. */
const MAX_BACKOFF_MS = 30_000;

export class Outage {
  private message: string | null = null;
  private passes = 0;

  constructor(private readonly log?: (line: string) => void) {}

  get ongoing(): boolean {
    return this.message !== null;
  }

  /** A pass failed for a reason of this kind. */
  down(message: string): void {
    this.passes += 1;
    if (this.message === null) this.log?.(`${message}; alerts are kept and routed once it is back`);
    this.message = message;
  }

  /** A pass reached Temporal and PostgreSQL. */
  up(): void {
    if (this.message !== null) this.log?.('alert router: routing again');
    this.message = null;
    this.passes = 0;
  }

  /** The pause before the next pass: the poll interval, doubled for each failed pass up to 16 times it. */
  pause(pollMs: number): number {
    return this.ongoing ? Math.min(pollMs * 2 ** Math.min(this.passes, 4), MAX_BACKOFF_MS) : pollMs;
  }
}
