// bench:ingest's "alert → GraphQL" phase: how long after its 202 an alert's incident shows in `incidents`, one fresh
// key at a time (test/bench/ingest.bench.ts).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { alert, post } from './ingest-loadgen.ts';

export async function alertToGraphql(o: {
  base: string;
  /** The webhook URL of the viewer's company. */
  hook: string;
  user: { email: string; password: string };
  samples: number;
  run: string;
}): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const gql = async (query: string, variables: object, token?: string) => {
    const r = await post(
      agent,
      new URL(`${o.base}/graphql`),
      JSON.stringify({ query, variables }),
      token ? { authorization: `Bearer ${token}` } : {},
    );
    return JSON.parse(r.text) as { data: Record<string, unknown> | null; errors?: unknown };
  };
  try {
    const loggedIn = await gql('mutation($e:String!,$p:String!){login(email:$e,password:$p){accessToken}}', {
      e: o.user.email,
      p: o.user.password,
    });
    const token = (loggedIn.data?.login as { accessToken: string } | undefined)?.accessToken;
    if (!token) throw new Error(`login failed: ${JSON.stringify(loggedIn.errors)}`);
    const seen: number[] = [];
    for (let k = 0; k < o.samples; k++) {
      const asset = `lat-${o.run}-${k}`;
      const t0 = performance.now();
      const body = JSON.stringify({ ...alert(k, { prefix: '', tag: `${o.run}-l` }), asset_name: asset });
      const r = await post(agent, new URL(o.hook), body);
      if (r.status !== 202) throw new Error(`latency sample ${k}: ${r.status} ${r.text}`);
      for (const end = t0 + 30_000; performance.now() < end; await sleep(5)) {
        const q = await gql('{ incidents(limit: 100) { assetName } }', {}, token);
        if ((q.data?.incidents as Array<{ assetName: string }> | undefined)?.some((i) => i.assetName === asset)) {
          seen.push(performance.now() - t0);
          break;
        }
      }
    }
    return seen;
  } finally {
    agent.destroy();
  }
}
