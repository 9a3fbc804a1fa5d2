// Amazon Bedrock through its Converse API (one request shape for every model family), or ConverseStream (AWS
// event-stream framing) when the caller follows the text as it comes. Credentials come from the
// AWS default chain; BEDROCK_ENDPOINT points the client elsewhere (tests, VPC endpoints).
import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
} from '@aws-sdk/client-bedrock-runtime';
import type { DecisionProvider, ProviderReply, ProviderRequest } from './providers.ts';

export function bedrockProvider(opts: { region: string; endpoint?: string | undefined }): DecisionProvider {
  const client = new BedrockRuntimeClient({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    // One attempt: the decision has a time limit and the rules answer when the model does not.
    maxAttempts: 1,
  });
  return {
    name: 'bedrock',
    async ask(req) {
      const input = {
        modelId: req.model,
        system: [{ text: req.system }],
        messages: [{ role: 'user' as const, content: [{ text: req.user }] }],
        inferenceConfig: { maxTokens: req.maxOutputTokens, temperature: 0 },
      };
      if (req.onText) return converseStream(client, input, { ...req, onText: req.onText });
      const out = await client.send(new ConverseCommand(input), { abortSignal: req.signal });
      const content = out.output?.message?.content ?? [];
      return {
        text: content.map((c) => c.text ?? '').join(''),
        tokensIn: out.usage?.inputTokens ?? null,
        tokensOut: out.usage?.outputTokens ?? null,
      };
    },
  };
}

/** ConverseStream: text deltas as they come; an exception event or a broken frame fails the call like an error. */
async function converseStream(
  client: BedrockRuntimeClient,
  input: ConverseStreamCommandInput,
  req: ProviderRequest & { onText: (soFar: string) => void },
): Promise<ProviderReply> {
  const out = await client.send(new ConverseStreamCommand(input), { abortSignal: req.signal });
  req.onOpen?.();
  let text = '';
  let tokensIn: number | null = null;
  let tokensOut: number | null = null;
  for await (const event of out.stream ?? []) {
    const failure =
      event.internalServerException ??
      event.modelStreamErrorException ??
      event.validationException ??
      event.throttlingException ??
      event.serviceUnavailableException;
    if (failure) throw failure;
    const piece = event.contentBlockDelta?.delta?.text;
    if (piece) {
      text += piece;
      req.onText(text);
    }
    if (event.metadata?.usage) {
      tokensIn = event.metadata.usage.inputTokens ?? null;
      tokensOut = event.metadata.usage.outputTokens ?? null;
    }
  }
  return { text, tokensIn, tokensOut };
}
