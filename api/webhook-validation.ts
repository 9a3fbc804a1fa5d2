// The webhook's payload rules (seed 000, Flow 1): one place that says what a valid alert is.
import { z } from 'zod';
import { SEVERITIES } from '../domain/types.ts';

export const ALERT_STATUSES = ['firing', 'resolved'] as const;

export const alertPayloadSchema = z.object({
  asset_name: z
    .string({ error: 'asset_name is required and must be a string' })
    .trim()
    .min(1, 'asset_name must not be empty')
    .max(255, 'asset_name must be at most 255 characters')
    .refine((v) => !v.includes('|'), 'asset_name must not contain "|" (it separates the aggregation key)'),
  signature: z
    .string({ error: 'signature is required and must be a string' })
    .trim()
    .min(1, 'signature must not be empty')
    .max(255, 'signature must be at most 255 characters'),
  severity: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
    z.enum(SEVERITIES, { error: `severity must be one of: ${SEVERITIES.join(', ')}` }),
  ),
  message: z
    .string({ error: 'message is required and must be a string' })
    .min(1, 'message must not be empty')
    .max(10_000, 'message must be at most 10000 characters'),
  tool_source: z
    .string({ error: 'tool_source is required and must be a string' })
    .trim()
    .min(1, 'tool_source must not be empty')
    .max(100, 'tool_source must be at most 100 characters'),
  delivery_id: z.string().trim().min(1).max(200).optional(),
  // Optional since the receivers (docs/receivers.md): a resolved alert resolves earlier firing ones with the
  // same source_key; labels feed a company's ReceiverMapping and are stored bounded.
  status: z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase() : v),
    z.enum(ALERT_STATUSES, { error: `status must be one of: ${ALERT_STATUSES.join(', ')}` }).optional(),
  ),
  source_key: z
    .string({ error: 'source_key must be a string' })
    .trim()
    .min(1, 'source_key must not be empty')
    .max(255, 'source_key must be at most 255 characters')
    .optional(),
  labels: z
    .record(
      z.string(),
      z.union([z.string(), z.number(), z.boolean(), z.null()], {
        error: 'label values must be strings, numbers, booleans or null',
      }),
      { error: 'labels must be a flat JSON object' },
    )
    .optional(),
});

export type AlertPayload = z.infer<typeof alertPayloadSchema>;

export interface FieldError {
  field: string;
  message: string;
}

export function validateAlertPayload(
  body: unknown,
): { ok: true; value: AlertPayload } | { ok: false; errors: FieldError[] } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, errors: [{ field: '(body)', message: 'body must be a JSON object' }] };
  }
  const parsed = alertPayloadSchema.safeParse(body);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    errors: parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message })),
  };
}
