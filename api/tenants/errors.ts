// Typed refusals of the tenant administration, mapped once to GraphQL codes (api/graphql/types/tenant-errors.ts).
export type TenantErrorCode = 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'CONFLICT' | 'UNAUTHENTICATED';

export interface FieldProblem {
  /** The input field, dotted for nested settings ("sla.responseMinutes.critical"), for the form to mark. */
  field: string;
  message: string;
}

export class TenantError extends Error {
  constructor(
    readonly code: TenantErrorCode,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'TenantError';
  }
}

export function invalid(fields: FieldProblem[]): TenantError {
  return new TenantError('BAD_USER_INPUT', fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);
}
