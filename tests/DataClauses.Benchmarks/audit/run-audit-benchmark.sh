#!/usr/bin/env bash
# Audit benchmark (issue "Audit that a DPO can trust"): (1) the sustained append rate of the gateway's own group
# commit (AuditAppender → AuditWriter, binary COPY under the chain's advisory lock) on PostgreSQL with durable commits
# (fsync=on, synchronous_commit=on), two gateway instances on one database, for several numbers of concurrent
# writers; (2) GET /api/v1/audit/verify of a real gateway process over a chain of 1,000,000 events in PostgreSQL.
# The in-memory verification of 1,000,000 events is the BenchmarkDotNet suite AuditVerifyBenchmarks (see
# docs/BENCHMARKS.md, "Audit"). Goals: >= 10,000 events/s appended; >= 1,000,000 events verified in <= 5 s.
#
# Self-contained on a Debian machine: installs PostgreSQL, curl and python3 when missing, builds in Release into a
# temporary folder (never the source tree's bin/ and obj/), starts a throwaway PostgreSQL cluster and the gateway on
# free loopback ports, and stops and removes them on exit, even on failure. Results stay in the printed folder.
#
# Usage: tests/DataClauses.Benchmarks/audit/run-audit-benchmark.sh
# Settings (environment):
#   BENCH_WRITERS="8 64 256 1024"   concurrent writers of each append run (split over the replicas)
#   BENCH_REPLICAS=2                gateway instances (own appender and connection pool each) on the one database
#   BENCH_SECONDS=25                measured seconds of each append run (after 3 s of warm-up)
#   BENCH_VERIFY_EVENTS=1000000     events in the chain the verify endpoint checks
#   BENCH_VERIFY_ROUNDS=3           timed GET /api/v1/audit/verify calls
#   BENCH_KEEP=0                    1: keep the build and the logs
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-audit-benchmark
# shellcheck source=../bench-lib.sh
. "$HERE/../bench-lib.sh"
WRITERS=${BENCH_WRITERS:-"8 64 256 1024"}
REPLICAS=${BENCH_REPLICAS:-2}
SECONDS_EACH=${BENCH_SECONDS:-25}
VERIFY_EVENTS=${BENCH_VERIFY_EVENTS:-1000000}
VERIFY_ROUNDS=${BENCH_VERIFY_ROUNDS:-3}
KEEP=${BENCH_KEEP:-0}

bench_prerequisites

bench_workdir dataclauses-audit-bench
cleanup() {
  local status=$?
  set +e
  run_cleanups
  [ "$KEEP" = 1 ] || rm -rf "$WORK/artifacts" "$WORK/gateway" 2>/dev/null
  [ $status -eq 0 ] || echo "run-audit-benchmark: failed (exit $status); logs in $WORK" >&2
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "Working in $WORK"
LOAD_START=$(loadavg)

log "Building the benchmarks and the gateway (Release)"
dotnet build "$ROOT/tests/DataClauses.Benchmarks/DataClauses.Benchmarks.csproj" -c Release -nologo -v quiet \
  --artifacts-path "$WORK/artifacts" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "build failed"; }
BENCH_DLL=$(find "$WORK/artifacts/bin/DataClauses.Benchmarks" -name DataClauses.Benchmarks.dll | head -n 1)
GATEWAY_DLL=$(find "$WORK/artifacts/bin/DataClauses.Gateway" -name DataClauses.Gateway.dll | head -n 1)
[ -f "$BENCH_DLL" ] && [ -f "$GATEWAY_DLL" ] || die "build outputs not found under $WORK/artifacts"

bench_start_postgres "-c synchronous_commit=on -c max_connections=200"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE appendbench" -c "CREATE DATABASE verifybench"
DURABILITY=$("${PSQL[@]}" -d postgres -At -c "SELECT 'fsync=' || current_setting('fsync') || ' synchronous_commit=' || current_setting('synchronous_commit') || ' wal_sync_method=' || current_setting('wal_sync_method')")
connection() { echo "Host=127.0.0.1;Port=$PGPORT;Username=dataclauses;Database=$1;Maximum Pool Size=100"; }

# --- 1. Append rate ---------------------------------------------------------------------------------------------------
: >"$WORK/append.txt"
for writers in $WRITERS; do
  log "Append: $REPLICAS replicas, $writers writers, $SECONDS_EACH s (load $(loadavg))"
  load=$(loadavg)
  dotnet "$BENCH_DLL" audit-append --connection "$(connection appendbench)" --replicas "$REPLICAS" --writers "$writers" --seconds "$SECONDS_EACH" \
    >"$WORK/append-$writers.log" 2>&1 || { cat "$WORK/append-$writers.log" >&2; die "append run with $writers writers failed"; }
  result=$(grep '^replicas=' "$WORK/append-$writers.log")
  chain=$(grep '^chain:' "$WORK/append-$writers.log")
  echo "$result load=\"$load\" | $chain" | tee -a "$WORK/append.txt" >&2
done

# --- 2. GET /api/v1/audit/verify over a large chain ---------------------------------------------------------------------
log "Filling a chain of $VERIFY_EVENTS events"
dotnet "$BENCH_DLL" audit-append --connection "$(connection verifybench)" --replicas 1 --fill "$VERIFY_EVENTS" >"$WORK/fill.log" 2>&1 \
  || { cat "$WORK/fill.log" >&2; die "filling failed"; }
port=$(free_port)
URL="http://127.0.0.1:$port"
mkdir -p "$WORK/gateway"
(
  cd "$WORK/gateway"
  exec env -u OTEL_EXPORTER_OTLP_ENDPOINT ASPNETCORE_ENVIRONMENT=Production \
    DataClauses__PoliciesPath="$(dirname "$GATEWAY_DLL")/policies" \
    DataClauses__Storage__Provider=PostgreSQL DataClauses__Storage__ConnectionString="$(connection verifybench)" \
    DataClauses__Storage__DataDirectory="$WORK/gateway/data" DataClauses__SeedDemo=true DataClauses__SeedDemoDatasets=false \
    DataClauses__Identity__Issuer="$URL" Logging__LogLevel__Default=Warning \
    dotnet "$GATEWAY_DLL" --urls "$URL"
) >"$WORK/gateway.log" 2>&1 &
GATEWAY_PID=$!
CLEANUPS+=("kill $GATEWAY_PID; wait $GATEWAY_PID")
bench_wait_ready "$GATEWAY_PID" "$WORK/gateway.log" 120
TOKEN=$(CLIENT=caf-44-dpo SECRET=demo-secret-caf-44-dpo token)
: >"$WORK/verify.txt"
# The first checkpoint: the gateway verifies every event before it signs the head (so this is a verification too).
result=$(curl -sS -o "$WORK/checkpoint.json" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $TOKEN" "$URL/api/v1/audit/checkpoints")
read -r status seconds <<<"$result"
[ "$status" = 201 ] || { cat "$WORK/checkpoint.json" >&2; die "signing a checkpoint answered $status"; }
echo "POST /api/v1/audit/checkpoints (verifies the chain, then signs event $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sequence"])' "$WORK/checkpoint.json")): ${seconds} s" | tee -a "$WORK/verify.txt" >&2
for round in $(seq 0 "$VERIFY_ROUNDS"); do
  load=$(loadavg)
  result=$(curl -sS -o "$WORK/verify-$round.json" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $TOKEN" "$URL/api/v1/audit/verify")
  read -r status seconds <<<"$result"
  [ "$status" = 200 ] || { cat "$WORK/verify-$round.json" >&2; die "verify answered $status"; }
  summary=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("intact=%s events=%s checkpoints=%s" % (d["intact"], d["eventsChecked"], d["checkpointsChecked"]))' "$WORK/verify-$round.json")
  label="round $round"; [ "$round" -gt 0 ] || label="warm-up"
  echo "$label: ${seconds} s $summary load=\"$load\"" | tee -a "$WORK/verify.txt" >&2
done

{
  echo "Audit benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; .NET SDK $(dotnet --version); $("$PG_BIN/postgres" --version); $DURABILITY"
  echo "load average (1, 5, 15 min; shared machine): start $LOAD_START | end $(loadavg)"
  echo
  echo "Append rate (group commit, binary COPY, $REPLICAS gateway instances on one database, $SECONDS_EACH s each):"
  cat "$WORK/append.txt"
  echo
  echo "GET /api/v1/audit/verify over the chain ($(grep '^filled' "$WORK/fill.log")):"
  cat "$WORK/verify.txt"
} | tee "$WORK/results.txt"
log "Results: $WORK/results.txt"
