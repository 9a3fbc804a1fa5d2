// The one place tenant-administration refusals become GraphQL errors: the code, and for bad input the fields
// the dashboard marks next to each input.
import { GraphQLError } from 'graphql';
import { TenantError } from '../../tenants/errors.ts';
import type { Actor } from '../../tenants/audit.ts';
import { requireUser, type GraphQLContext } from '../builder.ts';

export async function guard<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof TenantError) {
      throw new GraphQLError(err.message, {
        extensions: { code: err.code, ...(err.fields.length ? { fields: err.fields } : {}) },
      });
    }
    throw err;
  }
}

/** The signed-in caller as the audit log names them. */
export function actorOf(ctx: GraphQLContext): Actor {
  const user = requireUser(ctx);
  return { id: user.id, email: user.email, ip: ctx.client.ip };
}
