// Keeps a server npm start depends on running: when it exits on its own, say so once, start it again on the same
// data with exponential backoff, and say once when it is back. A deliberate stop() is never restarted.
import { errorMessage } from './fatal.ts';

export interface Supervised {
  /** Settles when the server ends; the value says how ("was killed (SIGKILL)"). */
  exited: Promise<string>;
  stop(): Promise<void>;
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000 };

/** Wait before restart attempt `attempt` (0-based): initialMs, doubling, capped at maxMs. */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  return Math.min(opts.maxMs, opts.initialMs * 2 ** Math.max(0, Math.min(attempt, 30)));
}

/**
 * How many backoff steps the next restart should skip: a server that ran at least `stableMs` earns a fresh
 * start, one that dies again soon after coming back keeps climbing, so a crash loop settles at one try per maxMs.
 */
export function nextAttempt(previousAttempt: number, upMs: number, stableMs: number): number {
  return upMs >= stableMs ? 0 : previousAttempt + 1;
}

export interface SupervisorOptions<T extends Supervised> {
  name: string;
  start: () => Promise<T>;
  log: (line: string) => void;
  /** Called with each restarted instance (e.g. to record its pid). */
  onRestart?: (instance: T) => void;
  backoff?: BackoffOptions;
  /** Uptime after which a crash counts as a new incident rather than part of a crash loop. */
  stableMs?: number;
  /** What the "went away" line says it does next. */
  restartNote?: string;
  /** The name is of several parts ("… are back"). */
  plural?: boolean;
}

export class Supervisor<T extends Supervised> {
  private instance: T | null = null;
  private halted = false;
  private attempt = 0;
  private wakeSleep: (() => void) | null = null;
  private restarting: Promise<void> | null = null;

  constructor(private readonly opts: SupervisorOptions<T>) {}

  get current(): T | null {
    return this.instance;
  }

  /** Starts the server the first time; a failure here is a start-up error and is thrown, not retried. */
  async begin(): Promise<T> {
    const instance = await this.opts.start();
    this.watch(instance);
    return instance;
  }

  /** No more restarts from now on (the first step of a deliberate shutdown). */
  halt(): void {
    this.halted = true;
    this.wakeSleep?.();
  }

  /** Halts, waits for a restart in flight, then stops the running instance. */
  async stop(): Promise<void> {
    this.halt();
    await this.restarting;
    const instance = this.instance;
    this.instance = null;
    await instance?.stop();
  }

  private watch(instance: T): void {
    this.instance = instance;
    const upSince = Date.now();
    void instance.exited.then((how) => {
      if (this.halted || this.instance !== instance) return;
      this.instance = null;
      this.attempt = nextAttempt(this.attempt, Date.now() - upSince, this.opts.stableMs ?? 60_000);
      this.opts.log(`${this.opts.name} ${how}; ${this.opts.restartNote ?? 'restarting it on the same data'}`);
      this.restarting = this.restart(instance).finally(() => (this.restarting = null));
    });
  }

  private async restart(broken: T): Promise<void> {
    const down = Date.now();
    // A process that exited has nothing left to stop; a set of parts that broke may still hold ports and pools.
    await broken.stop().catch(() => {});
    let reported = false;
    for (;;) {
      await this.sleep(backoffDelay(this.attempt, this.opts.backoff));
      if (this.halted) return;
      try {
        const instance = await this.opts.start();
        if (this.halted) {
          await instance.stop(); // a shutdown began while it was starting
          return;
        }
        this.watch(instance);
        this.opts.onRestart?.(instance);
        const downFor = ((Date.now() - down) / 1000).toFixed(1);
        this.opts.log(`${this.opts.name} ${this.opts.plural ? 'are' : 'is'} back (down ${downFor} s)`);
        return;
      } catch (err) {
        // The first failure says why; later ones would only repeat it, so they wait in silence.
        const why = errorMessage(err).split('\n')[0];
        if (!reported) this.opts.log(`${this.opts.name} did not start again (${why}); will keep trying`);
        reported = true;
        this.attempt += 1;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
