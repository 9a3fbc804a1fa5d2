// A company's own LLM provider key (Gemini): what may be stored and what may be shown of it. Bedrock has no key of
// its own here: it is reached with AWS credentials (the install's chain), so there is nothing secret to store.
export const GEMINI_KEY_MIN = 20;
export const GEMINI_KEY_MAX = 200;
const KEY_SHAPE = /^[A-Za-z0-9._-]+$/;

export type KeyCheck = { ok: true; key: string } | { ok: false; message: string };

/** A Gemini API key as pasted (surrounding spaces dropped); refused with a sentence that never repeats it. */
export function checkGeminiKey(input: string): KeyCheck {
  const key = input.trim();
  if (key.length < GEMINI_KEY_MIN || key.length > GEMINI_KEY_MAX) {
    return { ok: false, message: `must be ${GEMINI_KEY_MIN} to ${GEMINI_KEY_MAX} characters` };
  }
  if (!KEY_SHAPE.test(key)) return { ok: false, message: 'may hold only letters, digits, ".", "_" and "-"' };
  return { ok: true, key };
}

/** What people see of a stored key: its last four characters, enough to tell two keys apart. */
export function keyHint(key: string): string {
  return `…${key.slice(-4)}`;
}
