// A local Gemini API: POST /v1beta/models/{model}:generateContent answering candidates[0].content.parts[0].text and
// usageMetadata, as @google/generative-ai reads them (point it here with requestOptions.baseUrl).
import { startLlmServer, type LlmServer } from './llm-server.ts';

export function startGeminiServer(): Promise<LlmServer> {
  return startLlmServer({
    modelOf: (path) => /^\/v1beta\/models\/([^/:]+):generateContent$/.exec(path)?.[1] ?? null,
    success: ({ text, tokensIn, tokensOut }) => ({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: {
        promptTokenCount: tokensIn,
        candidatesTokenCount: tokensOut,
        totalTokenCount: tokensIn + tokensOut,
      },
      modelVersion: 'local-test',
    }),
  });
}
