// `sql` as an API under test uses it, with every statement's text recorded: tests count what a request or a live
// event reads by giving a second API server this over the shared database.
import type { Sql } from '../../db/sql.ts';

/** Records each tagged-template call's text (the statements, and the fragments they are built from). */
export function countingSql(sql: Sql, statements: string[]): Sql {
  return new Proxy(sql, {
    apply(target, self, args: unknown[]) {
      const strings = args[0];
      if (Array.isArray(strings) && 'raw' in strings) statements.push(strings.join('?'));
      return Reflect.apply(target as never, self, args);
    },
  });
}
