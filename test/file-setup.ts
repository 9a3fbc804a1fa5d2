// Runs before each test file, in the file's process. Most files share one process and one module graph
// (isolate: false, vitest.config.ts), so this puts back what a file may have changed for itself and draws what must
// differ between files, rather than leaving either to when a module is first loaded.
import { renewFileCompanyScope } from './helpers/fixtures.ts';

// Kept on globalThis: this module runs again before every file, its own variables with it.
const start = globalThis as { awEnvAtStart?: Record<string, string | undefined> };

if (!start.awEnvAtStart) start.awEnvAtStart = { ...process.env };
else {
  // A file that set AWS credentials or a limit at its top level leaves them to the next file otherwise.
  const env = start.awEnvAtStart;
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
}
renewFileCompanyScope();
