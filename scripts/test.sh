#!/usr/bin/env bash
# Runs the policy tests, the unit and integration tests, then the Python SDK's tests and the
# e2e tier on a real Kubernetes control plane: what `make test` and CI call.
# scripts/test-env.sh installs what they need on a fresh machine; jest's global setup
# starts Postgres and moto; each test server starts its own Cerbos PDP.
# Extra arguments go to jest, e.g. scripts/test.sh api-server/src/crypto
set -euo pipefail
source "$(dirname "$0")/test-env.sh"
# The policy tests (policies/**/*_test.yaml) run in Cerbos's own compiler first.
CERBOS="$ROOT/node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64"
[ -x "$CERBOS" ] || { log "missing $CERBOS: npm ci installs @cerbos/cerbos-linux-x64 (Linux x64 only)"; exit 1; }
CERBOS_NO_TELEMETRY=1 "$CERBOS" compile policies
RESULTS="$ENV_DIR/jest-results.json"
E2E_RESULTS="$ENV_DIR/jest-e2e-results.json"
rm -f "$RESULTS" "$E2E_RESULTS"
status=0
npx jest --selectProjects unit integration --json --outputFile="$RESULTS" "$@" || status=$?
# The Python SDK against the built server (embedded mode: PGlite, its own Cerbos PDP), on a
# full run only: arguments pick jest tests.
if [ $# -eq 0 ]; then
  npx tsc -b api-server operator
  PYTHONPATH="$ROOT/sdk/python" "$ENV_DIR/py/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/sdk/python/tests" || status=1
  # The e2e tier against a real kube-apiserver + etcd; the first run on a machine builds them
  # from the Go module proxy (about 4½ minutes, e2e/README.md).
  "$ROOT/scripts/control-plane.sh" >/dev/null
  npx jest --config e2e/jest.config.js --json --outputFile="$E2E_RESULTS" || status=$?
fi
# One plain closing line that any CI reader understands; a run that executed nothing fails.
if [ -f "$RESULTS" ]; then
  node -e 'const fs = require("fs");
    const rs = process.argv.slice(1).filter((f) => fs.existsSync(f)).map((f) => require(f));
    const n = (k) => rs.reduce((a, r) => a + r[k], 0);
    console.log(`tests: ${n("numPassedTests")} passed, ${n("numFailedTests")} failed`);
    if (n("numTotalTests") === 0) { console.error("no test ran"); process.exit(1); }' "$RESULTS" "$E2E_RESULTS" || status=1
fi
exit "$status"
