#!/usr/bin/env bash
# Runs the unit and integration tests: what `make test` and CI call. scripts/test-env.sh
# installs what they need on a fresh machine; jest's global setup starts Postgres and moto.
# Extra arguments go to jest, e.g. scripts/test.sh api-server/src/crypto
set -euo pipefail
source "$(dirname "$0")/test-env.sh"
RESULTS="$ENV_DIR/jest-results.json"
rm -f "$RESULTS"
status=0
npx jest --selectProjects unit integration --json --outputFile="$RESULTS" "$@" || status=$?
# One plain closing line that any CI reader understands; a run that executed nothing fails.
if [ -f "$RESULTS" ]; then
  node -e 'const r = require(process.argv[1]);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
    if (r.numTotalTests === 0) { console.error("no test ran"); process.exit(1); }' "$RESULTS" || status=1
fi
exit "$status"
