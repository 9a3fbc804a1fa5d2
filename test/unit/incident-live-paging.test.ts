// The detail page's paged lists and live header (web/src/composables): refreshes merge the newest page with the
// older pages already loaded, one refresh is in flight at a time, and a header decides what is read again.
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { perSubscriberFields } from '../../api/graphql/live-selection.ts';
import { schema } from '../../api/graphql/schema.ts';
import { coalesced } from '../../web/src/composables/coalesce.ts';
import { headerChanges, patchHeader, withExtras } from '../../web/src/composables/incident-live.ts';
import { usePagedList, type ListPage } from '../../web/src/composables/usePagedList.ts';
import { INCIDENT_UPDATED, INCIDENTS_UPDATED } from '../../web/src/graphql/operations.ts';
import type { Incident, IncidentHeader } from '../../web/src/graphql/types.ts';

/** A server list of numbers, newest (highest) first, paged by `size` with the last number as the cursor. */
function server(size: number) {
  const rows: number[] = [];
  let reads = 0;
  return {
    rows,
    get reads() {
      return reads;
    },
    add(...n: number[]) {
      rows.push(...n);
      rows.sort((a, b) => b - a);
    },
    async fetch(after: string | null): Promise<ListPage<number>> {
      reads++;
      await Promise.resolve();
      const from = after === null ? 0 : rows.indexOf(Number(after)) + 1;
      const items = rows.slice(from, from + size);
      return { items, endCursor: items.length ? String(items.at(-1)) : after, hasNextPage: from + size < rows.length };
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: from - to + 1 }, (_, i) => from - i);

describe("the dashboard's subscriptions", () => {
  it('select only what the server sends live (the header), never a per-subscriber read', () => {
    expect(perSubscriberFields(schema, parse(INCIDENT_UPDATED))).toEqual([]);
    expect(perSubscriberFields(schema, parse(INCIDENTS_UPDATED))).toEqual([]);
    // The check itself sees through fragments, as the old detail subscription used them.
    const old = 'subscription { incidentUpdated { ...D } } fragment D on Incident { id timeline { seq } }';
    expect(perSubscriberFields(schema, parse(old))).toEqual(['Incident.timeline']);
  });
});

describe('paged list', () => {
  it('loads the newest page, then older ones, and merges a refresh above them without repeats', async () => {
    const s = server(3);
    s.add(...range(8, 1));
    const list = usePagedList((after) => s.fetch(after), String);
    await list.refresh();
    expect(list.items.value).toEqual([8, 7, 6]);
    expect(list.hasMore.value).toBe(true);
    await list.loadOlder();
    await list.loadOlder();
    await list.loadOlder();
    expect(list.items.value).toEqual(range(8, 1));
    expect(list.hasMore.value).toBe(false);

    s.add(9, 10);
    await list.refresh();
    expect(list.items.value).toEqual(range(10, 1));
    // Older pages stay loaded: nothing left to load.
    expect(list.hasMore.value).toBe(false);
  });

  it('reads on past a page of new rows until it meets the loaded ones, and starts over after too many', async () => {
    const s = server(2);
    s.add(...range(6, 1));
    const list = usePagedList((after) => s.fetch(after), String);
    await list.refresh();
    await list.loadOlder();
    expect(list.items.value).toEqual([6, 5, 4, 3]);
    s.add(9, 8, 7);
    await list.refresh();
    expect(list.items.value).toEqual(range(9, 3));
    expect(list.hasMore.value).toBe(true);
    await list.loadOlder();
    expect(list.items.value).toEqual(range(9, 1));

    // More new rows than four pages: the newest pages alone, and "load older" carries on from there.
    s.add(...range(30, 10));
    await list.refresh();
    expect(list.items.value).toEqual(range(30, 23));
    await list.loadOlder();
    expect(list.items.value).toEqual(range(30, 21));
  });

  it('takes a short list as the server has it, dropping rows that left it', async () => {
    const s = server(5);
    s.add(3, 2, 1);
    const list = usePagedList((after) => s.fetch(after), String);
    await list.refresh();
    s.rows.splice(s.rows.indexOf(2), 1);
    await list.refresh();
    expect(list.items.value).toEqual([3, 1]);
  });

  it('runs one refresh at a time and one more for every burst of calls meanwhile', async () => {
    const s = server(10);
    s.add(1);
    const list = usePagedList((after) => s.fetch(after), String);
    const burst = [list.refresh(), list.refresh(), list.refresh(), list.refresh()];
    s.add(2);
    await Promise.all(burst);
    expect(s.reads).toBe(2);
    expect(list.items.value).toEqual([2, 1]);
  });

  it('drops answers for a list cleared meanwhile', async () => {
    const s = server(10);
    s.add(1, 2);
    const list = usePagedList((after) => s.fetch(after), String);
    const pending = list.refresh();
    list.clear();
    await pending;
    expect(list.items.value).toEqual([]);
  });
});

describe('coalesced', () => {
  it('never overlaps runs and runs once more after calls made during a run', async () => {
    let running = 0;
    let runs = 0;
    let release!: () => void;
    const task = coalesced(async () => {
      running++;
      expect(running).toBe(1);
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
      running--;
    });
    const first = task();
    const second = task();
    const third = task();
    expect(runs).toBe(1);
    release();
    await Promise.all([first, second, third]);
    expect(runs).toBe(2);
    await task();
    expect(runs).toBe(3);
  });
});

const header = (o: Partial<IncidentHeader> = {}): IncidentHeader =>
  ({
    id: 'inc-1',
    updatedAt: '2026-12-07T00:00:00.000Z',
    alertCount: 3,
    sourceResolvedAt: null,
    execution: null,
    ...o,
  }) as IncidentHeader;

describe('live header', () => {
  const execution = { commandId: 'cmd-1', status: 'InProgress', finishedAt: null } as IncidentHeader['execution'];

  it('reads the timeline when saved again, the alerts when their count moved, the extras when the run did', () => {
    const before = header({ execution });
    // No save: rows the header does not count changed, such as an alert an inhibition rule held and attached, whose
    // count is an extra.
    expect(headerChanges(before, header({ execution }))).toEqual({
      timeline: false,
      alerts: false,
      alertsLeft: false,
      extras: true,
    });
    const saved = header({ execution, updatedAt: '2026-12-07T00:00:01.000Z' });
    expect(headerChanges(before, saved)).toMatchObject({ timeline: true, alerts: false, extras: false });
    expect(headerChanges(before, header({ alertCount: 4, execution }))).toMatchObject({ alerts: true, extras: true });
    expect(headerChanges(before, header({ alertCount: 2, execution }))).toMatchObject({ alertsLeft: true });
    const finished = header({ execution: { ...execution!, status: 'Success', finishedAt: '2026-12-07T00:00:02Z' } });
    expect(headerChanges(before, finished)).toMatchObject({ extras: true, alerts: false });
    expect(headerChanges(null, before)).toEqual({ timeline: true, alerts: true, alertsLeft: false, extras: true });
  });

  it('keeps the output and correlation shown until they are read again, and never mixes two commands', () => {
    const correlation = { key: 'k' } as Incident['correlation'];
    const shown = {
      ...header(),
      execution: { ...execution!, output: 'restarted' },
      correlation,
      inhibitedCount: 3,
    } as Incident;
    const patched = patchHeader(shown, header({ execution: { ...execution!, status: 'Success' } }));
    expect(patched.execution?.output).toBe('restarted');
    expect(patched.correlation).toBe(correlation);
    expect(patched.inhibitedCount).toBe(3);
    const next = patchHeader(shown, header({ execution: { ...execution!, commandId: 'cmd-2' } }));
    expect(next.execution?.output).toBeNull();
    const read = withExtras(next, {
      execution: { commandId: 'cmd-2', output: 'again' } as never,
      correlation: null,
      inhibitedCount: 1,
    });
    expect(read.execution?.output).toBe('again');
    expect(read.inhibitedCount).toBe(1);
    expect(read.execution?.status).toBe('InProgress');
  });
});
