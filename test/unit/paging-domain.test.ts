// Unit tests for paging's pure domain: SLA business hours and status, on-call rotations, escalation notices.
import { describe, expect, it } from 'vitest';
import {
  ESCALATION_CHAIN,
  atLeast,
  noticeTitle,
  slackPayload,
  stepOfLevel,
  teamsPayload,
  type EscalationNotice,
} from '../../domain/escalation.ts';
import { categoryOf, layerOnCall, onCallAt, type OnCallLayer, type OnCallOverride } from '../../domain/on-call.ts';
import {
  AT_RISK_SHARE,
  DEFAULT_SLA_POLICY,
  addBusinessMinutes,
  responded,
  slaDeadlines,
  slaStatus,
  type BusinessHours,
  type SlaClock,
  type SlaPolicy,
} from '../../domain/sla.ts';

const ms = (iso: string): number => Date.parse(iso);
const iso = (t: number): string => new Date(t).toISOString();

const BERLIN = 'Europe/Berlin';
const NEW_YORK = 'America/New_York';
const WEEKDAYS_9_TO_5: BusinessHours = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' };
const EVERY_DAY_9_TO_5: BusinessHours = { ...WEEKDAYS_9_TO_5, days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] };

// Calendar used below: 2026-01-09 and 2026-03-27 are Fridays, 2026-03-29 / 2026-10-25 (EU) and 2026-03-08 /
// 2026-11-01 (US) are the Sundays the clocks change. Berlin is UTC+1 (CET) / UTC+2 (CEST); New York UTC-5 / UTC-4.

describe('addBusinessMinutes', () => {
  const add = (start: string, minutes: number, hours = WEEKDAYS_9_TO_5, tz = BERLIN): string =>
    iso(addBusinessMinutes(ms(start), minutes, hours, tz));

  it('counts straight through when the start is inside business hours', () => {
    // Wed 10:00 CET + 90 min -> Wed 11:30 CET
    expect(add('2026-01-14T09:00:00Z', 90)).toBe('2026-01-14T10:30:00.000Z');
  });

  it('ends exactly at closing time rather than the next morning', () => {
    // Wed 16:00 CET + 60 min -> Wed 17:00 CET
    expect(add('2026-01-14T15:00:00Z', 60)).toBe('2026-01-14T16:00:00.000Z');
  });

  it('starts the clock at opening time when the start is before it', () => {
    // Wed 07:15 CET: clock starts 09:00 CET, + 30 -> 09:30 CET
    expect(add('2026-01-14T06:15:00Z', 30)).toBe('2026-01-14T08:30:00.000Z');
  });

  it('runs into Monday when started after closing on a Friday', () => {
    // Fri 18:00 CET: nothing left on Friday, weekend off, Mon 09:00 + 60 -> Mon 10:00 CET
    expect(add('2026-01-09T17:00:00Z', 60)).toBe('2026-01-12T09:00:00.000Z');
  });

  it('skips the weekend when the minutes do not fit into Friday', () => {
    // Fri 16:00 CET + 120: 60 on Friday, 60 on Monday -> Mon 10:00 CET
    expect(add('2026-01-09T15:00:00Z', 120)).toBe('2026-01-12T09:00:00.000Z');
  });

  it('waits for Monday when started on a Saturday', () => {
    // Sat 12:00 CET + 15 -> Mon 09:15 CET
    expect(add('2026-01-10T11:00:00Z', 15)).toBe('2026-01-12T08:15:00.000Z');
  });

  it('spreads a long deadline over several business days and a weekend', () => {
    // Thu 13:00 CET + 1440 (three 8 h days): Thu 240, Fri 480, Mon 480 leave 240 -> Tue 13:00 CET
    expect(add('2026-01-15T12:00:00Z', 1440)).toBe('2026-01-20T12:00:00.000Z');
  });

  it('lands on the right Berlin wall clock after the spring-forward weekend', () => {
    // Fri 2026-03-27 16:00 CET + 120: 60 Fri, then Mon 09:00 CEST + 60 -> Mon 10:00 CEST = 08:00Z
    expect(add('2026-03-27T15:00:00Z', 120)).toBe('2026-03-30T08:00:00.000Z');
    // Sat 2026-03-28 12:00 CET + 30 -> Mon 09:30 CEST = 07:30Z
    expect(add('2026-03-28T11:00:00Z', 30)).toBe('2026-03-30T07:30:00.000Z');
  });

  it('lands on the right Berlin wall clock after the fall-back weekend', () => {
    // Fri 2026-10-23 16:00 CEST + 120: 60 Fri, then Mon 09:00 CET + 60 -> Mon 10:00 CET = 09:00Z
    expect(add('2026-10-23T14:00:00Z', 120)).toBe('2026-10-26T09:00:00.000Z');
  });

  it('lands on the right New York wall clock after the spring-forward weekend', () => {
    // Fri 2026-03-06 16:00 EST + 120: 60 Fri, then Mon 09:00 EDT + 60 -> Mon 10:00 EDT = 14:00Z
    expect(add('2026-03-06T21:00:00Z', 120, WEEKDAYS_9_TO_5, NEW_YORK)).toBe('2026-03-09T14:00:00.000Z');
  });

  it('lands on the right New York wall clock after the fall-back weekend', () => {
    // Fri 2026-10-30 16:00 EDT + 120: 60 Fri, then Mon 09:00 EST + 60 -> Mon 10:00 EST = 15:00Z
    expect(add('2026-10-30T20:00:00Z', 120, WEEKDAYS_9_TO_5, NEW_YORK)).toBe('2026-11-02T15:00:00.000Z');
  });

  it('opens at 09:00 local on the very Sunday the clocks spring forward', () => {
    // Sat 2026-03-28 16:30 CET + 60: 30 Sat, Sun opens 09:00 CEST (07:00Z) + 30 -> 09:30 CEST = 07:30Z
    expect(add('2026-03-28T15:30:00Z', 60, EVERY_DAY_9_TO_5)).toBe('2026-03-29T07:30:00.000Z');
    // Sat 2026-03-07 16:30 EST + 60: 30 Sat, Sun opens 09:00 EDT (13:00Z) + 30 -> 09:30 EDT = 13:30Z
    expect(add('2026-03-07T21:30:00Z', 60, EVERY_DAY_9_TO_5, NEW_YORK)).toBe('2026-03-08T13:30:00.000Z');
  });

  it('starts a round-the-clock weekday at local midnight after a spring-forward Sunday', () => {
    const weekdaysAllDay: BusinessHours = { ...WEEKDAYS_9_TO_5, start: '00:00', end: '23:59' };
    // Sat 2026-03-28 12:00 CET + 60: Mon opens 00:00 CEST (Sun 22:00Z) + 60 -> Mon 01:00 CEST = Sun 23:00Z
    expect(add('2026-03-28T11:00:00Z', 60, weekdaysAllDay)).toBe('2026-03-29T23:00:00.000Z');
  });

  it('does not count the hour the clocks skip inside a business window', () => {
    const nights: BusinessHours = { ...EVERY_DAY_9_TO_5, start: '01:00', end: '05:00' };
    // Sun 2026-03-29 01:00 CET (00:00Z) + 240: the window only holds 180 real minutes that night
    // (01:00-02:00 CET, 03:00-05:00 CEST = 03:00Z); Mon 01:00 CEST (Sun 23:00Z) + 60 -> Mon 02:00 CEST = 00:00Z
    expect(add('2026-03-29T00:00:00Z', 240, nights)).toBe('2026-03-30T00:00:00.000Z');
    // Sun 2026-10-25 01:00 CEST (Sat 23:00Z): the window holds 300 real minutes that night, to 05:00 CET = 04:00Z
    expect(add('2026-10-24T23:00:00Z', 300, nights)).toBe('2026-10-25T04:00:00.000Z');
  });

  it('counts plain minutes when there are no business days or the hours are empty', () => {
    // 1000 min = 16 h 40 min of wall time, weekend or not
    expect(add('2026-01-10T11:00:00Z', 1000, { ...WEEKDAYS_9_TO_5, days: [] })).toBe('2026-01-11T03:40:00.000Z');
    expect(add('2026-01-10T11:00:00Z', 1000, { ...WEEKDAYS_9_TO_5, end: '09:00' })).toBe('2026-01-11T03:40:00.000Z');
  });

  it('returns the start itself for zero minutes', () => {
    expect(add('2026-01-10T11:00:00Z', 0)).toBe('2026-01-10T11:00:00.000Z');
  });
});

describe('slaDeadlines', () => {
  const businessPolicy: SlaPolicy = { ...DEFAULT_SLA_POLICY, businessHours: WEEKDAYS_9_TO_5, timeZone: BERLIN };

  it('counts plain minutes without business hours', () => {
    // high: response 15 min, resolution 240 min, straight through a Saturday
    const d = slaDeadlines(ms('2026-01-10T11:00:00Z'), 'high');
    expect(iso(d.responseDeadline)).toBe('2026-01-10T11:15:00.000Z');
    expect(iso(d.resolutionDeadline)).toBe('2026-01-10T15:00:00.000Z');
  });

  it("counts only business hours in the policy's time zone", () => {
    // Fri 16:00 CET, high: response 16:15 CET; resolution 60 Fri + 180 Mon -> Mon 12:00 CET
    const d = slaDeadlines(ms('2026-01-09T15:00:00Z'), 'high', businessPolicy);
    expect(iso(d.responseDeadline)).toBe('2026-01-09T15:15:00.000Z');
    expect(iso(d.resolutionDeadline)).toBe('2026-01-12T11:00:00.000Z');
  });

  it('keeps business-hour deadlines on the wall clock across a DST change', () => {
    // Fri 2026-03-27 16:45 CET, critical: response 16:50 CET; resolution 15 Fri + 45 Mon -> Mon 09:45 CEST
    const d = slaDeadlines(ms('2026-03-27T15:45:00Z'), 'critical', businessPolicy);
    expect(iso(d.responseDeadline)).toBe('2026-03-27T15:50:00.000Z');
    expect(iso(d.resolutionDeadline)).toBe('2026-03-30T07:45:00.000Z');
  });

  it('reads business hours in UTC when the policy names no time zone', () => {
    // Fri 16:00Z, critical: response 16:05Z; resolution 60 min ends exactly at 17:00Z closing
    const d = slaDeadlines(ms('2026-01-09T16:00:00Z'), 'critical', {
      ...DEFAULT_SLA_POLICY,
      businessHours: WEEKDAYS_9_TO_5,
    });
    expect(iso(d.responseDeadline)).toBe('2026-01-09T16:05:00.000Z');
    expect(iso(d.resolutionDeadline)).toBe('2026-01-09T17:00:00.000Z');
  });
});

describe('slaStatus', () => {
  // Response window 20 min (at risk in its last 5), resolution window 120 min (at risk in its last 30).
  const clock: SlaClock = {
    createdAt: '2026-01-14T10:00:00.000Z',
    responded: false,
    resolved: false,
    breached: false,
    responseDeadline: '2026-01-14T10:20:00.000Z',
    resolutionDeadline: '2026-01-14T12:00:00.000Z',
  };

  it('marks an at-risk share of one quarter', () => {
    expect(AT_RISK_SHARE).toBe(0.25);
  });

  it('is ok early in the response window, counting down to the response deadline', () => {
    expect(slaStatus(clock, ms('2026-01-14T10:05:00Z'))).toEqual({
      status: 'ok',
      deadline: clock.responseDeadline,
      msLeft: 15 * 60_000,
    });
  });

  it('is still ok with exactly a quarter of the window left', () => {
    expect(slaStatus(clock, ms('2026-01-14T10:15:00Z')).status).toBe('ok');
  });

  it('is at risk with less than a quarter of the response window left', () => {
    expect(slaStatus(clock, ms('2026-01-14T10:16:00Z'))).toEqual({
      status: 'at_risk',
      deadline: clock.responseDeadline,
      msLeft: 4 * 60_000,
    });
  });

  it('is breached once the deadline is reached', () => {
    expect(slaStatus(clock, ms('2026-01-14T10:20:00Z'))).toEqual({
      status: 'breached',
      deadline: clock.responseDeadline,
      msLeft: 0,
    });
  });

  it('switches to the resolution deadline once someone responded', () => {
    const responded = { ...clock, responded: true };
    // 10:30: 90 of 120 min left -> ok; 11:40: 20 < 30 min left -> at risk
    expect(slaStatus(responded, ms('2026-01-14T10:30:00Z'))).toEqual({
      status: 'ok',
      deadline: clock.resolutionDeadline,
      msLeft: 90 * 60_000,
    });
    expect(slaStatus(responded, ms('2026-01-14T11:40:00Z')).status).toBe('at_risk');
    expect(slaStatus(responded, ms('2026-01-14T12:00:01Z')).status).toBe('breached');
  });

  it('stays breached once flagged, even with time left', () => {
    expect(slaStatus({ ...clock, breached: true }, ms('2026-01-14T10:05:00Z')).status).toBe('breached');
  });

  it('reports met or breached for a resolved incident, with no deadline', () => {
    const now = ms('2026-01-14T13:00:00Z');
    expect(slaStatus({ ...clock, resolved: true }, now)).toEqual({ status: 'met', deadline: null, msLeft: null });
    expect(slaStatus({ ...clock, resolved: true, breached: true }, now)).toEqual({
      status: 'breached',
      deadline: null,
      msLeft: null,
    });
  });
});

describe('responded', () => {
  it('stops the response clock on an acknowledgement, a runbook, a resolution or a decided approval', () => {
    const at = (status: string, approvalStatus: string | null = null, acknowledged = false) =>
      responded({ acknowledged, status, approvalStatus });
    expect(at('new')).toBe(false);
    expect(at('escalated')).toBe(false);
    expect(at('escalated', null, true)).toBe(true);
    expect(at('remediating')).toBe(true);
    expect(at('resolved')).toBe(true);
    expect(at('awaiting_approval', 'pending')).toBe(false);
    expect(at('escalated', 'expired')).toBe(false);
    expect(at('escalated', 'rejected')).toBe(true);
  });
});

describe('layerOnCall', () => {
  // 2026-01-05 is a Monday: ana's first week starts then at 09:00 CET (08:00Z).
  const weekly: OnCallLayer = {
    userIds: ['ana', 'ben', 'cem'],
    rotationDays: 7,
    handoffTime: '09:00',
    startDate: '2026-01-05',
  };
  const daily: OnCallLayer = { ...weekly, rotationDays: 1 };
  const who = (layer: OnCallLayer, at: string, tz = BERLIN): string => layerOnCall(layer, ms(at), tz);

  it('gives the first person the first week', () => {
    expect(who(weekly, '2026-01-05T08:00:00Z')).toBe('ana'); // Mon 09:00 CET
    expect(who(weekly, '2026-01-11T22:00:00Z')).toBe('ana'); // Sun 23:00 CET, same week
  });

  it('hands off a weekly rotation at 09:00 local on the handoff day', () => {
    expect(who(weekly, '2026-01-12T07:59:00Z')).toBe('ana'); // Mon 08:59 CET: ana's week still on
    expect(who(weekly, '2026-01-12T08:00:00Z')).toBe('ben'); // Mon 09:00 CET: ben's week
    expect(who(weekly, '2026-01-19T08:00:00Z')).toBe('cem'); // third week
    expect(who(weekly, '2026-01-26T08:00:00Z')).toBe('ana'); // fourth week wraps around
  });

  it('hands off a daily rotation every morning at 09:00 local', () => {
    expect(who(daily, '2026-01-06T07:00:00Z')).toBe('ana'); // Tue 08:00 CET: Monday's shift
    expect(who(daily, '2026-01-06T09:00:00Z')).toBe('ben'); // Tue 10:00 CET
    expect(who(daily, '2026-01-07T09:00:00Z')).toBe('cem'); // Wed 10:00 CET
    expect(who(daily, '2026-01-08T09:00:00Z')).toBe('ana'); // Thu 10:00 CET wraps
  });

  it('cycles backwards before the start date instead of failing', () => {
    // Shifts -1, -2, -3, -4 before the start belong to cem, ben, ana, cem.
    expect(who(weekly, '2026-01-05T07:59:00Z')).toBe('cem'); // Mon 08:59 CET, before the very first handoff
    expect(who(weekly, '2025-12-29T08:00:00Z')).toBe('cem');
    expect(who(weekly, '2025-12-22T08:00:00Z')).toBe('ben');
    expect(who(weekly, '2025-12-15T08:00:00Z')).toBe('ana');
    expect(who(weekly, '2025-12-08T08:00:00Z')).toBe('cem');
    expect(who(daily, '2026-01-04T09:00:00Z')).toBe('cem'); // Sun 10:00 CET, day -1
    expect(who(daily, '2026-01-03T09:00:00Z')).toBe('ben'); // day -2
  });

  it('keeps the handoff at 09:00 local across the Berlin spring-forward night', () => {
    const layer = { ...daily, startDate: '2026-03-28' }; // Sat ana, Sun (DST) ben
    expect(who(layer, '2026-03-29T06:59:00Z')).toBe('ana'); // Sun 08:59 CEST
    expect(who(layer, '2026-03-29T07:00:00Z')).toBe('ben'); // Sun 09:00 CEST (would be 08:00Z in CET)
  });

  it('keeps the handoff at 09:00 local across the Berlin fall-back night', () => {
    const layer = { ...daily, startDate: '2026-10-24' }; // Sat ana, Sun (DST) ben
    expect(who(layer, '2026-10-25T07:59:00Z')).toBe('ana'); // Sun 08:59 CET (would be 09:59 CEST)
    expect(who(layer, '2026-10-25T08:00:00Z')).toBe('ben'); // Sun 09:00 CET
  });

  it('keeps a weekly handoff at 09:00 local in the week after New York springs forward', () => {
    const layer = { ...weekly, startDate: '2026-03-02' }; // Mon 2 ana, Mon 9 ben (Sun 8 is the DST night)
    expect(who(layer, '2026-03-09T12:59:00Z', NEW_YORK)).toBe('ana'); // Mon 08:59 EDT
    expect(who(layer, '2026-03-09T13:00:00Z', NEW_YORK)).toBe('ben'); // Mon 09:00 EDT (would be 14:00Z in EST)
  });

  it('keeps a weekly handoff at 09:00 local in the week after New York falls back', () => {
    const layer = { ...weekly, startDate: '2026-10-26' }; // Mon Oct 26 ana, Mon Nov 2 ben (Sun Nov 1 is DST)
    expect(who(layer, '2026-11-02T13:59:00Z', NEW_YORK)).toBe('ana'); // Mon 08:59 EST
    expect(who(layer, '2026-11-02T14:00:00Z', NEW_YORK)).toBe('ben'); // Mon 09:00 EST (would be 13:00Z in EDT)
  });
});

describe('onCallAt', () => {
  const primary: OnCallLayer = {
    userIds: ['ana', 'ben', 'cem'],
    rotationDays: 7,
    handoffTime: '09:00',
    startDate: '2026-01-05',
  };
  const backup: OnCallLayer = { ...primary, userIds: ['dan', 'eve'] };
  // Wed 2026-01-14 is in the second week: ben primary, eve backup.
  const override: OnCallOverride = {
    userId: 'zoe',
    layer: 0,
    startsAt: '2026-01-14T12:00:00Z',
    endsAt: '2026-01-14T18:00:00Z',
  };
  const at = (when: string, overrides: OnCallOverride[] = [override]): string[] =>
    onCallAt([primary, backup], overrides, ms(when), BERLIN);

  it('lists the rotation per layer when nothing overrides it', () => {
    expect(at('2026-01-14T13:00:00Z', [])).toEqual(['ben', 'eve']);
  });

  it('puts the override in place of the primary for its time range only', () => {
    expect(at('2026-01-14T11:59:59Z')).toEqual(['ben', 'eve']);
    expect(at('2026-01-14T12:00:00Z')).toEqual(['zoe', 'eve']);
    expect(at('2026-01-14T17:59:59Z')).toEqual(['zoe', 'eve']);
    expect(at('2026-01-14T18:00:00Z')).toEqual(['ben', 'eve']); // the end is exclusive
  });

  it('overrides only the layer it names', () => {
    expect(at('2026-01-14T13:00:00Z', [{ ...override, layer: 1 }])).toEqual(['ben', 'zoe']);
    expect(at('2026-01-14T13:00:00Z', [{ ...override, layer: 2 }])).toEqual(['ben', 'eve']);
  });
});

describe('categoryOf', () => {
  it('prefers the alert category label, lower-cased and trimmed, over signature hints', () => {
    expect(categoryOf('disk_full', { category: ' Network ' })).toBe('network');
    expect(categoryOf('anything', { category: 'DATABASE' })).toBe('database');
  });

  it('guesses from the signature when there is no usable label', () => {
    expect(categoryOf('replication_lag', null)).toBe('database');
    expect(categoryOf('host_unreachable', undefined)).toBe('network');
    expect(categoryOf('disk_full', {})).toBe('server');
    expect(categoryOf('disk_full', { category: '   ' })).toBe('server');
  });

  it('returns null for a signature it has no hint for', () => {
    expect(categoryOf('unknown', null)).toBeNull();
  });
});

describe('escalation', () => {
  const notice: EscalationNotice = {
    incidentId: 'inc-42',
    companyName: 'Acme',
    assetName: 'web-1',
    signature: 'disk_full',
    severity: 'critical',
    status: 'escalated',
    level: 2,
    reason: 'Response SLA breached',
    url: 'https://aw.example/incidents/inc-42',
  };
  const title = '[CRITICAL] Acme: disk_full on web-1 (level 2)';

  it('pages the assignee first, one step further per level, and repeats the last step', () => {
    const step = (level: number) => ESCALATION_CHAIN[stepOfLevel(level)];
    expect([1, 2, 3, 4].map(step)).toEqual(['assignee', 'on_call_backup', 'company_admins', 'msp_admins']);
    expect(step(5)).toBe('msp_admins');
    expect(step(99)).toBe('msp_admins');
    expect(stepOfLevel(0)).toBe(0);
    expect(stepOfLevel(-3)).toBe(0);
  });

  it('lets a notice through when its severity is at or above the floor', () => {
    expect(atLeast('critical', 'high')).toBe(true);
    expect(atLeast('high', 'high')).toBe(true);
    expect(atLeast('medium', 'high')).toBe(false);
    expect(atLeast('low', 'critical')).toBe(false);
    expect(atLeast('low', undefined)).toBe(true);
  });

  it('titles a notice with severity, company, signature, asset and level', () => {
    expect(noticeTitle(notice)).toBe(title);
    expect(noticeTitle({ ...notice, severity: 'low', level: 1 })).toBe('[LOW] Acme: disk_full on web-1 (level 1)');
  });

  it('builds a Slack message with the title, the reason and an open button', () => {
    expect(slackPayload(notice)).toEqual({
      text: `${title}: Response SLA breached`,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: `*${title}*\nResponse SLA breached` } },
        {
          type: 'actions',
          elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open incident' }, url: notice.url }],
        },
      ],
    });
  });

  it('builds a Teams MessageCard coloured by severity', () => {
    expect(teamsPayload(notice)).toEqual({
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: title,
      themeColor: 'C50F1F',
      title,
      text: 'Response SLA breached',
      potentialAction: [{ '@type': 'OpenUri', name: 'Open incident', targets: [{ os: 'default', uri: notice.url }] }],
    });
    expect(teamsPayload({ ...notice, severity: 'high' }).themeColor).toBe('F7630C');
    expect(teamsPayload({ ...notice, severity: 'medium' }).themeColor).toBe('0078D4');
    expect(teamsPayload({ ...notice, severity: 'low' }).themeColor).toBe('0078D4');
  });
});
