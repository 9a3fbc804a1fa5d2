// Labelled alert corpora for `npm run bench:correlation`: six hours of one MSP client's alerts, from a seed, with
// the true incident of every alert. Scenarios: bursts, flapping, recurrences after quiet periods, host-down
// cascades, one fault from two tools, fleet-wide storms, background singles, and a host fault's non-symptoms (a
// recurrence after the host came back, a storm that also hit it, a single unrelated alert). Each tool names
// faults its own way (the vocabularies below), as real Prometheus, Datadog and Zabbix rules do.
import type { CorrelationAlert } from '../../domain/correlate.ts';

export interface LabelledAlert extends CorrelationAlert {
  truth: string;
  scenario: string;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOOLS = ['Prometheus', 'Datadog', 'Zabbix'] as const;
type Tool = (typeof TOOLS)[number];

/** How each tool names the same fault. */
const VOCABULARY: Record<string, Record<Tool, string[]>> = {
  host_down: {
    Prometheus: ['InstanceDown', 'HostDown', 'NodeExporterDown'],
    Datadog: ['host_down', 'host.unreachable'],
    Zabbix: ['Unavailable by ICMP ping', 'Zabbix agent is not available'],
  },
  cpu_high: {
    Prometheus: ['HighCPU', 'NodeHighCPUUsage'],
    Datadog: ['cpu_high', 'system.cpu.user high'],
    Zabbix: ['High CPU utilization', 'Load average is too high'],
  },
  disk_full: {
    Prometheus: ['NodeFilesystemAlmostOutOfSpace', 'DiskFull'],
    Datadog: ['disk_full', 'disk.space low'],
    Zabbix: ['Free disk space is less than 10% on volume /'],
  },
  memory_high: {
    Prometheus: ['HighMemoryUsage', 'NodeMemoryHigh'],
    Datadog: ['memory_high', 'system.mem.used high'],
    Zabbix: ['Lack of available memory'],
  },
};

/** Names people give monitors that carry none of a fault's usual words: no rule can know these are the same. */
const OPAQUE_NAMES: Record<string, string> = {
  host_down: 'No data received',
  cpu_high: 'Saturation alarm',
  disk_full: 'Volume nearly exhausted',
  memory_high: 'Working set pressure',
};

/** Faults no other tool reports the same way, and symptoms of a host going down. */
const OWN_FAULTS = [
  'service_down:nginx',
  'service_down:postgres',
  'http_5xx_rate',
  'ssl_cert_expiring',
  'backup_failed',
  'replication_lag',
  'queue_depth_high',
  'ntp_drift',
  'raid_degraded',
  'login_failures',
];
const SYMPTOMS = ['service_down:nginx', 'http_5xx_rate', 'replication_lag', 'queue_depth_high', 'probe_failed:https'];

const HOURS = 6;
const MINUTE = 60_000;

export function generateCorpus(seed: number, start = Date.UTC(2026, 10, 23, 0, 0, 0)): LabelledAlert[] {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const between = (lo: number, hi: number) => lo + r() * (hi - lo);
  const int = (lo: number, hi: number) => Math.floor(between(lo, hi + 1));
  const alerts: LabelledAlert[] = [];
  let incidents = 0;
  let assetSeq = 0;
  // Every scenario gets its own hosts, so a label never depends on an accidental collision.
  const asset = (kind: string) => `${kind}-${String(++assetSeq).padStart(3, '0')}`;
  const push = (scenario: string, truth: string, at: number, host: string, signature: string, tool: string) =>
    alerts.push({ id: `a${alerts.length}`, at: Math.round(at), asset: host, signature, tool, truth, scenario });
  const family = () => pick(Object.keys(VOCABULARY));
  const nameOf = (fault: string, tool: Tool) => pick(VOCABULARY[fault]![tool]);
  const when = () => start + between(0, HOURS * 60 - 90) * MINUTE;

  for (let i = 0; i < 14; i++) {
    const truth = `burst-${++incidents}`;
    const host = asset('srv');
    const tool = pick(TOOLS);
    const sig = r() < 0.5 ? nameOf(family(), tool) : pick(OWN_FAULTS);
    let t = when();
    for (let n = int(3, 15); n > 0; n--, t += between(5, 60) * 1000) push('burst', truth, t, host, sig, tool);
  }
  for (let i = 0; i < 8; i++) {
    const truth = `flap-${++incidents}`;
    const host = asset('app');
    const tool = pick(TOOLS);
    const sig = pick(OWN_FAULTS);
    let t = when();
    // Fires every 2–8 minutes for up to an hour: one ongoing problem, never quiet for a whole window.
    for (let n = int(8, 20); n > 0; n--, t += between(2, 8) * MINUTE) push('flapping', truth, t, host, sig, tool);
  }
  for (let i = 0; i < 8; i++) {
    const host = asset('db');
    const tool = pick(TOOLS);
    const sig = nameOf(family(), tool);
    let t = start + between(0, 120) * MINUTE;
    // The same fault comes back after a quiet hour or more: a new incident each time.
    for (let episode = int(2, 3); episode > 0; episode--) {
      const truth = `recur-${++incidents}`;
      for (let n = int(2, 6); n > 0; n--, t += between(10, 90) * 1000) push('recurrence', truth, t, host, sig, tool);
      t += between(45, 110) * MINUTE;
    }
  }
  for (let i = 0; i < 8; i++) {
    const truth = `cascade-${++incidents}`;
    const host = asset('node');
    const tool = pick(TOOLS);
    let t = when();
    // Detection lag: a quarter of the time a symptom is seen a few seconds before the host-down check fires.
    if (r() < 0.25) push('host_down', truth, t - between(5, 30) * 1000, host, pick(SYMPTOMS), pick(TOOLS));
    push('host_down', truth, t, host, nameOf('host_down', tool), tool);
    // Everything else on the host fails within minutes, some alerts repeating; other tools notice too.
    for (let n = int(4, 12); n > 0; n--) {
      const other = pick(TOOLS);
      const sig = r() < 0.5 ? pick(SYMPTOMS) : nameOf(pick(['cpu_high', 'memory_high', 'disk_full']), other);
      t += between(3, 40) * 1000;
      push('host_down', truth, t, host, sig, other);
    }
  }
  for (let i = 0; i < 12; i++) {
    const truth = `twotools-${++incidents}`;
    const host = asset('web');
    const fault = family();
    const [a, b] = [pick(TOOLS), pick(TOOLS)];
    const second = b === a ? TOOLS[(TOOLS.indexOf(a) + 1) % TOOLS.length]! : b;
    let t = when();
    // One team in ten names its monitor in words no rule knows.
    const opaque = r() < 0.1;
    for (let n = int(3, 8); n > 0; n--, t += between(20, 120) * 1000) {
      const tool = r() < 0.5 ? a : second;
      push('two_tools', truth, t, host, opaque && tool === second ? OPAQUE_NAMES[fault]! : nameOf(fault, tool), tool);
    }
  }
  for (let i = 0; i < 3; i++) {
    const tool = pick(TOOLS);
    const fault = family();
    const t0 = when();
    // A bad deploy hits many hosts at once; each host is its own incident to fix (and to page about once).
    for (let h = int(10, 25); h > 0; h--) {
      const truth = `storm-${++incidents}`;
      const host = asset('fleet');
      const sig = nameOf(fault, tool);
      let t = t0 + between(0, 120) * 1000;
      for (let n = int(1, 3); n > 0; n--, t += between(30, 120) * 1000) push('fleet_storm', truth, t, host, sig, tool);
    }
  }
  for (let i = 0; i < 120; i++) {
    const tool = pick(TOOLS);
    const sig = r() < 0.5 ? nameOf(family(), tool) : pick(OWN_FAULTS);
    push('background', `single-${++incidents}`, when(), asset('misc'), sig, tool);
  }

  // Alerts of a host that are not its fault's symptoms, though a rule folding by asset would take them (issue 16).
  // An outage: the host-down check re-notifies while the host is down, its services fail, and one service lags
  // for up to 12 minutes after the host came back (still this outage). Returns when the host came back (its
  // fault's last alert) and the outage's last alert.
  const outage = (scenario: string, truth: string, host: string) => {
    const tool = pick(TOOLS);
    const down = when();
    const downFor = between(3, 10) * MINUTE;
    let back = down;
    for (let t = down; t < down + downFor; t += between(1, 2) * MINUTE) {
      push(scenario, truth, t, host, nameOf('host_down', tool), tool);
      back = t;
    }
    for (let n = int(3, 8); n > 0; n--)
      push(scenario, truth, down + between(0, downFor), host, pick(SYMPTOMS), pick(TOOLS));
    const lag = pick(SYMPTOMS);
    const lagTool = pick(TOOLS);
    let last = back;
    for (let t = back + between(2, 4) * MINUTE; t < back + 12 * MINUTE; t += between(4, 8) * MINUTE) {
      push(scenario, truth, t, host, lag, lagTool);
      last = t;
    }
    return { down, back, last };
  };
  // Problems no host-down causes: they recur, or fire once, on their own.
  const UNRELATED = ['backup_failed', 'raid_degraded', 'ntp_drift', 'login_failures', 'ssl_cert_expiring'];
  for (let i = 0; i < 4; i++) {
    const host = asset('node');
    const { back } = outage('host_down_recovered', `cascade-${++incidents}`, host);
    // Another problem of this host (seen an hour or more before) comes back 20–50 minutes after the host did,
    // flapping: within a window of the lagging service's last alert, so a fault kept open by its symptoms chains it.
    const tool = pick(TOOLS);
    const sig = pick(UNRELATED);
    let t = back - between(60, 120) * MINUTE;
    const before = `recur-${++incidents}`;
    for (let n = int(1, 3); n > 0; n--, t += between(20, 90) * 1000)
      push('recurrence_after_fault', before, t, host, sig, tool);
    const after = `recur-${++incidents}`;
    for (t = back + between(20, 24) * MINUTE; t < back + 50 * MINUTE; t += between(3, 8) * MINUTE)
      push('recurrence_after_fault', after, t, host, sig, tool);
  }
  for (let i = 0; i < 4; i++) {
    const host = asset('node');
    const { back, last } = outage('host_down_single', `cascade-${++incidents}`, host);
    // One unrelated alert after the fault's own window closed, while its lagging symptom kept the group open.
    const tool = pick(TOOLS);
    push(
      'single_after_fault',
      `single-${++incidents}`,
      between(back + 16 * MINUTE, last + 14 * MINUTE),
      host,
      pick(UNRELATED),
      tool,
    );
  }
  for (let i = 0; i < 4; i++) {
    const host = asset('node');
    const { down } = outage('host_down_storm', `cascade-${++incidents}`, host);
    // A storm across the fleet during the outage hits the down host too: there it is the storm's, not the outage's.
    const tool = pick(TOOLS);
    const sig = r() < 0.5 ? pick(['ntp_drift', 'login_failures', 'backup_failed']) : nameOf('disk_full', tool);
    const t0 = down + between(0, 3) * MINUTE;
    const hosts = [host, ...Array.from({ length: int(10, 25) }, () => asset('fleet'))];
    for (const h of hosts) {
      const truth = `storm-${++incidents}`;
      let t = t0 + between(0, 120) * 1000;
      for (let n = int(1, 3); n > 0; n--, t += between(30, 120) * 1000)
        push('fleet_storm_on_fault', truth, t, h, sig, tool);
    }
  }
  return alerts.sort((x, y) => x.at - y.at);
}
