#!/usr/bin/env bash
# Runs the Crossbar platform end to end on this machine, doing all set-up first
# (docs/platform.md): the NASDAQ, BX and PSX simulators (their own books and fee schedules), one
# gateway per venue and the aggregator, each its own process started from its deploy/ file, on
# one host over Aeron IPC through ONE media driver (embedded in the aggregator, SHARED
# threading; the gateways are its external clients). It waits for every ready line and for all
# three venues to be live at the aggregator, reads the venues' books, submits through
# crossbarctl a marketable buy that must take liquidity on at least two venues, and prints the
# child orders, the fills, the positions read back over gRPC and per-hop latencies from the
# journals. It checks the children and fills against what the books say the sweep must do and
# exits non-zero if anything is wrong (a process died, a ready line is missing, fills and
# positions disagree, the parent is not Filled).
#
# Usage: ops/platform.sh [--profile dev|release] [--seed-file PATH]
#   --profile    cargo profile of the binaries (default release)
#   --seed-file  an ITCH 5.0 day file or a pcap (.pcap/.pcapng) seeding all three venues
#                instead of the day-like generator (deploy/venue-sim/*.toml seeds 11/22/33)
# Environment: XBAR_PLATFORM_KEEP=1 keeps the run directory (logs, journals) on success. Every
# CROSSBAR_* variable is a config override for every service (and an unknown key stops them).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

profile=release
seed_file=""
usage() { echo "usage: $0 [--profile dev|release] [--seed-file PATH]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) [ $# -ge 2 ] || usage; profile="$2"; shift 2 ;;
    --seed-file) [ $# -ge 2 ] || usage; seed_file="$2"; shift 2 ;;
    *) usage ;;
  esac
done
case "$profile" in dev|release) ;; *) usage ;; esac
if [ -n "$seed_file" ]; then
  [ -r "$seed_file" ] || { echo "platform: cannot read seed file $seed_file" >&2; exit 2; }
  seed_file=$(cd "$(dirname "$seed_file")" && pwd)/$(basename "$seed_file")
fi

say() { printf 'platform: %s\n' "$*"; }
fail() { printf 'platform: FAILED: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------- setup and build
bash deploy/setup.sh >/dev/null
export PATH="$HOME/.cargo/bin:$PATH"
hash -r
command -v python3 >/dev/null || fail "python3 is needed to read the JSON reports"
say "building ($profile)"
cargo build --profile "$profile" --workspace --bins
bin=${CARGO_TARGET_DIR:-$root/target}/$([ "$profile" = dev ] && echo debug || echo "$profile")

# ---------------------------------------------------------------- run directory, cleanup
run=$(mktemp -d /tmp/crossbar-platform.XXXXXX)
logs=$run/logs
journals=$run/journals
mkdir -p "$logs" "$journals"
shm=/dev/shm/crossbar-platform-$$
names=()
pids=()
cleanup() {
  local status=$?
  # Gateways and simulators first, the aggregator (which owns the media driver) last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$shm"
  if [ "$status" = 0 ] && [ "${XBAR_PLATFORM_KEEP:-0}" != 1 ]; then
    rm -rf "$run"
  else
    echo "platform: logs and journals kept in $run" >&2
  fi
}
trap cleanup EXIT

# The deploy files' fixed venue ports (deploy/venue-sim/*.toml) must be free.
for port in 15001 15101 15201 19001 19101 19201; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "port $port is in use (another platform run?); deploy/venue-sim/*.toml needs it"
  fi
done

# ---------------------------------------------------------------- one-host overrides
# Everything below is an override of the deploy files (docs/platform.md): threads park when idle
# (this machine has 2 cores), streams are IPC through one shared driver, journals and the API
# port belong to this run.
idle='{kind="backoff"}'
common_env=(CROSSBAR_IDLE="$idle" CROSSBAR_LOGGING__LEVEL=warn)
journal_env=(CROSSBAR_JOURNAL__SEGMENT_SIZE_BYTES=2097152)
aeron_client_env=(
  CROSSBAR_TRANSPORT__AERON_DIR="$shm"
  CROSSBAR_TRANSPORT__IDLE="$idle"
)
token="platform-$(date +%s%N)-$$-token"

start() { # start NAME BINARY CONFIG ENV...
  local name=$1 program=$2 config=$3
  shift 3
  env "$@" "$bin/$program" --config "$config" >"$logs/$name.out" 2>"$logs/$name.err" &
  names+=("$name")
  pids+=($!)
}

alive_or_fail() {
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || {
      tail -n 20 "$logs/${names[$i]}.err" >&2 || true
      fail "${names[$i]} exited (see $logs/${names[$i]}.err)"
    }
  done
}

wait_line() { # wait_line NAME PATTERN SECONDS -> prints the line
  local name=$1 pattern=$2 seconds=$3 line
  for ((t = 0; t < seconds * 10; t++)); do
    line=$(grep -m1 -- "$pattern" "$logs/$name.out" 2>/dev/null || true)
    if [ -n "$line" ]; then echo "$line"; return 0; fi
    alive_or_fail
    sleep 0.1
  done
  tail -n 20 "$logs/$name.err" >&2 || true
  fail "$name printed no $pattern within ${seconds}s"
}

field() { # field LINE KEY -> value of key=value
  tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"
}

control() { # control PORT COMMAND -> the reply line of a venue simulator's control channel
  local reply
  exec 3<>"/dev/tcp/127.0.0.1/$1"
  printf '%s\n' "$2" >&3
  IFS= read -r -t 10 reply <&3 || true
  exec 3<&- 3>&-
  [ "${reply#ok }" != "$reply" ] || fail "control :$1 '$2' answered '$reply'"
  printf '%s\n' "${reply#ok }"
}

ctl() { "$bin/crossbarctl" --addr "http://$grpc" --token "$token" "$@"; }

# ---------------------------------------------------------------- start
venues=(nasdaq bx psx)
control_ports=(19001 19101 19201)

say "starting the aggregator (router, gRPC API, the one Aeron media driver)"
start aggregator crossbar-aggregator deploy/aggregator/aggregator.toml \
  "${common_env[@]}" "${journal_env[@]}" "${aeron_client_env[@]}" \
  CROSSBAR_TRANSPORT__EMBEDDED_DRIVER=true \
  CROSSBAR_TRANSPORT__DRIVER_THREADING=shared \
  CROSSBAR_TRANSPORT__DRIVER_IDLE="$idle" \
  CROSSBAR_TRANSPORT__SUBSCRIPTIONS__MARKET_DATA__CHANNEL=aeron:ipc \
  CROSSBAR_TRANSPORT__SUBSCRIPTIONS__EXECUTIONS__CHANNEL=aeron:ipc \
  CROSSBAR_TRANSPORT__PUBLICATIONS__ORDERS_1__CHANNEL=aeron:ipc \
  CROSSBAR_TRANSPORT__PUBLICATIONS__ORDERS_2__CHANNEL=aeron:ipc \
  CROSSBAR_TRANSPORT__PUBLICATIONS__ORDERS_3__CHANNEL=aeron:ipc \
  CROSSBAR_API__ADDR=127.0.0.1:0 \
  CROSSBAR_API__TOKENS="[\"$token\"]" \
  CROSSBAR_JOURNAL__DIR="$journals/aggregator"
ready=$(wait_line aggregator AGGREGATOR_READY 120)
echo "$ready"
grpc=$(field "$ready" grpc)

for v in "${venues[@]}"; do
  start "gw-$v" crossbar-gateway "deploy/gateway/$v.toml" \
    "${common_env[@]}" "${journal_env[@]}" "${aeron_client_env[@]}" \
    CROSSBAR_TRANSPORT__EMBEDDED_DRIVER=false \
    CROSSBAR_TRANSPORT__PUBLICATIONS__MARKET_DATA__CHANNEL=aeron:ipc \
    CROSSBAR_TRANSPORT__PUBLICATIONS__EXECUTIONS__CHANNEL=aeron:ipc \
    CROSSBAR_TRANSPORT__SUBSCRIPTIONS__ORDERS__CHANNEL=aeron:ipc \
    CROSSBAR_JOURNAL__DIR="$journals/gw-$v"
done
for v in "${venues[@]}"; do wait_line "gw-$v" GATEWAY_READY 120; done

# --seed-file: the deploy file with its [seed.source] table replaced. (CROSSBAR_SEED__SOURCE
# cannot do it: the environment is merged into the file's generator table, whose seed, symbols
# and messages keys a day file or pcap source refuses.)
sim_config() { # sim_config VENUE -> the config file to start its simulator with
  local file="deploy/venue-sim/$1.toml"
  if [ -z "$seed_file" ]; then echo "$file"; return; fi
  local kind=day_file
  case "$seed_file" in *.pcap | *.pcapng | *.cap) kind=pcap ;; esac
  awk '/^\[/ { skip = ($0 == "[seed.source]") } !skip' "$file" >"$run/venue-sim-$1.toml"
  printf '\n[seed.source]\nkind = "%s"\npath = "%s"\n' "$kind" "$seed_file" >>"$run/venue-sim-$1.toml"
  echo "$run/venue-sim-$1.toml"
}
[ -z "$seed_file" ] || say "seeding all three venues from $seed_file"
for v in "${venues[@]}"; do
  start "sim-$v" crossbar-venue-sim "$(sim_config "$v")" "${common_env[@]}"
done
for v in "${venues[@]}"; do wait_line "sim-$v" VENUE_SIM_READY 60; done
for v in "${venues[@]}"; do wait_line "sim-$v" VENUE_SIM_SEEDED 300; done

# ---------------------------------------------------------------- live at the aggregator
say "waiting for the three venues to be live at the aggregator"
for ((t = 0; ; t++)); do
  alive_or_fail
  healthy=$(ctl --json venues | python3 -c '
import json, sys
print(sum(1 for l in sys.stdin if (v := json.loads(l))["session_state"] == "connected" and v["feed_state"] == "ok"))')
  [ "$healthy" = 3 ] && break
  [ "$t" -lt 600 ] || { ctl venues >&2 || true; fail "venues not all connected with a live feed after 60s"; }
  sleep 0.1
done
# A live feed with a quiet venue: give the gateways' last deltas time to reach the router.
sleep 2
ctl venues

# ---------------------------------------------------------------- the order
: >"$run/books.txt"
for i in 0 1 2; do
  for s in AAPL MSFT NVDA AMZN GOOGL META TSLA AVGO; do
    # A seed file may not list every universe symbol: the venue then has no book for it.
    reply=$(control "${control_ports[$i]}" "book $s 16" 2>/dev/null) || continue
    echo "${venues[$i]} $reply" >>"$run/books.txt"
  done
done
plan=$(python3 - "$run/books.txt" <<'EOF'
# Picks a symbol and a marketable buy limit that must take liquidity on two or more venues:
# the limit is the highest of the venues' best offers, the quantity everything offered at or
# below it (<= 10,000 shares, <= $1M a venue: the deploy risk limits). Prints the plan and the
# children a Reg NMS sweep must send (one IOC per venue priced at the worst level it takes).
import json, sys
venue_code = {"nasdaq": "NASDAQ", "bx": "BX", "psx": "PSX"}
books = {}
for line in open(sys.argv[1]):
    venue, reply = line.split(" ", 1)
    b = json.loads(reply)
    books.setdefault(b["symbol"], {})[venue_code[venue]] = b["asks"]
best = None
for symbol, by_venue in books.items():
    if len(by_venue) < 3 or not all(by_venue.values()):
        continue
    limit = max(asks[0]["price"] for asks in by_venue.values())
    children = {}
    for venue, asks in by_venue.items():
        taken = [a for a in asks if a["price"] <= limit]
        children[venue] = (sum(a["qty"] for a in taken), max(a["price"] for a in taken),
                           sum(a["qty"] * a["price"] for a in taken))
    qty = sum(c[0] for c in children.values())
    if qty > 10000 or any(c[2] > 10_000_000_000 for c in children.values()):
        continue
    if best is None or qty > best[1]:
        best = (symbol, qty, limit, children)
if best is None:
    sys.exit("platform: no universe symbol (deploy instruments) has offers on all three venues "
             "within the deploy risk limits (10,000 shares, $1M a venue): nothing to sweep")
symbol, qty, limit, children = best
print(f"{symbol} {qty} {limit // 10000}.{limit % 10000:04d} " +
      " ".join(f"{v}:{q}:{p}" for v, (q, p, _) in sorted(children.items())))
EOF
) || fail "could not plan an order from the venues' books"
read -r symbol qty price expected <<<"$plan"
say "venues' offers for $symbol (price x shares, best first):"
python3 -c '
import json, sys
for line in sys.stdin:
    venue, reply = line.split(" ", 1)
    book = json.loads(reply)
    if book["symbol"] == sys.argv[1]:
        asks = book["asks"][:8]
        print("  %-7s" % venue, "  ".join("%.4fx%d" % (a["price"] / 10000, a["qty"]) for a in asks))
' "$symbol" <"$run/books.txt"
say "submitting BUY $qty $symbol limit $price IOC sweep (expected children: $expected)"
ctl --json submit --symbol "$symbol" --side buy --qty "$qty" --price "$price" --type limit \
  --tif ioc --strategy sweep --client-order-id "platform-$$" >"$run/submitted.json"
parent=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["parent_order_id"])' "$run/submitted.json")
say "parent order $parent accepted"

# ---------------------------------------------------------------- outcome
for ((t = 0; ; t++)); do
  state=$(ctl --json orders "$parent" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["state"])')
  case "$state" in filled | canceled | rejected) break ;; esac
  [ "$t" -lt 300 ] || fail "parent $parent still $state after 30s"
  sleep 0.1
done
sleep 0.5 # the next snapshot holds the last position update
say "parent order $parent, its children:"
ctl orders "$parent"
say "positions (gRPC Positions.Get):"
ctl positions --symbol "$symbol"
ctl --json orders "$parent" >"$run/parent.json"
ctl --json positions --symbol "$symbol" >"$run/positions.json"
for i in 0 1 2; do
  reply=$(control "${control_ports[$i]}" status) || exit 1
  echo "${venues[$i]} $reply" >>"$run/status.txt"
done
"$bin/journal-inspect" order "$parent" "$journals/aggregator" "$journals/gw-nasdaq" \
  "$journals/gw-bx" "$journals/gw-psx" --json >"$run/life.jsonl"

python3 - "$run" "$expected" "$qty" <<'EOF'
# Fills from the journals, the checks, and per-hop latencies.
import json, sys
from collections import defaultdict
run, expected, qty = sys.argv[1], sys.argv[2], int(sys.argv[3])
parent = json.loads(open(f"{run}/parent.json").readline())
position = json.loads(open(f"{run}/positions.json").readline())
life = [json.loads(line) for line in open(f"{run}/life.jsonl")]
errors = []
venue_name = {1: "NASDAQ", 2: "BX", 3: "PSX"}
gw_journal = {"NASDAQ": "gw-nasdaq", "BX": "gw-bx", "PSX": "gw-psx"}

print("platform: fills (ExecutionReports journaled by the aggregator), per venue and price:")
print(f"  {'VENUE':<7} {'PRICE':>10} {'FILLS':>6} {'SHARES':>7}")
fills = defaultdict(int)
levels = defaultdict(lambda: [0, 0])
for r in life:
    f = r["fields"]
    if (r["journal"] == "aggregator" and r["direction"] == "inbound"
            and r["message"] == "ExecutionReport" and f["execType"] in ("PartialFill", "Fill")):
        v = venue_name[f["venueId"]]
        fills[v] += f["lastQty"]
        levels[(v, f["lastPx"])][0] += 1
        levels[(v, f["lastPx"])][1] += f["lastQty"]
for (v, px), (n, shares) in sorted(levels.items()):
    print(f"  {v:<7} {px / 10000:>10.4f} {n:>6} {shares:>7}")

want = {}
for item in expected.split():
    v, q, p = item.split(":")
    want[v] = (int(q), int(p))
got = {c["venue"]: (c["qty"], round(float(c["price"]) * 10000)) for c in parent["children"]}
if got != want:
    errors.append(f"children {got} != expected from the books {want}")
if len(got) < 2:
    errors.append(f"the sweep used {len(got)} venue(s), expected at least two")
if parent["state"] != "filled" or parent["cum_qty"] != qty or parent["leaves_qty"] != 0:
    errors.append(f"parent {parent['state']} cum {parent['cum_qty']} leaves {parent['leaves_qty']}")
for c in parent["children"]:
    if c["state"] != "filled" or c["cum_qty"] != c["qty"] or fills[c["venue"]] != c["cum_qty"]:
        errors.append(f"child at {c['venue']}: {c['state']} cum {c['cum_qty']} of {c['qty']}, "
                      f"fills {fills[c['venue']]}")
by_venue = {p["venue"]: p["net_qty"] for p in position["by_venue"]}
if by_venue != dict(fills) or position["net_qty"] != qty or position["bought_qty"] != qty:
    errors.append(f"positions {position['net_qty']} by venue {by_venue} != fills {dict(fills)}")
for line in open(f"{run}/status.txt"):
    name, reply = line.split(" ", 1)
    status = json.loads(reply)
    account = {"nasdaq": "GW1A", "bx": "GW2A", "psx": "GW3A"}[name]
    session = next(s for s in status["sessions"] if s["username"] == account)
    venue = status["venue"]
    if session["shares_filled"] != fills.get(venue, 0):
        errors.append(f"{venue} reports {session['shares_filled']} shares filled for {account}, "
                      f"the aggregator {fills.get(venue, 0)}")
    if fills.get(venue):
        print(f"platform: {venue:<6} venue side: {session['fills']} fills, "
              f"{session['shares_filled']} shares, net fees {session['net_fees'] / 10000:.4f} $")

# Per-hop latency of each child, all on this host's clock (UTC ns of each journal append).
def first(journal, direction, message, order, pred=lambda f: True):
    for r in life:
        f = r["fields"]
        if (r["journal"] == journal and r["direction"] == direction and r["message"] == message
                and f.get("orderId") == order and pred(f)):
            return r["timestamp_ns"]
    return None
def venue_accepted(journal, order):
    # The venue's receive time of the Enter Order: its Accepted's OUCH Timestamp, as UTC ns.
    for r in life:
        f = r["fields"]
        if (r["journal"] == journal and r["direction"] == "inbound"
                and r["message"] == "ExecutionReport" and f.get("orderId") == order
                and f["execType"] == "New"):
            return f.get("venueTimestampNs")
    return None
print("platform: per-hop latency per child, us (journal timestamps, one host clock):")
print(f"  {'VENUE':<7} {'agg->gw':>9} {'gw->OUCH':>9} {'OUCH->venue':>12} {'venue ack':>10} {'venue fill':>11} {'gw->agg':>9} {'total':>9}")
for r in life:
    if r["journal"] == "aggregator" and r["direction"] == "outbound" and r["message"] == "NewChildOrder":
        f = r["fields"]
        order, gw = f["orderId"], gw_journal[venue_name[f["venueId"]]]
        t0 = r["timestamp_ns"]
        t1 = first(gw, "inbound", "NewChildOrder", order)
        t2 = first(gw, "outbound", "NewChildOrder", order)
        t3 = first(gw, "inbound", "ExecutionReport", order, lambda f: f["execType"] == "New")
        t4 = first(gw, "inbound", "ExecutionReport", order, lambda f: f["execType"] in ("PartialFill", "Fill"))
        t5 = first("aggregator", "inbound", "ExecutionReport", order, lambda f: f["execType"] in ("PartialFill", "Fill"))
        tv = venue_accepted(gw, order)
        if None in (t1, t2, t3, t4, t5, tv):
            errors.append(f"child {order}: a hop is missing from the journals ({t1} {t2} {t3} {t4} {t5} venue {tv})")
            continue
        us = lambda a, b: f"{(b - a) / 1000:.1f}"
        print(f"  {venue_name[f['venueId']]:<7} {us(t0, t1):>9} {us(t1, t2):>9} {us(t2, tv):>12} {us(t2, t3):>10} "
              f"{us(t2, t4):>11} {us(t4, t5):>9} {us(t0, t5):>9}")
print("  agg->gw: aggregator NewChildOrder out -> gateway in; gw->OUCH: risk, -> OUCH Enter out")
print("  (0 when both fall in one gateway duty cycle: the gateway stamps a cycle's records alike);")
print("  OUCH->venue: OUCH Enter out (gateway journal) -> venue accepted (venue clock: the")
print("  simulator's receive time of the Enter, the Accepted's venueTimestampNs);")
print("  venue ack / fill: OUCH out -> venue Accepted / Executed in at the gateway;")
print("  gw->agg: fill in at the gateway -> fill in at the aggregator. Backoff idle strategies")
print("  park idle threads on this shared machine: these show the path, not its speed.")
if errors:
    for e in errors:
        print(f"platform: CHECK FAILED: {e}", file=sys.stderr)
    sys.exit(1)
print(f"platform: checks passed: children match the books, {qty} shares filled, "
      "positions equal fills per venue and at the venues")
EOF

# ---------------------------------------------------------------- orderly stop
alive_or_fail
for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
  kill -TERM "${pids[$i]}"
  status=0
  wait "${pids[$i]}" || status=$?
  [ "$status" = 0 ] || fail "${names[$i]} exited $status on SIGTERM (see $logs/${names[$i]}.err)"
done
pids=()
grep -q GATEWAY_COUNTERS "$logs/gw-nasdaq.out" || fail "gateway printed no counters on SIGTERM"
grep -q AGGREGATOR_COUNTERS "$logs/aggregator.out" || fail "aggregator printed no counters"
say "every process stopped cleanly"
say "OK"
