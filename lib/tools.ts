// Where npm start and the tests find the programs they run but npm does not install: the Temporal CLI, its
// time-skipping test server, the moto AWS emulator and Chromium. One order everywhere: an explicit *_PATH variable,
// then PATH, then the checkout's own .venv (where scripts/setup-tools.ts puts what a machine lacks).
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findExecutable } from './processes.ts';

export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const VENV_DIR = path.join(PROJECT_ROOT, '.venv');
export const VENV_BIN = path.join(VENV_DIR, process.platform === 'win32' ? 'Scripts' : 'bin');

export interface Tool {
  /** The executable's name on PATH and in .venv/bin. */
  name: string;
  /** The variable that names the binary explicitly. */
  envVar: string;
}

export const TEMPORAL_CLI: Tool = { name: 'temporal', envVar: 'TEMPORAL_CLI_PATH' };
export const TEMPORAL_TEST_SERVER: Tool = { name: 'temporal-test-server', envVar: 'TEMPORAL_TEST_SERVER_PATH' };
export const MOTO_SERVER: Tool = { name: 'moto_server', envVar: 'MOTO_SERVER_PATH' };

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The tool named by its variable, else on PATH, else in .venv/bin; null when none of these has it. */
export function findTool(tool: Tool, env: NodeJS.ProcessEnv = process.env): string | null {
  const found = findExecutable(tool.name, tool.envVar, env);
  if (found) return found;
  const inVenv = path.join(VENV_BIN, tool.name);
  return isExecutable(inVenv) ? inVenv : null;
}

/** Names Chromium answers to on Linux distributions, and where Chrome and Chromium live on macOS. */
const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];
const CHROMIUM_FILES = [
  '/usr/bin/chromium',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

/** CHROMIUM_PATH, else a Chromium or Chrome on PATH, else one at its usual place; null when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  for (const name of CHROMIUM_NAMES) {
    const found = findExecutable(name, '', env);
    if (found) return found;
  }
  return CHROMIUM_FILES.find(isExecutable) ?? null;
}
