// Every webhook route against 10,000 generated bodies: real payloads of each tool bent out of shape
// (NUL and lone surrogates, wrong types, deep nesting, huge arrays, cut-off JSON, wrong content types).
// Nothing may answer 5xx, and a refused request must leave no alert behind (nothing half-stored).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../helpers/certificates.ts';
import { createCompany, type TestCompany } from '../helpers/fixtures.ts';
import { startStack, type Stack } from '../helpers/stack.ts';

const BODIES = Number(process.env.FUZZ_BODIES ?? 10_000);
const FIXTURES = new URL('../fixtures/receivers/', import.meta.url);
const load = (name: string): unknown => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));

const ROUTES: Array<{ route: string; seeds: string[] }> = [
  { route: 'alerts', seeds: ['generic-single.json', 'generic-batch.json', 'generic-resolved.json'] },
  { route: 'alertmanager', seeds: ['alertmanager-firing.json', 'alertmanager-resolved.json'] },
  { route: 'grafana', seeds: ['grafana-firing.json'] },
  { route: 'events/v2', seeds: ['pagerduty-trigger.json', 'pagerduty-resolve.json', 'pagerduty-acknowledge.json'] },
  { route: 'datadog', seeds: ['datadog-recommended-triggered.json', 'datadog-default-triggered.json'] },
  { route: 'cloudwatch', seeds: ['sns-cloudwatch-alarm.json', 'sns-subscription-confirmation.json'] },
  { route: 'zabbix', seeds: ['zabbix-media-params-problem.json'] },
];

/** mulberry32: a small seeded generator, so a failure can be replayed with the same FUZZ_SEED. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY = [
  '\u0000',
  '\ud800',
  '\udfff',
  'a\u0000b',
  '|',
  '',
  ' ',
  '💥',
  'x'.repeat(300),
  'あ'.repeat(400),
  '{"a":',
  '\\',
  '"',
];

function mutate(value: unknown, rnd: () => number, depth = 0): unknown {
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  if (rnd() < 0.08) {
    return pick<unknown>([null, 0, -1, 1e308, true, [], {}, pick(NASTY), [pick(NASTY)], { nested: pick(NASTY) }]);
  }
  if (Array.isArray(value)) {
    const out = value.map((v) => mutate(v, rnd, depth + 1));
    if (rnd() < 0.05) return Array.from({ length: 1001 + Math.floor(rnd() * 50) }, () => out[0] ?? {});
    return rnd() < 0.1 ? [] : out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (rnd() < 0.07) continue; // drop a field
      out[rnd() < 0.02 ? `${k}\u0000` : k] = mutate(v, rnd, depth + 1);
    }
    if (rnd() < 0.05) out[`x_${Math.floor(rnd() * 100)}`] = pick(NASTY);
    return out;
  }
  if (typeof value === 'string' && rnd() < 0.15) return pick([pick(NASTY), value + pick(NASTY), value.slice(0, 1)]);
  return value;
}

function generate(
  rnd: () => number,
  seed: unknown,
  apiKey: string,
): { body: string | Uint8Array; type: string | null } {
  const roll = rnd();
  const type =
    roll < 0.8
      ? 'application/json'
      : roll < 0.88
        ? 'text/plain'
        : roll < 0.94
          ? 'application/x-www-form-urlencoded'
          : null;
  let doc = mutate(seed, rnd);
  if (doc && typeof doc === 'object' && !Array.isArray(doc) && 'routing_key' in doc && rnd() < 0.8)
    doc = { ...doc, routing_key: apiKey };
  if (rnd() < 0.04) {
    const depth = 20 + Math.floor(rnd() * 200);
    doc = { deep: JSON.parse(`${'['.repeat(depth)}1${']'.repeat(depth)}`) as unknown };
  }
  let text = JSON.stringify(doc) ?? 'null';
  if (rnd() < 0.05) text = text.slice(0, Math.floor(rnd() * text.length)); // cut off mid-document
  if (rnd() < 0.03) return { body: Buffer.from(Array.from({ length: 64 }, () => Math.floor(rnd() * 256))), type };
  if (rnd() < 0.03) text = text.replace(/"/, '"\\u0000'); // a NUL escape inside the first string
  return { body: text, type };
}

let stack: Stack;
let company: TestCompany;
beforeAll(async () => {
  const { pem } = makeCertificate();
  // No router: this is about what the webhook answers and stores, not about thousands of workflows.
  stack = await startStack({
    startRouter: false,
    env: { WEBHOOK_RATE_PER_MINUTE: '0' },
    cloudwatch: { sns: { fetchCertificate: async () => pem } },
  });
  company = await createCompany(stack.sql);
});
afterAll(async () => {
  await stack?.stop();
});

describe('webhook fuzz', () => {
  it(
    `answers ${BODIES} generated bodies with no 5xx and stores nothing of a refused one`,
    { timeout: 240_000 },
    async () => {
      const seed = Number(process.env.FUZZ_SEED ?? 20261123);
      const rnd = prng(seed);
      const seeds = ROUTES.map((r) => ({ ...r, docs: r.seeds.map(load) }));
      const statuses = new Map<number, number>();
      const refused: string[] = [];
      const serverErrors: string[] = [];
      let next = 0;
      const worker = async (): Promise<void> => {
        for (let i = next++; i < BODIES; i = next++) {
          const r = seeds[Math.floor(rnd() * seeds.length)]!;
          const { body, type } = generate(rnd, r.docs[Math.floor(rnd() * r.docs.length)], company.apiKey);
          const deliveryId = `fz-${seed}-${i}`;
          const headers: Record<string, string> = { 'x-delivery-id': deliveryId };
          if (type) headers['content-type'] = type;
          const res = await fetch(`${stack.url}/api/webhooks/${r.route}?api_key=${company.apiKey}`, {
            method: 'POST',
            headers,
            body: body as BodyInit,
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status >= 500) serverErrors.push(`${r.route} #${i}: ${res.status} ${String(body).slice(0, 200)}`);
          else if (res.status >= 400) refused.push(deliveryId);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      console.log(`fuzz seed ${seed}: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
      expect(serverErrors).toEqual([]);
      expect(refused.length).toBeGreaterThan(BODIES / 10);
      // Rows carry the request's delivery id (or "<id>#<n>" for the n-th alert of a multi-alert request).
      const [left] = await stack.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM alerts
      WHERE company_id = ${company.companyId} AND split_part(delivery_id, '#', 1) = ANY(${refused})`;
      expect(left!.n).toBe(0);
    },
  );
});
