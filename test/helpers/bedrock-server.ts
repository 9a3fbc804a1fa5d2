// A local Bedrock Runtime: POST /model/{modelId}/converse answering output.message.content[0].text, usage and
// metrics as the Converse API does (point @aws-sdk/client-bedrock-runtime here with `endpoint`). The SDK signs each
// request with SigV4; this server does not check the signature. The client speaks HTTP/2 (its default handler, which
// Bedrock's bidirectional streams need), so over http:// this server speaks HTTP/2 with prior knowledge.
import { startLlmServer, type LlmServer } from './llm-server.ts';

export function startBedrockServer(): Promise<LlmServer> {
  return startLlmServer({
    h2c: true,
    modelOf: (path) => /^\/model\/([^/]+)\/converse$/.exec(path)?.[1] ?? null,
    success: ({ text, tokensIn, tokensOut }) => ({
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: tokensIn, outputTokens: tokensOut, totalTokens: tokensIn + tokensOut },
      metrics: { latencyMs: 5 },
    }),
  });
}
