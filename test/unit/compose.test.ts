// docker-compose.yml as production would run it: no secret has a default (compose refuses to start without each),
// Temporal Web is local-only and read-only, the application logs in with its least-privileged role, and migrations run
// first as the schema owner. With the docker compose CLI the file is interpolated by compose itself; without it, by the
// same rules here on the parsed file.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const FILE = fileURLToPath(new URL('../../docker-compose.yml', import.meta.url));
const REQUIRED = ['POSTGRES_PASSWORD', 'MIGRATOR_DB_PASSWORD', 'APP_DB_PASSWORD', 'JWT_SECRET', 'ENCRYPTION_KEY'];
const ALL_SET = Object.fromEntries(REQUIRED.map((name) => [name, `value-of-${name.toLowerCase()}`]));

interface Service {
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(FILE, 'utf8'), { merge: true }) as { services: Record<string, Service> };
const service = (name: string): Service => compose.services[name]!;

const composeCli = spawnSync('docker', ['compose', 'version'], { encoding: 'utf8' }).status === 0;

/** `docker compose config -q` with only these variables set (and none from the caller's shell or an .env file). */
function composeConfig(vars: Record<string, string>): { ok: boolean; message: string } {
  const r = spawnSync('docker', ['compose', '--env-file', '/dev/null', '-f', FILE, 'config', '-q'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...vars },
  });
  return { ok: r.status === 0, message: `${r.stderr}${r.stdout}` };
}

/** Compose's interpolation rules for ${NAME}, ${NAME:-default} and ${NAME:?message}, applied to every string. */
function interpolate(vars: Record<string, string>): { ok: boolean; message: string } {
  const text = readFileSync(FILE, 'utf8');
  for (const m of text.matchAll(/\$\{(\w+)(?::([?-])([^}]*))?\}/g)) {
    const [, name, op, arg] = m;
    if (op === '?' && !vars[name!])
      return { ok: false, message: `required variable ${name} is missing a value: ${arg}` };
  }
  return { ok: true, message: '' };
}

const validate = composeCli ? composeConfig : interpolate;

describe(`docker-compose.yml (${composeCli ? 'docker compose config' : 'parsed, without the docker compose CLI'})`, () => {
  it('is valid with the required secrets set', () => {
    expect(validate(ALL_SET)).toEqual({ ok: true, message: '' });
  });

  it.each(REQUIRED)('refuses to start without %s, and says which', (name) => {
    const { [name]: _missing, ...others } = ALL_SET;
    const result = validate(others);
    expect(result.ok).toBe(false);
    expect(result.message).toContain(`required variable ${name} is missing a value`);
  });

  it('gives no secret a default value anywhere', () => {
    const text = readFileSync(FILE, 'utf8');
    // An empty default (optional AWS credentials) means "unset"; any other would be a shared, known secret.
    const defaulted = [...text.matchAll(/\$\{(\w+):?-([^}]+)\}/g)].map((m) => m[1]!);
    expect(defaulted.filter((name) => /PASSWORD|SECRET|KEY(?!_ID)|TOKEN(?!_TTL)/.test(name))).toEqual([]);
    expect(text).not.toMatch(/postgres:\/\/[^@\s]*:[^@\s]*@/); // no password inside a connection string
  });

  it('publishes Temporal Web on the loopback interface only, with write actions off', () => {
    expect(service('temporal-ui').ports).toEqual(['127.0.0.1:8233:8080']);
    expect(service('temporal-ui').environment?.TEMPORAL_DISABLE_WRITE_ACTIONS).toBe('true');
    expect(service('postgres').ports).toBeUndefined();
    expect(service('temporal').ports).toBeUndefined();
  });

  it('runs migrations and grants once as the owner, before the api and worker start as the application role', () => {
    const migrate = service('migrate');
    expect(migrate.command).toEqual(['sh', '-c', 'node dist/db/migrate-cli.js && node dist/db/grants-cli.js']);
    expect(migrate.environment?.DATABASE_URL).toBe('postgres://alert_whisperer_owner@postgres:5432/alert_whisperer');
    for (const name of ['api', 'worker']) {
      const s = service(name);
      expect(s.environment?.DATABASE_URL).toBe('postgres://alert_whisperer_app@postgres:5432/alert_whisperer');
      expect(s.environment?.PGPASSWORD).toBe(
        "${APP_DB_PASSWORD:?set APP_DB_PASSWORD (the application database role's password)}",
      );
      expect(s.depends_on?.migrate).toEqual({ condition: 'service_completed_successfully' });
    }
    expect(service('postgres').volumes).toContain('./docker/postgres-init:/docker-entrypoint-initdb.d:ro');
  });

  it('runs the compiled build (Dockerfile, npm run build) on plain node', () => {
    expect(service('api').command).toEqual(['node', 'dist/api/main.js']);
    expect(service('worker').command).toEqual(['node', 'dist/worker/main.js']);
  });
});
