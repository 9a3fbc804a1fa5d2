// Gemini through @google/generative-ai: generateContent with a JSON response schema, so the model answers the shape
// the engine validates (it is validated again: a schema is a request, not a guarantee); generateContentStream
// (streamGenerateContent over server-sent events) when the caller follows the text as it comes.
import {
  GoogleGenerativeAI,
  SchemaType,
  type EnhancedGenerateContentResponse,
  type ResponseSchema,
} from '@google/generative-ai';
import type { DecisionProvider } from './providers.ts';

const answerSchema: ResponseSchema = {
  type: SchemaType.OBJECT,
  properties: {
    action: { type: SchemaType.STRING, format: 'enum', enum: ['execute', 'escalate'] },
    runbookId: { type: SchemaType.STRING, nullable: true },
    confidence: { type: SchemaType.NUMBER },
    reasoning: { type: SchemaType.STRING },
  },
  required: ['action', 'runbookId', 'confidence', 'reasoning'],
};

function textOf(r: EnhancedGenerateContentResponse): string {
  return (r.candidates?.[0]?.content?.parts ?? []).map((p) => p.text ?? '').join('');
}

function usageOf(r: EnhancedGenerateContentResponse): { tokensIn: number | null; tokensOut: number | null } {
  return {
    tokensIn: r.usageMetadata?.promptTokenCount ?? null,
    tokensOut: r.usageMetadata?.candidatesTokenCount ?? null,
  };
}

export function geminiProvider(opts: { apiKey: string; baseUrl?: string | undefined }): DecisionProvider {
  const client = new GoogleGenerativeAI(opts.apiKey);
  return {
    name: 'gemini',
    async ask(req) {
      const model = client.getGenerativeModel(
        {
          model: req.model,
          systemInstruction: req.system,
          generationConfig: {
            responseMimeType: 'application/json',
            responseSchema: answerSchema,
            maxOutputTokens: req.maxOutputTokens,
            temperature: 0,
          },
        },
        opts.baseUrl ? { baseUrl: opts.baseUrl } : {},
      );
      const request = { contents: [{ role: 'user' as const, parts: [{ text: req.user }] }] };
      if (!req.onText) {
        const result = await model.generateContent(request, { signal: req.signal });
        return { text: textOf(result.response), ...usageOf(result.response) };
      }
      const result = await model.generateContentStream(request, { signal: req.signal });
      req.onOpen?.();
      // The SDK also aggregates the stream into `response`; an error in the stream rejects that too, and nobody
      // awaits it here (the loop below sees the same error).
      result.response.catch(() => undefined);
      let text = '';
      let usage: ReturnType<typeof usageOf> = { tokensIn: null, tokensOut: null };
      for await (const chunk of result.stream) {
        const piece = textOf(chunk);
        if (chunk.usageMetadata) usage = usageOf(chunk);
        if (piece === '') continue;
        text += piece;
        req.onText(text);
      }
      return { text, ...usage };
    },
  };
}
