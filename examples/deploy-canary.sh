#!/usr/bin/env bash
# Canary deploy of a WAMP service behind one procedure URI, for a CI/CD pipeline (docs/rollout.md).
#
#   1. start ONE instance of the new version, the canary, DARK (it registers with `_weight: 0`, so
#      it serves no call before the rollout's first step: a broken build fails nothing up front);
#   2. submit `wampctl rollout canary --detach`: the ROUTER runs the rollout (steps, gates, rollback),
#      so the job may lose its runner without stopping it; then poll `wampctl rollout status` until
#      it ends: promoted goes on, rolled back (6) or timed out (5) stops the canary and fails the job;
#   3. start the other new instances, then `wampctl rollout replace`: drain and unregister the old
#      instances one at a time, never fewer than $MIN_AVAILABLE taking calls. No call fails.
#
# wampctl exit codes: 0 ok, 1 error, 2 usage, 3 not found, 4 refused by a safety check,
# 5 timeout, 6 rolled back. The router and credentials come from the wampctl context, or from
# WAMPCTL_URL, WAMPCTL_REALM, WAMPCTL_AUTHID and WAMPCTL_SECRET (an admin role: only admins may
# start or steer rollouts).
#
# Try it as is against `wampctl demo` (the default hooks start examples/canary-callee.mjs):
#   wampctl demo &                                # router, demo.add x3, steady load
#   examples/deploy-canary.sh                     # healthy build: promoted, old instances replaced
#   FAIL_RATE=0.3 examples/deploy-canary.sh       # broken build: rolled back, exit 6
set -euo pipefail

URI="${URI:-demo.add}"
NEW_AUTHID="${NEW_AUTHID:-demo-add-v2}"
INSTANCES="${INSTANCES:-3}"          # instances of the new version in the end
STEPS="${STEPS:-5,25,50,100}"        # canary share of the calls, in percent (pause:5m or pause hold a step)
INTERVAL="${INTERVAL:-10s}"          # time between checks
MAX_ERROR_RATE="${MAX_ERROR_RATE:-0.01}"
MAX_P99="${MAX_P99:-500ms}"
MIN_AVAILABLE="${MIN_AVAILABLE:-2}"
POLL="${POLL:-5}"                    # seconds between two `rollout status` polls
DEADLINE="${DEADLINE:-1800}"         # give up polling after this many seconds (the rollout goes on)
WAMPCTL="${WAMPCTL:-wampctl}"        # e.g. WAMPCTL="npx wampctl"
LOG_DIR="${LOG_DIR:-.}"              # logs of both stages land here (CI artifacts)

# ── Hooks: replace these with your deploy tool (systemd, Kubernetes, Nomad, …) ─────────────────
NEW_PIDS=()
start_new_instances() { # $1: how many instances of the new version; $2: their weight (0 = dark)
  local i
  for ((i = 0; i < $1; i++)); do
    node "$(dirname "$0")/canary-callee.mjs" "$URI" --authid "$NEW_AUTHID" --weight "$2" --fail-rate "${FAIL_RATE:-0}" >>"$LOG_DIR/new-instances.log" 2>&1 &
    NEW_PIDS+=("$!")
  done
}
stop_new_instances() {
  local pid
  for pid in ${NEW_PIDS[@]+"${NEW_PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
}
# ──────────────────────────────────────────────────────────────────────────────────────────────

# The rollout's outcome from `rollout status --json` (empty while it runs) and its reason.
field_of() { node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{const r=JSON.parse(s).rollout;process.stdout.write(String(r[process.argv[1]]??""))})' "$1"; }

mkdir -p "$LOG_DIR"
echo "deploy: starting the canary of $URI (authid $NEW_AUTHID), dark"
start_new_instances 1 0

# The router waits (--wait) for the canary to register and runs the rollout from here on.
$WAMPCTL rollout canary "$URI" --canary-authid "$NEW_AUTHID" --wait 2m \
  --steps "$STEPS" --interval "$INTERVAL" --max-error-rate "$MAX_ERROR_RATE" --max-p99 "$MAX_P99" \
  --on-success keep --detach --yes

outcome=""
for ((waited = 0; waited < DEADLINE; waited += POLL)); do
  status="$($WAMPCTL rollout status "$URI" --json || true)"
  outcome="$(field_of outcome <<<"$status")"
  [[ -n "$outcome" ]] && break
  sleep "$POLL"
done
echo "$status" >"$LOG_DIR/rollout-canary.json"
reason="$(field_of reason <<<"$status")"
case "$outcome" in
  promoted) echo "deploy: the canary passed every step and takes all the traffic (old instances kept at weight 0)" ;;
  rolled_back | aborted)
    echo "deploy: ROLLED BACK: $reason" >&2
    stop_new_instances # weight 0 and cordoned by the rollback: stopping it fails no call
    exit 6
    ;;
  timed_out)
    echo "deploy: TIMED OUT: $reason" >&2
    stop_new_instances
    exit 5
    ;;
  "")
    echo "deploy: the rollout still runs after ${DEADLINE}s; see '$WAMPCTL rollout status $URI', or '$WAMPCTL rollout abort $URI --yes'" >&2
    exit 5
    ;;
  *)
    echo "deploy: the rollout ended $outcome: $reason" >&2
    stop_new_instances
    exit 1
    ;;
esac

echo "deploy: starting $((INSTANCES - 1)) more instance(s) of the new version"
start_new_instances $((INSTANCES - 1)) 1

rc=0
$WAMPCTL rollout replace "$URI" --new-authid "$NEW_AUTHID" --count "$INSTANCES" \
  --min-available "$MIN_AVAILABLE" --timeout 5m --yes --json >"$LOG_DIR/rollout-replace.ndjson" || rc=$?
case "$rc" in
  0) echo "deploy: done: $INSTANCES instance(s) of the new version serve $URI; the old ones are drained and unregistered" ;;
  5)
    echo "deploy: REPLACE TIMED OUT: $(tail -n 1 "$LOG_DIR/rollout-replace.ndjson")" >&2
    echo "deploy: see '$WAMPCTL rollout status $URI' (no call was dropped: a drain that timed out leaves its callee cordoned)" >&2
    exit 5
    ;;
  *)
    echo "deploy: wampctl rollout replace failed (exit $rc)" >&2
    exit "$rc"
    ;;
esac
