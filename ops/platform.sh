#!/usr/bin/env bash
# Runs the Crossbar platform end to end on this machine, doing all set-up first.
#
# Today: two processes exchange every SBE message type over Aeron, first over IPC (one shared
# media driver, embedded in the responder), then over UDP on loopback (a driver per process, as
# across hosts). The initiator checks every echo field by field; the responder counts and skips
# the malformed buffers sent ahead of the real messages. Exits non-zero if anything is wrong.
#
# Options: --profile dev|release (default release), CROSSBAR_* environment overrides apply to
# every process (see docs/architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    *) echo "usage: $0 [--profile dev|release]" >&2; exit 2 ;;
  esac
done

bash deploy/setup.sh >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
hash -r
echo "platform: building ($profile)"
cargo build --profile "$profile" -p crossbar-echo --bin crossbar-echo
dir=target/$([ "$profile" = dev ] && echo debug || echo "$profile")
echo_bin="$dir/crossbar-echo"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

run_pair() { # run_pair ipc|udp
  local mode=$1 out
  out=$(mktemp)
  "$echo_bin" responder --config "deploy/echo/$mode-responder.toml" >"$out" &
  local rpid=$!
  pids+=("$rpid")
  for _ in $(seq 1 300); do grep -q "responder ready" "$out" && break; sleep 0.1; done
  grep -q "responder ready" "$out" || { echo "platform: $mode responder did not start" >&2; cat "$out" >&2; return 1; }
  local status=0
  "$echo_bin" initiator --config "deploy/echo/$mode-initiator.toml" || status=$?
  kill -TERM "$rpid"
  wait "$rpid" || status=$?
  grep '^responder:' "$out" | sed "s/^/$mode /"
  rm -f "$out"
  return "$status"
}

status=0
run_pair ipc || status=$?
run_pair udp || status=$?
if [ "$status" = 0 ]; then echo "platform: OK"; else echo "platform: FAILED ($status)" >&2; fi
exit "$status"
