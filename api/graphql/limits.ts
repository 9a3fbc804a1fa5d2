// Refuses abusive GraphQL documents before any resolver runs, over HTTP and WebSocket alike (both go through Yoga's
// envelop): GraphQL Armor's limits at parse time (tokens) and validation time (depth, aliases, directives), the
// cost in rows with list sizes counted (cost.ts) and text that cannot be stored (text-guard.ts) at execution, a cap
// on list values passed as variables (inline lists are already bounded by the token limit), and a body size limit
// for HTTP. Field suggestions ("Did you mean …?") would map the schema for a stranger; production hides them.
// The caps on live subscriptions per socket and per user are ws.ts's, with their numbers here; what a subscription may
// select at all is live-selection.ts's.
import { EnvelopArmor } from '@escape.tech/graphql-armor';
import express, { type NextFunction, type Request, type Response } from 'express';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { TOO_COMPLEX, useCostLimit } from './cost.ts';
import { useLiveSelection } from './live-selection.ts';
import { useTextGuard } from './text-guard.ts';

export const GRAPHQL_LIMITS = {
  /** The dashboard's deepest query (incident → approval → …) is 4 levels. */
  maxDepth: 10,
  /** Aliases are how one request asks for the same expensive field hundreds of times. */
  maxAliases: 15,
  /**
   * Rows a request may read (cost.ts: each list's size times the cost of its items). The dashboard's largest
   * queries cost about 5,000 at their lists' maxima (on-call schedules, silences); fifteen aliases of
   * `incidents(limit: 500) { alerts(limit: 500) … }` cost millions.
   */
  maxCost: 50_000,
  maxTokens: 1_000,
  maxDirectives: 20,
  /** Items in any list passed as a variable (the webhook takes 1,000 alerts a request, too). */
  maxListItems: 1_000,
  /** HTTP request body; a GraphQL request is a query and a few variables. */
  maxBodyBytes: 256 * 1024,
  /** Live subscriptions on one WebSocket: a dashboard tab holds three. */
  maxSubscriptionsPerSocket: 20,
  /** Live subscriptions of one user across their sockets to this process: many tabs, not thousands of streams. */
  maxSubscriptionsPerUser: 50,
} as const;

export { TOO_COMPLEX };

function tagged(limit: string) {
  return [
    (_ctx: unknown, error: GraphQLError) => {
      Object.assign(error.extensions, { code: TOO_COMPLEX, limit });
    },
  ];
}

/** A list longer than `max` anywhere in `value` (variables are JSON, so plain arrays and objects). */
function holdsLongList(value: unknown, max: number, depth = 0): boolean {
  if (depth > 16 || value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.length > max || value.some((v) => holdsLongList(v, max, depth + 1));
  return Object.values(value).some((v) => holdsLongList(v, max, depth + 1));
}

function useListCap(max: number): Plugin {
  const refusal = () => ({
    errors: [
      new GraphQLError(`A list in the variables holds more than ${max} items`, {
        extensions: { code: TOO_COMPLEX, limit: 'maxListItems' },
      }),
    ],
  });
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (holdsLongList(args.variableValues, max)) setResultAndStopExecution(refusal());
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if (holdsLongList(args.variableValues, max)) setResultAndStopExecution(refusal());
    },
  };
}

/** The Yoga plugins that enforce GRAPHQL_LIMITS. */
export function graphqlLimits(options: { production: boolean }): Plugin[] {
  const armor = new EnvelopArmor({
    maxDepth: { n: GRAPHQL_LIMITS.maxDepth, onReject: tagged('maxDepth') },
    maxAliases: { n: GRAPHQL_LIMITS.maxAliases, onReject: tagged('maxAliases') },
    // Armor's cost runs without the variables and counts no list sizes; cost.ts replaces it.
    costLimit: { enabled: false },
    maxTokens: { n: GRAPHQL_LIMITS.maxTokens, onReject: tagged('maxTokens') },
    maxDirectives: { n: GRAPHQL_LIMITS.maxDirectives, onReject: tagged('maxDirectives') },
    blockFieldSuggestion: { enabled: options.production },
  });
  return [
    ...(armor.protect().plugins as Plugin[]),
    useListCap(GRAPHQL_LIMITS.maxListItems),
    useCostLimit(GRAPHQL_LIMITS.maxCost),
    useTextGuard(),
    useLiveSelection(),
  ];
}

/**
 * Reads a POST body of at most maxBodyBytes before Yoga sees it (Yoga takes the buffer as is); a larger one is
 * answered 413 in GraphQL's error shape without being read further.
 */
export function graphqlBodyLimit() {
  const read = express.raw({ type: () => true, limit: GRAPHQL_LIMITS.maxBodyBytes });
  return (req: Request, res: Response, next: NextFunction): void => {
    read(req, res, (err?: unknown) => {
      if ((err as { type?: string } | undefined)?.type === 'entity.too.large') {
        res.status(413).json({
          errors: [
            {
              message: `The request body is larger than ${GRAPHQL_LIMITS.maxBodyBytes} bytes`,
              extensions: { code: 'PAYLOAD_TOO_LARGE' },
            },
          ],
        });
        return;
      }
      next(err);
    });
  };
}
