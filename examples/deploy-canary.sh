#!/usr/bin/env bash
# Canary deploy of a WAMP service behind one procedure URI, for a CI/CD pipeline (docs/rollout.md).
#
#   1. start ONE instance of the new version, the canary (it connects with authid $NEW_AUTHID);
#   2. `wampctl rollout canary`: shift the traffic to it step by step, gated on its error rate and
#      p99; a breach rolls back at once (exit 6) and the old instances serve as before;
#   3. start the other new instances, then `wampctl rollout replace`: drain and unregister the old
#      instances one at a time, never fewer than $MIN_AVAILABLE taking calls. No call fails.
#
# wampctl exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 refused by a safety check,
# 5 timeout, 6 rolled back. The router and credentials come from the wampctl context, or from
# WAMPCTL_URL, WAMPCTL_REALM, WAMPCTL_AUTHID and WAMPCTL_SECRET.
#
# Try it as is against `wampctl demo` (the default hooks start examples/canary-callee.mjs):
#   wampctl demo &                                # router, demo.add x3, steady load
#   examples/deploy-canary.sh                     # healthy build: promoted, old instances replaced
#   FAIL_RATE=0.3 examples/deploy-canary.sh       # broken build: rolled back, exit 6
set -euo pipefail

URI="${URI:-demo.add}"
NEW_AUTHID="${NEW_AUTHID:-demo-add-v2}"
INSTANCES="${INSTANCES:-3}"          # instances of the new version in the end
STEPS="${STEPS:-5,25,50,100}"        # canary share of the calls, in percent
INTERVAL="${INTERVAL:-10s}"          # how long each step is watched
MAX_ERROR_RATE="${MAX_ERROR_RATE:-0.01}"
MAX_P99="${MAX_P99:-500ms}"
MIN_AVAILABLE="${MIN_AVAILABLE:-2}"
WAMPCTL="${WAMPCTL:-wampctl}"        # e.g. WAMPCTL="npx wampctl"
LOG_DIR="${LOG_DIR:-.}"              # NDJSON logs of both stages land here (CI artifacts)

# ── Hooks: replace these with your deploy tool (systemd, Kubernetes, Nomad, …) ─────────────────
NEW_PIDS=()
start_new_instances() { # $1: how many instances of the new version to start
  local i
  for ((i = 0; i < $1; i++)); do
    node "$(dirname "$0")/canary-callee.mjs" "$URI" --authid "$NEW_AUTHID" --fail-rate "${FAIL_RATE:-0}" >>"$LOG_DIR/new-instances.log" 2>&1 &
    NEW_PIDS+=("$!")
  done
}
stop_new_instances() {
  local pid
  for pid in ${NEW_PIDS[@]+"${NEW_PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
}
# ──────────────────────────────────────────────────────────────────────────────────────────────

# The message of the error line wampctl --json ends with: {"error":{"code":…,"message":"…","exit":6}}
error_of() { tail -n 1 "$1" | sed -n 's/.*"message":"\(.*\)","exit".*/\1/p'; }

mkdir -p "$LOG_DIR"
echo "deploy: starting the canary of $URI (authid $NEW_AUTHID)"
start_new_instances 1

rc=0
$WAMPCTL rollout canary "$URI" --canary-authid "$NEW_AUTHID" --wait 2m \
  --steps "$STEPS" --interval "$INTERVAL" --max-error-rate "$MAX_ERROR_RATE" --max-p99 "$MAX_P99" \
  --on-success keep --yes --json >"$LOG_DIR/rollout-canary.ndjson" || rc=$?
case "$rc" in
  0) echo "deploy: the canary passed every step and takes all the traffic (old instances kept at weight 0)" ;;
  6)
    echo "deploy: ROLLED BACK: $(error_of "$LOG_DIR/rollout-canary.ndjson")" >&2
    stop_new_instances # drained and cordoned by the rollback: stopping it fails no call
    exit 6
    ;;
  5)
    echo "deploy: TIMED OUT: $(error_of "$LOG_DIR/rollout-canary.ndjson")" >&2
    stop_new_instances
    exit 5
    ;;
  *)
    echo "deploy: wampctl rollout canary failed (exit $rc): $(error_of "$LOG_DIR/rollout-canary.ndjson")" >&2
    $WAMPCTL rollout abort "$URI" --yes || true # put the starting weights back if anything changed
    stop_new_instances
    exit "$rc"
    ;;
esac

echo "deploy: starting $((INSTANCES - 1)) more instance(s) of the new version"
start_new_instances $((INSTANCES - 1))

rc=0
$WAMPCTL rollout replace "$URI" --new-authid "$NEW_AUTHID" --count "$INSTANCES" \
  --min-available "$MIN_AVAILABLE" --timeout 5m --yes --json >"$LOG_DIR/rollout-replace.ndjson" || rc=$?
case "$rc" in
  0) echo "deploy: done: $INSTANCES instance(s) of the new version serve $URI; the old ones are drained and unregistered" ;;
  5)
    echo "deploy: REPLACE TIMED OUT: $(error_of "$LOG_DIR/rollout-replace.ndjson")" >&2
    echo "deploy: see '$WAMPCTL rollout status $URI'; if no old instance was retired yet, '$WAMPCTL rollout abort $URI --yes' brings the old version back" >&2
    exit 5
    ;;
  *)
    echo "deploy: wampctl rollout replace failed (exit $rc): $(error_of "$LOG_DIR/rollout-replace.ndjson")" >&2
    exit "$rc"
    ;;
esac
