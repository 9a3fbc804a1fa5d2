// A local Bedrock Runtime: POST /model/{modelId}/converse answering output.message.content[0].text, usage and
// metrics as the Converse API does, and /model/{modelId}/converse-stream answering ConverseStream's events
// (messageStart, contentBlockDelta per piece, contentBlockStop, messageStop, metadata) in AWS event-stream framing
// (point @aws-sdk/client-bedrock-runtime here with `endpoint`). The SDK signs each request with SigV4; this server
// does not check the signature. The client speaks HTTP/2 (its default handler, which Bedrock's bidirectional
// streams need), so over http:// this server speaks HTTP/2 with prior knowledge.
import { eventMessage } from './event-stream.ts';
import { startLlmServer, type LlmServer } from './llm-server.ts';

export function startBedrockServer(): Promise<LlmServer> {
  return startLlmServer({
    h2c: true,
    modelOf: (path) => /^\/model\/([^/]+)\/converse$/.exec(path)?.[1] ?? null,
    streamModelOf: (path) => /^\/model\/([^/]+)\/converse-stream$/.exec(path)?.[1] ?? null,
    success: ({ text, tokensIn, tokensOut }) => ({
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: tokensIn, outputTokens: tokensOut, totalTokens: tokensIn + tokensOut },
      metrics: { latencyMs: 5 },
    }),
    stream: {
      contentType: 'application/vnd.amazon.eventstream',
      piece: (text, i) =>
        Buffer.concat([
          ...(i === 0 ? [eventMessage('messageStart', { role: 'assistant' })] : []),
          eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
        ]),
      end: ({ tokensIn, tokensOut }) =>
        Buffer.concat([
          eventMessage('contentBlockStop', { contentBlockIndex: 0 }),
          eventMessage('messageStop', { stopReason: 'end_turn' }),
          eventMessage('metadata', {
            usage: { inputTokens: tokensIn, outputTokens: tokensOut, totalTokens: tokensIn + tokensOut },
            metrics: { latencyMs: 5 },
          }),
        ]),
      malformed: () =>
        eventMessage('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'x' } }, { badCrc: true }),
    },
  });
}
