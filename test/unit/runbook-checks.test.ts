// Pre-check and post-check: the exact wrapper sent for bash and PowerShell, the bash wrapper run for real under
// sh (what AWS-RunShellScript runs) to show which exit code each outcome ends with and that nothing runs after a
// failed pre-check, the exit codes read back as the tenant's sentence, and the draft rules for checks.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  CHECK_WRAPPER_HEADER,
  POST_CHECK_FAILED_EXIT,
  POST_CHECK_FAILED_TEXT,
  PRE_CHECK_FAILED_EXIT,
  PRE_CHECK_FAILED_TEXT,
  checkFailure,
  encodePowerShell,
  withCheckSentence,
} from '../../domain/runbook-checks.ts';
import { renderRunbook, type TemplateFields } from '../../domain/runbook-template.ts';
import { diffDrafts, draftProblems, type RunbookDraft } from '../../domain/runbook.ts';

const fields: TemplateFields = {
  asset: "web'01",
  signature: 'service_down:nginx',
  severity: 'high',
  incidentId: 'inc-1',
  labels: { unit: '$(reboot)' },
};

describe('wrapper script (bash)', () => {
  it('renders pre-check, actions and post-check, each in a subshell, values quoted as in actions', () => {
    const out = renderRunbook(
      {
        documentName: 'AWS-RunShellScript',
        preCheck: ['systemctl cat -- {{label.unit}} >/dev/null'],
        actions: ['systemctl restart -- {{label.unit}}', 'echo {{asset}}'],
        postCheck: ['systemctl is-active -- {{label.unit}}'],
      },
      fields,
    );
    expect(out).toEqual([
      CHECK_WRAPPER_HEADER,
      '(',
      "systemctl cat -- '$(reboot)' >/dev/null",
      ')',
      'aw_rc=$?',
      'if [ "$aw_rc" -ne 0 ]; then echo "Alert Whisperer: pre-check failed (exit $aw_rc), nothing was changed" >&2; ' +
        'exit 212; fi',
      '(',
      "systemctl restart -- '$(reboot)'",
      "echo 'web'\\''01'",
      ')',
      'aw_rc=$?',
      'if [ "$aw_rc" -ne 0 ]; then echo "Alert Whisperer: the actions failed (exit $aw_rc)" >&2; ' +
        'case " 212 213 " in *" $aw_rc "*) exit 1;; esac; exit "$aw_rc"; fi',
      '(',
      "systemctl is-active -- '$(reboot)'",
      ')',
      'aw_rc=$?',
      'if [ "$aw_rc" -ne 0 ]; then echo "Alert Whisperer: post-check failed (exit $aw_rc) after the actions ran" >&2; ' +
        'exit 213; fi',
    ]);
  });

  it('sends the actions alone, as before, when no check is set', () => {
    expect(renderRunbook({ documentName: 'AWS-RunShellScript', actions: ['df -h /'] }, fields)).toEqual(['df -h /']);
    expect(
      renderRunbook({ documentName: 'AWS-RunShellScript', actions: ['df -h /'], preCheck: [], postCheck: [] }, fields),
    ).toEqual(['df -h /']);
  });

  it('refuses a check whose placeholder is unsafe, naming the check', () => {
    expect(() =>
      renderRunbook({ documentName: 'AWS-RunShellScript', actions: ['true'], postCheck: ['eval {{asset}}'] }, fields),
    ).toThrow(/^post-check command 1: .*runs text as code/);
  });

  // The wrapper as SSM's agent runs it: the commands joined by newlines into a script for sh.
  const run = (pre: string[], actions: string[], post: string[]) => {
    const script = renderRunbook(
      { documentName: 'AWS-RunShellScript', preCheck: pre, actions, postCheck: post },
      fields,
    );
    const r = spawnSync('sh', ['-c', script.join('\n')], { encoding: 'utf8' });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('ends with 212 and runs no action when the pre-check fails, even by `exit`', () => {
    for (const pre of [['false'], ['exit 3'], ['echo checking', 'test -e /nonexistent-aw-path']]) {
      const r = run(pre, ['echo ACTION-RAN'], ['true']);
      expect(r.code).toBe(PRE_CHECK_FAILED_EXIT);
      expect(r.out).not.toContain('ACTION-RAN');
      expect(r.err).toMatch(/Alert Whisperer: pre-check failed \(exit \d+\), nothing was changed/);
    }
  });

  it('ends with 213 after the actions ran when the post-check fails', () => {
    const r = run(['true'], ['echo ACTION-RAN'], ['exit 4']);
    expect(r).toMatchObject({ code: POST_CHECK_FAILED_EXIT, out: 'ACTION-RAN\n' });
    expect(r.err).toContain('Alert Whisperer: post-check failed (exit 4) after the actions ran');
  });

  it("keeps a failing action's own exit code and skips the post-check; a reserved code becomes 1", () => {
    expect(run(['true'], ['exit 7'], ['echo POST-RAN'])).toMatchObject({ code: 7, out: '' });
    expect(run(['true'], ['exit 212'], ['echo POST-RAN'])).toMatchObject({ code: 1, out: '' });
  });

  it('ends with 0 when every part passes, an action `exit 0` included', () => {
    expect(run(['true'], ['exit 0'], ['echo POST-RAN'])).toMatchObject({ code: 0, out: 'POST-RAN\n', err: '' });
    expect(run([], ['echo A'], ['echo B'])).toMatchObject({ code: 0, out: 'A\nB\n' });
  });

  it('keeps hostile values data inside the checks', () => {
    const r = run(['printf "%s\\n" {{label.unit}} {{asset}}'], ['true'], []);
    expect(r).toMatchObject({ code: 0, out: "$(reboot)\nweb'01\n" });
  });
});

describe('wrapper script (PowerShell)', () => {
  const utf16 = (s: string) => Buffer.from(s, 'utf16le').toString('base64');

  it('runs each check in a child PowerShell given as -EncodedCommand, the actions inline', () => {
    const out = renderRunbook(
      {
        documentName: 'AWS-RunPowerShellScript',
        preCheck: ['Get-Service -Name {{asset}}'],
        actions: ['Restart-Service -Name {{asset}} -Force'],
        postCheck: ["if ((Get-Service -Name {{asset}}).Status -ne 'Running') { exit 1 }"],
      },
      fields,
    );
    expect(out).toEqual([
      CHECK_WRAPPER_HEADER,
      '$awShell = (Get-Process -Id $PID).Path',
      `& $awShell -NoProfile -NonInteractive -EncodedCommand ${utf16("Get-Service -Name 'web''01'")}`,
      '$awRc = $LASTEXITCODE',
      'if ($awRc -ne 0) { [Console]::Error.WriteLine("Alert Whisperer: pre-check failed (exit $awRc), nothing was ' +
        'changed"); exit 212 }',
      '$global:LASTEXITCODE = 0',
      "Restart-Service -Name 'web''01' -Force",
      '$awRc = $LASTEXITCODE',
      'if ($awRc -ne 0) { [Console]::Error.WriteLine("Alert Whisperer: the actions failed (exit $awRc)"); ' +
        'if ($awRc -eq 212 -or $awRc -eq 213) { exit 1 }; exit $awRc }',
      `& $awShell -NoProfile -NonInteractive -EncodedCommand ${utf16(
        "if ((Get-Service -Name 'web''01').Status -ne 'Running') { exit 1 }",
      )}`,
      '$awRc = $LASTEXITCODE',
      'if ($awRc -ne 0) { [Console]::Error.WriteLine("Alert Whisperer: post-check failed (exit $awRc) after the ' +
        'actions ran"); exit 213 }',
    ]);
  });

  it('encodes as PowerShell decodes (UTF-16LE, base64), beyond ASCII too', () => {
    for (const s of ['Get-Date', "é ‘x’ 🙂 \n 'a''b'"]) expect(encodePowerShell(s)).toBe(utf16(s));
  });

  it('refuses a check too long for a Windows command line once rendered', () => {
    const long = { ...fields, labels: { big: 'x'.repeat(20_000) } };
    expect(() =>
      renderRunbook(
        { documentName: 'AWS-RunPowerShellScript', actions: ['Get-Date'], preCheck: ['Write-Output {{label.big}}'] },
        long,
      ),
    ).toThrow(/pre-check is too long once rendered for PowerShell/);
  });
});

describe('reading the exit code back', () => {
  const wrapped = [CHECK_WRAPPER_HEADER, '(', 'true', ')'];

  it('names the check only for a wrapper that ended with its code', () => {
    expect(checkFailure(wrapped, PRE_CHECK_FAILED_EXIT)).toBe('pre');
    expect(checkFailure(wrapped, POST_CHECK_FAILED_EXIT)).toBe('post');
    expect(checkFailure(wrapped, 1)).toBeNull();
    expect(checkFailure(wrapped, undefined)).toBeNull();
    // A runbook without checks that exits 212 by itself is a plain failure.
    expect(checkFailure(['exit 212'], PRE_CHECK_FAILED_EXIT)).toBeNull();
  });

  it('says the failed check first in the error the incident escalates with', () => {
    const failed = { status: 'Failed', error: 'Alert Whisperer: pre-check failed (exit 1), nothing was changed' };
    expect(withCheckSentence(wrapped, { ...failed, exitCode: 212 }).error).toBe(
      `${PRE_CHECK_FAILED_TEXT}\n${failed.error}`,
    );
    expect(withCheckSentence(wrapped, { status: 'Failed', error: '', exitCode: 213 }).error).toBe(
      POST_CHECK_FAILED_TEXT,
    );
    const ok = { status: 'Success', error: '', exitCode: 0 };
    expect(withCheckSentence(wrapped, ok)).toBe(ok);
  });
});

describe('draft rules for checks', () => {
  const good: RunbookDraft = {
    name: 'Restart',
    description: '',
    signatures: ['service_down:*'],
    riskLevel: 'medium',
    documentName: 'AWS-RunShellScript',
    commands: ['systemctl restart -- {{param.svc}}'],
    parameters: { svc: 'nginx' },
    timeoutSeconds: 300,
  };

  it('accepts checks under the template rules, and none', () => {
    expect(draftProblems(good)).toEqual([]);
    expect(
      draftProblems({ ...good, preCheck: ['systemctl cat -- {{param.svc}}'], postCheck: ['curl -fsS localhost'] }),
    ).toEqual([]);
  });

  it('refuses unsafe, empty, too many or too long checks by field', () => {
    const problems = (d: Partial<RunbookDraft>) => draftProblems({ ...good, ...d }).map((p) => p.field);
    expect(problems({ preCheck: ['echo "{{asset}}"'] })).toEqual(['preCheck.0']);
    expect(problems({ postCheck: ['true', ' '] })).toEqual(['postCheck.1']);
    expect(problems({ postCheck: Array.from({ length: 11 }, () => 'true') })).toEqual(['postCheck']);
    expect(problems({ preCheck: ['x'.repeat(4001)] })).toEqual(['preCheck']);
    expect(problems({ preCheck: ['echo {{param.nope}}'] })).toEqual(['preCheck.0']);
  });

  it('shows a changed check in the version diff', () => {
    expect(diffDrafts({ ...good, postCheck: [] }, { ...good, postCheck: ['curl -fsS localhost'] })).toEqual([
      { field: 'postCheck', before: '', after: 'curl -fsS localhost' },
    ]);
  });
});
