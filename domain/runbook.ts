// A runbook version as a company writes it: the one validation every save and every catalogue entry passes, and
// the field-by-field difference between two versions that the history shows.
import { RISK_LEVELS, type RiskLevel } from './types.ts';
import { templateProblems, shellFor } from './runbook-template.ts';
import { targetTagProblem } from './runbook-targets.ts';

export interface RunbookDraft {
  name: string;
  description: string;
  /** Exact signatures or globs (`disk_*`, `service_down:*`). */
  signatures: string[];
  riskLevel: RiskLevel;
  /** AWS-RunShellScript, AWS-RunPowerShellScript or the name of an SSM document the client owns. */
  documentName: string;
  /** Command templates (domain/runbook-template.ts). */
  commands: string[];
  parameters: Record<string, string>;
  /** How long the commands may run on the instance (SSM executionTimeout). */
  timeoutSeconds: number;
  // Optional so drafts written before checks existed (seeds, scripts) still are drafts: absent = no check.
  /** Command templates run before the actions: a non-zero exit and nothing is changed (domain/runbook-checks.ts). */
  preCheck?: string[];
  /** Command templates run after the actions: a non-zero exit and the run failed. */
  postCheck?: string[];
  /** Run on every asset of the incident's company with this tag; absent or null = the incident's asset. */
  targetTag?: string | null;
}

export interface DraftProblem {
  field: string;
  message: string;
}

export const RUNBOOK_LIMITS = {
  name: 100,
  description: 2000,
  signatures: 20,
  signature: 200,
  commands: 50,
  command: 4000,
  /** Each check is a short test (PowerShell passes it encoded on a command line). */
  checkCommands: 10,
  checkChars: 4000,
  parameters: 20,
  parameterValue: 500,
  timeoutMin: 30,
  /** SSM's own ceiling for executionTimeout: 48 hours. */
  timeoutMax: 172_800,
} as const;

export const DEFAULT_TIMEOUT_SECONDS = 600;
export const BUILTIN_DOCUMENTS = ['AWS-RunShellScript', 'AWS-RunPowerShellScript'] as const;

// The characters alert signatures are made of, plus the glob's star; nothing a regex engine would read.
const SIGNATURE = /^[A-Za-z0-9_.:/@\-*]+$/;
// SSM's own document-name pattern.
const DOCUMENT = /^[A-Za-z0-9_.\-:/]{3,128}$/;
const PARAMETER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Every problem with a draft, each naming its field ("commands.2", "signatures.0"); empty when it may be saved. */
export function draftProblems(d: RunbookDraft): DraftProblem[] {
  const p: DraftProblem[] = [];
  const L = RUNBOOK_LIMITS;
  if (!d.name.trim()) p.push({ field: 'name', message: 'is required' });
  if (d.name.length > L.name) p.push({ field: 'name', message: `is at most ${L.name} characters` });
  if (d.description.length > L.description) {
    p.push({ field: 'description', message: `is at most ${L.description} characters` });
  }
  if (!d.signatures.length) p.push({ field: 'signatures', message: 'name at least one signature or glob' });
  if (d.signatures.length > L.signatures) p.push({ field: 'signatures', message: `at most ${L.signatures}` });
  const seen = new Set<string>();
  d.signatures.forEach((s, i) => {
    const field = `signatures.${i}`;
    if (!SIGNATURE.test(s)) {
      p.push({ field, message: 'letters, digits and _ . : / @ - only, with * as the wildcard' });
    } else if (s.length > L.signature) p.push({ field, message: `is at most ${L.signature} characters` });
    else if (/^\*+$/.test(s)) p.push({ field, message: 'a bare "*" would take every alert: name part of it' });
    else if (seen.has(s)) p.push({ field, message: `"${s}" is listed twice` });
    seen.add(s);
  });
  if (!(RISK_LEVELS as readonly string[]).includes(d.riskLevel)) {
    p.push({ field: 'riskLevel', message: `is one of ${RISK_LEVELS.join(', ')}` });
  }
  if (!DOCUMENT.test(d.documentName)) {
    p.push({ field: 'documentName', message: 'is an SSM document name (e.g. AWS-RunShellScript)' });
  }
  const names = Object.keys(d.parameters);
  if (names.length > L.parameters) p.push({ field: 'parameters', message: `at most ${L.parameters}` });
  for (const n of names) {
    if (!PARAMETER_NAME.test(n))
      p.push({ field: `parameters.${n}`, message: 'a name is a letter then [A-Za-z0-9_.-]' });
    else if (d.parameters[n]!.length > L.parameterValue) {
      p.push({ field: `parameters.${n}`, message: `is at most ${L.parameterValue} characters` });
    }
  }
  if (!d.commands.length) p.push({ field: 'commands', message: 'give at least one command' });
  if (d.commands.length > L.commands) p.push({ field: 'commands', message: `at most ${L.commands}` });
  d.commands.forEach((c, i) => {
    if (!c.trim()) p.push({ field: `commands.${i}`, message: 'is empty' });
    if (c.length > L.command) p.push({ field: `commands.${i}`, message: `is at most ${L.command} characters` });
  });
  for (const t of templateProblems(d.commands, shellFor(d.documentName), d.parameters)) {
    p.push({ field: `commands.${t.command}`, message: t.message });
  }
  checkProblems(d, 'preCheck', p);
  checkProblems(d, 'postCheck', p);
  const tag = targetTagProblem(d.targetTag);
  if (tag) p.push({ field: 'targetTag', message: tag });
  if (!Number.isInteger(d.timeoutSeconds) || d.timeoutSeconds < L.timeoutMin || d.timeoutSeconds > L.timeoutMax) {
    p.push({
      field: 'timeoutSeconds',
      message: `is a whole number of seconds from ${L.timeoutMin} to ${L.timeoutMax}`,
    });
  }
  return p;
}

/** A check may be empty (no check); when set, its commands pass the same template rules as the actions. */
function checkProblems(d: RunbookDraft, field: 'preCheck' | 'postCheck', p: DraftProblem[]): void {
  const L = RUNBOOK_LIMITS;
  const commands = d[field] ?? [];
  if (commands.length > L.checkCommands) p.push({ field, message: `at most ${L.checkCommands} commands` });
  const total = commands.reduce((n, c) => n + c.length, 0);
  if (total > L.checkChars) p.push({ field, message: `is at most ${L.checkChars} characters in all` });
  commands.forEach((c, i) => {
    if (!c.trim()) p.push({ field: `${field}.${i}`, message: 'is empty' });
  });
  for (const t of templateProblems(commands, shellFor(d.documentName), d.parameters)) {
    p.push({ field: `${field}.${t.command}`, message: t.message });
  }
}

export interface FieldChange {
  field: keyof RunbookDraft;
  before: string;
  after: string;
}

const DIFF_FIELDS: Array<keyof RunbookDraft> = [
  'name',
  'description',
  'signatures',
  'riskLevel',
  'documentName',
  'commands',
  'parameters',
  'timeoutSeconds',
  'preCheck',
  'postCheck',
  'targetTag',
];

/** The most changes one version can show (GraphQL's list bound). */
export const DIFF_FIELD_COUNT = DIFF_FIELDS.length;

function show(v: RunbookDraft[keyof RunbookDraft]): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.join('\n');
  if (typeof v === 'object') {
    return Object.entries(v)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, x]) => `${k}=${x}`)
      .join('\n');
  }
  return String(v);
}

/** What changed from `before` to `after`, field by field, as the text each field shows. */
export function diffDrafts(before: RunbookDraft, after: RunbookDraft): FieldChange[] {
  return DIFF_FIELDS.flatMap((field) => {
    const a = show(before[field]);
    const b = show(after[field]);
    return a === b ? [] : [{ field, before: a, after: b }];
  });
}
