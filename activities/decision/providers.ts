// One interface for every LLM that can decide an incident: given the prompt, a model id and limits, it answers text
// (the decision engine judges it). The rules are not a provider here: they are always there, as the default and as
// the fallback (activities/decision/engine.ts).
import type { DecisionConfig } from '../../lib/config.ts';
import type { LlmProvider } from '../../domain/decision-answer.ts';
import { bedrockProvider } from './bedrock.ts';
import { geminiProvider } from './gemini.ts';

export interface ProviderRequest {
  model: string;
  system: string;
  user: string;
  maxOutputTokens: number;
  /** Aborts the call at the decision's time limit. */
  signal: AbortSignal;
  /**
   * Given: the provider streams its answer (streamGenerateContent, ConverseStream) and calls this with the text so
   * far after every piece. The reply is the same text either way; only when it arrives differs.
   */
  onText?: (soFar: string) => void;
  /** Streaming: called once the provider accepted the request and its stream began (an error after it is a broken stream). */
  onOpen?: () => void;
}

export interface ProviderReply {
  text: string;
  tokensIn: number | null;
  tokensOut: number | null;
}

export interface DecisionProvider {
  readonly name: LlmProvider;
  ask(request: ProviderRequest): Promise<ProviderReply>;
}

/** The providers this install can reach: Gemini needs GEMINI_API_KEY; Bedrock uses the AWS credential chain. */
export function createProviders(
  config: DecisionConfig,
  region: string,
): Partial<Record<LlmProvider, DecisionProvider>> {
  return {
    ...(config.geminiApiKey
      ? { gemini: geminiProvider({ apiKey: config.geminiApiKey, baseUrl: config.geminiBaseUrl }) }
      : {}),
    bedrock: bedrockProvider({ region, endpoint: config.bedrockEndpoint }),
  };
}
