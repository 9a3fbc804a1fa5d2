// A service told to stop (SIGTERM from a supervisor, or from the kernel when npm start dies: lib/processes.ts
// dieWithParent) first finishes what it is doing, but never for ever: with PostgreSQL and Temporal stopping at the
// same moment, a drain can wait on a call that will not end, and the process would outlive npm start. After the
// deadline it exits anyway and says so. What it had not finished is durable elsewhere (alerts in PostgreSQL, tasks in
// Temporal) and is taken up again by the next process.

/**
 * How long a stopping service may take. Generous: the router and the worker run niced (ROUTER_NICE, WORKER_NICE), and
 * on a full machine a clean drain of theirs has taken over 20 s; the bound is for a drain that would never end.
 */
export const SHUTDOWN_DEADLINE_MS = 45_000;

/** Arms the deadline once; the timer does not keep the process alive if everything else has ended. */
export function exitAfterDeadline(service: string, ms = SHUTDOWN_DEADLINE_MS): void {
  if (armed) return;
  armed = true;
  setTimeout(() => {
    console.error(`[${service}] did not stop within ${ms / 1000} s; exiting without finishing`);
    process.exit(1);
  }, ms).unref();
}

let armed = false;
