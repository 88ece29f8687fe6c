# Shared by the load benchmarks (import/, queries/, audit/, extracts/): sourced, never run. Each script sets
# BENCH_NAME (its name in messages) before sourcing, then calls bench_prerequisites and bench_workdir.
# shellcheck shell=bash

log() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }
die() { printf '%s: %s\n' "${BENCH_NAME:-benchmark}" "$*" >&2; exit 1; }
load1() { cut -d' ' -f1 /proc/loadavg; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
pg_bin() { find /usr/lib/postgresql -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# Runs a command as the owner of the throwaway PostgreSQL clusters (initdb refuses root).
as_postgres() { "$@"; }
[ "$(id -u)" -ne 0 ] || as_postgres() { runuser -u postgres -- "$@"; }

# Installs PostgreSQL, psql, curl and python3 (and the Debian packages given) when missing; sets PG_BIN; checks
# the .NET SDK.
bench_prerequisites() {
  local sudo="" apt=() package
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || apt+=(postgresql)
  command -v psql >/dev/null 2>&1 || apt+=(postgresql-client)
  command -v curl >/dev/null 2>&1 || apt+=(curl)
  command -v python3 >/dev/null 2>&1 || apt+=(python3)
  for package in "$@"; do
    command -v "$package" >/dev/null 2>&1 || apt+=("$package")
  done
  if [ ${#apt[@]} -gt 0 ]; then
    log "Installing Debian packages: ${apt[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt[@]}" >/dev/null
  fi
  PG_BIN=$(pg_bin)
  [ -x "$PG_BIN/initdb" ] || die "initdb not found under /usr/lib/postgresql/*/bin"
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (see global.json)"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

# Creates WORK (/tmp/PREFIX.XXXXXX) and the CLEANUPS stack; run_cleanups undoes it, last registered first.
bench_workdir() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  CLEANUPS=()
}
run_cleanups() {
  local i
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do eval "${CLEANUPS[$i]}" >/dev/null 2>&1; done
}

# On exit, whatever happens: run the cleanups, remove the paths under $WORK named as arguments (globs; kept when
# BENCH_KEEP=1) and say where the logs are when the script failed; Ctrl-C and SIGTERM exit through it too.
bench_cleanup_on_exit() {
  BENCH_REMOVE=("$@")
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
bench_cleanup() {
  local status=$? path
  set +e
  run_cleanups
  if [ "${BENCH_KEEP:-0}" != 1 ]; then
    for path in "${BENCH_REMOVE[@]}"; do rm -rf "$WORK"/$path 2>/dev/null; done
  fi
  [ $status -eq 0 ] || echo "${BENCH_NAME:-benchmark}: failed (exit $status); logs in $WORK" >&2
  exit $status
}

# A field of the JSON document on stdin, by a dotted path.
json() { python3 -c 'import json, sys; d = json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k]
print(d)' "$1"; }

# $2 - $1, two decimals (CPU seconds between two snapshots).
minus() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }

# Requests per second of the wrk summary file RESULT (written by queries/query.lua's done()).
rps() { python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(round(r["requests"] / (r["duration_us"] / 1e6)))' "$RESULT"; }

# The query.answered events in the audit log of the gateway's SQLite database $1 (read-only).
sqlite_answered() {
  python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=60)
print(db.execute("SELECT count(*) FROM audit_events WHERE action = 'query.answered'").fetchone()[0])
PY
}

# CPU seconds (user + system) used so far: "process PID" by one process; "cluster POSTMASTER_PID" by a PostgreSQL
# cluster (the postmaster, its live children, and the children that exited: the postmaster's cutime/cstime).
proc_cpu() {
  python3 - "$@" <<'PY'
import os, sys
def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    return s[s.rindex(")") + 2:].split()  # from field 3 (state): ppid is [1], utime [11], stime [12], cutime [13], cstime [14]
mode, pid = sys.argv[1], sys.argv[2]
f = stat(pid)
ticks = int(f[11]) + int(f[12])
if mode == "cluster":
    ticks += int(f[13]) + int(f[14])
    for child in filter(str.isdigit, os.listdir("/proc")):
        try:
            g = stat(child)
        except OSError:
            continue
        if g[1] == pid:
            ticks += int(g[11]) + int(g[12])
print(f"{ticks / os.sysconf('SC_CLK_TCK'):.2f}")
PY
}

# The client's CPU seconds between two "times" snapshots of this shell (its waited children: curl, psql or wrk).
client_cpu() {
  python3 - "$1" "$2" <<'PY'
import re, sys
def children(path):
    line = open(path).read().splitlines()[1]
    return sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", line))
print(f"{children(sys.argv[2]) - children(sys.argv[1]):.2f}")
PY
}

# Starts a throwaway PostgreSQL cluster on a free loopback port, always with fsync=on; run_cleanups stops and removes
# it. $1: more server settings ("-c name=value …"). Sets PGDIR, PGPORT, PSQL (psql on it, as an array) and POSTMASTER
# (its pid, for the CPU accounting).
bench_start_postgres() {
  local settings=${1:-} port
  PGDIR=$(mktemp -d /tmp/dataclauses-bench-pg.XXXXXX)   # short: the socket path must stay under 107 bytes
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$PGDIR"
  chmod 700 "$PGDIR"
  CLEANUPS+=("as_postgres '$PG_BIN/pg_ctl' -D '$PGDIR' -m fast -w stop; rm -rf '$PGDIR'")
  log "Starting PostgreSQL ($("$PG_BIN/postgres" --version), cluster in $PGDIR; fsync=on $settings)"
  as_postgres "$PG_BIN/initdb" -D "$PGDIR" -A trust -U dataclauses -E UTF8 --no-locale --no-sync >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  PGPORT=""
  for _ in 1 2 3 4 5; do
    port=$(free_port)
    if as_postgres "$PG_BIN/pg_ctl" -D "$PGDIR" -l "$PGDIR/server.log" \
        -o "-p $port -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=on $settings" -w -t 60 start >/dev/null; then
      PGPORT=$port
      break
    fi
  done
  [ -n "$PGPORT" ] || { cat "$PGDIR/server.log" >&2 || true; die "PostgreSQL did not start"; }
  PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGPORT" -U dataclauses)
  POSTMASTER=$(as_postgres head -n 1 "$PGDIR/postmaster.pid")
}

# Builds the gateway of the source tree $1 in Release into the artifacts folder $2 (never the tree's own bin/ and obj/),
# the build's output in $3; sets GATEWAY_DLL and GATEWAY_DIR.
bench_build_gateway() {
  local source=$1 artifacts=$2 logfile=$3
  dotnet build "$source/src/DataClauses.Gateway/DataClauses.Gateway.csproj" -c Release -nologo -v quiet \
    --artifacts-path "$artifacts" >"$logfile" 2>&1 || { cat "$logfile" >&2; die "build of $source failed"; }
  GATEWAY_DLL=$(find "$artifacts/bin/DataClauses.Gateway" -name DataClauses.Gateway.dll -path '*release*' | head -n 1)
  [ -f "$GATEWAY_DLL" ] || die "DataClauses.Gateway.dll not found under $artifacts"
  GATEWAY_DIR=$(dirname "$GATEWAY_DLL")
}

# Waits until the gateway at URL answers /readyz (up to $3 seconds, default 180); dies with its log ($2) if it exits
# or does not become ready.
bench_wait_ready() {
  local pid=$1 logfile=$2 seconds=${3:-180} _
  for _ in $(seq 1 $((seconds * 2))); do
    curl -sf "$URL/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$logfile" >&2; die "the gateway exited"; }
    sleep 0.5
  done
  cat "$logfile" >&2
  die "the gateway did not become ready at $URL"
}

# Starts the built gateway (bench_build_gateway) on a free loopback port with the demo data, on SQLite under $1/data
# unless the extra environment settings given after $1 (NAME=value, applied last) say otherwise; sets URL and
# GATEWAY_PID, stops it on exit, and waits until it is ready (its log: $1.log).
bench_start_gateway() {
  local dir=$1 port
  shift
  port=$(free_port)
  URL="http://127.0.0.1:$port"
  mkdir -p "$dir"
  (
    cd "$dir"
    exec env -u OTEL_EXPORTER_OTLP_ENDPOINT \
      ASPNETCORE_ENVIRONMENT=Production \
      DataClauses__PoliciesPath="$GATEWAY_DIR/policies" \
      DataClauses__Storage__Provider=Sqlite \
      DataClauses__Storage__DataDirectory="$dir/data" \
      DataClauses__SeedDemo=true \
      DataClauses__SeedDemoDatasets=true \
      DataClauses__Identity__Issuer="$URL" \
      Logging__LogLevel__Default=Warning \
      "$@" \
      dotnet "$GATEWAY_DLL" --urls "$URL"
  ) >"$dir.log" 2>&1 &
  GATEWAY_PID=$!
  CLEANUPS+=("kill $GATEWAY_PID; wait $GATEWAY_PID")
  log "Starting the gateway on $URL (demo data)"
  bench_wait_ready "$GATEWAY_PID" "$dir.log" 240
}

# An access token of the demo client CLIENT (secret SECRET) from the gateway at URL.
token() { curl -sSf -u "$CLIENT:$SECRET" -d grant_type=client_credentials "$URL/connect/token" | json access_token; }
