// An alert storm for the cluster test and bench: batched webhook posts spread over every API that is up, with a
// failed post (its API killed under it, a reset, a 5xx) sent again to another API. The delivery ids make a second
// post of a batch the first one already stored a duplicate, so the storm ends with every alert answered 2xx once.
import { performance } from 'node:perf_hooks';

export interface StormPlan {
  /** Alerts in all, repeats and distinct together. */
  total: number;
  /** Keys (assets) the repeats fall on, e.g. 100. */
  repeatedKeys: number;
  /** Keys with one alert each, spread through the storm. */
  distinctKeys: number;
  /** Alerts a post. */
  batch: number;
  /** Posts in flight at once. */
  lanes: number;
  /** A tag for this run's delivery ids and asset names. */
  tag: string;
  /** The signatures of the two kinds (with and without a runbook). */
  repeatedSignature: string;
  distinctSignature: string;
}

export interface StormAlert {
  asset_name: string;
  signature: string;
  severity: string;
  message: string;
  tool_source: string;
  delivery_id: string;
}

/** Which of the storm's alerts is which: the distinct ones sit at even spacing through the stream. */
export function stormAlerts(p: StormPlan): StormAlert[] {
  const every = Math.floor(p.total / p.distinctKeys);
  const alerts: StormAlert[] = [];
  let repeat = 0;
  let distinct = 0;
  for (let i = 0; i < p.total; i++) {
    const isDistinct = distinct < p.distinctKeys && i % every === every - 1;
    const asset = isDistinct ? `${p.tag}-one-${distinct++}` : `${p.tag}-rep-${repeat++ % p.repeatedKeys}`;
    alerts.push({
      asset_name: asset,
      signature: isDistinct ? p.distinctSignature : p.repeatedSignature,
      severity: 'high',
      message: `storm ${p.tag} alert ${i}`,
      tool_source: 'Prometheus',
      delivery_id: `${p.tag}-${i}`,
    });
  }
  return alerts;
}

export interface StormResult {
  /** Delivery ids of every batch some API answered 2xx. */
  accepted: Set<string>;
  /** Posts that failed and were sent again, by what went wrong ("ECONNREFUSED", "503"). */
  retried: Record<string, number>;
  elapsedMs: number;
}

export interface StormTarget {
  /** The API base URLs still up; read before each post, so a killed API stops receiving at once. */
  apis: () => string[];
  apiKey: string;
  /** Called after each 2xx post with the alerts accepted so far (e.g. to kill processes mid-storm). */
  onProgress?: (accepted: number) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function postOnce(url: string, body: string): Promise<string | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(60_000),
    });
    await res.arrayBuffer();
    return res.status >= 200 && res.status < 300 ? null : String(res.status);
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? (err as Error).name;
  }
}

/** Posts every alert in batches over the APIs; resolves once every batch has a 2xx (or a post failed 50 times). */
export async function runStorm(alerts: StormAlert[], p: Pick<StormPlan, 'batch' | 'lanes'>, t: StormTarget) {
  const result: StormResult = { accepted: new Set(), retried: {}, elapsedMs: 0 };
  const batches: StormAlert[][] = [];
  for (let i = 0; i < alerts.length; i += p.batch) batches.push(alerts.slice(i, i + p.batch));
  let next = 0;
  const start = performance.now();
  const lane = async () => {
    while (next < batches.length) {
      const n = next++;
      const batch = batches[n]!;
      const body = JSON.stringify({ alerts: batch });
      for (let attempt = 0; ; attempt++) {
        const apis = t.apis();
        const url = `${apis[(n + attempt) % apis.length]}/api/webhooks/alerts?api_key=${encodeURIComponent(t.apiKey)}`;
        const failure = await postOnce(url, body);
        if (failure === null) break;
        result.retried[failure] = (result.retried[failure] ?? 0) + 1;
        if (attempt >= 50) throw new Error(`batch ${n} failed 50 times, last: ${failure}`);
        await sleep(100);
      }
      for (const a of batch) result.accepted.add(a.delivery_id);
      t.onProgress?.(result.accepted.size);
    }
  };
  await Promise.all(Array.from({ length: p.lanes }, lane));
  result.elapsedMs = performance.now() - start;
  return result;
}
