// The first MSP admin of a production install, and the demo seed that never replaces live credentials.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, login, startStack, type Stack } from '../helpers/stack.ts';

const run = promisify(execFile);
let stack: Stack;

function cli(script: string, args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, DATABASE_URL: stack.config.databaseUrl!, PUBLIC_URL: 'https://aw.msp.example', ...env },
  });
}

beforeAll(async () => {
  stack = await startStack({ startRouter: false });
});

afterAll(async () => {
  await stack?.stop();
});

describe('npm run create-admin', () => {
  it('prints a one-time link, never a password, and the link sets the first password', async () => {
    const email = `first-${Date.now()}@msp.example`;
    const { stdout } = await cli('scripts/create-admin-cli.ts', [email, 'First', 'Admin']);
    const link = /https:\/\/aw\.msp\.example\/#\/set-password\?token=([A-Za-z0-9_-]+)/.exec(stdout);
    expect(link).not.toBeNull();
    const [row] = await stack.sql`SELECT role, name, password_hash FROM users WHERE email = ${email}`;
    expect(row).toMatchObject({ role: 'msp_admin', name: 'First Admin', password_hash: null });
    const set = await graphql(
      stack.url,
      'mutation($t:String!){ setPasswordWithLink(token:$t,password:"a first long password") { accessToken } }',
      { t: link![1] },
    );
    expect(set.errors).toBeUndefined();
    expect(await login(stack.url, email, 'a first long password')).toBeTruthy();
    // A second admin with the same email is refused with a sentence, not a stack trace.
    const again = await cli('scripts/create-admin-cli.ts', [email]).catch((e: { stderr: string; code: number }) => e);
    expect((again as { code: number }).code).toBe(1);
    expect((again as { stderr: string }).stderr).toMatch(/\[create-admin\] email: someone with this email already/);
  });
});

describe('npm run seed', () => {
  it('creates the demo tenant once, and a second run without values changes nothing', async () => {
    // The test database may hold the demo tenant from another file; start from a known password.
    const first = await cli('scripts/seed-cli.ts', [], { ADMIN_PASSWORD: 'demo-admin-password-1' });
    expect(first.stdout).toMatch(/Acme Corp/);
    const [before] = await stack.sql`SELECT key_hash FROM integration_keys WHERE id = 'key-comp-acme'`;
    const second = await cli('scripts/seed-cli.ts', [], {
      ADMIN_PASSWORD: '',
      DEMO_API_KEY: '',
      TECHNICIAN_PASSWORD: '',
    });
    expect(second.stdout).toMatch(/already exists; nothing was changed/);
    expect(second.stdout).not.toMatch(/API key|Admin login/);
    const [after] = await stack.sql`SELECT key_hash FROM integration_keys WHERE id = 'key-comp-acme'`;
    expect(after!.key_hash).toBe(before!.key_hash);
    const [admin] = await stack.sql<{ email: string }[]>`SELECT email FROM users WHERE id = 'user-admin'`;
    expect(await login(stack.url, admin!.email, 'demo-admin-password-1')).toBeTruthy();
  });
});
