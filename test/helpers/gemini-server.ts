// A local Gemini API: POST /v1beta/models/{model}:generateContent answering candidates[0].content.parts[0].text and
// usageMetadata, as @google/generative-ai reads them (point it here with requestOptions.baseUrl), and
// :streamGenerateContent?alt=sse answering the same as server-sent events, one GenerateContentResponse per piece
// (the last with finishReason and usageMetadata), as generateContentStream reads them.
import { startLlmServer, type LlmServer } from './llm-server.ts';

const event = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`;

export function startGeminiServer(): Promise<LlmServer> {
  return startLlmServer({
    modelOf: (path) => /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(path)?.[1] ?? null,
    streamModelOf: (path) => /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/.exec(path)?.[1] ?? null,
    success: ({ text, tokensIn, tokensOut }) => ({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: tokensIn,
        candidatesTokenCount: tokensOut,
        totalTokenCount: tokensIn + tokensOut,
      },
      modelVersion: 'local-test',
    }),
    stream: {
      contentType: 'text/event-stream',
      piece: (text) =>
        event({
          candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }],
          modelVersion: 'local-test',
        }),
      end: ({ tokensIn, tokensOut }) =>
        event({
          candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 }],
          usageMetadata: {
            promptTokenCount: tokensIn,
            candidatesTokenCount: tokensOut,
            totalTokenCount: tokensIn + tokensOut,
          },
          modelVersion: 'local-test',
        }),
      malformed: () => 'data: {"candidates": [{"content": \r\n\r\n',
    },
  });
}
