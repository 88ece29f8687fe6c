#!/usr/bin/env bash
# Extracts load test (issue "Approved extracts with retention that is enforced"): 200 analysts request, poll and
# download extracts concurrently for 60 seconds against a gateway on PostgreSQL. Checks that nothing failed and that
# the database holds every granted extract exactly once (no lost, no duplicated extract), and reports the p50/p95/p99
# latency of POST /api/v1/extracts. Figures and how to read them: docs/BENCHMARKS.md, "Extracts under load".
#
# Self-contained on a Debian machine with the .NET 10 SDK: installs PostgreSQL, curl and python3 when missing
# (apt-get), builds the gateway and the load client (ExtractsLoad.cs, compiled into a console of its own) in Release
# into a temporary folder (never the source tree's bin/ and obj/), starts a throwaway PostgreSQL cluster and the
# gateway on free loopback ports, and stops and removes them on exit, even on failure. Results stay in the printed
# folder: results.txt, client.txt, loadavg.log, pg-activity.log (what the gateway's connections wait for), gateway.log.
#
# Usage: tests/DataClauses.Benchmarks/extracts/run-extracts-load.sh
# Settings (environment):
#   LOAD_ANALYSTS=200      concurrent analysts (one client each, created through epci-demo's admin API)
#   LOAD_DURATION=60       seconds during which new cycles start (request, poll until ready, download)
#   LOAD_POLL_MS=250       how often an analyst polls its extract's status
#   LOAD_PRODUCERS=        the gateway's DataClauses:Extracts:Producers (unset: the gateway's default, 4)
#   LOAD_WAIT_LOAD=3       before measuring, wait while the 1-minute load average is above this...
#   LOAD_WAIT_MAX=0        ...for at most this many seconds (0: do not wait); the load is reported either way
#   LOAD_BUILD=            a folder to build into and keep (a later run with the same folder reuses the build)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-extracts-load
# shellcheck source=../bench-lib.sh
. "$HERE/../bench-lib.sh"
ANALYSTS=${LOAD_ANALYSTS:-200}
DURATION=${LOAD_DURATION:-60}
POLL_MS=${LOAD_POLL_MS:-250}
PRODUCERS=${LOAD_PRODUCERS:-}
WAIT_LOAD=${LOAD_WAIT_LOAD:-3}
WAIT_MAX=${LOAD_WAIT_MAX:-0}
BUILD=${LOAD_BUILD:-}

bench_prerequisites

bench_workdir dataclauses-extracts-load
cleanup() {
  local status=$?
  set +e
  run_cleanups
  [ -n "$BUILD" ] || rm -rf "$WORK/build" 2>/dev/null
  [ $status -eq 0 ] || echo "run-extracts-load: failed (exit $status); logs in $WORK" >&2
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "Working in $WORK"

# --- Build the gateway and the load client (Release, own artifacts folders) ------------------------------------------
BUILD_DIR=${BUILD:-$WORK/build}
mkdir -p "$BUILD_DIR/client"
if [ -z "$(find "$BUILD_DIR" -name DataClauses.Gateway.dll -path '*release*' 2>/dev/null | head -n 1)" ] \
   || [ -z "$(find "$BUILD_DIR" -name ExtractsLoadClient.dll 2>/dev/null | head -n 1)" ]; then
  log "Building the gateway and the load client (Release)"
  dotnet build "$ROOT/src/DataClauses.Gateway/DataClauses.Gateway.csproj" -c Release -nologo -v quiet \
    --artifacts-path "$BUILD_DIR/artifacts" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "gateway build failed"; }
  printf '%s\n' \
    '<Project Sdk="Microsoft.NET.Sdk">' \
    '  <PropertyGroup>' \
    '    <OutputType>Exe</OutputType>' \
    '    <TargetFramework>net10.0</TargetFramework>' \
    '    <ImplicitUsings>enable</ImplicitUsings>' \
    '    <Nullable>enable</Nullable>' \
    '    <ServerGarbageCollection>true</ServerGarbageCollection>' \
    '  </PropertyGroup>' \
    '  <ItemGroup>' \
    "    <Compile Include=\"$HERE/ExtractsLoad.cs\" />" \
    '  </ItemGroup>' \
    '</Project>' >"$BUILD_DIR/client/ExtractsLoadClient.csproj"
  echo 'return await DataClauses.Benchmarks.Extracts.ExtractsLoad.RunAsync(args);' >"$BUILD_DIR/client/Program.cs"
  cp "$ROOT/global.json" "$BUILD_DIR/client/"
  dotnet build "$BUILD_DIR/client/ExtractsLoadClient.csproj" -c Release -nologo -v quiet --artifacts-path "$BUILD_DIR/client-artifacts" \
    >"$WORK/client-build.log" 2>&1 || { cat "$WORK/client-build.log" >&2; die "load client build failed"; }
else
  log "Reusing the build in $BUILD_DIR"
fi
GATEWAY_DLL=$(find "$BUILD_DIR/artifacts/bin/DataClauses.Gateway" -name DataClauses.Gateway.dll -path '*release*' | head -n 1)
[ -f "$GATEWAY_DLL" ] || die "DataClauses.Gateway.dll not found under $BUILD_DIR/artifacts"
GATEWAY_DIR=$(dirname "$GATEWAY_DLL")
CLIENT_DLL=$(find "$BUILD_DIR/client-artifacts/bin" -name ExtractsLoadClient.dll | head -n 1)
[ -f "$CLIENT_DLL" ] || die "ExtractsLoadClient.dll not found under $BUILD_DIR/client-artifacts"

# --- Throwaway PostgreSQL cluster ------------------------------------------------------------------------------------
bench_start_postgres "-c max_connections=200"
PSQL+=(-t -A)
"${PSQL[@]}" -d postgres -c "CREATE DATABASE gateway"

# --- Gateway on PostgreSQL, demo accounts and datasets ---------------------------------------------------------------
bench_start_gateway "$WORK/gateway" \
  DataClauses__Storage__Provider=PostgreSQL \
  DataClauses__Storage__ConnectionString="Host=127.0.0.1;Port=$PGPORT;Username=dataclauses;Database=gateway;Maximum Pool Size=100" \
  ${PRODUCERS:+DataClauses__Extracts__Producers="$PRODUCERS"}

# One unmeasured cycle builds the protected cube the load uses (as any first query would) and warms the JIT.
log "Warming up (one analyst, 5 s)"
dotnet "$CLIENT_DLL" --server "$URL" --analysts 1 --duration 5 --poll-ms "$POLL_MS" --ids "$WORK/warmup-ids.txt" >"$WORK/warmup.txt"

if [ "$WAIT_MAX" -gt 0 ]; then
  waited=0
  while awk -v l="$(load1)" -v m="$WAIT_LOAD" 'BEGIN { exit !(l > m) }' && [ "$waited" -lt "$WAIT_MAX" ]; do
    log "Load average $(loadavg); waiting for it to drop below $WAIT_LOAD"
    sleep 60
    waited=$((waited + 60))
  done
fi

POSTMASTER=$(as_postgres head -n 1 "$PGDIR/postmaster.pid")
CPU_GW0=$(proc_cpu process "$GATEWAY_PID")
CPU_PG0=$(proc_cpu cluster "$POSTMASTER")
BEFORE=$("${PSQL[@]}" -d gateway -c "SELECT COUNT(*) FROM extracts")
LOAD_BEFORE=$(loadavg)
( while sleep 5; do echo "$(date -u +%T) $(loadavg)"; done ) >"$WORK/loadavg.log" &
CLEANUPS+=("kill $!")
LOADAVG_SAMPLER=$!
# What the gateway's connections are doing, every 2 s (to read the figures, not for the checks).
( while sleep 2; do
    echo "== $(date -u +%T)"
    "${PSQL[@]}" -d gateway -c "SELECT w || ' ' || n FROM (SELECT COALESCE(wait_event_type, 'CPU') || ':' || COALESCE(wait_event, state) AS w, COUNT(*) AS n
                                FROM pg_stat_activity WHERE datname = 'gateway' AND pid <> pg_backend_pid() AND state <> 'idle'
                                GROUP BY 1) a ORDER BY n DESC" 2>/dev/null
  done ) >"$WORK/pg-activity.log" &
CLEANUPS+=("kill $!")
ACTIVITY_SAMPLER=$!
log "Running: $ANALYSTS analysts for $DURATION s (load average $LOAD_BEFORE)"
set +e
dotnet "$CLIENT_DLL" --server "$URL" --analysts "$ANALYSTS" --duration "$DURATION" --poll-ms "$POLL_MS" --ids "$WORK/granted-ids.txt" | tee "$WORK/client.txt"
CLIENT_EXIT=${PIPESTATUS[0]}
set -e
kill "$LOADAVG_SAMPLER" "$ACTIVITY_SAMPLER" 2>/dev/null || true
LOAD_AFTER=$(loadavg)
CPU_GW=$(python3 -c "print(f'{$(proc_cpu process "$GATEWAY_PID") - $CPU_GW0:.1f}')")
CPU_PG=$(python3 -c "print(f'{$(proc_cpu cluster "$POSTMASTER") - $CPU_PG0:.1f}')")

# --- No lost, no duplicated extract ----------------------------------------------------------------------------------
"${PSQL[@]}" -d gateway -c "SELECT id FROM extracts ORDER BY id" >"$WORK/db-ids.txt"
sort "$WORK/granted-ids.txt" "$WORK/warmup-ids.txt" >"$WORK/all-granted.txt"
GRANTED=$(wc -l <"$WORK/granted-ids.txt")
ROWS=$(( $("${PSQL[@]}" -d gateway -c "SELECT COUNT(*) FROM extracts") - BEFORE ))
DISTINCT=$("${PSQL[@]}" -d gateway -c "SELECT COUNT(DISTINCT id) FROM extracts")
TOTAL=$("${PSQL[@]}" -d gateway -c "SELECT COUNT(*) FROM extracts")
REQUESTED_EVENTS=$("${PSQL[@]}" -d gateway -c "SELECT COUNT(*) FROM audit_events WHERE action = 'extract.requested'")
MISSING=$(comm -23 "$WORK/all-granted.txt" "$WORK/db-ids.txt" | wc -l)
UNKNOWN=$(comm -13 "$WORK/all-granted.txt" "$WORK/db-ids.txt" | wc -l)
STATUSES=$("${PSQL[@]}" -d gateway -c "SELECT status || '=' || COUNT(*) FROM extracts GROUP BY status ORDER BY status" | tr '\n' ' ')

{
  cat "$WORK/client.txt"
  echo "database                 $ROWS new extract rows for $GRANTED granted; $DISTINCT distinct ids of $TOTAL rows; $REQUESTED_EVENTS extract.requested events"
  echo "                         granted but not stored: $MISSING; stored but never granted: $UNKNOWN; statuses: $STATUSES"
  echo "load average             before $LOAD_BEFORE, after $LOAD_AFTER (samples every 5 s in loadavg.log)"
  echo "CPU seconds              gateway $CPU_GW, PostgreSQL $CPU_PG (during the measured run; the client shares the machine)"
  echo "machine                  $(nproc) cores, $(uname -r); $("$PG_BIN/postgres" --version); producers ${PRODUCERS:-4 (default)}; poll ${POLL_MS} ms"
} | tee "$WORK/results.txt" | tail -n 5

[ "$CLIENT_EXIT" -eq 0 ] || die "the load client reported errors (see $WORK/client.txt)"
[ "$ROWS" -eq "$GRANTED" ] && [ "$DISTINCT" -eq "$TOTAL" ] && [ "$MISSING" -eq 0 ] && [ "$UNKNOWN" -eq 0 ] && [ "$REQUESTED_EVENTS" -eq "$TOTAL" ] \
  || die "lost or duplicated extracts (see $WORK/results.txt)"
log "No error, no lost or duplicated extract. Results in $WORK/results.txt"
