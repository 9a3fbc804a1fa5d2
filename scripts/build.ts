// `npm run build`: what the production image runs, in dist/ — the server code compiled to ESM JavaScript
// (tsconfig.build.json), the files it reads from disk at run time (migrations, grants), the dashboard, and the
// workflow bundle the compiled worker loads instead of running webpack at every start (worker/create-worker.ts).
// `--out <dir>` builds elsewhere (the build test); `--reuse-web` keeps an already built web/dist (npm test builds it
// before vitest starts).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { fatal } from '../lib/fatal.ts';
import { WORKFLOWS_PATH } from '../worker/create-worker.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** The name worker/create-worker.ts looks for, at the top of the build output. */
export const BUNDLE_FILE = 'workflow-bundle.js';

export interface BuildOptions {
  /** Absolute, or relative to the repository root. Inside the checkout, so that node_modules resolves. */
  outDir?: string;
  /** Keep web/dist when it holds a built dashboard instead of building it again. */
  reuseWeb?: boolean;
}

// webpack's module list at info level would bury the build's own output.
const warningsOnly = {
  log: () => {},
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: (m: string, meta?: unknown) => console.warn(m, meta ?? ''),
  error: (m: string, meta?: unknown) => console.error(m, meta ?? ''),
};

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${[command, ...args].join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** Builds into outDir and returns its absolute path. */
export async function build(opts: BuildOptions = {}): Promise<string> {
  const out = path.resolve(ROOT, opts.outDir ?? 'dist');
  rmSync(out, { recursive: true, force: true });
  run(process.execPath, [
    path.join(ROOT, 'node_modules/typescript/bin/tsc'),
    '-p',
    'tsconfig.build.json',
    '--outDir',
    out,
  ]);

  mkdirSync(path.join(out, 'db/migrations'), { recursive: true });
  for (const file of readdirSync(path.join(ROOT, 'db/migrations')).filter((f) => f.endsWith('.sql')))
    cpSync(path.join(ROOT, 'db/migrations', file), path.join(out, 'db/migrations', file));
  cpSync(path.join(ROOT, 'db/grants.sql'), path.join(out, 'db/grants.sql'));

  // api/server.ts serves ../web/dist relative to itself: dist/web/dist once compiled.
  const web = path.join(ROOT, 'web/dist');
  if (!(opts.reuseWeb && existsSync(path.join(web, 'index.html')))) run('npm', ['run', 'build:web']);
  cpSync(web, path.join(out, 'web/dist'), { recursive: true });

  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: warningsOnly });
  writeFileSync(path.join(out, BUNDLE_FILE), code);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  build({ outDir: outAt >= 0 ? args[outAt + 1] : undefined, reuseWeb: args.includes('--reuse-web') })
    .then((out) => console.log(`[build] ${out}: node api/main.js, node worker/main.js`))
    .catch(fatal('build'));
}
