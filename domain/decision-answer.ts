// Judging an LLM's answer and turning it into the workflow's Decision. The model only picks a runbook from the
// company's list (or escalates); risk and approval stay the rules' (decideByRules), and anything the model gets wrong
// sends the incident to the rules with a sentence saying why, which tenants may read.
import { z } from 'zod';
import { decideByRules, type Decision } from './rules.ts';
import type { Runbook } from './types.ts';

export const LLM_PROVIDERS = ['gemini', 'bedrock'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];
export const DECISION_PROVIDERS = ['rules', ...LLM_PROVIDERS] as const;
export type DecisionProviderName = (typeof DECISION_PROVIDERS)[number];

export const PROVIDER_LABELS: Record<DecisionProviderName, string> = {
  rules: 'The rules',
  gemini: 'Gemini',
  bedrock: 'Amazon Bedrock',
};

/** The model's reasoning is shown to people; longer text is cut here. */
export const MAX_REASONING_CHARS = 1_000;

export const modelAnswerSchema = z.object({
  action: z.enum(['execute', 'escalate']),
  runbookId: z.string().max(200).nullable(),
  confidence: z.number().min(0).max(1),
  reasoning: z.string().min(1),
});
export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

/** Why the rules decided instead of the model. */
export type FallbackCause =
  | { kind: 'not_configured' }
  /** The company's own key is stored but this install cannot open it (ENCRYPTION_KEY differs or is missing). */
  | { kind: 'key_unreadable' }
  | { kind: 'timeout'; seconds: number }
  // companyKey: the call used the company's own key (its sentence then blames that key, not the install's).
  | { kind: 'provider_error'; name?: string | null; status?: number | null; companyKey?: boolean }
  /** The provider began streaming its answer, then the stream broke off or held a frame that could not be read. */
  | { kind: 'broken_stream' }
  | { kind: 'empty_answer' }
  | { kind: 'invalid_json' }
  | { kind: 'invalid_answer'; field: string }
  | { kind: 'unknown_runbook' }
  | { kind: 'low_confidence'; confidence: number; minConfidence: number };

export type AnswerVerdict =
  { ok: true; answer: ModelAnswer; runbook: Runbook | null } | { ok: false; cause: FallbackCause };

/** Parses and checks the model's text against the schema, the company's runbooks and the confidence floor. */
export function judgeAnswer(text: string, runbooks: readonly Runbook[], minConfidence: number): AnswerVerdict {
  if (text.trim() === '') return { ok: false, cause: { kind: 'empty_answer' } };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, cause: { kind: 'invalid_json' } };
  }
  const parsed = modelAnswerSchema.safeParse(raw);
  if (!parsed.success) {
    const field = parsed.error.issues[0]?.path.map(String).join('.') || '(answer)';
    return { ok: false, cause: { kind: 'invalid_answer', field } };
  }
  const answer = {
    ...parsed.data,
    reasoning: Array.from(parsed.data.reasoning).slice(0, MAX_REASONING_CHARS).join(''),
  };
  let runbook: Runbook | null = null;
  if (answer.action === 'execute') {
    if (answer.runbookId === null) return { ok: false, cause: { kind: 'invalid_answer', field: 'runbookId' } };
    runbook = runbooks.find((r) => r.id === answer.runbookId) ?? null;
    if (!runbook) return { ok: false, cause: { kind: 'unknown_runbook' } };
  }
  if (answer.confidence < minConfidence) {
    return { ok: false, cause: { kind: 'low_confidence', confidence: answer.confidence, minConfidence } };
  }
  return { ok: true, answer, runbook };
}

const CREDENTIAL_ERRORS = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'ExpiredTokenException',
  'InvalidSignatureException',
  'CredentialsProviderError',
]);
const THROTTLE_ERRORS = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException']);
const MODEL_ERRORS = new Set(['ResourceNotFoundException', 'ModelNotReadyException', 'ValidationException']);

/** The sentence a tenant reads: why the model was not followed. Never the provider's raw error text. */
export function fallbackText(provider: LlmProvider, cause: FallbackCause): string {
  const who = PROVIDER_LABELS[provider];
  const why = ((): string => {
    switch (cause.kind) {
      case 'not_configured':
        return `${who} is not set up on this install`;
      case 'key_unreadable':
        return `this company's own ${who} key cannot be opened on this install (set it again)`;
      case 'timeout':
        return `${who} did not answer within ${cause.seconds} seconds`;
      case 'provider_error': {
        const { name, status } = cause;
        if ((name && CREDENTIAL_ERRORS.has(name)) || status === 401 || status === 403)
          return `${who} did not accept ${cause.companyKey ? "this company's own key" : "the install's credentials"}`;
        if ((name && THROTTLE_ERRORS.has(name)) || status === 429) return `${who} is limiting requests`;
        if ((name && MODEL_ERRORS.has(name)) || status === 400 || status === 404)
          return `${who} refused the request (check the model name)`;
        if (status && status >= 500) return `${who} had an internal error`;
        return `${who} could not be reached`;
      }
      case 'broken_stream':
        return `${who}'s answer stream broke off or could not be read`;
      case 'empty_answer':
        return `${who} gave no answer`;
      case 'invalid_json':
        return `${who}'s answer was not valid JSON`;
      case 'invalid_answer':
        return `${who}'s answer did not fit the expected form (${cause.field})`;
      case 'unknown_runbook':
        return `${who} named a runbook that is not in this company's list`;
      case 'low_confidence':
        return (
          `${who}'s confidence ${cause.confidence.toFixed(2)} ` +
          `is below this company's minimum of ${cause.minConfidence}`
        );
    }
  })();
  return `${why}; the rules decided instead`;
}

/** The rules' decision, saying which provider was asked and why it was not followed. */
export function rulesFallback(
  signature: string,
  runbooks: readonly Runbook[],
  provider: LlmProvider,
  model: string,
  cause: FallbackCause,
): Decision {
  const rules = decideByRules(signature, runbooks);
  const fallbackReason = fallbackText(provider, cause);
  return { ...rules, reasoning: `${fallbackReason}. ${rules.reasoning}`, provider, model, fallbackReason };
}

/** The model's pick through the approval rules: low risk runs, medium and high wait for a person. */
export function decisionFromAnswer(
  provider: LlmProvider,
  model: string,
  answer: ModelAnswer,
  runbook: Runbook | null,
): Decision {
  const base = { source: provider, provider, model, confidence: answer.confidence } as const;
  const said = `${PROVIDER_LABELS[provider]}: ${answer.reasoning}`;
  if (answer.action === 'escalate' || !runbook) {
    return { ...base, action: 'escalate', runbook: null, reasoning: `${said} A technician must investigate.` };
  }
  if (runbook.riskLevel === 'low') {
    return {
      ...base,
      action: 'auto_remediate',
      runbook,
      reasoning: `${said} "${runbook.name}" is low risk, so it runs.`,
    };
  }
  return {
    ...base,
    action: 'request_approval',
    runbook,
    reasoning: `${said} "${runbook.name}" is ${runbook.riskLevel} risk, so a person must approve it.`,
  };
}
