#!/usr/bin/env bash
# test_dashboard.sh - end to end in a real browser: the gateway serves /dashboard, headless
# Chromium opens it with a creditor token in the fragment, and the figures the page shows
# (its data-kpi attributes) equal those of GET /v1/kpi. Saves a screenshot in the build tree.
#   usage: test_dashboard.sh PATH/TO/fairgate      (needs FAIRGATE_TEST_DATABASE_URL)
set -euo pipefail

FG=${1:?usage: test_dashboard.sh PATH/TO/fairgate}
OUT=$(dirname "$FG")/../tests/gateway/dashboard
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }

[ -n "${FAIRGATE_TEST_DATABASE_URL:-}" ] || fail "FAIRGATE_TEST_DATABASE_URL is not set: run the tests through ./ops/test"
command -v chromium >/dev/null || fail "chromium is not installed (apt-get install chromium; ./ops/test installs it)"
command -v python3 >/dev/null || fail "python3 is not installed"
command -v curl >/dev/null || fail "curl is not installed"

export FAIRGATE_DATABASE_URL=$FAIRGATE_TEST_DATABASE_URL
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
WORK=$(mktemp -d)
GW_PID=
cleanup() {
  [ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

FAIRGATE_LISTEN=127.0.0.1:$PORT "$FG" serve 2>"$OUT/gateway.log" &
GW_PID=$!
for _ in $(seq 1 100); do
  curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$GW_PID" 2>/dev/null || fail "the gateway exited; see $OUT/gateway.log"
  sleep 0.1
done
curl -fs "$BASE/readyz" >/dev/null || fail "the gateway is not ready after 10 s"

RUN=$(date +%s)-$$-$RANDOM
CRED=dash-$RUN
PART=dash-p-$RUN
CONTRACT=dash-c-$RUN
ADMIN=$("$FG" principal add --role admin --name dash-ops)
CREDITOR=$("$FG" principal add --role creditor --name dash-creditor --creditor "$CRED")
AGENCY=$("$FG" principal add --role agency --name dash-agency --partner "$PART")

# call METHOD TOKEN PATH [BODY] EXPECTED_STATUS: prints the body; fails on another status.
call() {
  local method=$1 token=$2 path=$3 body=$4 want=$5 status data=()
  [ -n "$body" ] && data=(--data "$body")
  status=$(curl -s -o "$WORK/body" -w '%{http_code}' -X "$method" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' "${data[@]}" "$BASE$path")
  [ "$status" = "$want" ] || fail "$method $path: $status, expected $want: $(cat "$WORK/body")"
  cat "$WORK/body"
}
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

call POST "$ADMIN" /v1/partners "{\"id\":\"$PART\",\"kind\":\"agency\",\"name\":\"Dash Incasso\",
  \"wki_registration\":{\"number\":\"WKI-1\",\"valid_until\":\"2035-12-31\"}}" 201 >/dev/null
call POST "$CREDITOR" /v1/contracts "{\"id\":\"$CONTRACT\",\"partner_id\":\"$PART\",\"version\":1,
  \"valid_from\":\"2020-01-01\",\"valid_to\":null,\"terms\":{\"fee_model\":\"fixed_fee\",
  \"allowed_actions\":[\"collection_costs\",\"transfer_to_bailiff\",\"summons\",\"wage_garnishment\",\"extend_duration\"],
  \"bank_seizure_allowed\":false,\"personal_contact_before_summons\":{\"required\":true,
  \"channels\":[\"phone\",\"visit\"],\"min_attempts\":1,\"within_days\":90},\"max_duration_days\":120,
  \"shortened_amicable_days\":14,\"collection_costs\":{\"scale\":\"wik\",\"vat\":false},
  \"summons_min_principal_cents\":25000,\"judicial_cost_ratio_max\":1.0,
  \"approved_letter_templates\":[\"herinnering-v3\"]}}" 201 >/dev/null
DUE=$(date -u -d '40 days ago' +%F)
HANDED=$(date -u -d '20 days ago' +%FT%TZ)
for n in 1 2; do
  call POST "$CREDITOR" /v1/dossiers "{\"id\":\"$CONTRACT-$n\",\"partner_id\":\"$PART\",\"contract_id\":\"$CONTRACT\",
    \"debtor_ref\":\"deb-$RUN-$n\",\"principal_cents\":84000,\"currency\":\"EUR\",\"due_date\":\"$DUE\",
    \"phase\":\"amicable\",\"shortened_amicable_track\":false,\"flags\":[],\"handed_over_at\":\"$HANDED\"}" 201 >/dev/null
done

# Decisions: bank seizure is not in the contract, an agency never summons (R16); the transfer is allowed.
declare -A got
for x in "1 bank_seizure" "1 summons" "2 transfer_to_bailiff" "2 bank_seizure"; do
  set -- $x
  d=$(call POST "$AGENCY" "/v1/dossiers/$CONTRACT-$1/escalations" "{\"action\":\"$2\"}" 201 | field decision)
  got[$2]=$d
done
[ "${got[bank_seizure]}" = deny ] || fail "bank_seizure was ${got[bank_seizure]}, expected deny"
[ "${got[transfer_to_bailiff]}" = allow ] || fail "transfer_to_bailiff was ${got[transfer_to_bailiff]}, expected allow"

FROM=$(date -u -d '60 days ago' +%F)
TO=$(date -u -d 'tomorrow' +%F)
Q="creditor_id=$CRED&from=$FROM&to=$TO"
call GET "$CREDITOR" "/v1/kpi?$Q" "" 200 >"$WORK/kpi.json"
call GET "$CREDITOR" "/v1/scorecard?$Q" "" 200 >"$WORK/scorecard.json"

# The page itself is public and carries the CSP.
curl -fsS -D "$WORK/headers" -o "$WORK/page.html" "$BASE/dashboard" || fail "GET /dashboard failed"
grep -qi '^content-type: text/html; charset=utf-8' "$WORK/headers" || fail "/dashboard is not text/html"
grep -qi "^content-security-policy: default-src 'self'" "$WORK/headers" || fail "/dashboard has no CSP"

URL="$BASE/dashboard#token=$CREDITOR&$Q"
CHROME=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
  --disable-background-networking --disable-component-update --disable-sync --virtual-time-budget=10000)
"${CHROME[@]}" --user-data-dir="$WORK/chrome1" --dump-dom "$URL" >"$OUT/dashboard.dom.html" 2>"$WORK/chrome.err" ||
  fail "chromium --dump-dom failed: $(tail -5 "$WORK/chrome.err")"

python3 - "$WORK/kpi.json" "$WORK/scorecard.json" "$OUT/dashboard.dom.html" "$PART" <<'EOF'
import html.parser, json, sys
kpi, sc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
dom, partner = open(sys.argv[3]).read(), sys.argv[4]

class Figures(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.kpi, self.score, self.status, self.open = {}, {}, None, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, store in (("data-kpi", self.kpi), ("data-score", self.score)):
            if name in a:
                store[a[name]] = ""
                self.open.append((tag, store, a[name]))
                return
        if a.get("id") == "status":
            self.status = a.get("data-status")
        self.open.append((tag, None, None))
    def handle_endtag(self, tag):
        while self.open:
            t, _, _ = self.open.pop()
            if t == tag:
                break
    def handle_data(self, data):
        for _, store, key in reversed(self.open):
            if store is not None:
                store[key] += data
                break

f = Figures()
f.feed(dom)
if f.status != "ok":
    sys.exit(f"FAIL: the page did not load its data (status {f.status!r}); see the dumped DOM")
e = kpi["escalations"]
want = {
    "handed_over": kpi["dossiers"]["handed_over"],
    "requested": e["requested"]["total"],
    "allowed": e["allowed"]["total"],
    "denied": e["denied"]["total"],
    "refused_facts": kpi["refused_facts"]["total"],
}
for rule, n in e["denied_by_rule"].items():
    if rule != "total":
        want["denied_by_rule." + rule] = n
for outcome in ("allowed", "denied"):
    for action, n in e[outcome].items():
        if action != "total":
            want[f"{outcome}.{action}"] = n
rules = [k for k in want if k.startswith("denied_by_rule.")]
if not rules:
    sys.exit("FAIL: /v1/kpi shows no denial by rule; the story should have made some")
if want["allowed"] < 1 or want["denied"] < 1:
    sys.exit(f"FAIL: /v1/kpi should show allowed and denied escalations: {want}")
bad = [f"{k}: page {f.kpi.get(k)!r}, api {v}" for k, v in want.items() if f.kpi.get(k, "").strip() != str(v)]
row = next(p for p in sc["partners"] if p["partner_id"] == partner)
for k in ("requests", "denied", "refused_facts"):
    if f.score.get(f"{partner}.{k}", "").strip() != str(row[k]):
        bad.append(f"scorecard {k}: page {f.score.get(partner + '.' + k)!r}, api {row[k]}")
if bad:
    sys.exit("FAIL: the dashboard differs from /v1/kpi:\n  " + "\n  ".join(bad))
print(f"ok: {len(want)} figures and the scorecard row equal /v1/kpi ({', '.join(sorted(rules))})")
EOF

rm -f "$OUT/dashboard.png"
"${CHROME[@]}" --user-data-dir="$WORK/chrome2" --hide-scrollbars --window-size=1280,1600 \
  --screenshot="$OUT/dashboard.png" "$URL" >/dev/null 2>"$WORK/chrome.err" ||
  fail "chromium --screenshot failed: $(tail -5 "$WORK/chrome.err")"
size=$(stat -c %s "$OUT/dashboard.png" 2>/dev/null || echo 0)
[ "$size" -gt 10240 ] || fail "the screenshot $OUT/dashboard.png is missing or trivial ($size bytes)"
echo "ok: screenshot $OUT/dashboard.png ($size bytes)"
