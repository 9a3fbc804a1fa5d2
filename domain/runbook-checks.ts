// Pre-check and post-check of a runbook version, rendered with its actions into the one script SSM runs, so their
// exit codes gate the run with no extra SSM call and no workflow step: the pre-check runs first and a non-zero exit
// ends the run with PRE_CHECK_FAILED_EXIT before any action ran; the post-check runs after the actions and a
// non-zero exit ends it with POST_CHECK_FAILED_EXIT. The instance's exit code then tells the two apart
// (checkFailure), and the tenant reads which check failed. Without checks the actions are sent as they are.
//
// bash: each part runs in a subshell, so an `exit` inside a check or the actions ends that part only.
// PowerShell: `exit` inside a script block ends the whole script, so each check runs in a child PowerShell (the
// running one's own executable) given as -EncodedCommand: base64 has no character PowerShell or Windows' argument
// passing could read, whatever the rendered values hold. The actions run inline as before.
import type { TemplateShell } from './runbook-template.ts';

/** The script's exit code when the pre-check failed: nothing was changed. */
export const PRE_CHECK_FAILED_EXIT = 212;
/** The script's exit code when the post-check failed after the actions ran. */
export const POST_CHECK_FAILED_EXIT = 213;

/** The first line of every wrapper: what tells the exit codes above apart from a runbook's own. */
export const CHECK_WRAPPER_HEADER = '# Alert Whisperer runbook wrapper: pre-check, actions, post-check';

/** Windows limits a command line to 32,767 characters; an encoded check must leave room for the rest of it. */
export const MAX_ENCODED_CHECK = 30_000;

export const PRE_CHECK_FAILED_TEXT = 'Pre-check failed, nothing was changed';
export const POST_CHECK_FAILED_TEXT = 'Post-check failed after the actions ran, so the problem may remain';

export interface RenderedParts {
  preCheck: string[];
  actions: string[];
  postCheck: string[];
}

/** The commands SSM is sent: the actions alone, or the wrapper around them when a check is set. */
export function wrapWithChecks(shell: TemplateShell, parts: RenderedParts): string[] {
  if (!parts.preCheck.length && !parts.postCheck.length) return parts.actions;
  return shell === 'powershell' ? powershellWrapper(parts) : bashWrapper(parts);
}

const reserved = `${PRE_CHECK_FAILED_EXIT} ${POST_CHECK_FAILED_EXIT}`;

function bashWrapper({ preCheck, actions, postCheck }: RenderedParts): string[] {
  const out = [CHECK_WRAPPER_HEADER];
  if (preCheck.length) {
    out.push(
      '(',
      ...preCheck,
      ')',
      'aw_rc=$?',
      `if [ "$aw_rc" -ne 0 ]; then echo "Alert Whisperer: pre-check failed (exit $aw_rc), nothing was changed" >&2; ` +
        `exit ${PRE_CHECK_FAILED_EXIT}; fi`,
    );
  }
  out.push(
    '(',
    ...actions,
    ')',
    'aw_rc=$?',
    // An action's own exit code equal to a check's would read as that check failing: it becomes 1.
    `if [ "$aw_rc" -ne 0 ]; then echo "Alert Whisperer: the actions failed (exit $aw_rc)" >&2; ` +
      `case " ${reserved} " in *" $aw_rc "*) exit 1;; esac; exit "$aw_rc"; fi`,
  );
  if (postCheck.length) {
    out.push(
      '(',
      ...postCheck,
      ')',
      'aw_rc=$?',
      `if [ "$aw_rc" -ne 0 ]; then echo "Alert Whisperer: post-check failed (exit $aw_rc) after the actions ran" >&2; ` +
        `exit ${POST_CHECK_FAILED_EXIT}; fi`,
    );
  }
  return out;
}

/** PowerShell's -EncodedCommand: the script as UTF-16LE, in base64. */
export function encodePowerShell(script: string): string {
  let binary = '';
  for (let i = 0; i < script.length; i++) {
    const unit = script.charCodeAt(i);
    binary += String.fromCharCode(unit & 0xff, unit >> 8);
  }
  return btoa(binary);
}

function encodedCheck(which: 'pre-check' | 'post-check', lines: string[]): string {
  const encoded = encodePowerShell(lines.join('\n'));
  if (encoded.length > MAX_ENCODED_CHECK) {
    throw new Error(
      `the ${which} is too long once rendered for PowerShell (${encoded.length} encoded characters, at most ` +
        `${MAX_ENCODED_CHECK}): shorten it`,
    );
  }
  return `& $awShell -NoProfile -NonInteractive -EncodedCommand ${encoded}`;
}

function powershellWrapper({ preCheck, actions, postCheck }: RenderedParts): string[] {
  const out = [CHECK_WRAPPER_HEADER, '$awShell = (Get-Process -Id $PID).Path'];
  if (preCheck.length) {
    out.push(
      encodedCheck('pre-check', preCheck),
      '$awRc = $LASTEXITCODE',
      'if ($awRc -ne 0) { [Console]::Error.WriteLine("Alert Whisperer: pre-check failed (exit $awRc), nothing ' +
        `was changed"); exit ${PRE_CHECK_FAILED_EXIT} }`,
    );
  }
  out.push(
    '$global:LASTEXITCODE = 0',
    ...actions,
    '$awRc = $LASTEXITCODE',
    // As in bash: an action's own exit code equal to a check's becomes 1.
    'if ($awRc -ne 0) { [Console]::Error.WriteLine("Alert Whisperer: the actions failed (exit $awRc)"); ' +
      `if ($awRc -eq ${PRE_CHECK_FAILED_EXIT} -or $awRc -eq ${POST_CHECK_FAILED_EXIT}) { exit 1 }; exit $awRc }`,
  );
  if (postCheck.length) {
    out.push(
      encodedCheck('post-check', postCheck),
      '$awRc = $LASTEXITCODE',
      'if ($awRc -ne 0) { [Console]::Error.WriteLine("Alert Whisperer: post-check failed (exit $awRc) after the ' +
        `actions ran"); exit ${POST_CHECK_FAILED_EXIT} }`,
    );
  }
  return out;
}

/** Which check ended a run, from the commands sent and the instance's exit code; null when neither did. */
export function checkFailure(commands: readonly string[], exitCode: number | undefined): 'pre' | 'post' | null {
  if (commands[0] !== CHECK_WRAPPER_HEADER) return null;
  if (exitCode === PRE_CHECK_FAILED_EXIT) return 'pre';
  if (exitCode === POST_CHECK_FAILED_EXIT) return 'post';
  return null;
}

/**
 * An instance's result with the failed check said first in its error, so the sentence the incident escalates with
 * (the runbook's outcome and then its error) names the check.
 */
export function withCheckSentence<T extends { status: string; error: string; exitCode?: number }>(
  commands: readonly string[],
  result: T,
): T {
  const check = result.status === 'Success' ? null : checkFailure(commands, result.exitCode);
  if (!check) return result;
  const sentence = check === 'pre' ? PRE_CHECK_FAILED_TEXT : POST_CHECK_FAILED_TEXT;
  return { ...result, error: result.error ? `${sentence}\n${result.error}` : sentence };
}
