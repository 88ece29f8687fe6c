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
# (later issues add: PostgreSQL server, Chromium, GLPK)
need_command git git

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

# --- 4. Build once, then run every test project -----------------------------------------------------
log "Building"
dotnet build DataClauses.sln -c Release -nologo -v quiet "-p:TreatWarningsAsErrors=true"

log "Running tests"
dotnet test DataClauses.sln -c Release --no-build -nologo \
  --logger "console;verbosity=minimal" --results-directory "$WORK/results" "$@"
