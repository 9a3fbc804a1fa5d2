// Gemini through @google/generative-ai: generateContent with a JSON response schema, so the model answers the shape
// the engine validates (it is validated again: a schema is a request, not a guarantee).
import { GoogleGenerativeAI, SchemaType, type ResponseSchema } from '@google/generative-ai';
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
      const result = await model.generateContent(
        { contents: [{ role: 'user', parts: [{ text: req.user }] }] },
        { signal: req.signal },
      );
      const parts = result.response.candidates?.[0]?.content?.parts ?? [];
      const usage = result.response.usageMetadata;
      return {
        text: parts.map((p) => p.text ?? '').join(''),
        tokensIn: usage?.promptTokenCount ?? null,
        tokensOut: usage?.candidatesTokenCount ?? null,
      };
    },
  };
}
