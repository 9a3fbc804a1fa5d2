// Amazon Bedrock through its Converse API (one request shape for every model family). Credentials come from the
// AWS default chain; BEDROCK_ENDPOINT points the client elsewhere (tests, VPC endpoints).
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import type { DecisionProvider } from './providers.ts';

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
      const out = await client.send(
        new ConverseCommand({
          modelId: req.model,
          system: [{ text: req.system }],
          messages: [{ role: 'user', content: [{ text: req.user }] }],
          inferenceConfig: { maxTokens: req.maxOutputTokens, temperature: 0 },
        }),
        { abortSignal: req.signal },
      );
      const content = out.output?.message?.content ?? [];
      return {
        text: content.map((c) => c.text ?? '').join(''),
        tokensIn: out.usage?.inputTokens ?? null,
        tokensOut: out.usage?.outputTokens ?? null,
      };
    },
  };
}
