#!/usr/bin/env bash
# Protected-queries benchmark (issue "Aggregation thresholds that hold"): a protected query served from a built cube,
# end to end over HTTP (bearer token validated, rate limiter, policy decision, version lookup, cube slice, JSON answer,
# durable audit record), loaded with wrk; and, in the same run, alternating round by round, a plain endpoint of the
# same gateway returning the same bytes from memory (POST /benchmark/plain, mapped only with
# DataClauses:Benchmark:PlainEndpoint=true; src/DataClauses.Gateway/Hosting/BenchmarkEndpoints.cs). Goal: >= 5,000
# protected requests/s on the project's 2-core machine, reported as a ratio of the plain endpoint. On PostgreSQL
# (durable commits: fsync=on, synchronous_commit=on), then the same on SQLite as a secondary figure. Afterwards, for
# every round, the query.answered events stored in the audit log are counted: each answer received must be there.
# Figures and how to read them: docs/BENCHMARKS.md, "Protected queries over HTTP".
#
# Self-contained on a Debian machine: installs wrk, PostgreSQL, curl and python3 when missing (apt-get), builds the
# gateway in Release into a temporary folder (never the source tree's bin/ and obj/), starts a throwaway PostgreSQL
# cluster and the gateways on free loopback ports, and stops and removes all of it on exit, even on failure. The
# results (results.txt, rounds.tsv) and logs stay in the printed temporary folder.
#
# Usage: tests/DataClauses.Benchmarks/queries/run-query-benchmark.sh
# Settings (environment):
#   BENCH_PROVIDERS="postgresql sqlite"  storage providers, in this order
#   BENCH_ROUNDS=3              measured rounds per provider (one wrk run on each endpoint), alternating which goes first
#   BENCH_DURATION=20           seconds of each measured wrk run
#   BENCH_THREADS=2             wrk threads
#   BENCH_CONNECTIONS=64        wrk connections (concurrent requests in flight)
#   BENCH_WARMUP=15             seconds of unmeasured wrk load on each endpoint of a fresh gateway (JIT tiering)
#   BENCH_WAIT_LOAD=2           before measuring, wait while the 1-minute load average is at or above this...
#   BENCH_WAIT_MAX=900          ...polling every 60 s, for at most this many seconds (0: do not wait); reported either way
#   BENCH_PERF=0                1: after the rounds, record a perf profile of the gateway under the protected load
#                               (perf must be installed: apt-get install linux-perf) into perf-<provider>.txt
#   BENCH_KEEP=0                1: keep the gateways' data and the build in the temporary folder
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-query-benchmark
# shellcheck source=../bench-lib.sh
. "$HERE/../bench-lib.sh"
PROVIDERS=${BENCH_PROVIDERS:-"postgresql sqlite"}
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-20}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
WARMUP=${BENCH_WARMUP:-15}
WAIT_LOAD=${BENCH_WAIT_LOAD:-2}
WAIT_MAX=${BENCH_WAIT_MAX:-900}
PERF=${BENCH_PERF:-0}
KEEP=${BENCH_KEEP:-0}
CLIENT=epci-demo-analyst
SECRET=demo-secret-epci-demo-analyst
QUERY='{"dataset": "caf-foyers-allocataires", "purpose": "observation", "dimensions": ["qpv", "type_menage"], "measures": ["foyers"]}'

# --- 1. Debian packages -----------------------------------------------------------------------------------------
bench_prerequisites wrk
[ "$PERF" != 1 ] || command -v perf >/dev/null 2>&1 || die "BENCH_PERF=1 needs perf (apt-get install linux-perf)"

# --- 2. Temporary folder, and cleanup whatever happens ------------------------------------------------------------
bench_workdir dataclauses-query-bench
bench_cleanup_on_exit artifacts 'gateway-*'
log "Working in $WORK"
LOAD_START=$(loadavg)
printf '%s' "$QUERY" >"$WORK/query.json"

# --- 3. Build the gateway (Release, own artifacts folder) -----------------------------------------------------------
log "Building the gateway (Release)"
bench_build_gateway "$ROOT" "$WORK/artifacts" "$WORK/build.log"

# --- 4. Throwaway PostgreSQL cluster (only when measured) -----------------------------------------------------------
PGDIR=""
PGPORT=""
POSTMASTER=""
start_postgres() {
  bench_start_postgres "-c synchronous_commit=on"
  "${PSQL[@]}" -d postgres -c "CREATE DATABASE gateway"
}
stop_postgres() {
  [ -n "$PGDIR" ] || return 0
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDIR" -m fast -w stop >/dev/null
  POSTMASTER=""
}

# --- 5. Gateway -------------------------------------------------------------------------------------------------------
GATEWAY_PID=""
URL=""
PROVIDER=""
start_gateway() { # name provider [connection-string]
  local name=$1 provider=$2 port connection=() perfmap=()
  [ -z "${3:-}" ] || connection=("DataClauses__Storage__ConnectionString=$3")
  # Without W^X, JIT-compiled code is mapped where perf finds it with the perf map (not in anonymous memfd double mappings).
  [ "$PERF" != 1 ] || perfmap=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
  port=$(free_port)
  URL="http://127.0.0.1:$port"
  PROVIDER=$name
  mkdir -p "$WORK/gateway-$name"
  (
    cd "$WORK/gateway-$name"
    exec env -u OTEL_EXPORTER_OTLP_ENDPOINT "${perfmap[@]}" \
      ASPNETCORE_ENVIRONMENT=Production \
      DataClauses__PoliciesPath="$GATEWAY_DIR/policies" \
      DataClauses__Storage__Provider="$provider" \
      "${connection[@]}" \
      DataClauses__Storage__DataDirectory="$WORK/gateway-$name/data" \
      DataClauses__SeedDemo=true \
      DataClauses__SeedDemoDatasets=true \
      DataClauses__Identity__Issuer="$URL" \
      DataClauses__Limits__ApiRequestsPerSecond=1000000 \
      DataClauses__Limits__TokenRequestsPerMinute=600 \
      DataClauses__Benchmark__PlainEndpoint=true \
      Logging__LogLevel__Default=Warning \
      dotnet "$GATEWAY_DLL" --urls "$URL"
  ) >"$WORK/$name-gateway.log" 2>&1 &
  GATEWAY_PID=$!
  CLEANUPS+=("kill $GATEWAY_PID; wait $GATEWAY_PID")
  bench_wait_ready "$GATEWAY_PID" "$WORK/$name-gateway.log" 240
}
stop_gateway() {
  kill "$GATEWAY_PID" 2>/dev/null || true
  wait "$GATEWAY_PID" 2>/dev/null || true
}


# The query.answered events in the audit log (the request of each answer), by reading the gateway's own database.
answered() {
  if [ "$PROVIDER" = postgresql ]; then
    psql -X -At -h 127.0.0.1 -p "$PGPORT" -U dataclauses -d gateway -c "SELECT count(*) FROM audit_events WHERE action = 'query.answered'"
  else
    sqlite_answered "$WORK/gateway-sqlite/data/dataclauses.db"
  fi
}


# Runs the real query once (which builds the protected cube), checks the answer, and gives its exact body and
# Content-Type to the plain endpoint; then checks that the plain endpoint answers the same bytes and type.
prepare() {
  local bearer status type plain_type
  bearer=$(token)
  status=$(curl -sS -o "$WORK/answer-$PROVIDER.json" -D "$WORK/answer-$PROVIDER.headers" -w '%{http_code}' \
    -H "Authorization: Bearer $bearer" -H 'Content-Type: application/json' -H 'Accept: application/json' \
    --data-binary "@$WORK/query.json" "$URL/api/v1/queries")
  [ "$status" = 200 ] || { cat "$WORK/answer-$PROVIDER.json" >&2; die "the query answered $status"; }
  type=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$WORK/answer-$PROVIDER.headers" | tr -d '\r')
  [ -n "$type" ] || die "the query's answer has no Content-Type"
  status=$(curl -sS -o /dev/null -w '%{http_code}' -X PUT -H "Content-Type: $type" \
    --data-binary "@$WORK/answer-$PROVIDER.json" "$URL/benchmark/plain")
  [ "$status" = 204 ] || die "PUT /benchmark/plain answered $status (is DataClauses:Benchmark:PlainEndpoint on?)"
  status=$(curl -sS -o "$WORK/plain-$PROVIDER.json" -D "$WORK/plain-$PROVIDER.headers" -w '%{http_code}' \
    -H 'Content-Type: application/json' --data-binary "@$WORK/query.json" "$URL/benchmark/plain")
  [ "$status" = 200 ] || die "POST /benchmark/plain answered $status"
  plain_type=$(sed -n 's/^[Cc]ontent-[Tt]ype: *//p' "$WORK/plain-$PROVIDER.headers" | tr -d '\r')
  cmp -s "$WORK/answer-$PROVIDER.json" "$WORK/plain-$PROVIDER.json" || die "the plain endpoint does not answer the query's bytes"
  [ "$plain_type" = "$type" ] || die "the plain endpoint answers '$plain_type', the query '$type'"
  ANSWER_BYTES=$(stat -c %s "$WORK/answer-$PROVIDER.json")
  ANSWER_TYPE=$type
  ANSWER_CELLS=$(json cellsReturned <"$WORK/answer-$PROVIDER.json")
  log "$PROVIDER: the query answers $ANSWER_CELLS cells, $ANSWER_BYTES bytes of $type; the plain endpoint the same bytes"
}

# One wrk run; sets RESULT (wrk's JSON summary file) and the CPU seconds used meanwhile.
CPU_WRK=""
CPU_GATEWAY=""
CPU_POSTGRES=""
run_wrk() { # endpoint seconds label
  local endpoint=$1 seconds=$2 label=$3 path bearer="" gw0 gw1 pg0="" pg1=""
  path=/benchmark/plain
  if [ "$endpoint" = protected ]; then
    path=/api/v1/queries
    bearer=$(token)   # a fresh token each run: a wait for a quieter machine may outlast one
  fi
  RESULT="$WORK/wrk-$PROVIDER-$label-$endpoint.json"
  gw0=$(proc_cpu process "$GATEWAY_PID")
  [ -z "$POSTMASTER" ] || pg0=$(proc_cpu cluster "$POSTMASTER")
  times >"$WORK/times.0"
  WRK_BODY_FILE="$WORK/query.json" WRK_TOKEN="$bearer" WRK_RESULT_FILE="$RESULT" \
    wrk -t "$THREADS" -c "$CONNECTIONS" -d "${seconds}s" --timeout 10s -s "$HERE/query.lua" "$URL$path" \
    >"$WORK/wrk-$PROVIDER-$label-$endpoint.txt" 2>&1 || { cat "$WORK/wrk-$PROVIDER-$label-$endpoint.txt" >&2; die "wrk failed"; }
  times >"$WORK/times.1"
  gw1=$(proc_cpu process "$GATEWAY_PID")
  [ -z "$POSTMASTER" ] || pg1=$(proc_cpu cluster "$POSTMASTER")
  CPU_WRK=$(client_cpu "$WORK/times.0" "$WORK/times.1")
  CPU_GATEWAY=$(minus "$gw0" "$gw1")
  CPU_POSTGRES=-
  [ -z "$POSTMASTER" ] || CPU_POSTGRES=$(minus "$pg0" "$pg1")
  [ -s "$RESULT" ] || { cat "$WORK/wrk-$PROVIDER-$label-$endpoint.txt" >&2; die "wrk wrote no summary"; }
}

wait_for_quiet() {
  local waited=0
  while [ "$WAIT_MAX" -gt 0 ] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$(load1)" "$WAIT_LOAD"; do
    if [ "$waited" -ge "$WAIT_MAX" ]; then
      log "Load average still $(loadavg) after ${waited} s: measuring anyway"
      return 0
    fi
    log "Load average $(loadavg) >= $WAIT_LOAD: waiting for a quieter moment (${waited}/${WAIT_MAX} s)"
    sleep 60
    waited=$((waited + 60))
  done
}

printf 'provider\tround\tendpoint\trequests\tseconds\tnon2xx\tsocket_errors\tbytes\tp50_us\tp90_us\tp99_us\tmax_us\tanswered\tcpu_wrk\tcpu_gateway\tcpu_postgres\tload1\n' >"$WORK/rounds.tsv"
record() { # round endpoint answered-delta
  python3 - "$RESULT" "$PROVIDER" "$1" "$2" "$3" "$CPU_WRK" "$CPU_GATEWAY" "$CPU_POSTGRES" "$(load1)" >>"$WORK/rounds.tsv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
e, l = r["errors"], r["latency_us"]
print("\t".join(str(x) for x in [
    sys.argv[2], sys.argv[3], sys.argv[4], r["requests"], f"{r['duration_us'] / 1e6:.3f}", e["status"],
    e["connect"] + e["read"] + e["write"] + e["timeout"], r["bytes"], l["p50"], l["p90"], l["p99"], l["max"],
    sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8], sys.argv[9]]))
PY
}

# --- 6. One provider: prepare, warm up, wait for a quieter machine, alternate the rounds --------------------------------
measure() { # provider
  local round endpoints endpoint before after
  prepare
  log "$PROVIDER: warm-up, ${WARMUP} s of load on each endpoint (not measured)"
  run_wrk protected "$WARMUP" warmup
  run_wrk plain "$WARMUP" warmup
  wait_for_quiet
  echo "$PROVIDER $(loadavg)" >>"$WORK/load-measure.txt"
  for round in $(seq 1 "$ROUNDS"); do
    endpoints=(protected plain)
    [ $((round % 2)) -eq 1 ] || endpoints=(plain protected)
    for endpoint in "${endpoints[@]}"; do
      before=$(answered)
      run_wrk "$endpoint" "$DURATION" "$round"
      sleep 1   # requests still in flight when wrk stopped finish (and are audited) now
      after=$(answered)
      record "$round" "$endpoint" $((after - before))
      log "$PROVIDER round $round $endpoint: $(rps) requests/s (load $(load1))"
    done
  done
  if [ "$PERF" = 1 ]; then
    log "$PROVIDER: perf profile of the gateway under the protected load (not measured)"
    local bearer
    bearer=$(token)
    WRK_BODY_FILE="$WORK/query.json" WRK_TOKEN="$bearer" WRK_RESULT_FILE="" \
      wrk -t "$THREADS" -c "$CONNECTIONS" -d "$((DURATION + 5))s" --timeout 10s -s "$HERE/query.lua" "$URL/api/v1/queries" >/dev/null 2>&1 &
    local wrk_pid=$!
    sleep 3
    perf record -F 999 -g -p "$GATEWAY_PID" -o "$WORK/perf-$PROVIDER.data" -- sleep "$DURATION" >/dev/null 2>&1 || true
    wait "$wrk_pid" || true
    # Flat (self time by symbol) and inclusive (time under each frame) views.
    perf report -i "$WORK/perf-$PROVIDER.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null | head -n 2000 >"$WORK/perf-$PROVIDER.txt" || true
    perf report -i "$WORK/perf-$PROVIDER.data" --children --sort symbol --stdio -g none 2>/dev/null | head -n 400 >"$WORK/perf-$PROVIDER-inclusive.txt" || true
    rm -f "$WORK/perf-$PROVIDER.data"
  fi
  ANSWER_INFO+=("$PROVIDER: $ANSWER_CELLS cells, $ANSWER_BYTES bytes, $ANSWER_TYPE")
}

ANSWER_INFO=()
for provider in $PROVIDERS; do
  case $provider in
    postgresql)
      start_postgres
      log "Gateway on PostgreSQL"
      start_gateway postgresql PostgreSQL "Host=127.0.0.1;Port=$PGPORT;Username=dataclauses;Database=gateway"
      measure
      stop_gateway
      stop_postgres
      ;;
    sqlite)
      log "Gateway on SQLite"
      start_gateway sqlite Sqlite
      measure
      stop_gateway
      ;;
    *) die "unknown provider '$provider' (postgresql or sqlite)" ;;
  esac
done
LOAD_END=$(loadavg)

# --- 7. Summary -------------------------------------------------------------------------------------------------------
{
  echo "Protected-queries benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; $(. /etc/os-release && echo "$PRETTY_NAME"); .NET SDK $(dotnet --version); $("$PG_BIN/postgres" --version); $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
  echo "query: $QUERY (as $CLIENT)"
  echo "answer: ${ANSWER_INFO[*]}"
  echo "load: wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, $ROUNDS rounds per provider alternating which endpoint goes first; warm-up ${WARMUP} s per endpoint"
  echo "load average (1, 5, 15 min; shared machine): start $LOAD_START | measurement start $(tr '\n' ' ' <"$WORK/load-measure.txt")| end $LOAD_END"
  echo
  python3 - "$WORK/rounds.tsv" "$CONNECTIONS" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
connections = int(sys.argv[2])
med = statistics.median
rps = lambda r: int(r["requests"]) / float(r["seconds"])
ms = lambda us: f"{int(us) / 1000:.1f}"
ok = True
for provider in dict.fromkeys(r["provider"] for r in rows):
    mine = [r for r in rows if r["provider"] == provider and r["round"] != "warmup"]
    print(f"### {provider}")
    print()
    print("| round | protected req/s | p50 / p99 ms | plain req/s | p50 / p99 ms | ratio protected / plain | load (1 min) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    ratios, prot, plain = [], [], []
    for rnd in dict.fromkeys(r["round"] for r in mine):
        p = next(r for r in mine if r["round"] == rnd and r["endpoint"] == "protected")
        q = next(r for r in mine if r["round"] == rnd and r["endpoint"] == "plain")
        ratios.append(rps(p) / rps(q)); prot.append(rps(p)); plain.append(rps(q))
        print(f"| {rnd} | {rps(p):,.0f} | {ms(p['p50_us'])} / {ms(p['p99_us'])} | {rps(q):,.0f} | {ms(q['p50_us'])} / {ms(q['p99_us'])} | {ratios[-1]:.3f} | {p['load1']} / {q['load1']} |")
    print(f"| **median** | **{med(prot):,.0f}** | | **{med(plain):,.0f}** | | **{med(ratios):.3f}** | |")
    print()
    print(f"{provider}: protected {med(prot):,.0f} req/s (median of {len(prot)}), plain {med(plain):,.0f} req/s; "
          f"ratio {med(ratios):.3f} (median of the per-round ratios); goal >= 5,000 req/s: {'MET' if med(prot) >= 5000 else 'NOT MET'}")
    print()
    print("CPU seconds per 1,000 requests (wrk + gateway + PostgreSQL), median of the rounds:")
    for endpoint in ("protected", "plain"):
        rs = [r for r in mine if r["endpoint"] == endpoint]
        per = lambda k: med([float(r[k]) * 1000 / int(r["requests"]) for r in rs]) if all(r[k] != "-" for r in rs) else None
        parts = [f"{name} {v:.3f}" for name, v in (("wrk", per("cpu_wrk")), ("gateway", per("cpu_gateway")), ("PostgreSQL", per("cpu_postgres"))) if v is not None]
        print(f"  {endpoint}: " + " + ".join(parts))
    print()
    print("Audit check (query.answered events stored during each run of the protected endpoint):")
    for r in (r for r in rows if r["provider"] == provider and r["endpoint"] == "protected"):
        answered, served, errors = int(r["answered"]), int(r["requests"]) - int(r["non2xx"]), int(r["non2xx"]) + int(r["socket_errors"])
        # wrk stops with up to one request in flight per connection: those may be answered (and audited) unseen.
        slack = answered - served
        ok &= 0 <= slack <= connections and errors == 0
        print(f"  {r['round']}: {served:,} answers received (non-2xx {r['non2xx']}, socket errors {r['socket_errors']}), "
              f"{answered:,} query.answered events stored (+{slack} in flight when wrk stopped)")
    for r in (r for r in rows if r["provider"] == provider and r["endpoint"] == "plain"):
        ok &= int(r["non2xx"]) == 0 and int(r["socket_errors"]) == 0 and int(r["answered"]) == 0
    print()
print("every answer received was audited (received <= stored <= received + connections), no errors: " + ("YES" if ok else "NO"))
PY
} | tee "$WORK/results.txt"
log "Results: $WORK/results.txt (rounds: $WORK/rounds.tsv)"
