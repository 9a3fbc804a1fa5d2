#!/bin/sh
# Run by the postgres image on its first start only (an empty data folder): creates the owner and application roles
# of docker/postgres-init/roles.psql. The passwords come from the environment and never appear in a file or a log.
set -eu
psql --no-psqlrc -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=owner_password="$MIGRATOR_DB_PASSWORD" \
  --set=app_password="$APP_DB_PASSWORD" \
  --set=dbname="$POSTGRES_DB" \
  --file=/docker-entrypoint-initdb.d/roles.psql
