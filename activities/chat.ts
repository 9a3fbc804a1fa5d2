// Delivering an escalation to one of a company's chat channels (Slack-compatible or Teams incoming webhooks). The
// URL is the company admin's choice, so it goes through lib/outbound.ts: checked again here, at send time, against
// a name that now resolves somewhere internal, connected to the addresses checked, and never redirected.
import type { CompanySettings } from '../domain/company-settings.ts';
import { slackPayload, teamsPayload, type EscalationNotice } from '../domain/escalation.ts';
import { OutboundRefused, postJson } from '../lib/outbound.ts';
import type { SecretBox } from '../lib/secret-box.ts';

export type ChatWebhook = NonNullable<NonNullable<CompanySettings['notifications']>['webhooks']>[number];

const WEBHOOK_TIMEOUT_MS = 10_000;

export interface ChatDeps {
  /** Opens chat webhook URLs sealed in company settings; null when the worker has no ENCRYPTION_KEY. */
  secrets: SecretBox | null;
  /** OUTBOUND_ALLOW_PRIVATE: whether a webhook may reach loopback, private or link-local addresses. */
  allowPrivate: boolean;
}

/** Why one delivery failed, and whether trying again could help (a refusal by policy cannot). */
export interface ChatFailure {
  reason: string;
  permanent: boolean;
}

/** A chat webhook's URL: sealed since they are (api/tenants/chat-webhooks.ts), in clear in older settings. */
function urlOf(hook: ChatWebhook, secrets: SecretBox | null): string {
  if (hook.urlSealed === undefined) return hook.url ?? '';
  if (!secrets) throw new Error('the worker has no ENCRYPTION_KEY to open its sealed URL');
  return secrets.open(hook.urlSealed);
}

/** Posts the notice in the hook's format; null when it went out, else why not (never naming the URL). */
export async function deliverToChat(
  hook: ChatWebhook,
  notice: EscalationNotice,
  deps: ChatDeps,
): Promise<ChatFailure | null> {
  return deliverChatPayload(hook, { slack: slackPayload(notice), teams: teamsPayload(notice) }, deps);
}

/** Posts the hook's format of a message (an escalation, an approval request); null when it went out, else why not. */
export async function deliverChatPayload(
  hook: ChatWebhook,
  payloads: { slack: Record<string, unknown>; teams: Record<string, unknown> },
  deps: ChatDeps,
): Promise<ChatFailure | null> {
  try {
    await postJson(urlOf(hook, deps.secrets), hook.format === 'teams' ? payloads.teams : payloads.slack, {
      allowPrivate: deps.allowPrivate,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
    });
    return null;
  } catch (err) {
    if (err instanceof OutboundRefused) {
      return { reason: err.about === 'url' ? `its URL ${err.message}` : err.message, permanent: !err.transient };
    }
    const e = err as Error;
    return { reason: e.name === 'TimeoutError' ? 'timed out' : e.message, permanent: false };
  }
}
