#!/usr/bin/env bash
# The test command: installs what is missing (npm packages, the pinned Python environments, the local
# judge model), builds, checks types and lint, then runs every test tier — unit tests in parallel, then
# the integration tier serially against real servers it starts itself (MLflow, a Ray head, a local judge).
# The Python Ray bridge's own tests (python/tests, pytest from the ray venv's pins) run before vitest.
set -euo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true
export DO_NOT_TRACK=1

stamp=node_modules/.judgeflow-lock.sha256
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi

npm run build
npx tsc -p tsconfig.json --noEmit
npx biome check .
node bin/judgeflow.js setup
"${JUDGEFLOW_HOME:-.judgeflow}/venvs/ray/bin/python" -m pytest -q -p no:cacheprovider python/tests
npx vitest run "$@"
