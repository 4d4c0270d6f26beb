#!/usr/bin/env bash
# Checks the judgeflow alerts with the real Prometheus tool: extracts spec.groups of the PrometheusRule
# into a plain Prometheus rules file in a temporary folder, then runs `promtool check rules` on it (syntax,
# PromQL, templates) and `promtool test rules` on the unit tests (series fed in, alerts asserted), which
# name that file as judgeflow-alerts.rules.yaml. Fails on any error.
# Usage: scripts/check-alert-rules.sh [PROMETHEUSRULE.yaml [RULES-TEST.yaml]]
#   defaults: k8s/components/monitoring/prometheusrule.yaml test/monitoring/rules.test.yaml
# promtool: $JUDGEFLOW_PROMTOOL when set, else scripts/promtool.sh (builds it once, cached by version).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rule=$(realpath "${1:-$repo/k8s/components/monitoring/prometheusrule.yaml}")
tests=$(realpath "${2:-$repo/test/monitoring/rules.test.yaml}")
promtool=${JUDGEFLOW_PROMTOOL:-$(bash "$repo/scripts/promtool.sh")}

work=$(mktemp -d "${TMPDIR:-/tmp}/judgeflow-alert-rules.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The PrometheusRule's spec is exactly a Prometheus rules file ({groups: [...]}).
(cd "$repo" && node --input-type=module -e '
  import { readFileSync } from "node:fs";
  import { parse, stringify } from "yaml";
  const doc = parse(readFileSync(process.argv[1], "utf8"));
  if (doc?.apiVersion !== "monitoring.coreos.com/v1" || doc?.kind !== "PrometheusRule")
    throw new Error(`${process.argv[1]}: not a monitoring.coreos.com/v1 PrometheusRule`);
  if (!Array.isArray(doc.spec?.groups) || doc.spec.groups.length === 0)
    throw new Error(`${process.argv[1]}: spec.groups is empty`);
  process.stdout.write(stringify({ groups: doc.spec.groups }));
' "$rule") >"$work/judgeflow-alerts.rules.yaml"
cp "$tests" "$work/rules.test.yaml"

echo "check-alert-rules: $promtool"
"$promtool" check rules "$work/judgeflow-alerts.rules.yaml"
(cd "$work" && "$promtool" test rules rules.test.yaml)
