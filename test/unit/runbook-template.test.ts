// Runbook command templates: incident fields go in as one quoted word, hostile values stay data, and templates
// that would let a value escape its quotes are refused on save by name.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  quoteBash,
  quotePowerShell,
  renderCommands,
  renderRunbook,
  templateProblems,
  type TemplateFields,
} from '../../domain/runbook-template.ts';

const HOSTILE = [
  '$(rm -rf /)',
  '`rm -rf /`',
  "it's; rm -rf / #",
  "'; rm -rf / ; echo '",
  'a\nrm -rf /\n',
  '"$(id)"',
  '${IFS}rm${IFS}-rf',
  "\\'; id; '",
  'nul\0byte',
  '-rf',
  '‘curly’ quotes',
];

const fields = (asset: string): TemplateFields => ({
  asset,
  signature: 'disk_full',
  severity: 'high',
  incidentId: 'inc-1',
  labels: { mount: '/var', evil: '$(reboot)' },
});

describe('renderCommands (bash)', () => {
  it('fills every placeholder, quoted', () => {
    const out = renderCommands(
      ['echo {{asset}} {{signature}} {{severity}} {{incident_id}} {{label.mount}} {{label.none}} {{param.svc}}'],
      'bash',
      fields('web-1'),
      { svc: 'nginx' },
    );
    expect(out).toEqual(["echo 'web-1' 'disk_full' 'high' 'inc-1' '/var' '' 'nginx'"]);
  });

  it.each(HOSTILE)('keeps %j one literal word when bash runs it', (value) => {
    const [cmd] = renderCommands(['printf %s {{asset}}'], 'bash', fields(value));
    // bash itself is the judge: the word printed is the value (NUL aside, which no argument can hold).
    const printed = execFileSync('bash', ['-c', cmd!], { encoding: 'utf8' });
    expect(printed).toBe(value.replace(/\0/g, ''));
  });

  it('quotes a label the same way', () => {
    expect(renderCommands(['echo {{label.evil}}'], 'bash', fields('x'))).toEqual(["echo '$(reboot)'"]);
  });

  it('refuses to render templates no save would accept', () => {
    expect(() => renderCommands(['echo {{hostname}}'], 'bash', fields('x'))).toThrow(/unknown placeholder/);
  });
});

describe('renderRunbook', () => {
  it("renders a decided runbook's templates in its document's shell, with its parameters", () => {
    const base = {
      actions: ['Restart-Service -Name {{param.svc}} # {{', 'echo {{asset}}'],
      parameters: { svc: "a'b" },
    };
    expect(() => renderRunbook({ ...base, documentName: 'AWS-RunPowerShellScript' }, fields('x'))).toThrow(
      /never closed/,
    );
    const ps = { actions: ['Restart-Service -Name {{param.svc}}', 'echo {{asset}}'], parameters: { svc: "a'b" } };
    expect(renderRunbook({ ...ps, documentName: 'AWS-RunPowerShellScript' }, fields("it's"))).toEqual([
      "Restart-Service -Name 'a''b'",
      "echo 'it''s'",
    ]);
    expect(renderRunbook({ ...ps, documentName: 'AWS-RunShellScript' }, fields("it's"))).toEqual([
      `Restart-Service -Name 'a'\\''b'`,
      `echo 'it'\\''s'`,
    ]);
    // A runbook from before versions has no parameters and plain commands: unchanged.
    expect(renderRunbook({ actions: ['df -h /'], documentName: 'AWS-RunShellScript' }, fields('x'))).toEqual([
      'df -h /',
    ]);
  });
});

describe('quotePowerShell', () => {
  it('doubles every quote character PowerShell ends a string on', () => {
    expect(quotePowerShell("it's")).toBe("'it''s'");
    expect(quotePowerShell('a\u2019b')).toBe("'a\u2019\u2019b'");
    expect(quotePowerShell('$(Remove-Item C:\\ -Recurse)')).toBe("'$(Remove-Item C:\\ -Recurse)'");
    expect(quotePowerShell('`n"x"')).toBe('\'`n"x"\'');
  });

  it('renders for AWS-RunPowerShellScript', () => {
    expect(renderCommands(['Restart-Service -Name {{asset}}'], 'powershell', fields("x'; Stop-Computer; '"))).toEqual([
      "Restart-Service -Name 'x''; Stop-Computer; '''",
    ]);
  });

  it('bash quoting is POSIX single quotes', () => {
    expect(quoteBash("a'b")).toBe(`'a'\\''b'`);
  });
});

describe('templateProblems', () => {
  const problems = (cmds: string[], shell: 'bash' | 'powershell' = 'bash', params = {}) =>
    templateProblems(cmds, shell, params).map((p) => `${p.command}: ${p.message}`);

  it('names unknown placeholders and undefined parameters', () => {
    expect(problems(['echo {{hostname}}'])).toEqual([
      expect.stringMatching(/^0: unknown placeholder \{\{hostname\}\}/),
    ]);
    expect(problems(['true', 'systemctl restart {{param.service}}'])).toEqual([
      '1: {{param.service}} names parameter "service", which this runbook does not set',
    ]);
    expect(problems(['echo {{label.}}'])[0]).toMatch(/unknown placeholder \{\{label\.\}\}/);
    expect(problems(['echo {{asset'])[0]).toMatch(/never closed/);
  });

  it('accepts placeholders where the shell reads a plain word', () => {
    expect(problems(['systemctl restart -- {{asset}}', 'x=--name={{asset}}', 'echo $(cat {{label.f}})'])).toEqual([]);
    expect(problems(['Restart-Service -Name {{asset}} # why'], 'powershell')).toEqual([]);
  });

  it('refuses placeholders inside quotes, comments, after $ or an escape', () => {
    expect(problems(['echo "{{asset}}"'])[0]).toMatch(/inside double quotes/);
    expect(problems(["echo '{{asset}}'"])[0]).toMatch(/inside single quotes/);
    expect(problems(['true # {{asset}}'])[0]).toMatch(/inside a comment/);
    expect(problems(['echo ${{asset}}'])[0]).toMatch(/right after "\$"/);
    expect(problems(['echo \\{{asset}}'])[0]).toMatch(/escape character/);
    expect(problems(['Write-Output "{{asset}}"'], 'powershell')[0]).toMatch(/inside double quotes/);
    expect(problems(['<# {{asset}} #>'], 'powershell')[0]).toMatch(/inside a comment/);
    // A # inside a word is not a comment in bash.
    expect(problems(['echo a#{{asset}}'])).toEqual([]);
  });

  it('refuses placeholders where a command name goes: the value would choose the program', () => {
    for (const cmd of ['{{asset}} --version', 'ls; {{asset}}', 'true && {{asset}}', 'sudo {{asset}}']) {
      expect(problems([cmd])[0], cmd).toMatch(/expects a command/);
    }
    expect(problems(['if true; then {{asset}}; fi'])[0]).toMatch(/expects a command/);
    expect(problems(['echo $( {{asset}} )'])[0]).toMatch(/expects a command/);
    for (const cmd of ['& {{asset}}', '. {{asset}}', 'Get-Item x | {{asset}}']) {
      expect(problems([cmd], 'powershell')[0], cmd).toMatch(/expects a command/);
    }
    expect(problems(['echo a {{asset}}', 'systemctl status {{asset}} | head'])).toEqual([]);
  });

  it('refuses placeholders in commands that run text as code', () => {
    for (const cmd of [
      'eval {{asset}}',
      'bash -c {{asset}}',
      'sh -c {{asset}}',
      'cat <<EOF {{asset}}',
      'python3 -c {{asset}}',
      'ssh admin@host {{asset}}',
      'sed -e {{label.expr}} /etc/hosts',
      'find /tmp -name {{asset}} | xargs rm',
    ]) {
      expect(problems([cmd])[0], cmd).toMatch(/runs text as code/);
    }
    for (const cmd of [
      'Invoke-Expression {{asset}}',
      'iex {{asset}}',
      '@"\n{{asset}}\n"@',
      'pwsh -Command {{asset}}',
      'cmd /c echo {{asset}}',
    ]) {
      expect(problems([cmd], 'powershell')[0], cmd).toMatch(/runs text as code/);
    }
    // Without a placeholder, a command may do what it likes: the company wrote all of it.
    expect(problems(['eval "$(ssh-agent)"'])).toEqual([]);
  });
});
