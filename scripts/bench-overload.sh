#!/usr/bin/env bash
# Overload, fairly (BENCHMARKS.md): the invert demo pinned to one core
# (cpu 1) and the bench to the other (cpu 0), in a network namespace with
# only lo, run with the overload governor (the default) and without it
# (RTCSTREAM_OVERLOAD_SHARE=1: every frame handled), in alternation.
# Needs root and a built rtcstream at $RTCSTREAM.
#
#   go build -o /tmp/rtcstream ./cmd/rtcstream
#   RTCSTREAM=/tmp/rtcstream scripts/bench-overload.sh            # VP8, 16 streams, 2 rounds
#   CODEC=h264 STREAMS=16 ROUNDS=1 scripts/bench-overload.sh
#
# Each run prints the bench's summary lines and the slowest stream's
# frame rate; the full reports and the server's logs are left in $OUT.
set -euo pipefail
bin=${RTCSTREAM:-/tmp/rtcstream}
codec=${CODEC:-vp8} streams=${STREAMS:-16} rounds=${ROUNDS:-2} duration=${DURATION:-20s}
out=${OUT:-$(mktemp -d)}
echo "reports in $out"
exec unshare -n bash -s -- "$bin" "$codec" "$streams" "$rounds" "$duration" "$out" <<'INNER'
set -euo pipefail
bin=$1 codec=$2 streams=$3 rounds=$4 duration=$5 out=$6
ip link set lo up
run() { # label, then the server's environment
  local label=$1; shift
  env "$@" taskset -c 1 "$bin" demo -addr 127.0.0.1:7874 -unlimited invert >"$out/server.$label.log" 2>&1 &
  local srv=$!
  sleep 1
  taskset -c 0 "$bin" bench --codec "$codec" --streams "$streams" --duration "$duration" --ramp-up 4s \
    -pid "$srv" http://127.0.0.1:7874/ >"$out/bench.$label" 2>&1 || true
  kill "$srv"; wait "$srv" 2>/dev/null || true
  # The per-stream table's fps column (9th from the end), least first.
  local slowest
  slowest=$(sed -n '/stream  connect/,/^$/p' "$out/bench.$label" | awk 'NR>1 && NF>8 {print $(NF-8)}' | sort -n | head -1)
  echo "== $label: slowest stream $slowest fps"
  grep -E '^  (returned fps|latency|server CPU)' "$out/bench.$label" || tail -3 "$out/bench.$label"
}
for r in $(seq "$rounds"); do
  run "every-frame-$r" RTCSTREAM_OVERLOAD_SHARE=1
  run "governed-$r" RTCSTREAM_OVERLOAD_DEBUG=1
done
INNER
