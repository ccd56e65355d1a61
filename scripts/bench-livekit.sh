#!/usr/bin/env bash
# Measures the invert demo served directly (rtcstream demo) and as a LiveKit
# worker (rtcstream worker) with the same bench client, in a network
# namespace of its own (a veth address, 10.77.0.1: WebRTC gathers no
# loopback candidates through LiveKit's SDK). Needs root, livekit-server
# (scripts/install-deps.sh builds it) and a built rtcstream at $RTCSTREAM.
#
#   go build -o /tmp/rtcstream ./cmd/rtcstream
#   RTCSTREAM=/tmp/rtcstream scripts/bench-livekit.sh bench --streams 4 --duration 20s
#   RTCSTREAM=/tmp/rtcstream scripts/bench-livekit.sh bench --search --duration 10s --max-streams 24
#
# The bench arguments follow the script's name; -pid and the URL are added.
# WHICH=direct or WHICH=livekit runs one side only.
set -euo pipefail
bin=${RTCSTREAM:-/tmp/rtcstream}
lk=${LIVEKIT_SERVER:-$(command -v livekit-server || echo "$HOME/.cache/rtcstream/bin/livekit-server")}
shift_bench=${1:-bench}
shift || true
args=("$@")
exec unshare -n bash -s -- "$bin" "$lk" "${WHICH:-both}" "${args[@]}" <<'INNER'
set -euo pipefail
bin=$1 lk=$2 which=$3
shift 3
ip link set lo up
ip link add lk0 type veth peer name lk1
ip addr add 10.77.0.1/24 dev lk0
ip link set lk0 up
ip link set lk1 up
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$dir"' EXIT
if [ "$which" != livekit ]; then
	"$bin" demo -addr 10.77.0.1:7861 -unlimited invert 2>"$dir/demo.log" &
	srv=$!
	sleep 1
	echo "== direct: rtcstream demo invert"
	"$bin" bench "$@" -pid "$srv" http://10.77.0.1:7861/
	kill "$srv"; wait "$srv" 2>/dev/null || true
fi
if [ "$which" != direct ]; then
	cat >"$dir/lk.yaml" <<CONF
port: 7880
bind_addresses: ["10.77.0.1"]
rtc: {tcp_port: 7881, udp_port: 7882, use_external_ip: false, node_ip: 10.77.0.1}
keys: {bench: bench-secret-bench-secret-bench-secret}
room: {empty_timeout: 10, departure_timeout: 5}
logging: {level: warn}
CONF
	"$lk" --config "$dir/lk.yaml" >"$dir/lk.log" 2>&1 &
	sleep 1.5
	export LIVEKIT_URL=ws://10.77.0.1:7880 LIVEKIT_API_KEY=bench LIVEKIT_API_SECRET=bench-secret-bench-secret-bench-secret
	"$bin" worker -agent invert -max-jobs 64 invert 2>"$dir/worker.log" &
	wrk=$!
	sleep 1
	sfu=$(pgrep -f "$lk --config" | head -1)
	ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
	echo "== through LiveKit: rtcstream worker invert"
	t0=$(date +%s.%N) c0=$(ticks "$sfu")
	"$bin" bench -livekit -agent invert "$@" -pid "$wrk" "$LIVEKIT_URL"
	t1=$(date +%s.%N) c1=$(ticks "$sfu")
	awk -v c="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" -v t0="$t0" -v t1="$t1" \
		'BEGIN { printf "livekit-server CPU over the whole bench: %.2f cores (%.1f s)\n", c / hz / (t1 - t0), t1 - t0 }'
	kill "$wrk"; wait "$wrk" 2>/dev/null || true
fi
INNER
