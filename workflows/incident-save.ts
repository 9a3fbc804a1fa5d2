// Saving the incident's PostgreSQL projection from the workflow, so that no save can stall it. A save the database
// refuses as data (a NUL, an unpaired surrogate: the data's fault, so retrying cannot help) is tried again without
// that text, then with its new timeline entries blanked, and the first such refusal escalates the incident for a
// person to check it. A save that outlasts its retries (a long database outage) keeps its events for another try a
// minute later. Either way the workflow carries on and people's Updates answer; the raw error goes to the log with
// the incident id, and to the escalation's event data for MSP admins.
import { condition, log, proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
import type { createIncidentStoreActivities } from '../activities/incident-store.ts';
import { tenantFailureText, UNSTORABLE } from '../domain/failure-text.ts';
import { failureOf, rethrowCancellation } from './failures.ts';
import { failureData, record, type Journal } from './incident-state.ts';
import { runsStepsLocally, type LocalSteps } from './local-steps.ts';
import type { IncidentState, TimelineEvent } from './types.ts';

type StoreActivities = ReturnType<typeof createIncidentStoreActivities>;

// Writes are idempotent, so they retry through a database restart or failover: ten attempts over about two and a
// half minutes. Past that the saver keeps the events and tries again every minute; what PostgreSQL refuses as data
// fails at once (UNSTORABLE, thrown non-retryable by the activity).
const store = proxyActivities<Pick<StoreActivities, 'saveIncident'>>({
  startToCloseTimeout: '15 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [UNSTORABLE],
  },
});

// The same save as a local activity (local-steps.ts), with the same bounded policy: one marker event, in the
// workflow task that made the change. Each retry after the first waits on a durable timer, not in the worker, so
// people's Updates still answer during an outage; the last failure reads as before.
const localStore = proxyLocalActivities<Pick<StoreActivities, 'saveIncident'>>({
  startToCloseTimeout: '15 seconds',
  localRetryThreshold: '1 second',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [UNSTORABLE],
  },
});

/** How long a save that outlasted its retries waits before the next try. */
const RETRY_AFTER = '1 minute';

/** What an entry the database would not take reads in the timeline instead. */
export const BLANKED_ENTRY = 'This entry could not be stored';

const isHigh = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** `s` with each NUL and unpaired UTF-16 surrogate (PostgreSQL refuses both in JSON, NUL in text too) as U+FFFD. */
function storableText(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isHigh(c) && isLow(s.charCodeAt(i + 1))) {
      out += s.slice(i, i + 2);
      i++;
    } else {
      out += c === 0 || isHigh(c) || isLow(c) ? '\uFFFD' : s[i];
    }
  }
  return out;
}

/** A copy of `value` whose strings hold no character PostgreSQL refuses. */
export function storable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map((v) => storable(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, storable(v)])) as T;
  }
  return value;
}

/**
 * Cleans every string inside `target` in place, as `storable` does: the state's nested objects stay the same
 * objects, so code waiting on one of them (an approval) still sees it change.
 */
export function makeStorable(target: object): void {
  const entries: Array<[string | number, unknown]> = Array.isArray(target)
    ? target.map((v, i) => [i, v])
    : Object.entries(target);
  for (const [k, v] of entries) {
    if (typeof v === 'string') {
      const clean = storable(v);
      if (clean !== v) (target as Record<string | number, unknown>)[k] = clean;
    } else if (v !== null && typeof v === 'object') {
      makeStorable(v);
    }
  }
}

/** The events with their text and data left out: the timeline keeps their place and kind. */
export function blanked(events: TimelineEvent[]): TimelineEvent[] {
  return events.map((e) => ({ ...e, message: BLANKED_ENTRY, actor: null, data: null }));
}

export interface Saver {
  /** Persists the state, the journal's events and its newly joined alerts; never throws but for a cancellation. */
  save(): Promise<void>;
  /** No save in flight and none waiting for another try: a continue-as-new or the end loses nothing. */
  settled(): boolean;
  /**
   * Runs alongside the workflow, never returning: pages people once the first refusal escalated the incident
   * (`page`, outside the save so a page's own save never waits on itself), and retries a save that outlasted its
   * retries.
   */
  keep(page: (reason: string) => Promise<void>): Promise<void>;
}

/**
 * `beforeSave` runs (synchronously, in the same workflow task) before each save: the search attributes' upsert.
 * `steps` is the run's queue of local activities (local-steps.ts).
 */
export function createSaver(
  state: () => IncidentState,
  journal: Journal,
  now: () => string,
  steps: LocalSteps,
  beforeSave: (s: IncidentState) => void = () => {},
): Saver {
  let inFlight = 0;
  // A batch waits in the journal for the database to come back.
  let unsaved = false;
  // Once per run the first refusal escalates; its page waits here for the keeper.
  let refusedOnce = false;
  let toPage: string | null = null;

  const attempt = async (s: IncidentState, events: TimelineEvent[], alertIds: string[]): Promise<unknown> => {
    try {
      const input = { state: { ...s }, events, newAlertIds: alertIds };
      await (runsStepsLocally() ? steps.run(() => localStore.saveIncident(input)) : store.saveIncident(input));
      return null;
    } catch (err) {
      rethrowCancellation(err);
      return err;
    }
  };
  const isRefusal = (err: unknown): boolean => failureOf(err).type === UNSTORABLE;

  /** Saves what the database refused: without the refused characters, else with the new entries blanked. */
  const saveRefused = async (s: IncidentState, events: TimelineEvent[], alertIds: string[], first: unknown) => {
    const f = failureOf(first);
    log.error('PostgreSQL refused the incident data; saving it without the refused text', {
      incidentId: s.incidentId,
      cause: f.raw,
    });
    // The state keeps the cleaned text too: every later save would meet the same refusal.
    makeStorable(s);
    const clean = storable(events);
    // The escalation is recorded in this same save, before anything else runs: no runbook starts meanwhile.
    const escalation: Journal = { events: [], alertIds: [] };
    let pageFor: string | null = null;
    if (!refusedOnce) {
      refusedOnce = true;
      const reason = tenantFailureText('save', f);
      if (escalateRefusedSave(s, escalation, now(), reason, f.raw)) pageFor = reason;
    }
    let again = await attempt(s, [...clean, ...escalation.events], alertIds);
    if (again !== null && isRefusal(again))
      again = await attempt(s, [...blanked(clean), ...escalation.events], alertIds);
    if (again === null) {
      unsaved = false;
    } else if (isRefusal(again)) {
      log.error('PostgreSQL refused the incident even without its text; these events are not stored', {
        incidentId: s.incidentId,
        cause: failureOf(again).raw,
        seqs: events.map((e) => e.seq),
      });
    } else {
      putBack([...clean, ...escalation.events], alertIds);
    }
    // Paged once this save is done: the page's bell rows point at the incident's row.
    toPage ??= pageFor;
  };

  const putBack = (events: TimelineEvent[], alertIds: string[]): void => {
    journal.events.unshift(...events);
    journal.alertIds.unshift(...alertIds);
    unsaved = true;
  };

  const save = async (): Promise<void> => {
    const s = state();
    beforeSave(s);
    // Taken out in place: the journal object is shared with the pager and people's commands.
    const events = journal.events.splice(0);
    const alertIds = journal.alertIds.splice(0);
    inFlight += 1;
    try {
      const err = await attempt(s, events, alertIds);
      if (err === null) {
        unsaved = false;
      } else if (isRefusal(err)) {
        await saveRefused(s, events, alertIds, err);
      } else {
        log.warn('Incident not saved; trying again in a minute', {
          incidentId: s.incidentId,
          cause: failureOf(err).raw,
        });
        putBack(events, alertIds);
      }
    } finally {
      inFlight -= 1;
    }
  };

  const keep = async (page: (reason: string) => Promise<void>): Promise<void> => {
    for (;;) {
      await condition(() => toPage !== null || unsaved);
      if (toPage !== null) {
        const reason = toPage;
        toPage = null;
        await page(reason);
        continue;
      }
      await sleep(RETRY_AFTER);
      if (unsaved && inFlight === 0) await save();
    }
  };

  return { save, settled: () => inFlight === 0 && !unsaved, keep };
}

/**
 * The database refused the incident's data: people must check what was stored. Returns whether to page them. A
 * resolved incident only records it; one nobody holds yet is escalated (no runbook runs on half-stored data); one a
 * person or the automation holds keeps its status.
 */
export function escalateRefusedSave(
  s: IncidentState,
  j: Journal,
  now: string,
  reason: string,
  detail: string,
): boolean {
  if (s.status === 'resolved') {
    record(s, j, now, 'save_failed', reason, null, failureData(detail));
    return false;
  }
  if (s.status === 'new') s.status = 'escalated';
  s.escalated = true;
  s.escalationLevel += 1;
  s.escalationReason = reason;
  record(s, j, now, 'save_failed', `Escalated to level ${s.escalationLevel}: ${reason}`, null, failureData(detail));
  return true;
}
