// The SLA clock of an open incident, running beside everything else: a response not given by its deadline, then a
// resolution not reached by its own, each breaches once, is saved and pages (one page at a time, through the run's
// queue). Split from incidentWorkflow so the workflow body reads as its phases.
import { condition } from '@temporalio/workflow';
import * as T from './incident-state.ts';
import { page, pagesPeople, type Pager } from './paging.ts';

export async function watchSla(p: Pager, serially: (fn: () => Promise<void>) => Promise<void>): Promise<void> {
  const s = p.state();
  const untilMs = (iso: string): number => Math.max(Date.parse(iso) - Date.now(), 0);
  if (!s.slaResponseBreached && !(await condition(() => T.responded(s), untilMs(s.slaResponseDeadline)))) {
    T.breachSla(s, p.journal(), p.now(), 'Response');
    await p.save();
    if (pagesPeople()) await serially(() => page(p, 'Response SLA breached'));
  }
  if (!s.slaResolutionBreached && !(await condition(() => s.status === 'resolved', untilMs(s.slaResolutionDeadline)))) {
    T.breachSla(s, p.journal(), p.now(), 'Resolution');
    await p.save();
    if (pagesPeople()) await serially(() => page(p, 'Resolution SLA breached'));
  }
}
