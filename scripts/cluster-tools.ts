// The two Go programs `npm run cluster` and its test need: a real Temporal server and temporal-sql-tool, which
// creates and migrates the server's PostgreSQL schema. Neither ships on npm or PyPI, so a machine without them gets
// them from the Go module proxy with `go install` (scripts/setup-tools.ts cluster); Go's build cache makes a second
// install a link step. Order: the *_PATH variable, then PATH under the names Temporal's own images use, then where
// `go install` puts them ($GOBIN, else $GOPATH/bin), checked by `--version` there since `server` and `sql` are
// generic names.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { findExecutable } from '../lib/processes.ts';

/** The server release the cluster runs; its schema and config keys are what scripts/cluster-temporal.ts writes. */
export const TEMPORAL_SERVER_VERSION = '1.28.1';

export interface GoTool {
  /** What it is, for messages. */
  what: string;
  /** `go install` path, without the version. */
  module: string;
  /** The binary `go install` writes (the package's folder name). */
  binary: string;
  /** Its name on PATH in Temporal's images. */
  pathName: string;
  envVar: string;
  /** What its `--version` prints, to tell it from another program of the same generic name. */
  versionMark: string;
}

export const TEMPORAL_SERVER: GoTool = {
  what: 'the Temporal server',
  module: 'go.temporal.io/server/cmd/server',
  binary: 'server',
  pathName: 'temporal-server',
  envVar: 'TEMPORAL_SERVER_PATH',
  versionMark: `temporal version ${TEMPORAL_SERVER_VERSION}`,
};

export const TEMPORAL_SQL_TOOL: GoTool = {
  what: 'temporal-sql-tool (the server schema)',
  module: 'go.temporal.io/server/cmd/tools/sql',
  binary: 'sql',
  pathName: 'temporal-sql-tool',
  envVar: 'TEMPORAL_SQL_TOOL_PATH',
  // It reports a version of its own (0.0.1), not the release whose schema it carries.
  versionMark: 'temporal-sql-tool version',
};

export const CLUSTER_TOOLS = [TEMPORAL_SERVER, TEMPORAL_SQL_TOOL];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `go install` puts binaries on this machine, or null without Go. */
export function goBinDir(env: NodeJS.ProcessEnv = process.env): string | null {
  const go = findExecutable('go', 'GO_PATH', env);
  if (!go) return null;
  const out = spawnSync(go, ['env', 'GOBIN', 'GOPATH'], { encoding: 'utf8', env });
  if (out.status !== 0) return null;
  const [gobin, gopath] = out.stdout.split('\n').map((l) => l.trim());
  if (gobin) return gobin;
  // GOPATH may list several folders; go install uses the first.
  const first = gopath?.split(path.delimiter)[0];
  return first ? path.join(first, 'bin') : null;
}

/** True when the binary is the tool (and, for the server, this release). */
function isTool(file: string, tool: GoTool): boolean {
  const out = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return out.status === 0 && out.stdout.includes(tool.versionMark);
}

/** The tool's binary, or null when this machine has none (of the right release, where the name is generic). */
export function findGoTool(tool: GoTool, env: NodeJS.ProcessEnv = process.env): string | null {
  const named = findExecutable(tool.pathName, tool.envVar, env);
  if (named) return named;
  const dir = goBinDir(env);
  const installed = dir ? path.join(dir, tool.binary) : null;
  return installed && isExecutable(installed) && isTool(installed, tool) ? installed : null;
}

export const NO_GO = [
  'The cluster needs the Temporal server and temporal-sql-tool, built with Go (1.24 or later), which is not on PATH.',
  'Install Go (https://go.dev/dl/), or point TEMPORAL_SERVER_PATH and TEMPORAL_SQL_TOOL_PATH at the two binaries.',
].join(' ');

/** `go install <module>@v<release>`; its output goes to our terminal. Throws with the reason when it fails. */
export function installGoTool(tool: GoTool, log: (line: string) => void): string {
  const go = findExecutable('go', 'GO_PATH');
  if (!go) throw new Error(NO_GO);
  const target = `${tool.module}@v${TEMPORAL_SERVER_VERSION}`;
  log(`go install ${target}: ${tool.what} for the cluster (not found; minutes the first time, seconds after)`);
  // -mod=mod: the server's module asks for go.sum entries a plain `go install` of a module path does not have.
  const env = { ...process.env, GOFLAGS: [process.env.GOFLAGS, '-mod=mod'].filter(Boolean).join(' ') };
  const result = spawnSync(go, ['install', target], { stdio: 'inherit', env });
  if (result.status !== 0) throw new Error(`go install ${target} failed (see above)`);
  const found = findGoTool(tool);
  if (!found) throw new Error(`go install ${target} finished, but ${goBinDir() ?? 'its bin folder'} lacks it`);
  return found;
}

/** Both binaries, installing what is missing. */
export function ensureGoTools(log: (line: string) => void): { server: string; sqlTool: string } {
  const [server, sqlTool] = CLUSTER_TOOLS.map((t) => findGoTool(t) ?? installGoTool(t, log));
  return { server: server!, sqlTool: sqlTool! };
}

/** Both binaries, or an error naming what is missing and how to get it. */
export function requireGoTools(): { server: string; sqlTool: string } {
  const missing = CLUSTER_TOOLS.filter((t) => !findGoTool(t));
  if (missing.length > 0) {
    throw new Error(
      `Missing ${missing.map((t) => t.what).join(' and ')}: run \`tsx scripts/setup-tools.ts cluster\` ` +
        `(go install, Temporal ${TEMPORAL_SERVER_VERSION}), or set ${missing.map((t) => t.envVar).join(' / ')}.`,
    );
  }
  return { server: findGoTool(TEMPORAL_SERVER)!, sqlTool: findGoTool(TEMPORAL_SQL_TOOL)! };
}
