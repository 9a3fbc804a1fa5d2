# syntax=docker/dockerfile:1
# One image for both processes of Alert Whisperer:
#   API + alert router + dashboard:  npm run api      (default command; listens on $PORT, 3000)
#   Temporal worker:                 npm run worker
# TypeScript runs through tsx at run time: there is no compile step, only the dashboard is built.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

# ---- production dependencies -------------------------------------------------------------
# tsx is a runtime dependency; vite, vitest, typescript and friends are dev-only.
# Install scripts are skipped, then run only for the packages that use theirs at run time
# (esbuild for tsx, @swc/core for the Temporal workflow bundler). embedded-postgres' postinstall
# is not needed: the image always talks to DATABASE_URL, never to an embedded PostgreSQL.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
# npm install, not npm ci: the lock file lists only linux-x64 builds of packages with platform variants.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild esbuild @swc/core \
 && npm cache clean --force

# ---- dashboard build (needs the dev dependencies) ------------------------------------------
FROM ${NODE_IMAGE} AS web
WORKDIR /app
ENV npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
COPY package.json package-lock.json ./
RUN npm install --ignore-scripts --no-audit --no-fund && npm rebuild esbuild
COPY web ./web
RUN npm run build:web

# ---- runtime ---------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    npm_config_update_notifier=false
WORKDIR /app
# Everything is owned by root and read-only for the `node` user that runs it
# (tsx keeps its transform cache in /tmp).
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY domain ./domain
COPY workflows ./workflows
COPY activities ./activities
COPY worker ./worker
COPY api ./api
COPY db ./db
COPY lib ./lib
COPY --from=web /app/web/dist ./web/dist
USER node
EXPOSE 3000
# For the API. The worker serves no HTTP: docker-compose.yml disables this check for it.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["npm", "run", "api"]
