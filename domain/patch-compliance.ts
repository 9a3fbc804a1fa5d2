// Patch compliance of a company's instances (issue 14 item 8), summarised from what SSM Patch Manager reported
// (DescribeInstancePatchStates): pure, so the dashboard's figures are the same whoever computes them.

/** One instance's patch state as the API has it (its counts), plus the time its last scan or install ended. */
export interface InstancePatchState {
  instanceId: string;
  missingCount: number;
  criticalNonCompliantCount: number;
  securityNonCompliantCount: number;
  failedCount: number;
  installedPendingRebootCount: number;
  /** Scan or Install: what the last Patch Manager run did. */
  operation: string;
  /** OperationEndTime: when that run ended (ISO). */
  operationEndTime: string;
}

/**
 * A scan older than this is stale: Patch Manager's baselines are usually scanned daily (Quick Setup's default), so
 * two days without one means the scan itself stopped, and "compliant" may no longer be true.
 */
export const STALE_SCAN_HOURS = 48;

/** DescribeInstancePatchStates takes at most 50 instance ids per call. */
export const PATCH_STATES_MAX_IDS = 50;

export interface InstancePatchView extends InstancePatchState {
  compliant: boolean;
  /** Hours since OperationEndTime, rounded down; null when AWS sent no readable time (then it counts as stale). */
  scanAgeHours: number | null;
  stale: boolean;
}

export interface PatchSummary {
  /** Registered instances asked about. */
  instanceCount: number;
  /** Of those, the ones Patch Manager has a state for (the others were never scanned). */
  scannedCount: number;
  compliantCount: number;
  /** Compliant share of the scanned instances, 0–100 with one decimal; null when none was scanned (not 0 %). */
  compliantPercent: number | null;
  criticalMissing: number;
  securityMissing: number;
  /** The oldest last scan among the scanned instances (ISO), and its age in hours: the summary is as old as it. */
  oldestScanAt: string | null;
  oldestScanAgeHours: number | null;
  /** Some instance's last scan is older than STALE_SCAN_HOURS. */
  stale: boolean;
  /** Registered instances Patch Manager reported nothing for. */
  unscanned: string[];
  /** Non-compliant first, then by critical and security patches missing. */
  instances: InstancePatchView[];
}

/**
 * Compliant as Patch Manager counts it: nothing missing, nothing failed, and no installed patch waiting for a
 * reboot (the baseline's InstalledPendingReboot patches report the instance NON_COMPLIANT until it restarts).
 */
export function isCompliant(s: InstancePatchState): boolean {
  return s.missingCount === 0 && s.failedCount === 0 && s.installedPendingRebootCount === 0;
}

const HOUR_MS = 3_600_000;

export function summarisePatchStates(
  asked: readonly string[],
  states: readonly InstancePatchState[],
  now: Date,
  staleAfterHours = STALE_SCAN_HOURS,
): PatchSummary {
  const askedSet = new Set(asked);
  // Only registered instances count: a state for anything else (a stale answer, a changed inventory) is dropped.
  const known = states.filter((s) => askedSet.has(s.instanceId));
  const instances = known.map((s): InstancePatchView => {
    const ended = Date.parse(s.operationEndTime);
    const ageHours = Number.isNaN(ended) ? Infinity : Math.max(0, Math.floor((now.getTime() - ended) / HOUR_MS));
    return {
      ...s,
      compliant: isCompliant(s),
      scanAgeHours: Number.isFinite(ageHours) ? ageHours : null,
      stale: ageHours >= staleAfterHours,
    };
  });
  instances.sort(
    (a, b) =>
      Number(a.compliant) - Number(b.compliant) ||
      b.criticalNonCompliantCount - a.criticalNonCompliantCount ||
      b.securityNonCompliantCount - a.securityNonCompliantCount ||
      a.instanceId.localeCompare(b.instanceId),
  );
  const scanned = new Set(instances.map((i) => i.instanceId));
  const compliantCount = instances.filter((i) => i.compliant).length;
  const oldest = instances
    .map((i) => i.operationEndTime)
    .filter((t) => !Number.isNaN(Date.parse(t)))
    .sort((a, b) => Date.parse(a) - Date.parse(b))[0];
  return {
    instanceCount: askedSet.size,
    scannedCount: instances.length,
    compliantCount,
    compliantPercent: instances.length ? Math.round((compliantCount / instances.length) * 1000) / 10 : null,
    criticalMissing: sum(instances, (i) => i.criticalNonCompliantCount),
    securityMissing: sum(instances, (i) => i.securityNonCompliantCount),
    oldestScanAt: oldest ?? null,
    oldestScanAgeHours: oldest ? Math.max(0, Math.floor((now.getTime() - Date.parse(oldest)) / HOUR_MS)) : null,
    stale: instances.some((i) => i.stale),
    unscanned: [...askedSet].filter((id) => !scanned.has(id)).sort(),
    instances,
  };
}

/** The ids in calls of at most PATCH_STATES_MAX_IDS, as the API takes them. */
export function chunkInstanceIds(ids: readonly string[], size = PATCH_STATES_MAX_IDS): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < ids.length; i += size) out.push(ids.slice(i, i + size));
  return out;
}

function sum<T>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((n, x) => n + f(x), 0);
}

/** The signature of the alert a non-compliant instance raises (company setting patches.openIncidents). */
export const PATCH_ALERT_SIGNATURE = 'patch_critical_missing';

export interface PatchAlert {
  instanceId: string;
  assetName: string;
  /** One per instance and scan: a refresh that finds the same scan again adds nothing. */
  deliveryId: string;
  signature: string;
  severity: 'high';
  message: string;
}

/**
 * The alerts for instances missing critical patches: one per instance per Patch Manager run, named after the
 * company's asset (instances without one are skipped: an alert names an asset).
 */
export function patchAlerts(states: readonly InstancePatchState[], assetNames: ReadonlyMap<string, string>) {
  const out: PatchAlert[] = [];
  for (const s of states) {
    const assetName = assetNames.get(s.instanceId);
    if (!assetName || s.criticalNonCompliantCount <= 0) continue;
    const n = s.criticalNonCompliantCount;
    out.push({
      instanceId: s.instanceId,
      assetName,
      deliveryId: `patch:${s.instanceId}:${s.operationEndTime}`,
      signature: PATCH_ALERT_SIGNATURE,
      severity: 'high',
      message:
        `${n} critical patch${n === 1 ? '' : 'es'} missing on ${assetName} (${s.instanceId}), ` +
        `${s.securityNonCompliantCount} security, as of the Patch Manager ${s.operation.toLowerCase() || 'scan'} ` +
        `that ended ${s.operationEndTime}`,
    });
  }
  return out;
}
