// Decodes a webhook body into JSON the rest of the path can trust: valid UTF-8, no NUL, no unpaired
// surrogate (PostgreSQL text refuses the first; the second would be stored as U+FFFD without a word),
// bounded depth and array sizes. Every refusal names where the problem is.
export const MAX_DEPTH = 32;
export const MAX_ARRAY_LENGTH = 10_000;

export type BodyResult =
  { ok: true; value: unknown } | { ok: false; status: 400 | 415; error: string; message: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
// NUL (PostgreSQL text refuses it), a lone high surrogate, or a low surrogate without its high half.
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const BAD_CHAR = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Content types a receiver takes; SNS posts JSON as text/plain. A missing type is read as JSON (curl -d). */
export function acceptsContentType(header: string | undefined, allowText: boolean): boolean {
  if (!header) return true;
  const type = header.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return true;
  return allowText && type === 'text/plain';
}

export function parseJsonBody(
  raw: Buffer,
  contentType: string | undefined,
  opts: { allowText?: boolean } = {},
): BodyResult {
  if (!acceptsContentType(contentType, opts.allowText ?? false)) {
    return {
      ok: false,
      status: 415,
      error: 'unsupported_media_type',
      message: `Send Content-Type: application/json (got "${contentType}")`,
    };
  }
  if (raw.length === 0)
    return { ok: false, status: 400, error: 'invalid_json', message: 'Body is empty; send a JSON document' };
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return { ok: false, status: 400, error: 'invalid_encoding', message: 'Body is not valid UTF-8' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      ok: false,
      status: 400,
      error: 'invalid_json',
      message: `Body is not valid JSON: ${(err as Error).message}`,
    };
  }
  const problem = findProblem(value, '', 0);
  if (problem) return { ok: false, status: 400, error: 'invalid_content', message: problem };
  return { ok: true, value };
}

/** The first problem in the document, as a sentence naming its path, or null. Iterative depth is bounded by MAX_DEPTH. */
function findProblem(value: unknown, path: string, depth: number): string | null {
  if (typeof value === 'string')
    return BAD_CHAR.test(value) ? `${where(path)} contains a NUL character or an unpaired surrogate` : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth >= MAX_DEPTH) return `${where(path)} is nested more than ${MAX_DEPTH} levels deep`;
  if (Array.isArray(value)) {
    if (value.length > MAX_ARRAY_LENGTH)
      return `${where(path)} has ${value.length} items; at most ${MAX_ARRAY_LENGTH} are accepted`;
    for (let i = 0; i < value.length; i++) {
      const p = findProblem(value[i], `${path}[${i}]`, depth + 1);
      if (p) return p;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    const keyPath = path ? `${path}.${key}` : key;
    if (BAD_CHAR.test(key)) return `A key under ${where(path)} contains a NUL character or an unpaired surrogate`;
    const p = findProblem(v, keyPath, depth + 1);
    if (p) return p;
  }
  return null;
}

function where(path: string): string {
  return path ? `"${path.slice(0, 200)}"` : 'The body';
}
