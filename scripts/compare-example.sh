#!/usr/bin/env bash
# `npm run example:compare`: runs examples/compare_models.ts — two models under test on the same
# dataset, each into its own MLflow run, then `compareRuns` and the HTML report — from a fresh clone:
# installs what is missing (npm packages, the pinned MLflow environment, the local model when the WMT21
# data is absent), starts the local MLflow server unless MLFLOW_TRACKING_URI is set, then runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
export MLFLOW_DISABLE_TELEMETRY=true
stamp=node_modules/.judgeflow-lock.sha256
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  npm ci --no-audit --no-fund
  echo "$lock_hash" > "$stamp"
fi
npm run build
if [ -d ../shared/data/wmt21_ende_mqm ]; then
  node bin/judgeflow.js setup --only mlflow
else
  node bin/judgeflow.js setup --only mlflow,judge
fi
if [ -z "${MLFLOW_TRACKING_URI:-}" ]; then
  MLFLOW_TRACKING_URI=$(node bin/judgeflow.js mlflow up | sed -n 's/^MLflow UI: //p')
  export MLFLOW_TRACKING_URI
fi
echo "MLflow: $MLFLOW_TRACKING_URI"
exec npx tsx examples/compare_models.ts
