#!/usr/bin/env bash
# test-export.sh: `viperbench export` writes a row per record x layer x
# direction, read back by other people's parsers.
# - csv (Python's csv module): the header, one row per layer and
#   direction of each record, every figure equal to run.json's; a stack
#   name a spreadsheet would take for a formula is led by a quote mark.
# - jsonl: one JSON object a line, the same figures, null for one the
#   record lacks (an import's ratio to the host).
# - openmetrics: parsed by Prometheus's own parser (Debian's
#   python3-prometheus-client); its IOPS and p99 (in seconds) equal the
#   record's; a label with quotes and a newline survives.
# - A sweep, a missing record, a bad format, the same id twice: exit 2,
#   nothing on stdout.
# Run alone: tests/test-export.sh
. "$(dirname "$0")/functions.sh"
requires jq
PY=/usr/bin/python3
$PY -c 'import prometheus_client' 2>/dev/null ||
    skip "no python3-prometheus-client (Debian's; deps.sh installs it)"

R=$TMPDIR/results
mkdir -p "$R"
for k in ladder objstore guest import sweep; do
    id=$(jq -r .id "$top/tests/kept/$k/run.json")
    cp -r "$top/tests/kept/$k" "$R/$id"
done
# A hostile stack name: a formula, quotes, a newline.
jq '.stack.name = "=HYPERLINK(\"x\")\nevil"' "$top/tests/kept/ladder/run.json" >"$R/VM-1/run.json"
ids="VM-1 VM-3 VM-4 VM-7"
rows=0
for id in $ids; do
    rows=$((rows + $(jq '[.targets[] | (.read, .write) | select(. != null)] | length' "$R/$id/run.json")))
done
vb() { "$VIPERBENCH" export --results "$R" "$@"; }

# CSV.
vb --format csv $ids >"$TMPDIR/out.csv" || fail "export csv"
$PY - "$TMPDIR/out.csv" "$R" "$rows" <<'PY' || fail "csv"
import csv, json, math, sys
path, results, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(path, newline='') as f:
    rows = list(csv.DictReader(f))
assert len(rows) == want, (len(rows), want)
docs = {}
for r in rows:
    d = docs.setdefault(r['record'], json.load(open(f"{results}/{r['record']}/run.json")))
    t = next(t for t in d['targets'] if t['name'] == r['layer'])
    x = t[r['direction']]
    assert math.isclose(float(r['iops']), x['iops'], rel_tol=1e-12), r
    assert math.isclose(float(r['lat_p99_ns']), x['lat_ns']['p99'], rel_tol=1e-12), r
    if t.get('bottleneck'):
        assert r['bottleneck'] == t['bottleneck']['kind'], r
evil = [r for r in rows if r['record'] == 'VM-1'][0]['stack']
assert evil == "'=HYPERLINK(\"x\")\nevil", repr(evil)
PY
echo "ok: csv: $rows rows, figures as recorded, a formula defused"

# JSON lines.
vb --format jsonl $ids >"$TMPDIR/out.jsonl" || fail "export jsonl"
[ "$(wc -l <"$TMPDIR/out.jsonl")" -eq "$rows" ] || fail "jsonl: $(wc -l <"$TMPDIR/out.jsonl") lines, not $rows"
jq -e -s 'all(.[]; .record and .layer and (.direction == "read" or .direction == "write"))' \
    "$TMPDIR/out.jsonl" >/dev/null || fail "jsonl: a line without its words"
[ "$(jq -s -r '[.[] | select(.record == "VM-7")][0].ratio_to_host' "$TMPDIR/out.jsonl")" = null ] ||
    fail "jsonl: an import's ratio to host is not null"
want=$(jq '.targets[] | select(.name == "nbd-unix") | .read.iops' "$R/VM-3/run.json")
got=$(jq -s '[.[] | select(.record == "VM-3" and .layer == "nbd-unix" and .direction == "read")][0].iops' "$TMPDIR/out.jsonl")
[ "$got" = "$want" ] || fail "jsonl: VM-3 nbd-unix read IOPS $got, not $want"
echo "ok: jsonl"

# OpenMetrics, through Prometheus's parser.
vb --format openmetrics $ids >"$TMPDIR/out.om" || fail "export openmetrics"
$PY - "$TMPDIR/out.om" "$R" <<'PY' || { cat "$TMPDIR/out.om" | head -20; fail "openmetrics"; }
import json, math, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
text = open(sys.argv[1]).read()
fams = {f.name: f for f in text_string_to_metric_families(text)}
for name in ('viperbench_iops', 'viperbench_latency_p99_seconds', 'viperbench_bottleneck'):
    assert name in fams, (name, list(fams))
n = 0
for s in fams['viperbench_iops'].samples:
    d = json.load(open(f"{sys.argv[2]}/{s.labels['record']}/run.json"))
    t = next(t for t in d['targets'] if t['name'] == s.labels['layer'])
    assert math.isclose(s.value, t[s.labels['direction']]['iops'], rel_tol=1e-12), s
    n += 1
for s in fams['viperbench_latency_p99_seconds'].samples:
    d = json.load(open(f"{sys.argv[2]}/{s.labels['record']}/run.json"))
    t = next(t for t in d['targets'] if t['name'] == s.labels['layer'])
    assert math.isclose(s.value, t[s.labels['direction']]['lat_ns']['p99'] / 1e9, rel_tol=1e-9), s
evil = [s for s in fams['viperbench_iops'].samples if s.labels['record'] == 'VM-1'][0]
assert evil.labels['stack'] == '=HYPERLINK("x")\nevil', repr(evil.labels['stack'])
assert n > 0
PY
echo "ok: openmetrics parsed by prometheus_client, figures as recorded"

bad() {   # WHAT PATTERN ARGS...
    local what=$1 pat=$2; shift 2
    vb "$@" >"$TMPDIR/o" 2>"$TMPDIR/e"; rc=$?
    [ $rc -eq 2 ] && grep -q -- "$pat" "$TMPDIR/e" && [ ! -s "$TMPDIR/o" ] ||
        { cat "$TMPDIR/e" "$TMPDIR/o"; fail "$what: exit $rc"; }
}
bad "a sweep" "SWEEP-1 is a queue-depth sweep" --format csv VM-1 SWEEP-1
bad "a missing record" "VM-99" --format csv VM-99
bad "a bad format" "did you mean csv" --format cvs VM-1
bad "a record twice" "VM-1 named twice" --format openmetrics VM-1 VM-1
bad "a path" "not a record's name" --format csv ../x
echo "ok: a sweep, a missing record, a bad format, an id twice: exit 2, nothing written"
