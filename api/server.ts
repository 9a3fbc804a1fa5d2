// The HTTP server: webhook, GraphQL over HTTP and WebSocket (one path), and the built dashboard.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import express, { type Request } from 'express';
import { createYoga } from 'graphql-yoga';
import proxyAddr from 'proxy-addr';
import type { Sql } from '../db/sql.ts';
import type { ServiceConfig } from '../lib/config.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { createTokenService } from './auth.ts';
import { createAuthRoutes } from './auth-routes.ts';
import { createCommandWaits } from './graphql/command-waits.ts';
import { createContextFactory } from './graphql/context.ts';
import { createUserEvents, listenForUserChanges } from './user-events.ts';
import { createIncidentPubSub, listenForIncidentUpdates, listenForNotifications } from './events.ts';
import { createIncidentFeed } from './incident-feed.ts';
import { useSharedExecution } from './graphql/shared-execution.ts';
import type { GraphQLContext } from './graphql/builder.ts';
import { schema } from './graphql/schema.ts';
import { graphqlBodyLimit, graphqlLimits } from './graphql/limits.ts';
import { serveGraphqlWs, type YogaServerContext } from './graphql/ws.ts';
import { LoginThrottle } from './login-throttle.ts';
import { renderGraphiqlPage } from './graphiql.ts';
import { securityHeaders } from './security-headers.ts';
import { healthRoutes } from './health.ts';
import { requestLog } from './request-log.ts';
import { createApiMetrics, mayScrape } from './metrics.ts';
import { createErrorHandler } from './errors.ts';
import { createWebhooks } from './webhook.ts';
import { webhookLane } from './webhook-lane.ts';
import { createSecretBox } from '../lib/secret-box.ts';
import { createMailer } from '../lib/mailer.ts';
import { sealLegacyWebhooks } from './tenants/chat-webhooks.ts';
import { dropLegacySsmEndpoints } from './tenants/legacy-ssm-endpoint.ts';
import { sealLegacySecrets } from './tenants/secrets.ts';
import type { CloudWatchOptions } from './webhooks/cloudwatch.ts';

export const WEB_DIST = fileURLToPath(new URL('../web/dist/', import.meta.url));

export interface ApiServer {
  app: express.Express;
  server: Server;
  listen(port: number, host?: string): Promise<number>;
  close(): Promise<void>;
}

export async function createApiServer(deps: {
  sql: Sql;
  temporal: Client;
  config: ServiceConfig;
  /** Where SNS certificates come from; tests serve the ones they sign with. */
  cloudwatch?: CloudWatchOptions;
  /** Where the API's JSON log lines go (lib/log.ts); tests pass one that captures them. */
  log?: Logger;
}): Promise<ApiServer> {
  const { sql, temporal, config } = deps;
  const logger = deps.log ?? createLogger({ production: config.production });
  const tokens = createTokenService(config.jwtSecret, config.accessTokenTtl);
  const pubsub = createIncidentPubSub();
  const incidentFeed = createIncidentFeed(sql, logger);
  const stopListening = await listenForIncidentUpdates(sql, incidentFeed);
  const stopNotifications = await listenForNotifications(sql, pubsub);
  const userEvents = createUserEvents();
  const stopUserEvents = await listenForUserChanges(sql, userEvents);
  // Failed logins per (email, client address) and per address, in memory of this process (api/login-throttle.ts).
  const loginThrottle = new LoginThrottle();
  const secrets = createSecretBox(config.encryptionKey);
  await sealLegacySecrets(sql, secrets);
  await sealLegacyWebhooks(sql, secrets);
  await dropLegacySsmEndpoints(sql);
  // Secure cookies need TLS; behind a TLS-terminating proxy PUBLIC_URL says https.
  const mailer = config.smtpUrl ? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom }) : null;
  const cookies = { secure: (req: Request) => req.secure || config.publicUrl.startsWith('https:') };
  const contexts = createContextFactory({
    sql,
    temporal,
    tokens,
    pubsub,
    incidentFeed,
    userEvents,
    config,
    loginThrottle,
    secrets,
    mailer,
    cookies,
    commands: createCommandWaits({ deadlineMs: config.commandDeadlineMs, log: logger }),
  });

  // Subscriptions in GraphiQL go over graphql-ws, as the dashboard's do; the page comes from the installed package.
  const graphiql = config.graphiql
    ? await renderGraphiqlPage({ title: 'Alert Whisperer', subscriptionsProtocol: 'WS' })
    : null;
  const yoga = createYoga<YogaServerContext, GraphQLContext>({
    schema,
    graphqlEndpoint: '/graphql',
    graphiql: graphiql !== null,
    ...(graphiql ? { renderGraphiQL: () => graphiql.html } : {}),
    landingPage: false,
    // Live incident events are executed once per kind of subscriber, not per subscriber (shared-execution.ts).
    plugins: [...graphqlLimits({ production: config.production }), useSharedExecution()],
    // Unexpected errors read "Unexpected error." in any case; only a development run adds their details.
    maskedErrors: { isDev: !config.production && process.env.NODE_ENV === 'development' },
    // The same context factory over HTTP and WebSocket (api/graphql/ws.ts passes `socket`).
    context: (init) =>
      'socket' in init
        ? contexts.forSocket(init.socket.authorization, init.socket.request, init.socket.ip)
        : contexts.forHttp(init.req, init.res),
    logging: 'warn',
  });

  const app = express();
  app.disable('x-powered-by');
  // Off by default: X-Forwarded-For is only believed from the proxies TRUST_PROXY names.
  app.set('trust proxy', config.trustProxy);
  // ETags are for what a browser caches; the API's JSON answers are not (a webhook's is computed once and never asked
  // for again), and express hashed every one. The dashboard's files get theirs from express.static.
  app.disable('etag');
  let liveSubscriptions = (): number => 0;
  const metrics = createApiMetrics({ sql, subscriptions: () => liveSubscriptions(), feed: incidentFeed.stats });
  // What every request gets, webhooks included (webhookLane below): security headers, its id and access line (the
  // request's logger is made only when something logs, api/request-log.ts), and its count, from the first middleware
  // on, so refusals (rate limits, bad signatures, 404s) count too.
  const everyRequest = [
    securityHeaders({
      publicUrl: config.publicUrl,
      graphiql: graphiql ?? false,
      graphqlEndpoint: yoga.graphqlEndpoint,
    }),
    requestLog(logger),
    metrics.track,
  ];
  app.use(everyRequest);
  app.get('/metrics', (req, res, next) => {
    const ip = proxyAddr(req, app.get('trust proxy fn'));
    if (!mayScrape({ token: config.metricsToken, production: config.production }, req.get('authorization') ?? '', ip)) {
      res.status(404).json({ error: 'not_found', message: 'No such endpoint' });
      return;
    }
    metrics.serve(req, res).catch(next);
  });
  app.use(healthRoutes({ sql, temporal }));
  const webhooks = createWebhooks({
    sql,
    secrets,
    ratePerMinute: config.webhookRatePerMinute,
    maxRatePerMinute: config.webhookRatePerMinuteMax,
    cloudwatch: deps.cloudwatch,
  });
  await webhooks.start();
  app.use(webhooks.handle);
  app.use(createAuthRoutes({ sql, tokens, idleMinutes: config.sessionIdleMinutes, cookies }));
  // app.all, not app.use: a mount path would be stripped from req.url and yoga would not see its endpoint.
  app.all(yoga.graphqlEndpoint, graphqlBodyLimit(), (req, res, next) => {
    yoga.handle(req, res, { req, res }).catch(next);
  });
  if (existsSync(WEB_DIST)) {
    app.use(express.static(WEB_DIST, { index: 'index.html', maxAge: '1h' }));
    // The dashboard keeps its place in the URL hash; any other GET that is not an API gets the app.
    app.get(/^\/(?!api\/|graphql).*/, (_req, res) => res.sendFile(path.join(WEB_DIST, 'index.html')));
  }
  app.use('/api', (_req, res) => res.status(404).json({ error: 'not_found', message: 'No such endpoint' }));
  const onError = createErrorHandler((line, req) => (req.log ?? logger).error(line));
  app.use(onError);

  const server = createServer(webhookLane(app, [...everyRequest, webhooks.handle], onError));
  const ws = serveGraphqlWs({
    server,
    yoga,
    maxPayloadBytes: config.wsMaxPayloadBytes,
    maxUnauthenticated: config.wsMaxUnauthenticated,
    production: config.production,
    clientAddress: (request) => proxyAddr(request, app.get('trust proxy fn')),
    authenticate: async (authorization) => (await contexts.session(authorization)) !== null,
  });
  liveSubscriptions = ws.subscriptions;

  return {
    app,
    server,
    listen: (port, host = '0.0.0.0') =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const addr = server.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      }),
    async close() {
      await ws.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // postgres.js shares one LISTEN connection per pool; when another listener (the alert router) has
      // already unlistened at shutdown, that connection may be gone, and there is nothing left to undo.
      await stopListening().catch(() => undefined);
      await stopNotifications().catch(() => undefined);
      await stopUserEvents().catch(() => undefined);
      mailer?.close();
      await webhooks.stop();
    },
  };
}
