// The monthly client report (seed 000 "reports"): which month a "YYYY-MM" names, and the report as CSV. Months are
// calendar months in UTC, as every period the overview computes.
import { toCsv } from './csv.ts';

/** How far back a report may look: two years of months. */
export const REPORT_MONTHS_BACK = 24;

export interface Month {
  /** "2026-11" */
  month: string;
  from: string;
  to: string;
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
  return {
    month: value,
    from: new Date(Date.UTC(year, month - 1, 1)).toISOString(),
    to: new Date(Date.UTC(year, month, 1)).toISOString(),
  };
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
}

const pct = (x: number | null) => (x === null ? '' : (x * 100).toFixed(1));
const secs = (x: number | null) => (x === null ? '' : Math.round(x));

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
  ].join('\r\n');
}
