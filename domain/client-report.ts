// The monthly client report (seed 000 "reports"): which month a "YYYY-MM" names, and the report as CSV. Months are
// calendar months in UTC, as every period the overview computes.
import { toCsv } from './csv.ts';
import { isCompliant, type InstancePatchState } from './patch-compliance.ts';

/** How far back a report may look: two years of months. */
export const REPORT_MONTHS_BACK = 24;

export interface Month {
  /** "2026-11" */
  month: string;
  from: string;
  to: string;
}

/** The calendar month "YYYY-MM" names, with no limit on when; null when it names none. */
export function calendarMonth(value: string): Month | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!m) return null;
  const [year, month] = [Number(m[1]), Number(m[2])];
  return {
    month: value,
    from: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
    to: new Date(Date.UTC(year, month, 1)).toISOString(),
  };
}

/** The calendar month (UTC) before the one `nowMs` is in: the month a report mailed on the 1st is about. */
export function previousMonth(nowMs: number): string {
  const now = new Date(nowMs);
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
}

/** The month `value` names, or why it cannot be reported: not YYYY-MM, in the future, or older than two years. */
export function parseMonth(value: string, nowMs: number): Month | { problem: string } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(value);
  if (!m) return { problem: 'must be a month such as 2026-11' };
  const [year, month] = [Number(m[1]), Number(m[2])];
  const now = new Date(nowMs);
  const index = (y: number, mo: number) => y * 12 + (mo - 1);
  const asked = index(year, month);
  const current = index(now.getUTCFullYear(), now.getUTCMonth() + 1);
  if (asked > current) return { problem: 'is in the future' };
  if (current - asked > REPORT_MONTHS_BACK) return { problem: `is more than ${REPORT_MONTHS_BACK} months ago` };
  return calendarMonth(value)!;
}

export interface SeverityScore {
  severity: string;
  incidents: number;
  slaMet: number;
  slaMissed: number;
}

export interface RecurringProblem {
  signature: string;
  incidents: number;
  assets: number;
  selfHealed: number;
}

/**
 * Patch compliance as far as the month knows it: the registered instances whose stored scan (each instance's latest,
 * migration 021 keeps no history) ended within the month. An instance scanned again since has no figure for that
 * month any more, so a past month's line is what is still known of it, never a later month's state.
 */
export interface ReportPatches {
  instancesScanned: number;
  compliant: number;
  nonCompliant: number;
  /** Critical and security patches missing, summed over those instances. */
  criticalMissing: number;
  securityMissing: number;
  /** When the latest of those scans ended (ISO). */
  lastScanAt: string;
}

/** The month's patch figures from the stored states of the registered (`asked`) instances; null when none. */
export function monthPatches(
  asked: readonly string[],
  states: readonly InstancePatchState[],
  month: { from: string; to: string },
): ReportPatches | null {
  const [from, to] = [Date.parse(month.from), Date.parse(month.to)];
  const registered = new Set(asked);
  const inMonth = states.filter((s) => {
    const ended = Date.parse(s.operationEndTime);
    return registered.has(s.instanceId) && ended >= from && ended < to;
  });
  if (!inMonth.length) return null;
  const compliant = inMonth.filter(isCompliant).length;
  const latest = Math.max(...inMonth.map((s) => Date.parse(s.operationEndTime)));
  return {
    instancesScanned: inMonth.length,
    compliant,
    nonCompliant: inMonth.length - compliant,
    criticalMissing: inMonth.reduce((n, s) => n + s.criticalNonCompliantCount, 0),
    securityMissing: inMonth.reduce((n, s) => n + s.securityNonCompliantCount, 0),
    lastScanAt: new Date(latest).toISOString(),
  };
}

export interface ReportFigures {
  companyName: string;
  month: string;
  alerts: number;
  incidents: number;
  noiseReduction: number | null;
  mttaSeconds: number | null;
  mttrSeconds: number | null;
  selfHealed: number;
  selfHealedShare: number | null;
  slaCompliance: number | null;
  bySeverity: SeverityScore[];
  recurring: RecurringProblem[];
  /** Null when no registered instance's scan ended that month (unknown, not compliant). */
  patches: ReportPatches | null;
}

const pct = (x: number | null) => (x === null ? '' : (x * 100).toFixed(1));
const secs = (x: number | null) => (x === null ? '' : Math.round(x));

const PATCH_HEAD = [
  'patch_instances_scanned',
  'patch_compliant',
  'patch_non_compliant',
  'patch_critical_missing',
  'patch_security_missing',
  'patch_last_scan_at',
];

const SUMMARY_HEAD = [
  'company',
  'month',
  'alerts',
  'incidents',
  'noise_reduction_pct',
  'mtta_seconds',
  'mttr_seconds',
  'self_healed',
  'self_healed_pct',
  'sla_compliance_pct',
];

/** The report as one CSV: a section per table, each with its own header line, for a spreadsheet to open. */
export function reportCsv(r: ReportFigures): string {
  const summary = [
    r.companyName,
    r.month,
    r.alerts,
    r.incidents,
    pct(r.noiseReduction),
    secs(r.mttaSeconds),
    secs(r.mttrSeconds),
    r.selfHealed,
    pct(r.selfHealedShare),
    pct(r.slaCompliance),
  ];
  return [
    toCsv(SUMMARY_HEAD, [summary]),
    toCsv(
      ['severity', 'incidents', 'sla_met', 'sla_missed'],
      r.bySeverity.map((s) => [s.severity, s.incidents, s.slaMet, s.slaMissed]),
    ),
    toCsv(
      ['recurring_signature', 'incidents', 'assets', 'self_healed'],
      r.recurring.map((p) => [p.signature, p.incidents, p.assets, p.selfHealed]),
    ),
    // Last, so the sections before keep their lines; a header alone when nothing is known of the month.
    toCsv(PATCH_HEAD, r.patches ? [patchRow(r.patches)] : []),
  ].join('\r\n');
}

function patchRow(p: ReportPatches): unknown[] {
  return [p.instancesScanned, p.compliant, p.nonCompliant, p.criticalMissing, p.securityMissing, p.lastScanAt];
}
