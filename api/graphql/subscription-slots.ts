// Live subscriptions per socket and per user in this process. Each holds a LISTEN fan-out, a re-read per event and
// memory for as long as it lives, so one socket, or one user across many, may hold only so many (GRAPHQL_LIMITS).
// ws.ts takes a slot when a subscription starts and gives it back when it ends or its socket closes.
import { GraphQLError } from 'graphql';

export interface SubscriptionCaps {
  perSocket: number;
  perUser: number;
}

export const TOO_MANY_SUBSCRIPTIONS = 'TOO_MANY_SUBSCRIPTIONS';

export class SubscriptionSlots {
  /** Per socket (graphql-ws's connection context): operation id → the user who holds it. */
  private readonly bySocket = new Map<object, Map<string, string>>();
  private readonly byUser = new Map<string, number>();

  constructor(private readonly caps: SubscriptionCaps) {}

  /** Takes a slot for operation `id` on `socket`, or says which cap refuses it. */
  take(socket: object, id: string, userId: string): GraphQLError | null {
    const mine = this.bySocket.get(socket) ?? new Map<string, string>();
    if (mine.size >= this.caps.perSocket) {
      return refusal(
        `This connection already has ${this.caps.perSocket} live subscriptions, the most one may hold; ` +
          'end one before starting another',
        'maxSubscriptionsPerSocket',
      );
    }
    const held = this.byUser.get(userId) ?? 0;
    if (held >= this.caps.perUser) {
      return refusal(
        `You already have ${this.caps.perUser} live subscriptions across your connections, the most one user may ` +
          'hold; close a tab or end one before starting another',
        'maxSubscriptionsPerUser',
      );
    }
    mine.set(id, userId);
    this.bySocket.set(socket, mine);
    this.byUser.set(userId, held + 1);
    return null;
  }

  /** Gives back operation `id`'s slot; nothing when it held none (a query, or one already given back). */
  release(socket: object, id: string): void {
    const mine = this.bySocket.get(socket);
    const userId = mine?.get(id);
    if (!mine || userId === undefined) return;
    mine.delete(id);
    if (mine.size === 0) this.bySocket.delete(socket);
    const held = (this.byUser.get(userId) ?? 1) - 1;
    if (held > 0) this.byUser.set(userId, held);
    else this.byUser.delete(userId);
  }

  /** Slots held now, across every socket (the aw_graphql_subscriptions gauge). */
  held(): number {
    let n = 0;
    for (const count of this.byUser.values()) n += count;
    return n;
  }

  /** Gives back every slot of a closed socket. */
  releaseSocket(socket: object): void {
    for (const id of [...(this.bySocket.get(socket)?.keys() ?? [])]) this.release(socket, id);
  }

  /** How many slots a user holds now. */
  heldBy(userId: string): number {
    return this.byUser.get(userId) ?? 0;
  }
}

function refusal(message: string, limit: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: TOO_MANY_SUBSCRIPTIONS, limit } });
}
