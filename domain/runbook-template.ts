// Runbook command templates. A command may use incident fields only through placeholders, and each value is put in
// as one shell-quoted word, so an alert field (text any sender of the company's key chooses) never becomes shell
// code:
//   {{asset}} {{signature}} {{severity}} {{incident_id}}  the incident's own fields
//   {{label.<name>}}                                      a label of the incident's latest alert ('' when absent)
//   {{param.<name>}}                                      a value the runbook version sets (its `parameters`)
// Bash (AWS-RunShellScript and named documents) gets POSIX single quotes ('it'\''s'); PowerShell
// (AWS-RunPowerShellScript) gets its single-quoted string, with every single-quote character PowerShell accepts
// doubled. Quoting only protects a word where the shell reads it as a word, so a save is refused when a placeholder
// sits inside quotes, in a comment, in a here-document, where a command name goes, or in a command that runs text
// as code (eval, a shell or interpreter, ssh, Invoke-Expression…). A value beginning with "-" can still read as an
// option: write `--` before it where the command takes one.

import { wrapWithChecks } from './runbook-checks.ts';

export type TemplateShell = 'bash' | 'powershell';

export interface TemplateFields {
  asset: string;
  signature: string;
  severity: string;
  incidentId: string;
  labels: Readonly<Record<string, string>>;
}

export interface TemplateProblem {
  /** Index of the command in the runbook. */
  command: number;
  message: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const FIXED = ['asset', 'signature', 'severity', 'incident_id'] as const;

/** The placeholders this renderer knows, for documentation and the editor's hint. */
export const TEMPLATE_PLACEHOLDERS = [...FIXED.map((f) => `{{${f}}}`), '{{label.<name>}}', '{{param.<name>}}'];

/** The shell a document's commands run in. */
export function shellFor(documentName: string): TemplateShell {
  return documentName === 'AWS-RunPowerShellScript' ? 'powershell' : 'bash';
}

/** One value as a single bash word: nothing inside single quotes is special, not even a newline. */
export function quoteBash(value: string): string {
  return `'${stripNul(value).replace(/'/g, `'\\''`)}'`;
}

/** One value as a PowerShell verbatim string: '' inside, and PowerShell also ends strings on ‘ ’ ‚ ‛. */
export function quotePowerShell(value: string): string {
  return `'${stripNul(value).replace(/['\u2018\u2019\u201A\u201B]/g, '$&$&')}'`;
}

// A process argument cannot hold NUL; dropping it keeps the rest of the value one word.
function stripNul(value: string): string {
  return value.replace(/\0/g, '');
}

interface Piece {
  text: string;
  /** The placeholder's name without braces, or undefined for literal text. */
  placeholder?: string;
  /** Where the placeholder starts, for the quoting check. */
  at: number;
}

/** Splits a template at `{{…}}`; an unclosed `{{` is an error. Linear in the template's length. */
function pieces(template: string): Piece[] | string {
  const out: Piece[] = [];
  let from = 0;
  for (;;) {
    const open = template.indexOf('{{', from);
    if (open < 0) break;
    const close = template.indexOf('}}', open + 2);
    if (close < 0) return `"{{" at ${open} is never closed with "}}"`;
    out.push({ text: template.slice(from, open), at: from });
    out.push({ text: '', placeholder: template.slice(open + 2, close).trim(), at: open });
    from = close + 2;
  }
  out.push({ text: template.slice(from), at: from });
  return out;
}

function placeholderProblem(name: string, params: Readonly<Record<string, string>>): string | null {
  if ((FIXED as readonly string[]).includes(name)) return null;
  const dot = name.indexOf('.');
  const kind = dot < 0 ? name : name.slice(0, dot);
  const key = dot < 0 ? '' : name.slice(dot + 1);
  if (kind === 'label' && NAME.test(key)) return null;
  if (kind === 'param' && NAME.test(key)) {
    return Object.hasOwn(params, key) ? null : `{{${name}}} names parameter "${key}", which this runbook does not set`;
  }
  return `unknown placeholder {{${name}}}: use ${TEMPLATE_PLACEHOLDERS.join(', ')}`;
}

// Commands that run text they are given as code (shells, interpreters, remote shells): quoting a value cannot keep
// it data there, so a command using a placeholder may not call them. Built from constants only.
const RUNS_TEXT_AS_CODE: Record<TemplateShell, RegExp> = {
  bash: /(^|[\s;&|(`])(eval|source|\.|(ba|da|z|k|c|tc|fi)?sh|python[0-9.]*|perl|ruby|node|php|lua|awk|gawk|sed|pwsh|su|ssh|xargs|parallel)(\s|$)|<</,
  powershell:
    /invoke-expression|\biex\b|invoke-command|start-job|\[scriptblock\]|-encodedcommand|-command|start-process|@["']|\bcmd(\.exe)?\b|\b(pwsh|powershell)(\.exe)?\b|\b(bash|sh|wsl)(\.exe)?\b/i,
};

// Words after which the next word is run as a program: a value there would name what runs.
const RUNS_NEXT_WORD = new Set([
  ...['then', 'do', 'else', 'elif', 'if', 'while', 'until', '!', 'time', 'exec', 'command', 'builtin', 'sudo'],
  ...['doas', 'env', 'nohup', 'nice', 'setsid', 'stdbuf', 'chroot', 'runuser', 'watch', 'strace', 'timeout'],
]);

/** Is the placeholder at `at` the command word, where its value would be run as a program? */
function inCommandPosition(template: string, at: number, shell: TemplateShell): boolean {
  let i = at - 1;
  while (i >= 0 && (template[i] === ' ' || template[i] === '\t')) i--;
  if (i < 0) return true;
  const separators = shell === 'powershell' ? ';|&({\n.' : ';|&({\n`';
  if (separators.includes(template[i]!)) return true;
  let start = i;
  while (start > 0 && !/[\s;|&(]/.test(template[start - 1]!)) start--;
  return shell === 'bash' && RUNS_NEXT_WORD.has(template.slice(start, i + 1));
}

/**
 * Where in `template` a placeholder starting at `at` stands: 'word' when the shell would read the quoted value as
 * a plain word, else a sentence saying why not. A small scanner of quotes and comments, linear in the template.
 */
function contextAt(template: string, positions: number[], shell: TemplateShell): Map<number, string> {
  const result = new Map<number, string>();
  const wanted = new Set(positions);
  let state: 'plain' | 'single' | 'double' | 'comment' | 'block' = 'plain';
  for (let i = 0; i < template.length; i++) {
    if (wanted.has(i)) {
      const dollar = state === 'plain' && i > 0 && template[i - 1] === '$';
      const program = state === 'plain' && inCommandPosition(template, i, shell);
      result.set(
        i,
        dollar ? STATE_TEXT.dollar : program ? STATE_TEXT.program : state === 'plain' ? 'word' : STATE_TEXT[state],
      );
      i = template.indexOf('}}', i) + 1;
      continue;
    }
    const c = template[i]!;
    const prev = i > 0 ? template[i - 1]! : ' ';
    if (state === 'plain') {
      if (shell === 'bash' && c === '\\') i++;
      else if (shell === 'powershell' && c === '`') i++;
      else if (c === "'") state = 'single';
      else if (c === '"') state = 'double';
      else if (shell === 'powershell' && c === '<' && template[i + 1] === '#') state = 'block';
      else if (c === '#' && (shell === 'powershell' || /[\s;&|()]/.test(prev))) state = 'comment';
    } else if (state === 'single') {
      if (c === "'" && shell === 'powershell' && template[i + 1] === "'") i++;
      else if (c === "'") state = 'plain';
    } else if (state === 'double') {
      if ((shell === 'bash' && c === '\\') || (shell === 'powershell' && c === '`')) i++;
      else if (c === '"') state = 'plain';
    } else if (state === 'comment') {
      if (c === '\n') state = 'plain';
    } else if (c === '#' && template[i + 1] === '>') {
      state = 'plain';
      i++;
    }
  }
  // A position the scan stepped over followed an escape character, which would take the opening quote literally.
  for (const at of positions) if (!result.has(at)) result.set(at, STATE_TEXT.escaped);
  return result;
}

const STATE_TEXT = {
  program: 'where the shell expects a command (the value would name the program that runs): pass it as an argument',
  dollar: 'right after "$" (bash would read $\'…\' with its escapes: put a space or quotes before it)',
  escaped: 'right after an escape character (the quote opening the value would be taken literally)',
  single: 'inside single quotes (the placeholder is quoted already: remove the quotes around it)',
  double: 'inside double quotes (the shell would expand $(…) in the value: remove the quotes around it)',
  comment: 'inside a comment (a newline in the value would end the comment and run the rest)',
  block: 'inside a comment (a newline in the value would end the comment and run the rest)',
} as const;

/** Every reason the commands cannot be saved, naming the command and the placeholder. */
export function templateProblems(
  commands: readonly string[],
  shell: TemplateShell,
  params: Readonly<Record<string, string>> = {},
): TemplateProblem[] {
  const problems: TemplateProblem[] = [];
  commands.forEach((template, command) => {
    const split = pieces(template);
    if (typeof split === 'string') {
      problems.push({ command, message: split });
      return;
    }
    const holes = split.filter((p) => p.placeholder !== undefined);
    if (!holes.length) return;
    for (const h of holes) {
      const problem = placeholderProblem(h.placeholder!, params);
      if (problem) problems.push({ command, message: problem });
    }
    if (RUNS_TEXT_AS_CODE[shell].test(template)) {
      problems.push({
        command,
        message:
          'uses a placeholder in a command that runs text as code (eval, sh -c, Invoke-Expression, a here-document…),' +
          ' where quoting cannot protect the value',
      });
    }
    const where = contextAt(
      template,
      holes.map((h) => h.at),
      shell,
    );
    for (const h of holes) {
      const ctx = where.get(h.at);
      if (ctx && ctx !== 'word') problems.push({ command, message: `{{${h.placeholder}}} is ${ctx}` });
    }
  });
  return problems;
}

/** The value of one placeholder for an incident; templateProblems has vouched for the name. */
function valueOf(name: string, fields: TemplateFields, params: Readonly<Record<string, string>>): string {
  if (name === 'asset') return fields.asset;
  if (name === 'signature') return fields.signature;
  if (name === 'severity') return fields.severity;
  if (name === 'incident_id') return fields.incidentId;
  if (name.startsWith('label.')) return fields.labels[name.slice(6)] ?? '';
  if (name.startsWith('param.')) return params[name.slice(6)] ?? '';
  throw new Error(`unknown placeholder {{${name}}}`);
}

/**
 * The commands exactly as they are sent for an incident. Throws when the templates were never valid (a stored
 * row no save checked), so nothing unchecked is ever sent.
 */
export function renderCommands(
  commands: readonly string[],
  shell: TemplateShell,
  fields: TemplateFields,
  params: Readonly<Record<string, string>> = {},
): string[] {
  const problems = templateProblems(commands, shell, params);
  if (problems.length) {
    throw new Error(`command ${problems[0]!.command + 1}: ${problems[0]!.message}`);
  }
  const quote = shell === 'powershell' ? quotePowerShell : quoteBash;
  return commands.map((template) =>
    (pieces(template) as Piece[])
      .map((p) => (p.placeholder === undefined ? p.text : quote(valueOf(p.placeholder, fields, params))))
      .join(''),
  );
}

/**
 * A decided runbook's commands rendered for its incident, in the shell of its document: what a send carries. With a
 * pre-check or post-check that is the wrapper script around the actions (domain/runbook-checks.ts). The runbook is
 * the one the workflow got (domain/types.ts Runbook, `actions` being the templates).
 */
export function renderRunbook(
  runbook: {
    actions: readonly string[];
    documentName: string;
    parameters?: Readonly<Record<string, string>>;
    preCheck?: readonly string[];
    postCheck?: readonly string[];
  },
  fields: TemplateFields,
): string[] {
  const shell = shellFor(runbook.documentName);
  const params = runbook.parameters ?? {};
  const part = (name: string, templates: readonly string[] | undefined): string[] => {
    try {
      return renderCommands(templates ?? [], shell, fields, params);
    } catch (err) {
      throw new Error(`${name} ${(err as Error).message}`);
    }
  };
  return wrapWithChecks(shell, {
    preCheck: part('pre-check', runbook.preCheck),
    actions: renderCommands(runbook.actions, shell, fields, params),
    postCheck: part('post-check', runbook.postCheck),
  });
}
