// Records why a company's deliveries were refused, so an integrator can see why a tool's alerts do not
// arrive (GraphQL rejectedDeliveries). Recording never slows or fails the answer: records are buffered,
// written in batches, capped per company and minute (a misconfigured tool retrying in a loop must not
// fill the table), and bodies are truncated with anything that looks like a secret blanked out.
import type { Sql } from '../../db/sql.ts';

export interface Rejection {
  companyId: string;
  receiver: string;
  httpStatus: number;
  error: string;
  reason: string;
  body: Buffer;
  /** Strings to blank out wherever they appear (the API key the request used). */
  secrets?: string[];
}

const EXCERPT_CHARS = 2048;
const PER_COMPANY_PER_MINUTE = 30;
const MAX_BUFFERED = 1000;
const RETENTION_DAYS = 14;
// eslint-disable-next-line no-control-regex -- PostgreSQL text cannot hold NUL
const NUL = /\u0000/g;
const SECRET_FIELD =
  /("(?:[^"]*(?:api[_-]?key|routing[_-]?key|token|secret|password|passwd|authorization|signature|credential)[^"]*)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi;

/** The start of the body as text, safe to store and show: no NUL, no lone surrogates, secrets blanked. */
export function redactedExcerpt(body: Buffer, secrets: string[] = []): string {
  let text = body
    .subarray(0, EXCERPT_CHARS * 4)
    .toString('utf8')
    .slice(0, EXCERPT_CHARS);
  text = text.replace(SECRET_FIELD, '$1"[redacted]"');
  for (const s of secrets) if (s.length >= 8) text = text.split(s).join('[redacted]');
  // toWellFormed() would need Node 20.19's flag-free String methods; this keeps to what every Node 20 has.
  text = text
    .replace(NUL, '\\u0000')
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
  return body.length > EXCERPT_CHARS ? `${text}… (${body.length} bytes in all)` : text;
}

export class RejectionLog {
  private buffer: Array<Omit<Rejection, 'body' | 'secrets'> & { excerpt: string }> = [];
  private readonly perMinute = new Map<string, number>();
  private minute = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastPrune = 0;
  dropped = 0;

  constructor(
    private readonly sql: Sql,
    private readonly flushMs = 500,
  ) {}

  record(r: Rejection): void {
    const minute = Math.floor(Date.now() / 60_000);
    if (minute !== this.minute) {
      this.minute = minute;
      this.perMinute.clear();
    }
    const n = this.perMinute.get(r.companyId) ?? 0;
    if (n >= PER_COMPANY_PER_MINUTE || this.buffer.length >= MAX_BUFFERED) {
      this.dropped += 1;
      return;
    }
    this.perMinute.set(r.companyId, n + 1);
    // eslint-disable-next-line no-control-regex -- PostgreSQL text cannot hold NUL
    const reason = r.reason.replace(/\u0000/g, '').slice(0, 2000);
    this.buffer.push({
      companyId: r.companyId,
      receiver: r.receiver,
      httpStatus: r.httpStatus,
      error: r.error,
      reason,
      excerpt: redactedExcerpt(r.body, r.secrets),
    });
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const rows = this.buffer;
    this.buffer = [];
    if (rows.length > 0) {
      try {
        await this.sql`
          INSERT INTO rejected_deliveries (company_id, receiver, http_status, error, reason, body_excerpt)
          SELECT * FROM unnest(${rows.map((r) => r.companyId)}::text[], ${rows.map((r) => r.receiver)}::text[],
                               ${rows.map((r) => r.httpStatus)}::int[], ${rows.map((r) => r.error)}::text[],
                               ${rows.map((r) => r.reason)}::text[], ${rows.map((r) => r.excerpt)}::text[])`;
      } catch (err) {
        // A diagnostic record is not worth failing anything for; the request was answered already.
        this.dropped += rows.length;
        console.warn(`[webhook] could not record ${rows.length} rejected deliveries: ${(err as Error).message}`);
      }
    }
    if (Date.now() - this.lastPrune > 3_600_000) {
      this.lastPrune = Date.now();
      await this
        .sql`DELETE FROM rejected_deliveries WHERE received_at < now() - make_interval(days => ${RETENTION_DAYS})`.catch(
        () => undefined,
      );
    }
  }
}
