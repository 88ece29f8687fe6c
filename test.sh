#!/usr/bin/env bash
# Runs every DataClauses test on a fresh Debian machine: installs what the tests need when it is
# missing, starts the throwaway services they talk to, runs every test project, and stops the
# services again, even when tests fail. Usage: ./test.sh [extra dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
WORK="$ROOT/.tmp/test"
mkdir -p "$WORK"

log() { printf '\033[1m== %s\033[0m\n' "$*"; }

# --- 1. Debian packages the tests need (installed once; checked every run) -------------------------
APT_PACKAGES=()
need_command() { command -v "$1" >/dev/null 2>&1 || APT_PACKAGES+=("$2"); }
need_file() { [ -e "$1" ] || APT_PACKAGES+=("$2"); }
need_command git git
# Chromium: the portal's browser tests drive Debian's build (Playwright's own browser download fails here).
need_file /usr/bin/chromium chromium
# node and npm: the gateway's build installs the DSFR and the portal tests' build axe-core with npm ci.
need_command npm npm
need_command glpsol glpk-utils   # GLPK: the disclosure tests' independent oracle (attacker LPs, optimal suppression)
PG_BIN=/usr/lib/postgresql/15/bin
need_file "$PG_BIN/initdb" postgresql

install_packages() {
  [ ${#APT_PACKAGES[@]} -eq 0 ] && return 0
  log "Installing Debian packages: ${APT_PACKAGES[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
}
install_packages

# --- 2. .NET SDK and local tools --------------------------------------------------------------------
command -v dotnet >/dev/null 2>&1 || { echo "The .NET 10 SDK is required (see global.json)." >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ -f .config/dotnet-tools.json ]; then dotnet tool restore >/dev/null; fi

# --- 3. Services (started here, stopped on exit whatever happens) -----------------------------------
CLEANUPS=()
cleanup() {
  local status=$?
  for ((i=${#CLEANUPS[@]}-1; i>=0; i--)); do eval "${CLEANUPS[$i]}" || true; done
  exit $status
}
trap cleanup EXIT INT TERM

# PostgreSQL: a throwaway cluster on a free loopback port, for the Gateway tests' PostgreSQL variants. initdb refuses
# to run as root, so as root the cluster belongs to the postgres user (Debian's package creates it).
start_postgres() {
  local dir="$WORK/postgres"
  as_postgres() { "$@"; }
  if [ "$(id -u)" -eq 0 ]; then
    as_postgres() { runuser -u postgres -- "$@"; }
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
  # The server's socket path must stay short (107 bytes) and the postgres user must reach the folder.
  if [ ${#dir} -gt 80 ] || ! as_postgres test -w "$dir"; then
    rm -rf "$dir"
    dir=$(mktemp -d /tmp/dataclauses-pg.XXXXXX)
    [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
  fi
  chmod 700 "$dir"
  CLEANUPS+=("as_postgres '$PG_BIN/pg_ctl' -D '$dir' -m fast -w stop >/dev/null 2>&1; rm -rf '$dir'")

  log "Starting PostgreSQL (throwaway cluster in $dir)"
  as_postgres "$PG_BIN/initdb" -D "$dir" -A trust -U dataclauses -E UTF8 --no-locale --no-sync >"$WORK/postgres-initdb.log" 2>&1 \
    || { cat "$WORK/postgres-initdb.log" >&2; return 1; }
  local port
  for port in $(shuf -i 20000-60000 -n 20); do
    # A port in use makes the start fail: try the next one.
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    if as_postgres "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=on" -w -t 60 start >/dev/null; then
      export DATACLAUSES_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=dataclauses;Database=postgres"
      log "PostgreSQL listens on 127.0.0.1:$port"
      return 0
    fi
  done
  cat "$dir/server.log" >&2 || true
  echo "PostgreSQL did not start on any port tried." >&2
  return 1
}
start_postgres

# --- 4. Build once, then run every test project -----------------------------------------------------
# Locked mode: the packages restored are exactly those of the committed packages.lock.json files. A pin that the registry
# no longer serves, or an edit of Directory.Packages.props without refreshing the lock files, stops here with NU1004 /
# NU1102 / NU1603 instead of silently floating to another version (see ../shared/PACKAGES.md).
log "Restoring packages (locked mode)"
if ! dotnet restore DataClauses.sln --locked-mode -nologo -v quiet; then
  echo "Package restore failed in locked mode. If Directory.Packages.props changed on purpose, refresh the lock files" >&2
  echo "with 'dotnet restore DataClauses.sln --force-evaluate' and commit them; pin only versions the registry serves." >&2
  exit 1
fi

log "Building"
dotnet build DataClauses.sln -c Release -nologo -v quiet --no-restore "-p:TreatWarningsAsErrors=true"

log "Running tests"
# Two lanes, one per core (dotnet test alone would put all the functional tests in one lane and finish minutes after
# the other): lane 1 runs the functional tests but the process-heavy classes, then part of the disclosure tests (GLPK,
# CPU-bound);
# lane 2 runs those heavy classes, then every other project and the rest of the disclosure tests (the lanes end within
# about a minute of each other). The classes that start an issuer process run in lane 2: beside 700 tests in one process, the OIDC
# handler's discovery call once waited past its 60 s timeout. An extra --filter given to this script runs everything in one lane with it.
TESTS=(-c Release --no-build -nologo --logger "console;verbosity=minimal" --results-directory "$WORK/results")
HEAVY=(FunctionalTests.Federation. FunctionalTests.Identity.ExternalIssuerProcessTests FunctionalTests.Identity.ProviderSignInTests)
set +e
if printf '%s\n' "$@" | grep -q -- '--filter'; then
  dotnet test DataClauses.sln "${TESTS[@]}" "$@" 2>&1 | tee "$WORK/test-output.log"
  status=${PIPESTATUS[0]}
else
  heavy=$(printf 'FullyQualifiedName~%s|' "${HEAVY[@]}"); heavy=${heavy%|}
  rest=$(printf 'FullyQualifiedName!~%s&' "${HEAVY[@]}"); rest=${rest%&}
  # The disclosure tests (2 minutes of CPU since the exact step) are split between the lanes' ends.
  DISCLOSURE=tests/DataClauses.Disclosure.Tests/DataClauses.Disclosure.Tests.csproj
  DISCLOSURE_LANE2='FullyQualifiedName~.TableProtectorTests.|FullyQualifiedName~.LinearOracleTests.|FullyQualifiedName~.IntegerAttackerTests.'
  {
    dotnet test tests/DataClauses.Gateway.FunctionalTests "${TESTS[@]}" --filter "$rest" "$@"; s=$?
    dotnet test "$DISCLOSURE" "${TESTS[@]}" --filter "$(echo "$DISCLOSURE_LANE2" | sed 's/~/!~/g; s/|/\&/g')" "$@" || s=1
    exit $s
  } > "$WORK/lane1.log" 2>&1 &
  lane1=$!
  {
    dotnet test tests/DataClauses.Gateway.FunctionalTests "${TESTS[@]}" --filter "$heavy" "$@"; s=$?
    for project in tests/*/*.Tests.csproj; do
      if [ "$project" = "$DISCLOSURE" ]; then
        dotnet test "$project" "${TESTS[@]}" --filter "$DISCLOSURE_LANE2" "$@" || s=1
        continue
      fi
      dotnet test "$project" "${TESTS[@]}" "$@" || s=1
    done
    exit $s
  } 2>&1 | tee "$WORK/lane2.log"
  status=${PIPESTATUS[0]}
  wait "$lane1" || status=1
  echo "--- the functional tests' first lane:"
  cat "$WORK/lane1.log"
  cat "$WORK/lane1.log" "$WORK/lane2.log" > "$WORK/test-output.log"
fi
set -e
# One closing line over every test project, in the plain form CI reads ('N passed, N failed, N skipped').
awk '/Failed: *[0-9]+, Passed: *[0-9]+, Skipped: *[0-9]+/ {
       gsub(/[^0-9,]/, ""); split($0, n, ","); f += n[1]; p += n[2]; s += n[3] }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$WORK/test-output.log"
exit "$status"
