// The subscribers of `npm run bench:live` (live.bench.ts forks this process, so their sockets and JSON parsing do
// not share the API's or the updater's event loop): one graphql-ws socket per subscription, as a screen holds it.
// Each event's delay is its arrival here minus the incident's updated_at, which the updater stamps with
// clock_timestamp() in the one-statement transaction that commits the change.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface SubscriberSpec {
  token: string;
  query: string;
  variables: Record<string, unknown>;
}
type Ask = { ask: 'open'; url: string; specs: SubscriberSpec[] } | { ask: 'report' } | { ask: 'stop' };

const clients: Client[] = [];
let delays: number[] = [];
let errors = 0;

function open(url: string, spec: SubscriberSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${spec.token}` },
      retryAttempts: 0,
      lazy: false,
      on: { connected: () => resolve(), error: (e) => reject(new Error(String(e))) },
    });
    clients.push(client);
    client.subscribe<{ incidentUpdated: { updatedAt: string } }>(
      { query: spec.query, variables: spec.variables },
      {
        next: (v) => {
          if (v.data) delays.push(Date.now() - Date.parse(v.data.incidentUpdated.updatedAt));
          else errors += 1;
        },
        error: () => (errors += 1),
        complete: () => {},
      },
    );
  });
}

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN;

process.on('message', (m: Ask) => {
  if (m.ask === 'open') {
    // A few at a time: each socket's connection_init reads its session.
    void (async () => {
      for (let i = 0; i < m.specs.length; i += 50)
        await Promise.all(m.specs.slice(i, i + 50).map((s) => open(m.url, s)));
      process.send!({ opened: clients.length });
    })().catch((err: unknown) => process.send!({ failed: String(err) }));
  } else if (m.ask === 'report') {
    const sorted = Float64Array.from(delays).sort();
    process.send!({
      events: delays.length,
      errors,
      p50: pct([...sorted], 50),
      p99: pct([...sorted], 99),
      max: sorted.length ? sorted[sorted.length - 1] : NaN,
      cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    });
    delays = [];
    errors = 0;
  } else if (m.ask === 'stop') {
    void Promise.all(clients.map((c) => c.dispose())).then(() => process.exit(0));
  }
});
process.send!({ ready: true });
