#!/usr/bin/env bash
# Starts Azurite (in memory) and the handler for local use; Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."
port=${FUNCTIONS_CUSTOMHANDLER_PORT:-7071}
tport=${AZURITE_TABLE_PORT:-10002}
./infra/local/azurite/node_modules/.bin/azurite-table --tableHost 127.0.0.1 --tablePort "$tport" \
  --inMemoryPersistence --skipApiVersionCheck --disableProductStyleUrl --disableTelemetry --silent &
azurite_pid=$!
trap 'kill $azurite_pid 2>/dev/null; wait' EXIT INT TERM
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$tport") 2>/dev/null && break
  sleep 0.2
done
export PRICELINE_PUBLIC_URL=${PRICELINE_PUBLIC_URL:-http://localhost:$port}
export PRICELINE_TABLES_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:$tport/devstoreaccount1;"
# A fresh random signing key each run: local sessions do not survive a restart.
export PRICELINE_DEV_SIGNING_KEY=${PRICELINE_DEV_SIGNING_KEY:-$(head -c 32 /dev/urandom | base64)}
export FUNCTIONS_CUSTOMHANDLER_PORT=$port
# Two-step sign-in and passkeys seal authenticator-app secrets with a key;
# locally a fresh random one (enrolments do not survive a restart, like the
# in-memory Azurite they live in).
export PRICELINE_DEV_MFA_KEY=${PRICELINE_DEV_MFA_KEY:-$(head -c 32 /dev/urandom | base64)}
# Mail (verification and reset links) goes to .eml files in the ignored build
# output; open them with any mail reader or a text editor. Links and tokens
# never go into any log, so this folder is where to find them.
export PRICELINE_DEV_MAIL_DIR=${PRICELINE_DEV_MAIL_DIR:-$PWD/bin/mail}
mkdir -p "$PRICELINE_DEV_MAIL_DIR"
echo "Mail the app sends is written to: $PRICELINE_DEV_MAIL_DIR"
# Sample prices: the CMS example files (three formats, one fictional hospital).
./bin/handler ingest functions/ingest/testdata/samples/*.csv functions/ingest/testdata/samples/*.json
echo "Hospital Priceline: http://localhost:$port  (Ctrl-C stops the app and Azurite)"
./bin/handler
