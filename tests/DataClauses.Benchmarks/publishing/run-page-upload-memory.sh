#!/usr/bin/env bash
# Memory of a large upload through the publish page (issue 15, portal part 2): a generated ~200 MB CSV of the demo
# dataset caf-foyers-allocataires is sent to /publication/{dataset}?handler=Televerser exactly as the page's script
# sends it (one PUT, the file as the body, the people session cookie and the antiforgery token in a header), while the
# gateway's resident memory (RSS, /proc) is sampled every 100 ms. "At rest" is the RSS after a warm-up upload of a
# small file of the same dataset (JIT, pools and caches up), measured just before the large upload. Goal: peak during
# the upload - at rest < 300 MB. Figures: docs/BENCHMARKS.md, "Publishing through the page: memory".
#
# Self-contained on a Debian machine: installs curl and python3 when missing, builds the gateway in Release into a
# temporary folder, starts it on SQLite with the demo data on a free port, and removes everything on exit.
#
# Usage: tests/DataClauses.Benchmarks/publishing/run-page-upload-memory.sh
# Settings (environment):
#   BENCH_ROWS=3800000   rows of the generated file (about 200 MB with the demo's columns)
#   BENCH_KEEP=0         1: keep the CSV, the gateway's data and the build in the temporary folder
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-page-upload-memory
# shellcheck source=../bench-lib.sh
. "$HERE/../bench-lib.sh"
ROWS=${BENCH_ROWS:-3800000}
KEEP=${BENCH_KEEP:-0}
DATASET=caf-foyers-allocataires

bench_prerequisites
command -v npm >/dev/null 2>&1 || die "the gateway's build needs node and npm (apt-get install -y nodejs npm)"
bench_workdir dataclauses-upload-memory-bench
bench_cleanup_on_exit artifacts gateway '*.csv'
log "Working in $WORK"

log "Building the gateway (Release)"
bench_build_gateway "$ROOT" "$WORK/artifacts" "$WORK/build.log"

log "Generating $ROWS rows of $DATASET"
python3 "$HERE/../import/generate-caf-csv.py" "$GATEWAY_DIR/policies/cdv-demo-2024-2030.yaml" "$ROWS" "$WORK/large.csv" "$WORK/large-point.csv"
rm -f "$WORK/large-point.csv"
python3 "$HERE/../import/generate-caf-csv.py" "$GATEWAY_DIR/policies/cdv-demo-2024-2030.yaml" 20000 "$WORK/small.csv" "$WORK/small-point.csv"
BYTES=$(stat -c %s "$WORK/large.csv")

bench_start_gateway "$WORK/gateway" DataClauses__Limits__MaxUploadBytes=1073741824

# The people session of caf-44's publisher, and the publish page's antiforgery token (cookie + hidden field).
JAR="$WORK/cookies.txt"
page=$(curl -sSf -c "$JAR" -b "$JAR" "$URL/connexion")
field=$(printf '%s' "$page" | grep -o 'name="__RequestVerificationToken" type="hidden" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
curl -sSf -o /dev/null -c "$JAR" -b "$JAR" --data-urlencode "__RequestVerificationToken=$field" \
  --data-urlencode "identifiant=publisher@caf-44" --data-urlencode "motDePasse=Demo-caf-44-publisher!" "$URL/connexion"
page=$(curl -sSf -c "$JAR" -b "$JAR" "$URL/publication/$DATASET")
TOKEN=$(printf '%s' "$page" | grep -o 'name="__RequestVerificationToken" type="hidden" value="[^"]*"' | head -n 1 | sed 's/.*value="//; s/"$//')
[ -n "$TOKEN" ] || die "no antiforgery token on /publication/$DATASET (sign-in failed?)"

upload() { # file version -> HTTP status, body in $WORK/answer-$2.json
  curl -sS -o "$WORK/answer-$2.json" -w '%{http_code}' -b "$JAR" -X PUT -T "$1" \
    -H 'Content-Type: text/csv; charset=utf-8' -H "RequestVerificationToken: $TOKEN" -H 'Accept: application/json' \
    "$URL/publication/$DATASET?handler=Televerser&version=$2"
}
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$GATEWAY_PID/status"; }

log "Warm-up upload (20,000 rows)"
status=$(upload "$WORK/small.csv" 2026-T1)
[ "$status" = 201 ] || { cat "$WORK/answer-2026-T1.json" >&2; die "warm-up upload answered $status"; }
sleep 3
REST=$(rss_kb)

log "Uploading $(numfmt --to=iec "$BYTES") through the page, sampling the gateway's RSS every 100 ms"
: >"$WORK/rss.tsv"
( while kill -0 "$GATEWAY_PID" 2>/dev/null; do printf '%s\t%s\n' "$(date +%s.%N)" "$(rss_kb)" >>"$WORK/rss.tsv"; sleep 0.1; done ) &
SAMPLER=$!
CLEANUPS+=("kill $SAMPLER 2>/dev/null")
START=$(date +%s.%N)
status=$(upload "$WORK/large.csv" 2026-T2)
END=$(date +%s.%N)
kill "$SAMPLER" 2>/dev/null || true
[ "$status" = 201 ] || { head -c 2000 "$WORK/answer-2026-T2.json" >&2; die "the large upload answered $status"; }

python3 - "$WORK/rss.tsv" "$REST" "$BYTES" "$START" "$END" "$WORK/answer-2026-T2.json" <<'PY' | tee "$WORK/results.txt"
import json, sys
rows = [l.split("\t") for l in open(sys.argv[1]) if "\t" in l]
rest, size, start, end = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
during = [int(kb) for t, kb in rows if kb.strip() and start <= float(t) <= end]
peak = max(during)
answer = json.load(open(sys.argv[6]))
print(f"file: {size / 1e6:,.0f} MB ({size:,} bytes), uploaded through /publication/{{dataset}}?handler=Televerser in {end - start:.1f} s ({size / 1e6 / (end - start):.1f} MB/s), answer: {answer}")
print(f"gateway RSS at rest (after a warm-up upload): {rest / 1024:,.0f} MB; peak during the upload: {peak / 1024:,.0f} MB ({len(during)} samples)")
delta = (peak - rest) / 1024
print(f"peak - rest: {delta:,.0f} MB; goal < 300 MB: {'MET' if delta < 300 else 'NOT MET'}")
PY
log "Results: $WORK/results.txt (samples: $WORK/rss.tsv)"
