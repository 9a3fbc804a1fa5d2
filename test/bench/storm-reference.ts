// The wide storm's reference in the same run (storm.bench.ts): the same number of runs started the router's way
// (signalWithStart of a fresh id each) on the same Temporal server, for a workflow with none of our code in it
// (storm-reference-workflow.ts), on a worker process with the incident worker's tuning. With no local activity it is
// the platform's floor for a new run on this machine; with six no-op ones it is what a new incident's six local steps
// cost before any of our work in them.
import { performance } from 'node:perf_hooks';
import type { Client } from '@temporalio/client';
import { cpuMeter } from './storm-procs.ts';
import { startMany } from './storm-steps.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Workflow tasks the worker behind `metricsAddress` has completed (its Prometheus endpoint). */
export async function completedWorkflowTasks(metricsAddress: string): Promise<number> {
  const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) {
    const m = /^temporal_workflow_task_execution_latency(?:_seconds)?_count(?:\{[^}]*\})? ([\d.e+-]+)$/.exec(line);
    if (m) n += Number(m[1]);
  }
  return n;
}

export interface ReferenceFigures {
  runs: number;
  localSteps: number;
  /** Seconds from the first signalWithStart until every run's first workflow task completed. */
  seconds: number;
  perSecond: number;
  /** % of one core per process over the phase. */
  cpu: Record<string, number>;
  done: boolean;
}

/**
 * Starts `runs` reference runs with `inFlight` signalWithStart calls at a time and waits (up to `timeoutS`) until
 * the reference worker has completed as many more workflow tasks: one per run, local activities included.
 */
export async function referenceStorm(o: {
  temporal: Client;
  taskQueue: string;
  metricsAddress: string;
  runs: number;
  localSteps: number;
  inFlight: number;
  timeoutS: number;
  pids: Record<string, number>;
}): Promise<ReferenceFigures> {
  const before = await completedWorkflowTasks(o.metricsAddress);
  const cpu = cpuMeter(o.pids);
  const t0 = performance.now();
  await startMany(o.temporal, {
    n: o.runs,
    inFlight: o.inFlight,
    workflowType: 'stormReference',
    taskQueue: o.taskQueue,
    args: [o.localSteps],
  });
  const deadline = t0 + o.timeoutS * 1000;
  let done = false;
  while (!done && performance.now() < deadline) {
    done = (await completedWorkflowTasks(o.metricsAddress)) - before >= o.runs;
    if (!done) await sleep(250);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { runs: o.runs, localSteps: o.localSteps, seconds, perSecond: o.runs / seconds, cpu: cpu(), done };
}
