// The Temporal server's static config for `npm run cluster`, from the release's own config/development-postgres12.yaml:
// PostgreSQL persistence and SQL visibility, 4 history shards, every service of the one binary on 127.0.0.1 with
// ports picked for this run (none of the fixed 7233–7243 a dev server or another cluster may hold). Left out on
// purpose: metrics and pprof listeners (more ports, nothing reads them here) and archival.
import net from 'node:net';
import { assertPortFree } from '../lib/ports.ts';

export const HISTORY_SHARDS = 4;

export interface TemporalPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export interface TemporalDatabase {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Executions and the rest of the server's state. */
  database: string;
  /** What List/Count workflow queries and search attributes read. */
  visibilityDatabase: string;
}

/**
 * A free port below the kernel's ephemeral range (32768 and up): the Temporal dev servers other runs start bind
 * random ports in that range and could take one of ours between our check and the server's bind.
 */
export async function pickPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(candidate)) continue;
    try {
      await assertPortFree(candidate, 'the cluster');
      taken.add(candidate);
      return candidate;
    } catch {
      // in use: draw again
    }
  }
}

export async function pickTemporalPorts(taken: Set<number> = new Set()): Promise<TemporalPorts> {
  const names: Array<keyof TemporalPorts> = [
    'frontend',
    'frontendHttp',
    'frontendMembership',
    'history',
    'historyMembership',
    'matching',
    'matchingMembership',
    'worker',
    'workerMembership',
  ];
  const ports = {} as TemporalPorts;
  for (const name of names) ports[name] = await pickPort(taken);
  return ports;
}

/** A YAML scalar: JSON's double-quoted strings are valid YAML and escape whatever a password holds. */
const q = (s: string) => JSON.stringify(s);

/** `maxConns` per service: the one binary runs four services, each with its own pools. */
function datastore(db: TemporalDatabase, database: string, maxConns: number): string {
  return `
      sql:
        pluginName: "postgres12"
        databaseName: ${q(database)}
        connectAddr: ${q(net.isIPv6(db.host) ? `[${db.host}]:${db.port}` : `${db.host}:${db.port}`)}
        connectProtocol: "tcp"
        user: ${q(db.user)}
        password: ${q(db.password)}
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
}

function service(grpc: number, membership: number, http?: number): string {
  return `
    rpc:
      grpcPort: ${grpc}
      membershipPort: ${membership}
      bindOnLocalHost: true${http ? `\n      httpPort: ${http}` : ''}`;
}

export function temporalConfigYaml(o: { ports: TemporalPorts; db: TemporalDatabase; dynamicConfigFile: string }) {
  const p = o.ports;
  return `# Written by scripts/cluster-config.ts for this run; edits are lost on the next start.
log:
  stdout: true
  level: warn

persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${HISTORY_SHARDS}
  datastores:
    postgres-default:${datastore(o.db, o.db.database, 10)}
    postgres-visibility:${datastore(o.db, o.db.visibilityDatabase, 2)}

global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"

services:
  frontend:${service(p.frontend, p.frontendMembership, p.frontendHttp)}
  matching:${service(p.matching, p.matchingMembership)}
  history:${service(p.history, p.historyMembership)}
  worker:${service(p.worker, p.workerMembership)}

clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${p.frontend}"

dcRedirectionPolicy:
  policy: "noop"

dynamicConfigClient:
  filepath: ${q(o.dynamicConfigFile)}
  pollInterval: "10s"
`;
}

/**
 * Dynamic config: what the app uses that 1.28 leaves off by default (update-with-start reopens an incident), and
 * search attributes usable as soon as they are added (the dev server does the same; a cluster's cache would
 * otherwise fail the first upserts for up to a minute after the workers register them).
 */
export const DYNAMIC_CONFIG_YAML = `# Written by scripts/cluster-config.ts.
frontend.enableExecuteMultiOperation:
  - value: true
frontend.enableUpdateWorkflowExecution:
  - value: true
system.forceSearchAttributesCacheRefreshOnRead:
  - value: true
`;
