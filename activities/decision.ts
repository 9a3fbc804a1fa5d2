// Chooses what to do about an incident: the company's LLM provider when its settings name one, the rules otherwise
// and whenever the provider fails (activities/decision/engine.ts). Every decision is recorded as a row of its own.
import { Context } from '@temporalio/activity';
import type { Sql } from '../db/sql.ts';
import type { Decision } from '../domain/rules.ts';
import { loadRunbooks } from '../db/runbooks.ts';
import { assetRuns, loadOutcomeMemory } from '../db/outcome-memory.ts';
import type { Severity } from '../domain/types.ts';
import type { CompanySettings } from '../domain/company-settings.ts';
import type { DecisionConfig } from '../lib/config.ts';
import { decide } from './decision/engine.ts';
import type { DecisionProvider } from './decision/providers.ts';
import {
  insertDecisionRecord,
  loadDecisionSettings,
  loadSealedGeminiKey,
  recentAlertMessages,
} from './decision/store.ts';
import type { LlmProvider } from '../domain/decision-answer.ts';
import type { SecretBox } from '../lib/secret-box.ts';
import { geminiProvider } from './decision/gemini.ts';
import { createProgressWriter } from './decision/progress.ts';

export interface DecisionDeps {
  sql: Sql;
  /** Without these (tests of other areas), every company is decided by the rules. */
  config?: DecisionConfig;
  providers?: Partial<Record<LlmProvider, DecisionProvider>>;
  /** Opens a company's own Gemini key (ENCRYPTION_KEY); without it such a key cannot be used, and the row says so. */
  secrets?: SecretBox | null;
}

type Providers = Partial<Record<LlmProvider, DecisionProvider>>;

/**
 * The providers for one company: its own Gemini key in place of the install's when it set one. The key is opened
 * per decision and kept nowhere else, so a replaced or removed key takes effect with the next decision.
 */
async function providersFor(
  deps: DecisionDeps,
  companyId: string,
  provider: string,
): Promise<{ providers: Providers; companyKey?: 'own' | 'unreadable' }> {
  const providers = deps.providers ?? {};
  if (provider !== 'gemini' || !deps.config) return { providers };
  const sealed = await loadSealedGeminiKey(deps.sql, companyId);
  if (sealed === null) return { providers };
  let apiKey: string;
  try {
    if (!deps.secrets) throw new Error('ENCRYPTION_KEY is not set on the worker');
    apiKey = deps.secrets.open(sealed);
  } catch (err) {
    logFailure("A company's own Gemini key cannot be opened; the rules decide", {
      companyId,
      error: err instanceof Error ? err.message : String(err),
    });
    return { providers, companyKey: 'unreadable' };
  }
  return {
    providers: { ...providers, gemini: geminiProvider({ apiKey, baseUrl: deps.config.geminiBaseUrl }) },
    companyKey: 'own',
  };
}

/** The settings a rules-only decision reads in place of the company's. */
const RULES_SETTINGS: CompanySettings['decision'] = { provider: 'rules' };

/** The limits and default models when the worker passes no configuration. */
const RULES_ONLY: DecisionConfig = {
  geminiApiKey: undefined,
  geminiBaseUrl: undefined,
  bedrockEndpoint: undefined,
  geminiModel: 'gemini-2.0-flash',
  bedrockModel: 'anthropic.claude-3-haiku-20240307-v1:0',
  timeoutMs: 8_000,
  maxOutputTokens: 512,
};

/** The activity's logger inside a worker, the console when called directly. */
function logFailure(message: string, meta: Record<string, unknown>): void {
  try {
    Context.current().log.warn(message, meta);
  } catch {
    console.warn(message, meta);
  }
}

export interface DecideInput {
  companyId: string;
  incidentId: string;
  assetName: string;
  signature: string;
  severity: Severity;
  alertCount: number;
  /** Who asked for this decision (redecideIncident); absent for the workflow's own. */
  requestedBy?: string;
  /**
   * The decision record's id, named by the workflow from the incident's state, so a workflow task run again (it timed
   * out after the decision) or a retried activity writes the one record, not a second beside it. Absent in runs
   * recorded before: a new id each time.
   */
  recordId?: string;
  /**
   * The rules decide whatever provider the settings name: the workflow runs this as a local activity because its
   * context said the company decides by its rules, and no LLM call may hold its workflow task open.
   */
  rulesOnly?: boolean;
}

// Runbooks come from their current versions (db/runbooks.ts); re-exported here for the decision engine's callers.
export { loadRunbooks };

export function createDecisionActivities(deps: DecisionDeps) {
  return {
    async decideIncident(input: DecideInput): Promise<Decision> {
      const [runbooks, settings, runsOnAsset] = await Promise.all([
        loadRunbooks(deps.sql, input.companyId),
        input.rulesOnly ? RULES_SETTINGS : loadDecisionSettings(deps.sql, input.companyId),
        // Outcome memory: every decision, the rules' too, is held back by a runbook's failures on the asset.
        assetRuns(deps.sql, input),
      ]);
      const wantsModel = (settings?.provider ?? 'rules') !== 'rules';
      const keys = await providersFor(deps, input.companyId, settings?.provider ?? 'rules');
      const config = deps.config ?? RULES_ONLY;
      // A model's answer streams to the dashboard while it comes (decisionProgress); the rules answer at once.
      const progress =
        settings?.provider && settings.provider !== 'rules'
          ? createProgressWriter(
              deps.sql,
              input,
              {
                provider: settings.provider,
                model: settings.model ?? (settings.provider === 'gemini' ? config.geminiModel : config.bedrockModel),
              },
              { logFailure },
            )
          : null;
      const { decision, record } = await decide(
        {
          incidentId: input.incidentId,
          assetName: input.assetName,
          signature: input.signature,
          severity: input.severity,
          alertCount: input.alertCount,
          // Only a model reads them: the rules decide on the signature alone.
          recentAlertMessages: wantsModel ? await recentAlertMessages(deps.sql, input.companyId, input.incidentId) : [],
          runbooks,
          settings,
          assetRuns: runsOnAsset,
          memory: wantsModel ? await loadOutcomeMemory(deps.sql, input) : undefined,
        },
        { ...keys, config, logFailure, ...(progress ? { onText: (t: string) => progress.update(t) } : {}) },
      ).finally(() => progress?.finish());
      const decisionId = await insertDecisionRecord(deps.sql, input, record, input.requestedBy ?? null, input.recordId);
      return { ...decision, decisionId };
    },
  };
}
