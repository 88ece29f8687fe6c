#!/usr/bin/env bash
# Render time of the portal's pages (issue 13: goal <= 50 ms p99 per page): the gateway in Release on SQLite with the
# demo data (contracts, accounts, synthetic datasets), and for each page BENCH_WARMUP unmeasured renders then
# BENCH_RENDERS measured ones, one after the other on one kept-alive loopback connection, timed from the request sent
# to the last byte of the page received (Razor buffers a page this size: the time is the server's render, plus well
# under a millisecond of loopback). Pages: the home page anonymous, the home page of a signed-in analyst (bearer token
# of the demo client), the French 404 page, the analyst's pages (catalogue, dataset, query form and results) and the
# extract pages: the request form, "mes extractions" and one extract (two extracts requested through the form first,
# one granted at once, one awaiting four-eyes approval) and the bailleur steward's approval queue; and the pages of
# issue 15: the contract page, the France Travail publisher's "Nos jeux de données" and publish page, the CAF DPO's
# audit explorer (plain and filtered), one audit event and the ethics-label report (which verifies the chain), and
# the public open-data page.
# Figures and how to read them: docs/BENCHMARKS.md, "Portal pages".
#
# Self-contained on a Debian machine: installs curl and python3 when missing, builds the gateway in Release into a
# temporary folder (npm ci of the DSFR when the gateway's node_modules is missing), starts it on a free loopback port
# and stops it on exit, even on failure.
#
# Usage: tests/DataClauses.Benchmarks/pages/run-pages-benchmark.sh
# Settings (environment):
#   BENCH_RENDERS=200   measured renders per page
#   BENCH_WARMUP=50     unmeasured renders per page first (JIT tiering, Razor's first compilation of the view)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BENCH_NAME=run-pages-benchmark
# shellcheck source=../bench-lib.sh
. "$HERE/../bench-lib.sh"
RENDERS=${BENCH_RENDERS:-200}
WARMUP=${BENCH_WARMUP:-50}
CLIENT=epci-demo-analyst
SECRET=demo-secret-epci-demo-analyst

bench_prerequisites
command -v npm >/dev/null 2>&1 || die "the gateway's build needs node and npm (apt-get install -y nodejs npm)"
bench_workdir dataclauses-pages-bench
bench_cleanup_on_exit artifacts gateway
log "Working in $WORK"

log "Building the gateway (Release)"
bench_build_gateway "$ROOT" "$WORK/artifacts" "$WORK/build.log"

bench_start_gateway "$WORK/gateway" DataClauses__Limits__ApiRequestsPerSecond=1000000
port=${URL##*:}
TOKEN=$(token)

log "Rendering each page $WARMUP + $RENDERS times (load average before: $(loadavg))"
python3 - "$port" "$TOKEN" "$WARMUP" "$RENDERS" <<'PY' | tee "$WORK/results.txt"
import http.client, re, statistics, sys, time, urllib.parse
port, token, warmup, renders = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def session(login, password):
    """Signs a demo person in through /connexion (antiforgery token and cookie) and returns the Cookie header."""
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/connexion", headers={"Accept": "text/html"})
    r = c.getresponse()
    html = r.read().decode()
    cookies = {k: v for k, v in (h.split(";")[0].split("=", 1) for h in r.headers.get_all("Set-Cookie") or [])}
    form = urllib.parse.urlencode({"__RequestVerificationToken": re.search(r'name="__RequestVerificationToken" type="hidden" value="([^"]+)"', html).group(1),
                                   "identifiant": login, "motDePasse": password})
    c.request("POST", "/connexion", body=form, headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
    r = c.getresponse(); r.read()
    cookies.update({k: v for k, v in (h.split(";")[0].split("=", 1) for h in r.headers.get_all("Set-Cookie") or [])})
    if "__dataclauses_session" not in cookies:
        sys.exit(f"sign-in of {login} failed: {r.status}")
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}

analyst = session("analyst@epci-demo", "Demo-epci-demo-analyst!")
steward = session("steward@bailleur-atlantique", "Demo-bailleur-atlantique-steward!")
publisher = session("publisher@ft-pdl", "Demo-ft-pdl-publisher!")
dpo = session("dpo@caf-44", "Demo-caf-44-dpo!")

def first_event(person):
    """The newest audit event the DPO may see (its sequence, from the explorer's first row)."""
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/audit", headers={"Accept": "text/html", **person})
    html = c.getresponse().read().decode()
    return re.search(r'data-sequence="([0-9]+)"', html).group(1)

def request_extract(person, dataset, dimensions, measures):
    """Requests an extract through the portal's form as the signed-in person and returns its id (from the redirect)."""
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/extractions/nouvelle", headers={"Accept": "text/html", **person})
    r = c.getresponse()
    html = r.read().decode()
    token = re.search(r'name="__RequestVerificationToken" type="hidden" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"__RequestVerificationToken": token, "JeuDeDonnees": dataset, "Dimensions": dimensions, "Mesures": measures,
                                   "Finalite": "observation", "Justification": "Diagnostic annuel des quartiers pour le comité de pilotage.", "DureeMois": "3"})
    c.request("POST", "/extractions/nouvelle", body=form, headers={"Content-Type": "application/x-www-form-urlencoded", **person})
    r = c.getresponse(); r.read()
    match = re.match(r"/extractions/([0-9a-f]+)", r.headers.get("Location") or "")
    if r.status != 302 or not match:
        sys.exit(f"extract request refused: {r.status} {r.headers.get('Location')}")
    return match.group(1)

# The analyst's extracts, asked through the form: one the clauses grant at once (France Travail) and one waiting for
# the bailleur's two stewards.
ready = request_extract(analyst, "ft-demandeurs-emploi", "qpv, categorie", "demandeurs")
request_extract(analyst, "bailleur-logements", "commune, typologie", "logements, loyer_mensuel")
query = "/requetes?jeu=caf-foyers-allocataires&finalite=observation&dimensions=qpv&dimensions=type_menage&mesures=foyers&executer=1"
pages = [
    ("home, anonymous", "/", {}, 200),
    ("home, signed-in analyst", "/", {"Authorization": "Bearer " + token}, 200),
    ("404 page (unknown path)", "/nulle-part", {}, 404),
    ("catalogue", "/catalogue", analyst, 200),
    ("catalogue, search+filter", "/catalogue?q=qpv&niveau=protected", analyst, 200),
    ("dataset page", "/catalogue/caf-foyers-allocataires", analyst, 200),
    ("query form", "/requetes?jeu=caf-foyers-allocataires", analyst, 200),
    ("query, qpv x menage", query, analyst, 200),
    ("query, refused", query.replace("observation", "pilotage"), analyst, 200),
    ("extract request form", "/extractions/nouvelle", analyst, 200),
    ("my extracts (2)", "/extractions", analyst, 200),
    ("extract detail", "/extractions/" + ready, analyst, 200),
    ("steward queue (1)", "/validation", steward, 200),
    ("contract page", "/contrats/cdv-demo-2024-2030", analyst, 200),
    ("open data, anonymous", "/donnees-ouvertes", {}, 200),
    ("our datasets (publisher)", "/publication", publisher, 200),
    ("publish page", "/publication/ft-demandeurs-emploi", publisher, 200),
    ("audit explorer (50)", "/audit", dpo, 200),
    ("audit explorer, filtered", "/audit?type=dataset.*&effet=permit", dpo, 200),
    ("audit event", "/audit/evenements/" + first_event(dpo), dpo, 200),
    ("ethics-label report", "/audit/rapport", dpo, 200),
]
connection = http.client.HTTPConnection("127.0.0.1", port)
print(f"{'page':<26} {'renders':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'bytes':>7}")
for name, path, headers, status in pages:
    headers = {"Accept": "text/html", **headers}
    times = []
    for i in range(warmup + renders):
        start = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != status or b"<h1" not in body:
            sys.exit(f"{name}: status {response.status}, expected {status} with an h1")
        if i >= warmup:
            times.append(elapsed)
    times.sort()
    p99 = times[min(len(times) - 1, int(round(0.99 * len(times))) - 1)]
    print(f"{name:<26} {len(times):>7} {statistics.median(times):>8.2f} {p99:>8.2f} {times[-1]:>8.2f} {len(body):>7}")
PY
log "Load average after: $(loadavg); results in $WORK/results.txt"
