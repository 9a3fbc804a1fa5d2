// Workflow code changes must not break runs already in flight: replay saved histories on today's code.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime, workflowBundle } from '../helpers/stack.ts';

const DIR = fileURLToPath(new URL('./histories/', import.meta.url));
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

function* histories() {
  for (const file of files) {
    yield { workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8'))) };
  }
}

describe('replay of saved incidentWorkflow histories', () => {
  /** Each history's replay error (undefined when it replayed cleanly), by file. */
  const replayed = new Map<string, Error | undefined>();

  // One replay worker for every history, as Temporal recommends: a worker per history (its VM and bundle load) cost
  // most of this file's time. Each history still replays on its own and each test asserts its own file's result.
  beforeAll(async () => {
    quietRuntime();
    for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories())) {
      replayed.set(result.workflowId, result.error);
    }
  });

  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(13);
  });

  it.each(files)('%s replays without nondeterminism', (file) => {
    expect(replayed.has(file), 'replayed').toBe(true);
    expect(replayed.get(file)).toBeUndefined();
  });
});
