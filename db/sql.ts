// The one postgres.js client of a process.
import postgres from 'postgres';

export type Sql = postgres.Sql;
export type TransactionSql = postgres.TransactionSql;
export type ReservedSql = postgres.ReservedSql;

export function createSql(
  url: string,
  options: {
    max?: number;
    /** Told of every statement sent (postgres.js's `debug`): benchmarks count a process's queries with it. */
    onQuery?: (query: string) => void;
  } = {},
): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    ...(options.onQuery ? { debug: (_connection: number, query: string) => options.onQuery!(query) } : {}),
    // Timestamps stay ISO strings end to end (GraphQL, workflows): no Date round trips.
    types: {
      date: {
        to: 1184,
        from: [1082, 1083, 1114, 1184],
        serialize: (x: string | Date) => (x instanceof Date ? x.toISOString() : x),
        parse: (x: string) => new Date(x).toISOString(),
      },
    },
    onnotice: () => {},
    connection: { application_name: 'alert-whisperer' },
  });
}
