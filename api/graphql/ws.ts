// graphql-ws on the GraphQL path, through Yoga's envelop (Yoga's documented graphql-ws recipe): every operation on a
// socket is parsed, validated, given a context and executed by the same plugins as over HTTP, so GraphQL Armor's
// limits and error masking hold there too. Beyond the protocol itself:
//  - a message size limit (ws closes the socket with 1009 past it);
//  - a cap on sockets that have not finished connection_init: each holds memory and a timer until the init timeout
//    closes it, so a flood of idle sockets is refused (1013, try again later) instead of piling up;
//  - a failure while starting one operation is answered as that operation's error, never by closing the socket
//    (graphql-ws closes with 4500 when onSubscribe throws, which would end every other subscription on it);
//  - caps on live subscriptions per socket and per user (subscription-slots.ts), each refused with its own error.
import type { IncomingMessage, Server } from 'node:http';
import type { Request, Response } from 'express';
import { getOperationAST, GraphQLError, type ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer, type WebSocket } from 'ws';
import type { GraphQLContext } from './builder.ts';
import { GRAPHQL_LIMITS } from './limits.ts';
import { SubscriptionSlots, type SubscriptionCaps } from './subscription-slots.ts';

/** graphql-ws's default, stated: a socket must send connection_init within this. */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;
/** RFC 6455 "Try Again Later": sent to a socket refused because too many others are still unauthenticated. */
export const TRY_AGAIN_LATER = 1013;

export interface HttpServerContext {
  req: Request;
  res: Response;
}
export interface SocketServerContext {
  socket: { authorization: string | null; request: IncomingMessage; ip: string | null };
}
export type YogaServerContext = HttpServerContext | SocketServerContext;

export interface GraphqlWsOptions {
  server: Server;
  yoga: YogaServerInstance<YogaServerContext, GraphQLContext>;
  maxPayloadBytes: number;
  maxUnauthenticated: number;
  /** In production close reasons say nothing about internals. */
  production: boolean;
  /** The client's address as TRUST_PROXY sees it (the upgrade request did not pass through express). */
  clientAddress(request: IncomingMessage): string | null;
  /** Whether connection params carry a live session; a socket without one is refused at connection_init. */
  authenticate(authorization: string | null): Promise<boolean>;
  /** Live subscriptions one socket and one user may hold; GRAPHQL_LIMITS' by default. */
  subscriptionCaps?: SubscriptionCaps;
}

/** graphql-ws clients send the token as connection params; accept either spelling of the key. */
function bearerFrom(params: Record<string, unknown> | undefined): string | null {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' ? value : null;
}

// The recipe hands Yoga's own execute/subscribe through rootValue, so graphql-ws runs them per operation.
interface Enveloped {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

export function serveGraphqlWs(options: GraphqlWsOptions): { close(): Promise<void>; subscriptions(): number } {
  const { yoga } = options;
  const wss = new WebSocketServer({
    server: options.server,
    path: yoga.graphqlEndpoint,
    maxPayload: options.maxPayloadBytes,
  });
  const unauthenticated = new Set<WebSocket>();
  const slots = new SubscriptionSlots(
    options.subscriptionCaps ?? {
      perSocket: GRAPHQL_LIMITS.maxSubscriptionsPerSocket,
      perUser: GRAPHQL_LIMITS.maxSubscriptionsPerUser,
    },
  );
  // Registered before graphql-ws's own listener, so a refused socket is closed before the protocol starts on it.
  wss.on('connection', (socket) => {
    if (unauthenticated.size >= options.maxUnauthenticated) {
      socket.close(TRY_AGAIN_LATER, 'Too many connections waiting to authenticate; try again later');
      return;
    }
    unauthenticated.add(socket);
    socket.once('close', () => unauthenticated.delete(socket));
  });

  const server = useServer(
    {
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      isProd: options.production,
      onConnect: async (ctx) => {
        // Refuse the socket up front when the token is bad, rather than failing every subscription.
        const ok = await options.authenticate(bearerFrom(ctx.connectionParams));
        if (ok) unauthenticated.delete(ctx.extra.socket);
        return ok;
      },
      // graphql-ws calls onComplete when an operation ends however it ends (done, errored, stopped by the client
      // or by the socket closing); onClose catches any slot an exception skipped past it.
      onComplete: (ctx, id) => slots.release(ctx, id),
      onClose: (ctx) => slots.releaseSocket(ctx),
      execute: (args) => (args.rootValue as Enveloped).execute(args) as never,
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args) as never,
      onSubscribe: async (ctx, id, payload) => {
        try {
          const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
            socket: {
              authorization: bearerFrom(ctx.connectionParams),
              request: ctx.extra.request,
              ip: options.clientAddress(ctx.extra.request),
            },
            params: payload,
          });
          // Parse and validate first: a refused document costs no database round trip for its context.
          const document = parse(payload.query);
          const errors = validate(schema, document);
          if (errors.length > 0) return errors;
          const contextValue = await contextFactory();
          // A slot for as long as it lives, taken last so that nothing after it can fail and leave it taken.
          const userId = contextValue.user?.id;
          if (userId && getOperationAST(document, payload.operationName)?.operation === 'subscription') {
            const refused = slots.take(ctx, id, userId);
            if (refused) return [refused];
          }
          const args: ExecutionArgs = {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue,
            rootValue: { execute, subscribe } satisfies Enveloped,
          };
          return args;
        } catch (err) {
          // GraphQL errors (a syntax error, a limit, a context failure Yoga already masked) go back as they are.
          if (err instanceof GraphQLError) return [err];
          yoga.logger.error(err);
          return [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
        }
      },
    },
    wss,
  );

  return {
    subscriptions: () => slots.held(),
    async close() {
      await server.dispose();
      wss.close();
    },
  };
}
