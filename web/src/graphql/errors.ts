// What a refused GraphQL request says: the server's code (FORBIDDEN, BAD_USER_INPUT, …) and, for bad input, each
// field with its problem, so a form can show every message next to the input it concerns.

export interface FieldProblem {
  /** e.g. "name", "settings.sla.responseMinutes.critical", "line 3: criticality" */
  field: string
  message: string
}

export interface GraphQLErrorLike {
  message: string
  extensions?: { code?: string; fields?: FieldProblem[] }
}

export class GraphQLRequestError extends Error {
  constructor(
    message: string,
    readonly code: string | null = null,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message)
    this.name = 'GraphQLRequestError'
  }
}

export function errorFrom(errors: readonly GraphQLErrorLike[]): GraphQLRequestError {
  const message = errors.map((e) => e.message).join('; ') || 'GraphQL error'
  const fields = errors.flatMap((e) => (Array.isArray(e.extensions?.fields) ? e.extensions.fields : []))
  return new GraphQLRequestError(message, errors[0]?.extensions?.code ?? null, fields)
}

export function hasCode(errors: readonly GraphQLErrorLike[] | undefined, code: string): boolean {
  return errors?.some((e) => e.extensions?.code === code) === true
}
