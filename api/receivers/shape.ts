// The strict half of reading a tool's body (mapping.ts holds the lenient half): every read names its JSON path, and a
// wrong type becomes a FieldError instead of a guess.
import { isRecord, joinPath, text } from './read.ts';
import type { FieldError } from './types.ts';

/**
 * Strict reading of a tool's body: every read names its JSON path, and a wrong type is recorded as a
 * FieldError instead of being guessed at. Absent optional fields read as undefined.
 */
export class Shape {
  readonly errors: FieldError[] = [];

  fail(field: string, message: string): void {
    this.errors.push({ field: field || '(body)', message });
  }

  /** The object at `path`, or undefined (with an error when it is required or present with another type). */
  object(v: unknown, path: string, required: boolean): Record<string, unknown> | undefined {
    if (isRecord(v)) return v;
    if (v !== undefined && v !== null) this.fail(path, `${path || 'body'} must be a JSON object`);
    else if (required) this.fail(path, `${path || 'body'} is required and must be a JSON object`);
    return undefined;
  }

  /** A string (numbers too unless `strict`: tools send ids either way); empty strings read as undefined. */
  string(obj: Record<string, unknown>, key: string, path: string, required = false, strict = false) {
    const v = obj[key];
    const at = joinPath(path, key);
    if (v === undefined || v === null) {
      if (required) this.fail(at, `${at} is required`);
      return undefined;
    }
    if (typeof v !== 'string' && (strict || !(typeof v === 'number' && Number.isFinite(v)))) {
      this.fail(at, `${at} must be a string`);
      return undefined;
    }
    const t = text(v);
    if (t === undefined && required) this.fail(at, `${at} must not be empty`);
    return t;
  }

  array(obj: Record<string, unknown>, key: string, path: string, required: boolean): unknown[] | undefined {
    const v = obj[key];
    const at = joinPath(path, key);
    if (Array.isArray(v)) return v;
    if (v !== undefined && v !== null) this.fail(at, `${at} must be an array`);
    else if (required) this.fail(at, `${at} is required and must be an array`);
    return undefined;
  }
}
