// The pure parts of saving and paging from the workflow: what text PostgreSQL refuses and how it is cleaned, what a
// refused save does to the incident, and how the timeline names who was paged (the whole path runs on the real
// stack in test/api/tenant-errors.test.ts).
import { describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../../domain/sla.ts';
import { emptyJournal, openIncident } from '../../workflows/incident-state.ts';
import { BLANKED_ENTRY, blanked, escalateRefusedSave, makeStorable, storable } from '../../workflows/incident-save.ts';
import { pagedText } from '../../workflows/paging.ts';
import type { IncidentState } from '../../workflows/types.ts';

const NOW = '2026-12-06T10:00:00.000Z';

function incident(status: IncidentState['status']): IncidentState {
  const s = openIncident(
    {
      incidentId: 'inc-1',
      companyId: 'comp-1',
      workflowId: 'wf-1',
      runId: 'run-1',
      aggregationKey: 'srv|disk_full',
      assetName: 'srv',
      signature: 'disk_full',
      assetCritical: false,
      sla: DEFAULT_SLA_POLICY,
      first: { alertId: 'a-1', severity: 'high', message: 'full', toolSource: 'Zabbix', receivedAt: NOW },
    },
    NOW,
  );
  return { ...s, status };
}

describe('storable', () => {
  it('replaces NUL and unpaired surrogates with U+FFFD and keeps whole characters', () => {
    expect(storable('a\u0000b')).toBe('a\uFFFDb');
    expect(storable('cut \uD83D')).toBe('cut \uFFFD');
    expect(storable('\uDE00 low first')).toBe('\uFFFD low first');
    expect(storable('fire 🔥 ok')).toBe('fire 🔥 ok');
    expect(storable({ list: ['x\u0000', 3, null], deep: { note: '\uD800\uD800🔥' } })).toEqual({
      list: ['x\uFFFD', 3, null],
      deep: { note: '\uFFFD\uFFFD🔥' },
    });
  });

  it('cleans the state in place: nested objects stay the objects code waits on', () => {
    const s = incident('awaiting_approval');
    const approval = {
      status: 'pending' as const,
      riskLevel: 'high' as const,
      requestedAt: NOW,
      deadline: NOW,
      decidedBy: null,
      decidedAt: null,
      comment: 'ok\u0000',
    };
    s.approval = approval;
    s.resolutionNote = 'note \uDBFF';
    makeStorable(s);
    expect(s.approval).toBe(approval);
    expect(approval.comment).toBe('ok\uFFFD');
    expect(s.resolutionNote).toBe('note \uFFFD');
  });

  it('blanks events, keeping their place and kind', () => {
    const e = { seq: 4, kind: 'acknowledged', message: 'x', actor: 'a@b.c', data: { a: 1 }, createdAt: NOW };
    expect(blanked([e])).toEqual([{ ...e, message: BLANKED_ENTRY, actor: null, data: null }]);
  });
});

describe('escalateRefusedSave', () => {
  const reason = 'The incident could not be saved in full: the database refused some of its text';

  it.each([
    ['new', 'escalated'],
    ['acknowledged', 'acknowledged'],
    ['remediating', 'remediating'],
    ['escalated', 'escalated'],
  ] as const)('escalates a %s incident (status %s) and keeps the raw error in the event data', (from, to) => {
    const s = incident(from);
    const j = emptyJournal();
    expect(escalateRefusedSave(s, j, NOW, reason, 'SQLSTATE 22021')).toBe(true);
    expect(s).toMatchObject({ status: to, escalated: true, escalationLevel: 1, escalationReason: reason });
    expect(j.events).toEqual([
      {
        seq: 1,
        kind: 'save_failed',
        message: `Escalated to level 1: ${reason}`,
        actor: null,
        data: { internalDetail: 'SQLSTATE 22021' },
        createdAt: NOW,
      },
    ]);
  });

  it('only records it on a resolved incident, and pages nobody', () => {
    const s = incident('resolved');
    const j = emptyJournal();
    expect(escalateRefusedSave(s, j, NOW, reason, 'raw')).toBe(false);
    expect(s).toMatchObject({ status: 'resolved', escalated: false, escalationReason: null });
    expect(j.events.map((e) => e.message)).toEqual([reason]);
  });
});

describe('pagedText', () => {
  const sent = { inApp: 2, emails: 2, webhooks: 1 };

  it("names the company's own people", () => {
    expect(pagedText({ step: 'company_admins', people: ['lead@acme.test'], ...sent })).toBe(
      'Paged the company admins: lead@acme.test (in app 2, email 2, chat 1)',
    );
  });

  it('counts MSP staff without naming them', () => {
    expect(pagedText({ step: 'msp_admins', people: ['a@msp.test', 'b@msp.test'], ...sent })).toBe(
      'Paged the MSP admins (2 people; in app 2, email 2, chat 1)',
    );
    expect(pagedText({ step: 'msp_admins', people: ['a@msp.test'], ...sent })).toBe(
      'Paged the MSP admins (1 person; in app 2, email 2, chat 1)',
    );
  });

  it('says when nobody was there', () => {
    expect(pagedText({ step: 'msp_admins', people: [], inApp: 0, emails: 0, webhooks: 1 })).toBe(
      'Paged the MSP admins (nobody there) (in app 0, email 0, chat 1)',
    );
  });
});
