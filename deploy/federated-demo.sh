#!/usr/bin/env bash
# The federated demo in one command (issue 14, docs/federation.md "The three-node demo"): three gateway processes on
# loopback ports, one per signatory — the EPCI (epci-demo), the CAF (caf-44) and France Travail (ft-pdl) — each
# with its own SQLite database holding only its own organisation's synthetic datasets, all loading the demo contract
# rewritten so that its trust list names the three (by their JWKS addresses). A protected query sent to the EPCI
# node about a CAF dataset is forwarded to the CAF node, which decides, protects and audits it.
#
# Builds the gateway once in Release into the work folder (never the source tree's bin/ and obj/), starts the three
# nodes, waits until each answers /readyz, prints their addresses, the datasets each holds, a curl example of a
# forwarded query and the demo accounts, then runs until Ctrl-C; the nodes are stopped on exit, whatever happens.
#
# Usage: deploy/federated-demo.sh           run the demo until Ctrl-C
#        deploy/federated-demo.sh --check   start, send one query through the EPCI node and the same query directly
#                                           to the CAF node, compare the protected cells, print OK (or exit 1), stop
# Settings (environment):
#   DEMO_PORTS="5101 5102 5103"   ports of the EPCI, CAF and France Travail nodes (default: three free ports)
#   DEMO_WORK=/some/folder        work folder (build, contract, databases, logs); default: a new /tmp/dataclauses-federation.XXXXXX
#   DEMO_GATEWAY_DLL=path         an already built DataClauses.Gateway.dll (skips the build)
#   DEMO_KEEP=0                   1: keep the work folder on exit (by default only the logs stay, on failure)
#
# Sourced (tests/DataClauses.Benchmarks/federation/run-forwarding-benchmark.sh does), it only defines the fed_*
# functions below; the caller sets CLEANUPS (bench_workdir) and runs run_cleanups on exit.
set -euo pipefail

FED_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_NAME=${BENCH_NAME:-federated-demo}
# shellcheck source=../tests/DataClauses.Benchmarks/bench-lib.sh
. "$FED_ROOT/tests/DataClauses.Benchmarks/bench-lib.sh"

FED_CONTRACT=cdv-demo-2024-2030
FED_NODES=(epci-demo caf-44 ft-pdl)
declare -A FED_URL=() FED_PID=()

# Builds the gateway in Release into $1/artifacts (or takes DEMO_GATEWAY_DLL); sets GATEWAY_DLL and GATEWAY_DIR.
fed_build() {
  local work=$1
  if [ -n "${DEMO_GATEWAY_DLL:-}" ]; then
    [ -f "$DEMO_GATEWAY_DLL" ] || die "DEMO_GATEWAY_DLL=$DEMO_GATEWAY_DLL does not exist"
    GATEWAY_DLL=$(cd "$(dirname "$DEMO_GATEWAY_DLL")" && pwd)/$(basename "$DEMO_GATEWAY_DLL")
    GATEWAY_DIR=$(dirname "$GATEWAY_DLL")
    return 0
  fi
  log "Building the gateway (Release) into $work/artifacts"
  bench_build_gateway "$FED_ROOT" "$work/artifacts" "$work/build.log"
}

# Chooses the three nodes' addresses (DEMO_PORTS, or three distinct free loopback ports); sets FED_URL.
fed_ports() {
  local ports=() node i
  if [ -n "${DEMO_PORTS:-}" ]; then
    read -r -a ports <<<"$DEMO_PORTS"
    [ ${#ports[@]} -eq 3 ] || die "DEMO_PORTS must name three ports (EPCI, CAF, France Travail), not '$DEMO_PORTS'"
  else
    while [ ${#ports[@]} -lt 3 ]; do
      i=$(free_port)
      [[ " ${ports[*]} " == *" $i "* ]] || ports+=("$i")
    done
  fi
  for i in 0 1 2; do
    node=${FED_NODES[$i]}
    FED_URL[$node]="http://127.0.0.1:${ports[$i]}"
  done
}

# Writes $1/policies/<contract>.yaml: the demo contract whose trust list names the three loopback nodes (the EPCI's
# and CAF's example hosts replaced, a node entry added to France Travail after its dpo line). Every node loads this
# one file, byte for byte (the nodes compare its SHA-256).
fed_contract() {
  local work=$1
  mkdir -p "$work/policies"
  python3 - "$FED_ROOT/policies/$FED_CONTRACT.yaml" "$work/policies/$FED_CONTRACT.yaml" \
    "${FED_URL[epci-demo]}" "${FED_URL[caf-44]}" "${FED_URL[ft-pdl]}" <<'PY'
import sys
source, target, epci, caf, ft = sys.argv[1:]
text = open(source, encoding="utf-8").read()
def node(url):
    return f"    node:\n      url: {url}\n      jwks: {url}/.well-known/jwks.json\n"
def replace(old, new, what):
    global text
    if text.count(old) != 1:
        sys.exit(f"federated-demo: the demo contract no longer has {what} (looked for {old!r})")
    text = text.replace(old, new)
replace(node("https://data.metropole-demo.example"), node(epci), "the EPCI's node entry")
replace(node("https://data.caf44-demo.example"), node(caf), "the CAF's node entry")
replace("    dpo: dpo@ft-pdl-demo.example\n", "    dpo: dpo@ft-pdl-demo.example\n" + node(ft), "France Travail's dpo line")
open(target, "w", encoding="utf-8").write(text)
PY
}

# Starts the three nodes on $1/node-<id> (SQLite) and waits until each is ready; more environment settings for every
# node may follow ("Name=value"). Registers their stop in CLEANUPS; sets FED_PID.
fed_start() {
  local work=$1 node
  shift
  for node in "${FED_NODES[@]}"; do
    mkdir -p "$work/node-$node"
    (
      cd "$work/node-$node"
      exec env -u OTEL_EXPORTER_OTLP_ENDPOINT \
        ASPNETCORE_ENVIRONMENT=Production \
        DataClauses__NodeId="$node" \
        DataClauses__PoliciesPath="$work/policies" \
        DataClauses__Federation__Enabled=true \
        DataClauses__Storage__Provider=Sqlite \
        DataClauses__Storage__DataDirectory="$work/node-$node/data" \
        DataClauses__SeedDemo=true \
        DataClauses__SeedDemoDatasets=true \
        Logging__LogLevel__Default=Warning \
        "$@" \
        dotnet "$GATEWAY_DLL" --urls "${FED_URL[$node]}"
    ) >"$work/$node.log" 2>&1 &
    FED_PID[$node]=$!
    CLEANUPS+=("kill ${FED_PID[$node]}; wait ${FED_PID[$node]}")
  done
  for node in "${FED_NODES[@]}"; do
    URL=${FED_URL[$node]}
    bench_wait_ready "${FED_PID[$node]}" "$work/$node.log" 240
    log "$node node ready at ${FED_URL[$node]} (pid ${FED_PID[$node]})"
  done
}

# Builds, writes the contract and starts the federation in the work folder $1 (more node settings may follow).
fed_up() {
  local work=$1
  shift
  fed_build "$work"
  fed_ports
  fed_contract "$work"
  fed_start "$work" "$@"
}

# An access token of the demo client $2 issued by the node $1.
fed_token() { curl -sSf -u "$2:demo-secret-$2" -d grant_type=client_credentials "${FED_URL[$1]}/connect/token" | json access_token; }

# The datasets stored at node $1 (id, version, rows), one a line, read from its own SQLite database; the seeding may
# finish shortly after /readyz, so this waits up to 30 s for at least one.
fed_holdings() {
  python3 - "$FED_WORK/node-$1/data/dataclauses.db" <<'PY'
import sqlite3, sys, time
for _ in range(60):
    try:
        db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=30)
        rows = db.execute("SELECT dataset_id, version, row_count FROM dataset_versions ORDER BY dataset_id, version").fetchall()
    except sqlite3.Error:
        rows = []
    if rows:
        break
    time.sleep(0.5)
for dataset, version, count in rows:
    print(f"{dataset} (version {version}, {count} rows)")
PY
}

FED_QUERY='{"dataset":"caf-foyers-allocataires","purpose":"observation","dimensions":["qpv","type_menage"],"measures":["foyers"]}'

# POSTs the demo query to node $1 with the bearer token $2; the answer goes to the file $3; dies unless 200.
fed_query() {
  local status
  status=$(curl -sS -o "$3" -w '%{http_code}' -H "Authorization: Bearer $2" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' --data-binary "$FED_QUERY" "${FED_URL[$1]}/api/v1/queries")
  [ "$status" = 200 ] || { cat "$3" >&2; echo >&2; die "the query sent to $1 answered $status"; }
}

# The --check: the same query through the EPCI node (forwarded to the CAF node) and directly at the CAF node (the same
# analyst's token, issued by the CAF node); the protected cells must be the same.
fed_check() {
  log "Query about caf-foyers-allocataires sent to the EPCI node (forwarded to the CAF node)"
  fed_query epci-demo "$(fed_token epci-demo epci-demo-analyst)" "$FED_WORK/via-epci.json"
  log "The same query sent directly to the CAF node"
  fed_query caf-44 "$(fed_token caf-44 epci-demo-analyst)" "$FED_WORK/direct-caf.json"
  python3 - "$FED_WORK/via-epci.json" "$FED_WORK/direct-caf.json" <<'PY'
import json, sys
via, direct = (json.load(open(p)) for p in sys.argv[1:])
if "cells" not in via or "cells" not in direct:
    sys.exit("federated-demo: an answer has no cells")
if via["cells"] != direct["cells"]:
    sys.exit(f"federated-demo: FAILED, the forwarded answer's cells differ from the CAF node's ({len(via['cells'])} vs {len(direct['cells'])} cells)")
if not via["cells"]:
    sys.exit("federated-demo: FAILED, the answer has no cells")
print(f"OK: the query sent to the EPCI node was answered by the CAF node with the same {len(via['cells'])} protected cells as the direct query")
PY
}

fed_print() {
  local node
  echo
  echo "DataClauses federated demo — contract $FED_CONTRACT, work folder $FED_WORK"
  echo
  for node in "${FED_NODES[@]}"; do
    echo "  $node node: ${FED_URL[$node]}   (JWKS ${FED_URL[$node]}/.well-known/jwks.json, log $FED_WORK/$node.log)"
    fed_holdings "$node" | sed 's/^/      holds /'
  done
  cat <<EOF

A query about the CAF's dataset, sent to the EPCI node (which forwards it to the CAF node):

  TOKEN=\$(curl -s -u epci-demo-analyst:demo-secret-epci-demo-analyst -d grant_type=client_credentials \\
    ${FED_URL[epci-demo]}/connect/token | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
    -d '$FED_QUERY' \\
    ${FED_URL[epci-demo]}/api/v1/queries

Demo accounts (seeded on every node): client id <organisation>-<role>, secret demo-secret-<organisation>-<role>
  epci-demo: analyst dpo admin | etat-prefecture: analyst dpo | caf-44: publisher steward dpo admin
  ft-pdl: publisher steward dpo | bailleur-atlantique: publisher steward steward2 dpo
  (people in the portal: <role>@<organisation>, password Demo-<organisation>-<role>!)

Press Ctrl-C to stop the three nodes.
EOF
}

fed_main() {
  local check=0
  case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; return 0 ;;
    *) die "unknown argument '$1' (--check or nothing)" ;;
  esac
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is required (see global.json)"
  command -v curl >/dev/null 2>&1 || die "curl is required"
  command -v python3 >/dev/null 2>&1 || die "python3 is required"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  if [ -n "${DEMO_WORK:-}" ]; then
    mkdir -p "$DEMO_WORK"
    FED_WORK=$(cd "$DEMO_WORK" && pwd)
  else
    FED_WORK=$(mktemp -d /tmp/dataclauses-federation.XXXXXX)
  fi
  CLEANUPS=()
  trap 'fed_exit' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  fed_up "$FED_WORK"
  if [ "$check" = 1 ]; then
    fed_check
    return 0
  fi
  fed_print
  # Waiting on a background sleep (not a foreground one) lets the INT and TERM traps run at once.
  sleep infinity &
  CLEANUPS+=("kill $!")
  wait $!
}

fed_exit() {
  local status=$?
  set +e
  log "Stopping the three nodes"
  run_cleanups
  if [ $status -ne 0 ] && [ $status -ne 130 ] && [ $status -ne 143 ]; then
    echo "federated-demo: failed (exit $status); logs in $FED_WORK" >&2
  elif [ "${DEMO_KEEP:-0}" != 1 ] && [ -z "${DEMO_WORK:-}" ]; then
    rm -rf "$FED_WORK"
  fi
  exit $status
}

FED_WORK=""
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  fed_main "$@"
fi
