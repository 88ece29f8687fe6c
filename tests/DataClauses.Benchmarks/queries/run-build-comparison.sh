#!/usr/bin/env bash
# Protected-query throughput of two builds of the gateway, side by side in one run (issue "Standard parts" §2: the
# move to OpenIddict must not cost more than 5 % of protected-query throughput). Both builds run at once, each on its
# own SQLite (or PostgreSQL) database with the demo data; the same protected query (the one of
# run-query-benchmark.sh, from its built cube) is loaded with wrk on one gateway at a time, in pairs whose order
# alternates (before/after, after/before, …), so a drift of the machine's load hits both builds alike. The figure is
# the ratio after / before of each pair; the summary gives their median and geometric mean, and the gateway's CPU
# seconds per 1,000 protected queries of each build (steadier than requests/s on a machine that others load).
#
# Usage: tests/DataClauses.Benchmarks/queries/run-build-comparison.sh
# Settings (environment):
#   BENCH_BEFORE=354359f        the "before" commit (default: main just before the OpenIddict issuer)
#   BENCH_AFTER=HEAD            the "after" commit
#   BENCH_PROVIDER=sqlite       sqlite or postgresql (one cluster, one database per build)
#   BENCH_PAIRS=8               measured pairs (one wrk run on each build per pair)
#   BENCH_DURATION=10           seconds of each measured wrk run
#   BENCH_WARMUP=15             seconds of unmeasured load on each build first (JIT tiering)
#   BENCH_THREADS=2 BENCH_CONNECTIONS=64
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-build-comparison
# shellcheck source=../bench-lib.sh
. "$HERE/../bench-lib.sh"
BEFORE=${BENCH_BEFORE:-354359f}
AFTER=${BENCH_AFTER:-HEAD}
PROVIDER=${BENCH_PROVIDER:-sqlite}
PAIRS=${BENCH_PAIRS:-8}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-15}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
CLIENT=epci-demo-analyst
SECRET=demo-secret-epci-demo-analyst
QUERY='{"dataset": "caf-foyers-allocataires", "purpose": "observation", "dimensions": ["qpv", "type_menage"], "measures": ["foyers"]}'

bench_prerequisites wrk
bench_workdir dataclauses-build-comparison
cleanup() {
  local status=$?
  set +e
  run_cleanups
  rm -rf "$WORK"/src-* "$WORK"/artifacts-* 2>/dev/null
  [ $status -eq 0 ] || echo "$BENCH_NAME: failed (exit $status); logs in $WORK" >&2
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "Working in $WORK"
printf '%s' "$QUERY" >"$WORK/query.json"

# --- Builds: each commit extracted with git archive and built into its own folder ------------------------------------
declare -A DLL
for build in before after; do
  ref=$BEFORE
  [ "$build" = after ] && ref=$AFTER
  commit=$(git -C "$ROOT" rev-parse --short "$ref")
  log "Building $build ($commit)"
  mkdir -p "$WORK/src-$build"
  git -C "$ROOT" archive "$commit" | tar -x -C "$WORK/src-$build"
  bench_build_gateway "$WORK/src-$build" "$WORK/artifacts-$build" "$WORK/build-$build.log"
  DLL[$build]=$GATEWAY_DLL
  echo "$build $commit" >>"$WORK/commits.txt"
done

PGPORT=""
if [ "$PROVIDER" = postgresql ]; then
  bench_start_postgres "-c synchronous_commit=on"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE gateway_before" -c "CREATE DATABASE gateway_after"
fi

# --- Both gateways at once --------------------------------------------------------------------------------------------
declare -A URLS PIDS
for build in before after; do
  port=$(free_port)
  URLS[$build]="http://127.0.0.1:$port"
  storage=(DataClauses__Storage__Provider=Sqlite)
  [ "$PROVIDER" != postgresql ] || storage=(DataClauses__Storage__Provider=PostgreSQL
    "DataClauses__Storage__ConnectionString=Host=127.0.0.1;Port=$PGPORT;Username=dataclauses;Database=gateway_$build")
  mkdir -p "$WORK/gateway-$build"
  (
    cd "$WORK/gateway-$build"
    exec env -u OTEL_EXPORTER_OTLP_ENDPOINT ASPNETCORE_ENVIRONMENT=Production \
      DataClauses__PoliciesPath="$(dirname "${DLL[$build]}")/policies" \
      "${storage[@]}" \
      DataClauses__Storage__DataDirectory="$WORK/gateway-$build/data" \
      DataClauses__SeedDemo=true DataClauses__SeedDemoDatasets=true \
      DataClauses__Identity__Issuer="${URLS[$build]}" DataClauses__PublicOrigin="${URLS[$build]}" \
      DataClauses__Limits__ApiRequestsPerSecond=1000000 \
      DataClauses__Limits__TokenRequestsPerMinute=600 DataClauses__Limits__TokenRequestsPerMinutePerAddress=600 \
      Logging__LogLevel__Default=Warning \
      dotnet "${DLL[$build]}" --urls "${URLS[$build]}"
  ) >"$WORK/gateway-$build.log" 2>&1 &
  PIDS[$build]=$!
  CLEANUPS+=("kill ${PIDS[$build]}; wait ${PIDS[$build]}")
  URL=${URLS[$build]}
  bench_wait_ready "${PIDS[$build]}" "$WORK/gateway-$build.log" 240
done

# One wrk run of the protected query on a build; prints requests per second and records the run.
printf 'pair\tbuild\trequests\tseconds\tnon2xx\tp50_us\tp99_us\tload1\tcpu_gateway\n' >"$WORK/runs.tsv"
run() { # build seconds pair
  local build=$1 seconds=$2 pair=$3 bearer result cpu0 cpu1
  URL=${URLS[$build]}
  bearer=$(token)
  result="$WORK/wrk-$build-$pair.json"
  cpu0=$(proc_cpu process "${PIDS[$build]}")
  WRK_BODY_FILE="$WORK/query.json" WRK_TOKEN="$bearer" WRK_RESULT_FILE="$result" \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${seconds}s" --timeout 10s -s "$HERE/query.lua" "$URL/api/v1/queries" \
    >"$WORK/wrk-$build-$pair.txt" 2>&1 || { cat "$WORK/wrk-$build-$pair.txt" >&2; die "wrk failed"; }
  cpu1=$(proc_cpu process "${PIDS[$build]}")
  python3 - "$result" "$pair" "$build" "$(cut -d' ' -f1 /proc/loadavg)" "$cpu0" "$cpu1" >>"$WORK/runs.tsv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("\t".join(str(x) for x in [sys.argv[2], sys.argv[3], r["requests"], f"{r['duration_us'] / 1e6:.3f}",
    r["errors"]["status"], r["latency_us"]["p50"], r["latency_us"]["p99"], sys.argv[4],
    f"{float(sys.argv[6]) - float(sys.argv[5]):.3f}"]))
PY
}

for build in before after; do
  URL=${URLS[$build]}
  status=$(curl -sS -o "$WORK/answer-$build.json" -w '%{http_code}' -H "Authorization: Bearer $(token)" \
    -H 'Content-Type: application/json' --data-binary "@$WORK/query.json" "$URL/api/v1/queries")
  [ "$status" = 200 ] || { cat "$WORK/answer-$build.json" >&2; die "$build: the query answered $status"; }
  log "$build: warm-up, ${WARMUP} s (not measured)"
  run "$build" "$WARMUP" warmup
done

LOAD_START=$(loadavg)
for pair in $(seq 1 "$PAIRS"); do
  order=(before after)
  [ $((pair % 2)) -eq 1 ] || order=(after before)
  for build in "${order[@]}"; do
    run "$build" "$DURATION" "$pair"
  done
  log "pair $pair done (load $(loadavg))"
done
LOAD_END=$(loadavg)

{
  echo "Protected-query throughput, two builds side by side — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "builds: $(tr '\n' ' ' <"$WORK/commits.txt"); provider $PROVIDER; $(nproc) cores; wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s"
  echo "query: $QUERY (as $CLIENT); load average start $LOAD_START | end $LOAD_END"
  echo
  python3 - "$WORK/runs.tsv" <<'PY'
import csv, math, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t") if r["pair"] != "warmup"]
rps = lambda r: int(r["requests"]) / float(r["seconds"])
cpu = lambda r: float(r["cpu_gateway"]) * 1000 / int(r["requests"])
print("| pair | before req/s | after req/s | after / before | gateway CPU s per 1,000 before / after | p99 ms before / after | load (1 min) |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
ratios, cpus, bad = [], [], 0
for pair in dict.fromkeys(r["pair"] for r in rows):
    b = next(r for r in rows if r["pair"] == pair and r["build"] == "before")
    a = next(r for r in rows if r["pair"] == pair and r["build"] == "after")
    bad += int(b["non2xx"]) + int(a["non2xx"])
    ratios.append(rps(a) / rps(b))
    cpus.append(cpu(a) / cpu(b))
    print(f"| {pair} | {rps(b):,.0f} | {rps(a):,.0f} | {ratios[-1]:.3f} | {cpu(b):.3f} / {cpu(a):.3f} | {int(b['p99_us'])/1000:.1f} / {int(a['p99_us'])/1000:.1f} | {b['load1']} / {a['load1']} |")
geo = math.exp(statistics.fmean(math.log(x) for x in ratios))
print()
print(f"after / before: median {statistics.median(ratios):.3f}, geometric mean {geo:.3f} over {len(ratios)} pairs "
      f"(min {min(ratios):.3f}, max {max(ratios):.3f}); non-2xx answers: {bad}")
print(f"gateway CPU per protected query, after / before: median {statistics.median(cpus):.3f} (min {min(cpus):.3f}, max {max(cpus):.3f})")
print(f"goal (throughput drop <= 5 %, i.e. median ratio >= 0.95): {'MET' if statistics.median(ratios) >= 0.95 else 'NOT MET'}")
PY
} | tee "$WORK/results.txt"
log "Results: $WORK/results.txt (runs: $WORK/runs.tsv)"
