// The wide-storm bench's reference run (storm-reference-worker.ts): what a run costs the platform with none of our
// code in it. Started by signalWithStart as the router starts an incident; its one workflow task takes `localSteps`
// no-op local activities, one after another (a new incident takes six: context, decision, save, on-call pick, page,
// save), then the run waits, as an open incident waits.
import { condition, defineSignal, proxyLocalActivities, setHandler } from '@temporalio/workflow';

export const poke = defineSignal('poke');

export interface ReferenceActivities {
  step(n: number): Promise<number>;
}

const { step } = proxyLocalActivities<ReferenceActivities>({ startToCloseTimeout: '15 seconds' });

export async function stormReference(localSteps: number): Promise<void> {
  let pokes = 0;
  setHandler(poke, () => void (pokes += 1));
  await condition(() => pokes > 0);
  for (let i = 0; i < localSteps; i++) await step(i);
  // Open until the bench's server goes, like the storm's incidents.
  await condition(() => pokes > 1);
}
