// Liveness and readiness. /healthz says the process answers (its event loop is free), and nothing more: an
// orchestrator restarting the API because PostgreSQL is away would only add a restart to the outage. /readyz says
// whether this process can do its work now, and names the dependency that is down, for a load balancer to route
// around it and a person to read.
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { Sql } from '../db/sql.ts';

/** Each check gets this long; a dependency slower than that is as good as down for a request waiting on it. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'unreachable'>;
}

/** Runs every check at once, each within `timeoutMs`; a check is "ok" when it resolves in time. */
export async function checkReadiness(
  checks: Record<string, () => Promise<unknown>>,
  timeoutMs = READY_CHECK_TIMEOUT_MS,
): Promise<Readiness> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
      });
      try {
        await Promise.race([check(), late]);
        return [name, 'ok'] as const;
      } catch {
        return [name, 'unreachable'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: results.every(([, r]) => r === 'ok'), checks: Object.fromEntries(results) };
}

export function healthRoutes(deps: { sql: Sql; temporal: Client }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const r = await checkReadiness({
      database: () => deps.sql`SELECT 1`.execute(),
      temporal: () => deps.temporal.workflowService.getSystemInfo({}),
    });
    const down = Object.entries(r.checks)
      .filter(([, v]) => v !== 'ok')
      .map(([k]) => k);
    res
      .status(r.ready ? 200 : 503)
      .json(
        r.ready
          ? { status: 'ready', checks: r.checks }
          : { status: 'not_ready', checks: r.checks, message: `${down.join(' and ')} unreachable` },
      );
  });
  return router;
}
