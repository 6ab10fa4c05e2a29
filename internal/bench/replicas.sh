#!/usr/bin/env bash
# Throughput with 1, 2 and 3 `stepwise server` replicas on one Postgres and
# one NATS (docs/scaling.md). For each replica count and repetition: a
# fresh schema, N servers started on it under one NATS namespace, then N
# `stepwise bench --server` clients at once, one per replica, sharing the
# concurrency, each with its own no-op workers on that namespace. The
# replica counts take turns within each repetition, so that a load that
# drifts over the runs weighs on each count alike. Prints one line per
# run: replicas, the 1-minute load average before it, the summed
# executions/s and transitions/s, the median latency of the first client,
# and the servers' CPU seconds (user + system, all replicas) per 1,000
# transitions.
#
#   internal/bench/replicas.sh [replica counts] [repetitions]
#   REPLICAS_WORKLOAD=sequence REPLICAS_CONCURRENCY=64 REPLICAS_DURATION=20s internal/bench/replicas.sh "1 2 3" 3
#
# REPLICAS_CLIENTS=one runs a single client, on the first replica, with the
# whole concurrency: the other replicas then only share the results, the
# timers and the group commits.
#
# Needs Postgres ($STEPWISE_DB, default the local `postgres` database) and
# NATS ($STEPWISE_NATS_URL, default nats://127.0.0.1:4222) on this machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
counts="${1:-1 2 3}"
reps="${2:-3}"
workload="${REPLICAS_WORKLOAD:-sequence}"
concurrency="${REPLICAS_CONCURRENCY:-64}"
duration="${REPLICAS_DURATION:-20s}"
clients="${REPLICAS_CLIENTS:-each}"
db="${STEPWISE_DB:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}"
nats_url="${STEPWISE_NATS_URL:-nats://127.0.0.1:4222}"

work="$(mktemp -d)"
pids=()
schema=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
  if [ -n "$schema" ]; then psql "$db" -q -c "DROP SCHEMA IF EXISTS $schema CASCADE" 2>/dev/null || true; fi
  schema=""
}
trap 'cleanup; rm -rf "$work"' EXIT
go build -o "$work/stepwise" ./cmd/stepwise
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
case "$db" in *\?*) sep='&' ;; *) sep='?' ;; esac

cpu() { # clock ticks of user + system time of the given processes
  local t=0
  for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo "$t"
}

echo "replicas  load1  executions/s  transitions/s  p50_ms  server_cpu_s/1k_transitions  (workload $workload, concurrency $concurrency, $duration, clients: $clients)"
for rep in $(seq 1 "$reps"); do
  for n in $counts; do
    schema="swreplicas_$$_${n}_$rep"
    ns="replicas-$$-$n-$rep"
    psql "$db" -q -c "CREATE SCHEMA $schema"
    grpcs=()
    for i in $(seq 1 "$n"); do
      g="127.0.0.1:$(port)"
      h="127.0.0.1:$(port)"
      "$work/stepwise" server -db "$db${sep}search_path=$schema" -nats "$nats_url" -namespace "$ns" \
        -http "$h" -grpc "$g" >"$work/server-$i.log" 2>&1 &
      pids+=($!)
      for _ in $(seq 1 100); do curl -sf "http://$h/healthz" >/dev/null && break; sleep 0.1; done
      grpcs+=("$g")
    done
    load1="$(cut -d' ' -f1 /proc/loadavg)"
    cpu0="$(cpu "${pids[@]}")"
    bpids=()
    nc="$n"
    [ "$clients" = one ] && nc=1
    for i in $(seq 1 "$nc"); do
      STEPWISE_NAMESPACE="$ns" "$work/stepwise" bench --server "${grpcs[$((i-1))]}" --nats "$nats_url" --db "" \
        --workload "$workload" --warmup 5 --concurrency $((concurrency / nc)) --duration "$duration" --quiet \
        --json "$work/run-$i.json" >"$work/bench-$i.log" 2>&1 &
      bpids+=($!)
    done
    for p in "${bpids[@]}"; do wait "$p" || { cat "$work"/bench-*.log; exit 1; }; done
    cpu_s="$(( $(cpu "${pids[@]}") - cpu0 ))"
    python3 - "$n" "$load1" "$work" "$cpu_s" "$(getconf CLK_TCK)" <<'PY'
import json, sys, glob
n, load1, work, ticks, hz = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
runs = [json.load(open(f)) for f in sorted(glob.glob(work + "/run-*.json"))]
runs = [r[0] if isinstance(r, list) else r for r in runs]
ex = sum(r["executions_per_sec"] for r in runs)
tr = sum(r["transitions_per_sec"] for r in runs)
p50 = runs[0]["latency_ms"].get("p50", 0)
transitions = sum(r["transitions"] for r in runs)
cpu = ticks / hz / transitions * 1000 if transitions else 0
print(f"{n:>8}  {load1:>5}  {ex:>12.1f}  {tr:>13.0f}  {p50:>6.1f}  {cpu:>27.2f}")
PY
    rm -f "$work"/run-*.json
    cleanup
  done
done
