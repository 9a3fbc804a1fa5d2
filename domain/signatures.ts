// One name per fault across tools. Alertmanager says "NodeFilesystemAlmostOutOfSpace", Datadog "disk_full",
// Zabbix "Free disk space is less than 10% on volume /": correlation compares the canonical form, so one fault
// reported by two tools lands in one incident. Unknown signatures keep their own words (normalised), so two
// different faults are never made equal by accident: only the families below are folded together.

/** Faults of the whole host: while one is open, the asset's other alerts are its symptoms. */
export const HOST_FAULT = 'host_down';

interface Family {
  name: string;
  /** Every group must share a word with the signature. */
  all: string[][];
  /** No word of these may appear (keeps "service down" apart from "host down"). */
  none?: string[];
}

const FAMILIES: Family[] = [
  {
    name: HOST_FAULT,
    all: [
      ['host', 'instance', 'node', 'server', 'machine', 'icmp', 'ping', 'agent', 'vm'],
      ['down', 'unreachable', 'unavailable', 'available', 'unresponsive', 'offline', 'dead', 'lost', 'failed'],
    ],
    none: ['service', 'process', 'disk', 'cpu', 'memory', 'http', 'port', 'nginx', 'database', 'db'],
  },
  { name: 'cpu_high', all: [['cpu', 'processor', 'loadavg']] },
  // "load" alone is too wide ("load balancer unhealthy"); the load average is a CPU signal.
  { name: 'cpu_high', all: [['load'], ['average', 'avg']] },
  {
    name: 'disk_full',
    all: [
      ['disk', 'filesystem', 'volume', 'fs', 'storage', 'inode', 'inodes'],
      ['full', 'space', 'out', 'almost', 'low', 'free', 'usage', 'used'],
    ],
  },
  { name: 'memory_high', all: [['memory', 'mem', 'ram', 'swap', 'oom']] },
];

/** "NodeHighCPU", "node.cpu-high" → ["node", "high", "cpu"]. */
export function signatureWords(signature: string): string[] {
  return signature
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function canonicalSignature(signature: string): string {
  const words = signatureWords(signature);
  const has = (list: string[]) => list.some((w) => words.includes(w));
  for (const f of FAMILIES) {
    if (f.all.every(has) && !(f.none && has(f.none))) return f.name;
  }
  return words.join('_') || signature;
}

export function isHostFault(signature: string): boolean {
  return canonicalSignature(signature) === HOST_FAULT;
}
