#!/usr/bin/env bash
# `make up`: the embedded default. Runs the api-server (PGlite and a local key in
# $ALTER_DATA_DIR, Cerbos as its child) and, when the resources folder exists, the operator's
# embedded mode, which applies the folder's Secrets, Providers, Agents and ManagedSecrets
# (namespace `default` unless they say otherwise) and re-applies them when a file changes.
# The operator talks to the api-server with ALTER_BOOTSTRAP_KEY; when it is unset, one is
# generated once into the data directory (mode 0600) and reused.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ALTER_DATA_DIR="${ALTER_DATA_DIR:-./.alter-data}"
RESOURCES="${ALTER_RESOURCES_DIR:-./resources}"
mkdir -p "$ALTER_DATA_DIR"
chmod 700 "$ALTER_DATA_DIR"
if [ -z "${ALTER_BOOTSTRAP_KEY:-}" ]; then
  KEY_FILE="$ALTER_DATA_DIR/bootstrap-key"
  if [ ! -s "$KEY_FILE" ]; then
    (umask 077; node -e 'process.stdout.write("avk_" + require("crypto").randomBytes(30).toString("base64url"))' >"$KEY_FILE")
    echo "[up] generated an API key with every scope into $KEY_FILE" >&2
  fi
  ALTER_BOOTSTRAP_KEY="$(cat "$KEY_FILE")"
  export ALTER_BOOTSTRAP_KEY
fi

node api-server/dist/main.js serve &
SERVER=$!
OPERATOR=
stop() { kill -TERM $OPERATOR $SERVER 2>/dev/null || true; wait; }
trap stop INT TERM
if [ -d "$RESOURCES" ]; then
  PORT="${ALTER_PORT:-8080}"
  ALTER_VAULT_URL="http://127.0.0.1:$PORT" ALTER_VAULT_API_KEY="$ALTER_BOOTSTRAP_KEY" ALTER_RESOURCES_DIR="$RESOURCES" \
    node operator/dist/main.js &
  OPERATOR=$!
else
  echo "[up] no $RESOURCES folder: no resources to apply (see resources/README.md)" >&2
fi
wait $SERVER
