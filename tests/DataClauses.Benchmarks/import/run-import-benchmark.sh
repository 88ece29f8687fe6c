#!/usr/bin/env bash
# Dataset import benchmark (issue "The gateway service"): a generated 1,000,000-row CSV of the demo dataset
# caf-foyers-allocataires is published through the API (PUT /api/v1/datasets/{id}/versions/{v}) into PostgreSQL, and,
# in the same run, loaded with psql's \copy into an equivalent table of the same server; the two alternate round by
# round so that they share the machine's noise. Then the same file through the API on SQLite. Goal: API >= 0.7x the
# \copy rate. Figures and how to read them: docs/BENCHMARKS.md, "Dataset import".
#
# Self-contained on a fresh Debian machine: installs PostgreSQL, curl and python3 when missing (apt-get), builds the
# gateway in Release into a temporary folder (never the source tree's bin/ and obj/), starts a throwaway PostgreSQL
# cluster on a free loopback port and the gateway on free ports, and stops and removes all of it on exit, even on
# failure. The results (results.txt, rounds.tsv) and logs stay in the printed temporary folder.
#
# Usage: tests/DataClauses.Benchmarks/import/run-import-benchmark.sh
# Settings (environment):
#   BENCH_ROWS=1000000        rows of the generated file
#   BENCH_ROUNDS=5            PostgreSQL rounds (API and \copy each), alternating which goes first
#   BENCH_SQLITE_ROUNDS=3     SQLite rounds (API)
#   BENCH_WARMUP=3            unmeasured uploads of the whole file to each fresh gateway first (its JIT compiler's
#                             tier-1 backlog otherwise takes a core during the first imports)
#   BENCH_WAIT_LOAD=3         before measuring, wait while the 1-minute load average is above this...
#   BENCH_WAIT_MAX=900        ...for at most this many seconds (0: do not wait); the load is reported either way
#   BENCH_KEEP=0              1: keep the CSV files, the gateways' data and the build in the temporary folder
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-import-benchmark
# shellcheck source=../bench-lib.sh
. "$HERE/../bench-lib.sh"
ROWS=${BENCH_ROWS:-1000000}
ROUNDS=${BENCH_ROUNDS:-5}
SQLITE_ROUNDS=${BENCH_SQLITE_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-3}
WAIT_LOAD=${BENCH_WAIT_LOAD:-3}
WAIT_MAX=${BENCH_WAIT_MAX:-900}
KEEP=${BENCH_KEEP:-0}
DATASET=caf-foyers-allocataires
CLIENT=caf-44-publisher
SECRET=demo-secret-caf-44-publisher

# --- 1. Debian packages -----------------------------------------------------------------------------------------
bench_prerequisites

# --- 2. Temporary folder, and cleanup whatever happens ------------------------------------------------------------
bench_workdir dataclauses-import-bench
cleanup() {
  local status=$?
  set +e
  run_cleanups
  if [ "$KEEP" != 1 ]; then
    rm -rf "$WORK/artifacts" "$WORK"/*.csv "$WORK"/gateway-* 2>/dev/null
  fi
  [ $status -eq 0 ] || echo "run-import-benchmark: failed (exit $status); logs in $WORK" >&2
  exit $status
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
log "Working in $WORK"
LOAD_START=$(loadavg)

# --- 3. Build the gateway (Release, own artifacts folder) -----------------------------------------------------------
log "Building the gateway (Release)"
bench_build_gateway "$ROOT" "$WORK/artifacts" "$WORK/build.log"

# --- 4. Throwaway PostgreSQL cluster ----------------------------------------------------------------------------------
bench_start_postgres
"${PSQL[@]}" -d postgres -c "CREATE DATABASE gateway" -c "CREATE DATABASE copybench"

# --- 5. The file ------------------------------------------------------------------------------------------------------
log "Generating $ROWS rows"
CSV="$WORK/foyers-comma.csv"        # what the API gets: ';' separator, decimal comma (as SyntheticData.cs)
CSV_POINT="$WORK/foyers-point.csv"  # the same rows with a decimal point, for \copy
python3 "$HERE/generate-caf-csv.py" "$ROOT/policies/cdv-demo-2024-2030.yaml" "$ROWS" "$CSV" "$CSV_POINT" >&2
WARMUP_ROWS=$((ROWS < 100000 ? ROWS : 100000))   # the first rows, for the first (unmeasured) upload
head -n $((WARMUP_ROWS + 1)) "$CSV" >"$WORK/warmup-comma.csv"
BYTES=$(stat -c %s "$CSV")
CSV_SHA=$(sha256sum "$CSV" | cut -d' ' -f1)

# --- 6. Gateway -------------------------------------------------------------------------------------------------------
GATEWAY_PID=""
URL=""
start_gateway() { # name provider [connection-string]
  local name=$1 provider=$2 port connection=()
  [ -z "${3:-}" ] || connection=("DataClauses__Storage__ConnectionString=$3")
  port=$(free_port)
  URL="http://127.0.0.1:$port"
  mkdir -p "$WORK/gateway-$name"
  (
    cd "$WORK/gateway-$name"
    exec env -u OTEL_EXPORTER_OTLP_ENDPOINT \
      ASPNETCORE_ENVIRONMENT=Production \
      DataClauses__PoliciesPath="$GATEWAY_DIR/policies" \
      DataClauses__Storage__Provider="$provider" \
      "${connection[@]}" \
      DataClauses__Storage__DataDirectory="$WORK/gateway-$name/data" \
      DataClauses__SeedDemo=true \
      DataClauses__SeedDemoDatasets=false \
      DataClauses__Identity__Issuer="$URL" \
      Logging__LogLevel__Default=Warning \
      dotnet "$GATEWAY_DLL" --urls "$URL"
  ) >"$WORK/$name-gateway.log" 2>&1 &
  GATEWAY_PID=$!
  CLEANUPS+=("kill $GATEWAY_PID; wait $GATEWAY_PID")
  bench_wait_ready "$GATEWAY_PID" "$WORK/$name-gateway.log" 120
}
stop_gateway() {
  kill "$GATEWAY_PID" 2>/dev/null || true
  wait "$GATEWAY_PID" 2>/dev/null || true
}


declare_schema() {
  local status bearer
  bearer=$(token)
  status=$(curl -sS -o "$WORK/declare.json" -w '%{http_code}' -X PUT -H "Authorization: Bearer $bearer" \
    -H 'Content-Type: application/json' --data-binary @- "$URL/api/v1/datasets/$DATASET" <<'JSON'
{ "title": "Foyers allocataires (benchmark, données synthétiques)",
  "fields": [
    { "name": "id_foyer", "type": "string", "role": "unit-id" },
    { "name": "qpv", "type": "string", "role": "geo", "geo": "qpv" },
    { "name": "commune", "type": "string", "role": "geo", "geo": "commune" },
    { "name": "type_menage", "type": "string", "role": "dimension" },
    { "name": "prestation", "type": "string", "role": "dimension" },
    { "name": "montant_mensuel", "type": "number", "role": "measure", "constraints": { "minimum": 0 } } ] }
JSON
  )
  [ "$status" = 201 ] || [ "$status" = 200 ] || { cat "$WORK/declare.json" >&2; die "schema declaration answered $status"; }
}

# Publishes a version; sets SECONDS_TAKEN (curl's time_total: request start to the 201 fully received), SERVER_MS
# (the import's own durationMs in the answer) and the CPU seconds used meanwhile by curl, the gateway and PostgreSQL.
SECONDS_TAKEN=""
SERVER_MS=""
CPU_CLIENT=""
CPU_GATEWAY=""
CPU_POSTGRES=""
api_upload() { # version file rows
  local version=$1 file=$2 rows=$3 out result status bearer stored gw0 gw1 pg0="" pg1=""
  out="$WORK/publish-$version.json"
  bearer=$(token)
  gw0=$(proc_cpu process "$GATEWAY_PID")
  [ -z "$POSTMASTER" ] || pg0=$(proc_cpu cluster "$POSTMASTER")
  times >"$WORK/times.0"
  # 'Expect:' drops curl's "Expect: 100-continue": the body goes at once.
  result=$(curl -sS -o "$out" -w '%{http_code} %{time_total}' -X PUT -H "Authorization: Bearer $bearer" \
    -H 'Content-Type: text/csv' -H 'Expect:' --data-binary "@$file" "$URL/api/v1/datasets/$DATASET/versions/$version")
  times >"$WORK/times.1"
  gw1=$(proc_cpu process "$GATEWAY_PID")
  [ -z "$POSTMASTER" ] || pg1=$(proc_cpu cluster "$POSTMASTER")
  CPU_CLIENT=$(client_cpu "$WORK/times.0" "$WORK/times.1")
  CPU_GATEWAY=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$gw0" "$gw1")
  CPU_POSTGRES=-
  [ -z "$POSTMASTER" ] || CPU_POSTGRES=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$pg0" "$pg1")
  read -r status SECONDS_TAKEN <<<"$result"
  [ "$status" = 201 ] || { cat "$out" >&2; die "publishing $version answered $status"; }
  stored=$(json rowCount <"$out")
  [ "$stored" = "$rows" ] || die "publishing $version stored $stored rows, not $rows"
  SERVER_MS=$(json import.durationMs <"$out")
}

# \copy into a new table of the same column types as the gateway's (text, double precision, NOT NULL), created in the
# same transaction and loaded with FREEZE, as the gateway does; sets SECONDS_TAKEN (wall time, psql's start to its exit).
COPY_TABLE=0
copy_upload() { # file rows
  local file=$1 rows=$2 table start end count pg0 pg1
  COPY_TABLE=$((COPY_TABLE + 1))
  table="foyers_$COPY_TABLE"
  pg0=$(proc_cpu cluster "$POSTMASTER")
  times >"$WORK/times.0"
  start=$EPOCHREALTIME
  "${PSQL[@]}" -d copybench -1 \
    -c "CREATE TABLE $table (id_foyer text NOT NULL, qpv text NOT NULL, commune text NOT NULL, type_menage text NOT NULL, prestation text NOT NULL, montant_mensuel double precision NOT NULL)" \
    -c "\\copy $table FROM '$file' WITH (FORMAT csv, HEADER, DELIMITER ';', FREEZE)"
  end=$EPOCHREALTIME
  times >"$WORK/times.1"
  sleep 0.3   # the backend exits after psql: let the postmaster reap it (its CPU time then counts in cutime)
  pg1=$(proc_cpu cluster "$POSTMASTER")
  CPU_CLIENT=$(client_cpu "$WORK/times.0" "$WORK/times.1")
  CPU_GATEWAY=-
  CPU_POSTGRES=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$pg0" "$pg1")
  count=$("${PSQL[@]}" -d copybench -At -c "SELECT count(*) FROM $table")
  [ "$count" = "$rows" ] || die "\\copy loaded $count rows, not $rows"
  SECONDS_TAKEN=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$start" "$end")
}

wait_for_quiet() {
  local waited=0
  while [ "$WAIT_MAX" -gt 0 ] && python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$(load1)" "$WAIT_LOAD"; do
    if [ "$waited" -ge "$WAIT_MAX" ]; then
      log "Load average still $(loadavg) after ${waited} s: measuring anyway"
      return 0
    fi
    log "Load average $(loadavg) > $WAIT_LOAD: waiting for a quieter moment (${waited}/${WAIT_MAX} s)"
    sleep 60
    waited=$((waited + 60))
  done
}

rate() { python3 -c "import sys; print(round(int(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
printf 'round\tmethod\tseconds\trows_per_s\tserver_ms\tcpu_client\tcpu_gateway\tcpu_postgres\tload1\n' >"$WORK/rounds.tsv"
record() { # round method seconds server_ms
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(rate "$ROWS" "$3")" "$4" \
    "$CPU_CLIENT" "$CPU_GATEWAY" "$CPU_POSTGRES" "$(load1)" >>"$WORK/rounds.tsv"
}

warm_up() { # name method-suffix: the gateway's warm-up, not counted
  log "Warm-up of the $1 gateway: $WARMUP_ROWS rows, then the whole file $WARMUP times (not measured)"
  api_upload "warmup-$1-0" "$WORK/warmup-comma.csv" "$WARMUP_ROWS"
  for i in $(seq 1 "$WARMUP"); do
    api_upload "warmup-$1-$i" "$CSV" "$ROWS"
    record "w$i" "warmup-api-$2" "$SECONDS_TAKEN" "$SERVER_MS"
    log "warm-up $i: $SECONDS_TAKEN s"
  done
}

# --- 7. PostgreSQL: API and \copy, alternating ------------------------------------------------------------------------
log "Gateway on PostgreSQL"
start_gateway postgres PostgreSQL "Host=127.0.0.1;Port=$PGPORT;Username=dataclauses;Database=gateway"
declare_schema
warm_up PostgreSQL postgresql
copy_upload "$CSV_POINT" "$ROWS"   # and one \copy
record w1 warmup-psql-copy "$SECONDS_TAKEN" -

wait_for_quiet
LOAD_MEASURE=$(loadavg)
for round in $(seq 1 "$ROUNDS"); do
  methods=(api copy)
  [ $((round % 2)) -eq 1 ] || methods=(copy api)
  for method in "${methods[@]}"; do
    if [ "$method" = api ]; then
      api_upload "pg-$round" "$CSV" "$ROWS"
      record "$round" api-postgresql "$SECONDS_TAKEN" "$SERVER_MS"
    else
      copy_upload "$CSV_POINT" "$ROWS"
      record "$round" psql-copy "$SECONDS_TAKEN" -
    fi
    log "round $round $method: $SECONDS_TAKEN s (load $(load1))"
  done
done
stop_gateway
# Stop the server too, so that its background work (autovacuum analysing the new tables) cannot weigh on SQLite.
as_postgres "$PG_BIN/pg_ctl" -D "$PGDIR" -m fast -w stop >/dev/null
POSTMASTER=""

# --- 8. SQLite: API ---------------------------------------------------------------------------------------------------
log "Gateway on SQLite"
start_gateway sqlite Sqlite
declare_schema
warm_up SQLite sqlite
for round in $(seq 1 "$SQLITE_ROUNDS"); do
  api_upload "sqlite-$round" "$CSV" "$ROWS"
  record "$round" api-sqlite "$SECONDS_TAKEN" "$SERVER_MS"
  log "round $round api-sqlite: $SECONDS_TAKEN s (load $(load1))"
done
stop_gateway
LOAD_END=$(loadavg)

# --- 9. Summary -------------------------------------------------------------------------------------------------------
{
  echo "Dataset import benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; $(. /etc/os-release && echo "$PRETTY_NAME"); .NET SDK $(dotnet --version); $("$PG_BIN/postgres" --version)"
  echo "file: $ROWS rows, $BYTES bytes, sha256 $CSV_SHA (\\copy: the same rows with a decimal point, same length)"
  echo "load average (1, 5, 15 min; shared machine): start $LOAD_START | measurement start $LOAD_MEASURE | end $LOAD_END"
  echo
  python3 - "$WORK/rounds.tsv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
by = lambda m: [r for r in rows if r["method"] == m]
api, copy, lite = by("api-postgresql"), by("psql-copy"), by("api-sqlite")
med = statistics.median
num = lambda r, k: float(r[k]) if r[k] not in ("", "-") else None
def cpu(r):
    parts = [num(r, k) for k in ("cpu_client", "cpu_gateway", "cpu_postgres")]
    return parts, sum(p for p in parts if p is not None)
print("| round | API → PostgreSQL rows/s (s) | psql \\copy rows/s (s) | ratio API / \\copy | load (1 min) |")
print("| ---: | ---: | ---: | ---: | ---: |")
ratios = []
for a, c in zip(api, copy):
    ratio = int(a["rows_per_s"]) / int(c["rows_per_s"])
    ratios.append(ratio)
    print(f"| {a['round']} | {int(a['rows_per_s']):,} ({float(a['seconds']):.2f}) | {int(c['rows_per_s']):,} ({float(c['seconds']):.2f}) | {ratio:.2f} | {a['load1']} / {c['load1']} |")
ma, mc = med([int(r["rows_per_s"]) for r in api]), med([int(r["rows_per_s"]) for r in copy])
print(f"| **median** | **{ma:,.0f}** | **{mc:,.0f}** | **{med(ratios):.2f}** | |")
print()
print(f"API → PostgreSQL, median of {len(api)}: {ma:,.0f} rows/s")
print(f"psql \\copy, median of {len(copy)}: {mc:,.0f} rows/s")
print(f"ratio API / \\copy: median of the per-round ratios {med(ratios):.2f} (ratio of the medians {ma / mc:.2f}); goal >= 0.70: {'MET' if med(ratios) >= 0.7 else 'NOT MET'}")
if lite:
    print(f"API → SQLite, median of {len(lite)}: {med([int(r['rows_per_s']) for r in lite]):,.0f} rows/s "
          f"(rounds: {', '.join(format(int(r['rows_per_s']), ',') + ' in ' + format(float(r['seconds']), '.2f') + ' s' for r in lite)})")
print()
print("CPU seconds per import, median of the rounds (client = curl or psql; wall = elapsed; on 2 cores wall >= total / 2):")
for name, rs in (("API → PostgreSQL", api), ("psql \\copy", copy), ("API → SQLite", lite)):
    if not rs:
        continue
    cols = list(zip(*[cpu(r)[0] for r in rs]))
    show = lambda i, label: f"{label} {med(cols[i]):.2f}" if all(v is not None for v in cols[i]) else None
    items = [x for x in (show(0, "client"), show(1, "gateway"), show(2, "PostgreSQL")) if x]
    print(f"  {name}: " + " + ".join(items) + f" = {med([cpu(r)[1] for r in rs]):.2f} CPU s; wall {med([float(r['seconds']) for r in rs]):.2f} s")
print()
warm = [r for r in rows if r["method"].startswith("warmup-")]
if warm:
    print("warm-up (not counted): " + ", ".join(f"{r['method'][7:]} {r['round']}: {int(r['rows_per_s']):,} rows/s" for r in warm))
print("rows/s = rows / wall time: API from curl's time_total (request start to the 201 received), \\copy from psql's start to its exit.")
print("server-side import time (import.durationMs of each 201): " + ", ".join(f"{r['method'].split('-')[1]} {r['round']}: {float(r['server_ms']):.0f} ms" for r in api + lite))
PY
} | tee "$WORK/results.txt"
log "Results: $WORK/results.txt (rounds: $WORK/rounds.tsv)"
