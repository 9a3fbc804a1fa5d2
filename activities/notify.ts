// Telling people an incident needs them: in the app (the bell), by email and in the company's chat channels.
// Each outside delivery is claimed as a row first and marked sent after, so a retry of this activity resends only
// what did not go out; in-app notifications are unique per person and event.
import { ApplicationFailure } from '@temporalio/common';
import type { Sql } from '../db/sql.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import {
  ESCALATION_CHAIN,
  STEP_LABELS,
  atLeast,
  noticeText,
  noticeTitle,
  stepOfLevel,
  type EscalationNotice,
  type EscalationStep,
} from '../domain/escalation.ts';
import { shownAs } from '../domain/staff-label.ts';
import type { Severity } from '../domain/types.ts';
import type { Mailer } from '../lib/mailer.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { deliverToChat, type ChatDeps } from './chat.ts';
import { onCallBackup, type OnCallPerson } from './on-call-lookup.ts';
import { claimDelivery, settleDelivery } from '../db/notification-deliveries.ts';
import { ringBells } from '../db/notifications.ts';

/** Named in db/channels.ts; re-exported for the API's listener. */
export { NOTIFICATION_CHANNEL } from '../db/channels.ts';

export interface EscalationInput {
  companyId: string;
  incidentId: string;
  /** The timeline event this notice belongs to: with the incident id, the key that makes retries idempotent. */
  eventSeq: number;
  level: number;
  reason: string;
  severity: Severity;
  status: string;
  assetName: string;
  signature: string;
  assigneeId: string | null;
  /** Picks the rotation whose backup is paged. */
  category: string | null;
}

export interface EscalationResult {
  step: EscalationStep;
  /** The people of that step as the tenant's timeline names them: addresses, MSP staff by label. */
  people: string[];
  inApp: number;
  emails: number;
  webhooks: number;
}

type Person = OnCallPerson;

export function createNotifyActivities(deps: {
  sql: Sql;
  mailer: Mailer | null;
  publicUrl: string;
  /** Opens chat webhook URLs sealed in company settings; null when the worker has no ENCRYPTION_KEY. */
  secrets: SecretBox | null;
  /** Where chat webhooks may post (OUTBOUND_ALLOW_PRIVATE); private addresses are refused by default. */
  outbound?: Omit<ChatDeps, 'secrets'>;
}) {
  const { sql } = deps;
  const chat: ChatDeps = { allowPrivate: false, ...deps.outbound, secrets: deps.secrets };

  async function peopleOf(step: EscalationStep, input: EscalationInput, nowMs: number): Promise<Person[]> {
    const active = sql`u.disabled_at IS NULL`;
    switch (step) {
      case 'assignee':
        if (!input.assigneeId) return [];
        return sql<Person[]>`
          SELECT u.id, u.email, u.name, u.role, u.notification_prefs AS prefs FROM users u WHERE u.id = ${input.assigneeId} AND ${active}`;
      case 'on_call_backup':
        return onCallBackup(sql, input.companyId, input.category, nowMs, input.assigneeId);
      case 'company_admins':
        return sql<Person[]>`
          SELECT u.id, u.email, u.name, u.role, u.notification_prefs AS prefs FROM users u
          JOIN user_companies m ON m.user_id = u.id AND m.company_id = ${input.companyId}
          WHERE u.role = 'company_admin' AND ${active} ORDER BY u.email`;
      case 'msp_admins':
        return sql<Person[]>`
          SELECT u.id, u.email, u.name, u.role, u.notification_prefs AS prefs FROM users u
          WHERE u.role = 'msp_admin' AND ${active} ORDER BY u.email`;
    }
  }

  // The shared delivery ledger (db/notification-deliveries.ts): a retried page sends only what did not go out.
  const claim = (key: string, channel: 'email' | 'webhook', target: string) => claimDelivery(sql, key, channel, target);
  const settle = (key: string, channel: string, target: string, error: string | null) =>
    settleDelivery(sql, key, channel, target, error);

  /**
   * What a page of `input` needs: the step with anybody in it and its people, the notice, and the bell rows (written
   * here, once per person and event). Lists the outside targets without sending to them.
   */
  async function prepare(input: EscalationInput) {
    const [company] = await sql<{ name: string; settings: CompanySettings }[]>`
      SELECT name, settings FROM companies WHERE id = ${input.companyId}`;
    if (!company) throw ApplicationFailure.nonRetryable(`Company ${input.companyId} not found`, 'CompanyGone');
    const config = company.settings?.notifications ?? {};
    const key = `${input.incidentId}:${input.eventSeq}`;
    const nowMs = Date.now();

    let stepIndex = stepOfLevel(input.level);
    let people: Person[] = [];
    for (; stepIndex < ESCALATION_CHAIN.length; stepIndex++) {
      people = await peopleOf(ESCALATION_CHAIN[stepIndex]!, input, nowMs);
      if (people.length > 0) break;
    }
    const step = ESCALATION_CHAIN[Math.min(stepIndex, ESCALATION_CHAIN.length - 1)]!;
    const notice: EscalationNotice = {
      incidentId: input.incidentId,
      companyName: company.name,
      assetName: input.assetName,
      signature: input.signature,
      severity: input.severity,
      status: input.status,
      level: input.level,
      reason: `${input.reason} (paging the ${STEP_LABELS[step]})`,
      url: `${deps.publicUrl}/#/incidents/${encodeURIComponent(input.incidentId)}`,
    };
    const title = noticeTitle(notice);
    const text = noticeText(notice);

    // In the app always: the bell is where a muted person still finds it.
    const inApp = await ringBells(
      sql,
      people.map((p) => p.id),
      {
        companyId: input.companyId,
        incidentId: input.incidentId,
        eventKey: key,
        kind: 'escalation',
        title,
        body: text,
        severity: input.severity,
      },
    );

    // Outside the app only from the company's severity floor up; email only where the install has a relay.
    const addresses = new Set<string>();
    const hooks = atLeast(input.severity, config.minSeverity) ? (config.webhooks ?? []) : [];
    if (deps.mailer && atLeast(input.severity, config.minSeverity)) {
      for (const p of people) {
        if (p.prefs?.email !== false && atLeast(input.severity, p.prefs?.minSeverity)) addresses.add(p.email);
      }
      for (const e of config.emails ?? []) addresses.add(e);
    }
    return { key, step, people, notice, title, text, inApp, addresses, hooks };
  }

  /** The page's result, counted from the rows: a retry that had little left to send still reports all that went. */
  async function result(page: Awaited<ReturnType<typeof prepare>>): Promise<EscalationResult> {
    const sent = await sql<{ channel: string; n: number }[]>`
      SELECT channel, count(*)::int AS n FROM notification_deliveries
      WHERE event_key = ${page.key} AND status = 'sent' GROUP BY channel`;
    const [bell] = await sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM notifications WHERE event_key = ${page.key}`;
    const count = (c: string) => sent.find((r) => r.channel === c)?.n ?? 0;
    return {
      step: page.step,
      people: page.people.map(shownAs),
      inApp: Math.max(page.inApp, bell?.n ?? 0),
      emails: count('email'),
      webhooks: count('webhook'),
    };
  }

  return {
    /**
     * A page that goes no further than the app (no relay or nobody to email, no chat channel), whole; run as a local
     * activity, in the workflow task that pages (issue 16 item 3). Null when the page has outside deliveries: the
     * bell rows are written, and notifyEscalation, an activity task with its hour of retries, sends the rest.
     */
    async pageInApp(input: EscalationInput): Promise<EscalationResult | null> {
      const page = await prepare(input);
      if (page.addresses.size > 0 || page.hooks.length > 0) return null;
      // Nothing went outside the app. Every bell row written by this try needs no count; a retry counts them.
      if (page.inApp < page.people.length) return result(page);
      return { step: page.step, people: page.people.map(shownAs), inApp: page.inApp, emails: 0, webhooks: 0 };
    },

    /**
     * Pages the escalation step of `level` (or the next step with anybody in it) and the company's chat channels.
     * Throws, for Temporal to retry, when a delivery failed; what went out is not sent again.
     */
    async notifyEscalation(input: EscalationInput): Promise<EscalationResult> {
      const page = await prepare(input);
      const { key, notice, title, text, addresses } = page;
      const failures: string[] = [];
      // Set when a failure is one a retry could fix; refusals by policy (a private address, a redirect) are not.
      let retryable = false;
      for (const to of addresses) {
        if (!(await claim(key, 'email', to))) continue;
        try {
          await deps.mailer!.send({ to, subject: title, text });
          await settle(key, 'email', to, null);
        } catch (err) {
          await settle(key, 'email', to, (err as Error).message);
          failures.push(`email to ${to}: ${(err as Error).message}`);
          retryable = true;
        }
      }
      for (const hook of page.hooks) {
        if (!(await claim(key, 'webhook', hook.name))) continue;
        const failed = await deliverToChat(hook, notice, chat);
        await settle(key, 'webhook', hook.name, failed?.reason ?? null);
        if (failed) failures.push(`webhook "${hook.name}": ${failed.reason}`);
        if (failed && !failed.permanent) retryable = true;
      }
      if (failures.length > 0) {
        const message = `Notification not delivered: ${failures.join('; ')}`;
        // Only refusals: retrying for an hour would refuse the same way, so the timeline hears of it now.
        throw retryable ? new Error(message) : ApplicationFailure.nonRetryable(message, 'DeliveryRefused');
      }
      return result(page);
    },
  };
}
