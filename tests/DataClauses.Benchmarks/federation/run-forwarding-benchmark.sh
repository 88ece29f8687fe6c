#!/usr/bin/env bash
# Forwarding-overhead benchmark (issue 14, federation): the three-node federation of deploy/federated-demo.sh (the
# EPCI, CAF and France Travail nodes, each on SQLite, on loopback ports), and, in the same run, alternating round by
# round, the demo's protected query about caf-foyers-allocataires
#   * "via-peer": sent to the EPCI node with an EPCI-issued token of epci-demo-analyst; the EPCI node authenticates
#     the analyst, validates the request, signs a fresh node assertion and forwards it to the CAF node (YARP), which
#     checks the assertion, decides, protects, audits and answers;
#   * "direct": the same query sent to the CAF node with a CAF-issued token of the same analyst.
# Goals: latency via-peer / direct <= 1.5 (p50 and p99), throughput via-peer / direct >= 0.6. Throughput is measured
# under load (BENCH_CONNECTIONS in flight: the latency there is mostly queueing, connections / throughput); latency is
# measured with one connection (one request at a time: what a hop adds to one query). Each forwarded request carries
# a new assertion (the holding node accepts each assertion id once), as in production.
# Figures and how to read them: docs/BENCHMARKS.md, "Federation: forwarding overhead".
#
# Self-contained on a Debian machine: installs wrk, curl and python3 when missing (apt-get), builds the gateway in
# Release into a temporary folder, starts the three nodes with the API rate limit raised (every node: the CAF node
# also limits the forwarded requests) and stops and removes all of it on exit, even on failure. The results
# (results.txt, rounds.tsv) and logs stay in the printed temporary folder.
#
# Usage: tests/DataClauses.Benchmarks/federation/run-forwarding-benchmark.sh
# Settings (environment):
#   BENCH_ROUNDS=3              measured rounds (a throughput and a latency run on each path), alternating which path goes first
#   BENCH_DURATION=15           seconds of each throughput run (BENCH_CONNECTIONS connections)
#   BENCH_LATENCY_DURATION=8    seconds of each latency run (one connection)
#   BENCH_THREADS=2             wrk threads (1 for the latency runs)
#   BENCH_CONNECTIONS=32        wrk connections of the throughput runs (concurrent requests in flight)
#   BENCH_WARMUP=10             seconds of unmeasured wrk load on each path (JIT tiering, connection pools)
#   BENCH_KEEP=0                1: keep the nodes' data and the build in the temporary folder
#   BENCH_PIN=0                 1: one core per node, as on separate machines (taskset): the CAF node alone on core 1,
#                               the EPCI and France Travail nodes and wrk on core 0; the holder then has the same core
#                               in both paths, and the requesting node shares its core with the load generator
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-forwarding-benchmark
# The federation's startup (and bench-lib.sh) come from the demo script, sourced: it then only defines functions.
# shellcheck source=../../../deploy/federated-demo.sh
. "$ROOT/deploy/federated-demo.sh"
ROUNDS=${BENCH_ROUNDS:-3}
DURATION=${BENCH_DURATION:-15}
LATENCY_DURATION=${BENCH_LATENCY_DURATION:-8}
THREADS=${BENCH_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
WARMUP=${BENCH_WARMUP:-10}
KEEP=${BENCH_KEEP:-0}
PIN=${BENCH_PIN:-0}
CLIENT=epci-demo-analyst
LUA="$HERE/../queries/query.lua"

# --- 1. Debian packages (no PostgreSQL: the three nodes run on SQLite) ---------------------------------------------
apt=()
for tool in wrk curl python3; do command -v "$tool" >/dev/null 2>&1 || apt+=("$tool"); done
if [ ${#apt[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  log "Installing Debian packages: ${apt[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt[@]}" >/dev/null
fi
command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (see global.json)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- 2. Temporary folder, and cleanup whatever happens ------------------------------------------------------------
bench_workdir dataclauses-federation-bench
FED_WORK=$WORK
bench_cleanup_on_exit artifacts 'node-*'
log "Working in $WORK"
LOAD_START=$(loadavg)
printf '%s' "$FED_QUERY" >"$WORK/query.json"

# --- 3. Build and start the federation (the API rate limit raised on every node) ----------------------------------
fed_up "$WORK" DataClauses__Limits__ApiRequestsPerSecond=1000000 DataClauses__Limits__TokenRequestsPerMinute=600
# The same protected cells both ways (also builds the CAF node's protected cube before any load).
fed_check
WRK=(wrk)
if [ "$PIN" = 1 ]; then
  [ "$(nproc)" -ge 2 ] || die "BENCH_PIN=1 needs two cores"
  command -v taskset >/dev/null 2>&1 || die "BENCH_PIN=1 needs taskset (util-linux)"
  # Every thread of each process (-a), the ones created later inherit it.
  taskset -a -p -c 1 "${FED_PID[caf-44]}" >/dev/null
  taskset -a -p -c 0 "${FED_PID[epci-demo]}" >/dev/null
  taskset -a -p -c 0 "${FED_PID[ft-pdl]}" >/dev/null
  WRK=(taskset -c 0 wrk)
  log "Pinned: caf-44 on core 1; epci-demo, ft-pdl and wrk on core 0"
fi

# The query.answered events stored at the CAF node (each answer, forwarded or direct, is audited there).
answered() { sqlite_answered "$WORK/node-caf-44/data/dataclauses.db"; }

# One wrk run on a path ("via-peer": the EPCI node; "direct": the CAF node) with $4 connections; sets RESULT and the
# CPU seconds of the EPCI and CAF nodes meanwhile.
run_wrk() { # path seconds label connections
  local path=$1 seconds=$2 label=$3 connections=$4 threads=$THREADS node bearer e0 e1 c0 c1
  node=caf-44
  [ "$path" = direct ] || node=epci-demo
  bearer=$(fed_token "$node" "$CLIENT")   # a fresh token each run (they live 10 minutes)
  RESULT="$WORK/wrk-$label-$path-c$connections.json"
  [ "$connections" -ge "$threads" ] || threads=$connections
  e0=$(proc_cpu process "${FED_PID[epci-demo]}")
  c0=$(proc_cpu process "${FED_PID[caf-44]}")
  WRK_BODY_FILE="$WORK/query.json" WRK_TOKEN="$bearer" WRK_RESULT_FILE="$RESULT" \
    "${WRK[@]}" -t "$threads" -c "$connections" -d "${seconds}s" --timeout 10s -s "$LUA" "${FED_URL[$node]}/api/v1/queries" \
    >"${RESULT%.json}.txt" 2>&1 || { cat "${RESULT%.json}.txt" >&2; die "wrk failed"; }
  e1=$(proc_cpu process "${FED_PID[epci-demo]}")
  c1=$(proc_cpu process "${FED_PID[caf-44]}")
  CPU_EPCI=$(minus "$e0" "$e1")
  CPU_CAF=$(minus "$c0" "$c1")
  [ -s "$RESULT" ] || { cat "${RESULT%.json}.txt" >&2; die "wrk wrote no summary"; }
}

printf 'round\tpath\tconnections\trequests\tseconds\tnon2xx\tsocket_errors\tp50_us\tp90_us\tp99_us\tmax_us\tanswered\tcpu_epci\tcpu_caf\tload1\n' >"$WORK/rounds.tsv"
record() { # round path connections answered-delta
  python3 - "$RESULT" "$1" "$2" "$3" "$4" "$CPU_EPCI" "$CPU_CAF" "$(load1)" >>"$WORK/rounds.tsv" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
e, l = r["errors"], r["latency_us"]
print("\t".join(str(x) for x in [
    sys.argv[2], sys.argv[3], sys.argv[4], r["requests"], f"{r['duration_us'] / 1e6:.3f}", e["status"],
    e["connect"] + e["read"] + e["write"] + e["timeout"], l["p50"], l["p90"], l["p99"], l["max"],
    sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]]))
PY
}

# --- 4. Warm-up, then the rounds, alternating which path goes first ------------------------------------------------
log "Warm-up: ${WARMUP} s of load on each path (not measured)"
run_wrk via-peer "$WARMUP" warmup "$CONNECTIONS"
run_wrk direct "$WARMUP" warmup "$CONNECTIONS"
LOAD_MEASURE=$(loadavg)
for round in $(seq 1 "$ROUNDS"); do
  paths=(via-peer direct)
  [ $((round % 2)) -eq 1 ] || paths=(direct via-peer)
  for run in "$CONNECTIONS $DURATION" "1 $LATENCY_DURATION"; do
    read -r connections seconds <<<"$run"
    for path in "${paths[@]}"; do
      before=$(answered)
      run_wrk "$path" "$seconds" "$round" "$connections"
      sleep 1   # requests still in flight when wrk stopped finish (and are audited) now
      after=$(answered)
      record "$round" "$path" "$connections" $((after - before))
      log "round $round $path, $connections connection(s): $(rps) requests/s (load $(load1))"
    done
  done
done
LOAD_END=$(loadavg)

# --- 5. Summary ---------------------------------------------------------------------------------------------------
{
  echo "Forwarding-overhead benchmark — $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "machine: $(lscpu | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores; $(. /etc/os-release && echo "$PRETTY_NAME"); .NET SDK $(dotnet --version); $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2)"
  echo "nodes: epci-demo ${FED_URL[epci-demo]}, caf-44 ${FED_URL[caf-44]}, ft-pdl ${FED_URL[ft-pdl]} (SQLite each; all on this machine)"
  echo "query: $FED_QUERY (as $CLIENT)"
  [ "$PIN" != 1 ] || echo "pinned (BENCH_PIN=1): caf-44 alone on core 1; epci-demo, ft-pdl and wrk on core 0"
  echo "load: throughput wrk -t $THREADS -c $CONNECTIONS -d ${DURATION}s, latency wrk -t 1 -c 1 -d ${LATENCY_DURATION}s; $ROUNDS rounds alternating which path goes first; warm-up ${WARMUP} s per path"
  echo "load average (1, 5, 15 min; shared machine): start $LOAD_START | measurement start $LOAD_MEASURE | end $LOAD_END"
  echo
  python3 - "$WORK/rounds.tsv" "$CONNECTIONS" <<'PY'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t") if r["round"] != "warmup"]
connections = sys.argv[2]
med = statistics.median
rps = lambda r: int(r["requests"]) / float(r["seconds"])
ms = lambda us: f"{int(us) / 1000:.1f}"
def pairs(c):
    for rnd in dict.fromkeys(r["round"] for r in rows):
        pick = lambda path: next(r for r in rows if r["round"] == rnd and r["path"] == path and r["connections"] == c)
        yield rnd, pick("via-peer"), pick("direct")
def table(c, title):
    print(f"{title} ({c} connection{'s' if c != '1' else ''}):")
    print()
    print("| round | via-peer req/s | p50 / p99 ms | direct req/s | p50 / p99 ms | throughput via/direct | p50 via/direct | p99 via/direct | load (1 min) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    thr, p50, p99, vr, dr = [], [], [], [], []
    for rnd, v, d in pairs(c):
        thr.append(rps(v) / rps(d)); p50.append(int(v["p50_us"]) / int(d["p50_us"])); p99.append(int(v["p99_us"]) / int(d["p99_us"]))
        vr.append(rps(v)); dr.append(rps(d))
        print(f"| {rnd} | {rps(v):,.0f} | {ms(v['p50_us'])} / {ms(v['p99_us'])} | {rps(d):,.0f} | {ms(d['p50_us'])} / {ms(d['p99_us'])} "
              f"| {thr[-1]:.2f} | {p50[-1]:.2f} | {p99[-1]:.2f} | {v['load1']} / {d['load1']} |")
    print(f"| **median** | **{med(vr):,.0f}** | | **{med(dr):,.0f}** | | **{med(thr):.2f}** | **{med(p50):.2f}** | **{med(p99):.2f}** | |")
    print()
    return med(thr), med(p50), med(p99)
thr, _, _ = table(connections, "Throughput")
_, p50, p99 = table("1", "Latency")
print(f"throughput via-peer / direct ({connections} connections, median of the per-round ratios): {thr:.2f}; goal >= 0.6: {'MET' if thr >= 0.6 else 'NOT MET'}")
print(f"latency via-peer / direct (1 connection, median of the per-round ratios): p50 {p50:.2f}, p99 {p99:.2f}; goal <= 1.5: {'MET' if max(p50, p99) <= 1.5 else 'NOT MET'}")
print()
print(f"CPU milliseconds per request ({connections} connections, median of the rounds), EPCI node + CAF node:")
for path in ("via-peer", "direct"):
    rs = [r for r in rows if r["path"] == path and r["connections"] == connections]
    e = med([float(r["cpu_epci"]) * 1000 / int(r["requests"]) for r in rs])
    c = med([float(r["cpu_caf"]) * 1000 / int(r["requests"]) for r in rs])
    print(f"  {path}: {e:.3f} + {c:.3f} = {e + c:.3f}")
print()
ok = True
print("Audit check (query.answered events stored at the CAF node during each run):")
for r in rows:
    answered, served, errors = int(r["answered"]), int(r["requests"]) - int(r["non2xx"]), int(r["non2xx"]) + int(r["socket_errors"])
    slack = answered - served   # wrk stops with up to one request in flight per connection
    ok &= 0 <= slack <= int(r["connections"]) and errors == 0
    print(f"  {r['round']} {r['path']} c{r['connections']}: {served:,} answers received (non-2xx {r['non2xx']}, socket errors {r['socket_errors']}), "
          f"{answered:,} stored (+{slack} in flight when wrk stopped)")
print("every answer received was audited at the CAF node, no errors: " + ("YES" if ok else "NO"))
PY
} | tee "$WORK/results.txt"
log "Results: $WORK/results.txt (rounds: $WORK/rounds.tsv)"
