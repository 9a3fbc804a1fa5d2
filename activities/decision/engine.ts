// One decision: the company's provider if it has one (within a time and token limit), judged against the schema and
// the company's runbooks; the rules otherwise, or when anything goes wrong, with the reason in a sentence. The raw
// provider error goes to the server log only. Outcome memory then holds back an automatic run of a runbook that keeps
// failing on the asset, whoever picked it. Returns the Decision and the row that records it.
import {
  decisionFromAnswer,
  judgeAnswer,
  rulesFallback,
  type DecisionProviderName,
  type FallbackCause,
  type LlmProvider,
} from '../../domain/decision-answer.ts';
import { buildDecisionPrompt, PROMPT_VERSION, type DecisionPromptInput } from '../../domain/decision-prompt.ts';
import { decideByRules, guardByMemory, type Decision } from '../../domain/rules.ts';
import type { OutcomeRun } from '../../domain/outcome-memory.ts';
import type { CompanySettings } from '../../domain/company-settings.ts';
import type { DecisionConfig } from '../../lib/config.ts';
import type { DecisionProvider, ProviderReply } from './providers.ts';

/** Below this confidence an answer goes to the rules, unless the company sets its own floor. */
export const DEFAULT_MIN_CONFIDENCE = 0.6;
/** The model's raw text kept in a row when it could not be used, for whoever debugs the prompt. */
const MAX_KEPT_TEXT = 2_000;

export interface DecisionRecordDraft {
  provider: DecisionProviderName;
  model: string | null;
  promptVersion: string | null;
  inputDigest: string | null;
  output: Record<string, unknown>;
  latencyMs: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  fallbackReason: string | null;
}

export interface EngineDeps {
  providers: Partial<Record<LlmProvider, DecisionProvider>>;
  config: Pick<DecisionConfig, 'timeoutMs' | 'maxOutputTokens' | 'geminiModel' | 'bedrockModel'>;
  /**
   * Gemini's key for this company: 'own' = the company's sealed key was opened and is in `providers`; 'unreadable'
   * = it has one this install cannot open, so Gemini is not asked. Unset = the install's key.
   */
  companyKey?: 'own' | 'unreadable';
  /** Given: the provider streams and this hears the answer's text so far (the dashboard's live reasoning). */
  onText?: (soFar: string) => void;
  /** Where a provider's raw error goes (the server log). */
  logFailure(message: string, meta: Record<string, unknown>): void;
}

export interface EngineInput extends DecisionPromptInput {
  incidentId: string;
  settings: CompanySettings['decision'];
  /** The asset's latest runs, newest first (db/outcome-memory.ts assetRuns): the failure streak is counted on them. */
  assetRuns?: readonly OutcomeRun[];
}

type Decided = { decision: Decision; record: DecisionRecordDraft };

/**
 * The decision after outcome memory: when it holds a run back, the row keeps why and what was picked before, so the
 * history shows both the pick and the memory that overruled it.
 */
export async function decide(input: EngineInput, deps: EngineDeps): Promise<Decided> {
  const made = await pick(input, deps);
  const guarded = guardByMemory(made.decision, input.assetName, input.assetRuns ?? []);
  if (guarded === made.decision) return made;
  const output = made.record.output;
  return {
    decision: guarded,
    record: {
      ...made.record,
      output: {
        // The rules' row is the summary itself; a provider's row nests it under "decision".
        ...('decision' in output ? { ...output, decision: summary(guarded) } : summary(guarded)),
        memoryReason: guarded.memoryReason,
        heldBack: summary(made.decision),
      },
    },
  };
}

function summary(d: Decision): Record<string, unknown> {
  return {
    action: d.action,
    runbookId: d.runbook?.id ?? null,
    runbookName: d.runbook?.name ?? null,
    source: d.source,
    confidence: d.confidence,
  };
}

/** The SDKs' errors, read for what a tenant sentence may say: the error's name and HTTP status. */
function errorFacts(err: unknown): { name: string | null; status: number | null } {
  const e = err as { name?: unknown; status?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e?.status === 'number' ? e.status : e?.$metadata?.httpStatusCode;
  return { name: typeof e?.name === 'string' ? e.name : null, status: typeof status === 'number' ? status : null };
}

/** Settles when the call does or the signal aborts, whichever is first: a client ignoring the signal cannot hold us. */
function raceAbort<T>(call: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    call.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** What the provider (or the rules) pick, before outcome memory. */
async function pick(input: EngineInput, deps: EngineDeps): Promise<Decided> {
  const providerName = input.settings?.provider ?? 'rules';
  if (providerName === 'rules') {
    const decision = decideByRules(input.signature, input.runbooks);
    return {
      decision,
      record: {
        provider: 'rules',
        model: null,
        promptVersion: null,
        inputDigest: null,
        output: summary(decision),
        latencyMs: 0,
        tokensIn: null,
        tokensOut: null,
        fallbackReason: null,
      },
    };
  }
  const model =
    input.settings?.model ?? (providerName === 'gemini' ? deps.config.geminiModel : deps.config.bedrockModel);
  const minConfidence = input.settings?.minConfidence ?? DEFAULT_MIN_CONFIDENCE;
  const prompt = buildDecisionPrompt(input);
  const base = { provider: providerName, model, promptVersion: PROMPT_VERSION, inputDigest: prompt.inputDigest };
  const fallback = (cause: FallbackCause, extra: Partial<DecisionRecordDraft>, kept: Record<string, unknown> = {}) => {
    const decision = rulesFallback(input.signature, input.runbooks, providerName, model, cause);
    return {
      decision,
      record: {
        ...base,
        latencyMs: null,
        tokensIn: null,
        tokensOut: null,
        ...extra,
        output: { ...kept, decision: summary(decision) },
        fallbackReason: decision.fallbackReason ?? null,
      },
    };
  };

  if (providerName === 'gemini' && deps.companyKey === 'unreadable') return fallback({ kind: 'key_unreadable' }, {});
  const provider = deps.providers[providerName];
  if (!provider) return fallback({ kind: 'not_configured' }, {});

  const started = performance.now();
  const signal = AbortSignal.timeout(deps.config.timeoutMs);
  let reply: ProviderReply;
  let opened = false;
  try {
    reply = await raceAbort(
      provider.ask({
        model,
        system: prompt.system,
        user: prompt.user,
        maxOutputTokens: deps.config.maxOutputTokens,
        signal,
        ...(deps.onText ? { onText: deps.onText, onOpen: () => (opened = true) } : {}),
      }),
      signal,
    );
  } catch (err) {
    const latencyMs = Math.round(performance.now() - started);
    deps.logFailure('Decision provider failed; the rules decide', {
      incidentId: input.incidentId,
      provider: providerName,
      model,
      latencyMs,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    const cause: FallbackCause = signal.aborted
      ? { kind: 'timeout', seconds: Math.round(deps.config.timeoutMs / 100) / 10 }
      : opened
        ? { kind: 'broken_stream' }
        : {
            kind: 'provider_error',
            ...errorFacts(err),
            companyKey: providerName === 'gemini' && deps.companyKey === 'own',
          };
    return fallback(cause, { latencyMs });
  }
  const measured = {
    latencyMs: Math.round(performance.now() - started),
    tokensIn: reply.tokensIn,
    tokensOut: reply.tokensOut,
  };
  const verdict = judgeAnswer(reply.text, input.runbooks, minConfidence);
  if (!verdict.ok) return fallback(verdict.cause, measured, { text: reply.text.slice(0, MAX_KEPT_TEXT) });
  const decision = decisionFromAnswer(providerName, model, verdict.answer, verdict.runbook);
  return {
    decision,
    record: {
      ...base,
      ...measured,
      output: { answer: verdict.answer, decision: summary(decision) },
      fallbackReason: null,
    },
  };
}
