// A stopping service exits at its deadline even while something keeps it busy, and the deadline alone never keeps it
// alive (lib/shutdown-deadline.ts). Real processes: the deadline ends them with process.exit.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);

function run(body: string) {
  const script = `import { exitAfterDeadline } from './lib/shutdown-deadline.ts';\n${body}`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the shutdown deadline', () => {
  it('ends a service whose drain never finishes, and says so', () => {
    const r = run(`exitAfterDeadline('worker', 200); setInterval(() => {}, 1000);`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('[worker] did not stop within 0.2 s; exiting without finishing');
  });

  it('lets a service that finished in time exit as it would have', () => {
    const r = run(`exitAfterDeadline('api', 30000); setTimeout(() => {}, 10);`);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toContain('did not stop');
  });
});
