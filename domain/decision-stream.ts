// What people see of a model's answer while it streams: the answer is JSON ({"action":…,"reasoning":"…"}), cut
// anywhere, so the reasoning is read out of the partial text as far as it has come. Nothing here is trusted: the
// finished answer is judged as a whole (domain/decision-answer.ts).
import { MAX_REASONING_CHARS } from './decision-answer.ts';

/** The most text kept of a streaming answer (the answer is small; a runaway model stops counting here). */
export const MAX_STREAM_CHARS = 8_000;

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * The "reasoning" string of a partial JSON answer, decoded as far as it goes (an escape cut in half is left out);
 * null until its opening quote has arrived.
 */
export function partialReasoning(text: string): string | null {
  const start = /"reasoning"\s*:\s*"/.exec(text);
  if (!start) return null;
  let out = '';
  for (let i = start.index + start[0].length; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') break;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = text.slice(i + 2, i + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) break;
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
      continue;
    }
    out += ESCAPES[next] ?? next;
    i += 1;
  }
  return Array.from(out).slice(0, MAX_REASONING_CHARS).join('');
}
