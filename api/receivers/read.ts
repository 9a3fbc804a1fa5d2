// The primitive reads every receiver makes of a tool's JSON: is it an object, where in the body a value sits (the
// path a FieldError names), and a value as trimmed text with a tool's unexpanded placeholders read as absent.
// Both halves of a receiver build on these: the lenient label helpers (mapping.ts) and the strict Shape (shape.ts).

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "alerts[2]" + "labels" → "alerts[2].labels"; "" + 3 → "[3]". */
export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base ? `${base}.${key}` : key;
}

/** Values a tool leaves unexpanded (Zabbix "{EVENT.RECOVERY.ID}", Datadog "$ALERT_ID") mean "absent". */
function isPlaceholder(v: string): boolean {
  return /^\{[A-Z0-9._$]+\}$/.test(v) || /^\$[A-Z][A-Z0-9_]*$/.test(v);
}

/** A trimmed, non-empty, expanded string, or undefined. Numbers count (ids often arrive as numbers). */
export function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' || isPlaceholder(t) ? undefined : t;
}
