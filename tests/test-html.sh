#!/usr/bin/env bash
# test-html.sh: the HTML pages of real records, in a real browser.
# - A run (host, direct, nbd-unix on nbdkit memory, with perf) writes a
#   self-contained report.html: nothing loaded from elsewhere, every
#   flame graph drawn in headless Chromium with as many frames as this
#   test counts itself from the layer's perf.folded, a click zooms, no
#   error logged (tests/browser/check.cjs); screenshots are kept in
#   build/test-logs/html/.
# - Runs over time: each layer's per-second IOPS add up to fio's own
#   I/O count but for its last seconds, p99 per second is there, the report charts and judges it;
#   perf's rate was chosen from the window.
# - A layer whose server is stopped for two seconds mid-run is flagged
#   as stalled, at the right second.
# - compare writes compare-A.html with a differential flame graph per
#   layer and process (frames: both sides' stacks), and lists the
#   largest changes in CPU per I/O.
# - history writes its page.
# - Hostile text in a record (a symbol, a description) stays text.
# Run alone: tests/test-html.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit perf jq gnuplot node
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || skip "no Chromium at $CHROMIUM (Debian package chromium)"
[ -f "$top/build/web/.installed" ] ||
    skip "build/web has no d3, d3-flame-graph, playwright-core (npm could not be reached: make web)"
shots=$top/${VIPER_BUILD:-build}/test-logs/html
mkdir -p "$shots"

check_page() {     # PAGE NAME: the browser's check, its output kept
    node "$top/tests/browser/check.cjs" "$1" "$shots/$2.png" >"$TMPDIR/$2.json" ||
        { cat "$TMPDIR/$2.json"; fail "$2: the browser's check failed"; }
}

# Distinct stacks' prefixes of process ROLE in folded FILES: the frames
# its flame graph has (the process's own frame included).
frames_of() {
    local role=$1; shift
    cat "$@" | awk -v role="$role" '{
        sub(/ [0-9.]+$/, ""); n = split($0, f, ";")
        if (f[1] != role) next
        p = ""
        for (i = 1; i <= n; i++) {
            p = i == 1 ? f[1] : p ";" f[i]
            if (!(p in seen)) { seen[p] = 1; c++ }
        }
    } END { print c + 0 }'
}

write_stack "$TMPDIR/s.json" '["host", "direct", "nbd-unix"]'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/s.json" --runtime 4 \
    --size 32M --desc "A" >"$TMPDIR/out.txt" 2>&1 ||
    { cat "$TMPDIR/out.txt"; fail "run failed"; }
rec=$TMPDIR/results/VM-1
page=$rec/report.html
[ -s "$page" ] || fail "no report.html"
# One file: no script, style or image from anywhere else.
grep -Eiq '<(script|img|link|iframe)[^>]* (src|href)="(https?:|//|file:)' "$page" &&
    fail "report.html loads something from elsewhere"

# Runs over time.
for layer in host direct nbd-unix; do
    t=".targets[] | select(.name == \"$layer\")"
    n=$(jq "$t | .timeline.iops | length" "$rec/run.json")
    [ "$n" -ge 3 ] || fail "$layer: $n seconds in its timeline"
    # The seconds account for fio's own I/O count but for the end: fio
    # logs no job's last partial interval, so the timeline stops at the
    # last second every job logged (one or two seconds' worth short).
    sum=$(jq "$t | .timeline.iops | add" "$rec/run.json")
    peak=$(jq "$t | .timeline.iops | max" "$rec/run.json")
    ios=$(jq '[.jobs[] | .read.total_ios + .write.total_ios] | add' "$rec/$layer/fio.json")
    awk -v a="$sum" -v b="$ios" -v m="$peak" 'BEGIN { exit !(a > 0 && a <= b && b - a <= 2 * m) }' ||
        fail "$layer: the seconds' IOPS add up to $sum, fio counted $ios I/Os"
    [ "$(jq "$t | [.timeline.p99_ns[] | select(. != null and . > 0)] | length" "$rec/run.json")" -ge 3 ] ||
        fail "$layer: no p99 per second"
    jq -e "$t | .timeline | has(\"steady\") and has(\"stalls\")" "$rec/run.json" >/dev/null ||
        fail "$layer: its timeline is not judged"
    hz=$(jq "$t | .collectors.perf.frequency_hz" "$rec/run.json")
    [ "$hz" -gt 99 ] || fail "$layer: perf sampled at $hz Hz in a 4 s window"
done
grep -q '^## Runs over time' "$rec/report.md" || fail "no 'Runs over time' section"
grep -q '| over time |$' "$rec/report.md" || fail "the ladder has no 'over time' column"
for c in timeline-iops timeline-p99; do
    [ -s "$rec/charts/$c.svg" ] || fail "no $c.svg"
done
echo "timeline: ok (perf at $hz Hz)"

check_page "$page" report
# Each graph: drawn with the frames its data has, which are those this
# test counts in perf.folded.
graphs=0
while read -r line; do
    title=$(jq -r '.title // empty' <<<"$line")
    [ -n "$title" ] || continue
    layer=${title%% / *}
    role=${title#* / }
    want=$(frames_of "$role" "$rec/$layer/perf.folded")
    got=$(jq .frames <<<"$line")
    drawn=$(jq .drawn <<<"$line")
    [ "$got" -eq "$want" ] && [ "$drawn" -eq "$want" ] ||
        fail "$title: $drawn drawn, $got in the page, $want in perf.folded"
    graphs=$((graphs + 1))
done <"$TMPDIR/report.json"
# A graph per process per layer: fio in each, nbdkit in nbd-unix.
want=$(jq '[.targets[].collectors.perf.processes[] | select(.samples > 0)] | length' "$rec/run.json")
[ "$graphs" -eq "$want" ] && [ "$graphs" -ge 4 ] ||
    fail "$graphs flame graphs, the record profiles $want processes"
grep -q '"zoom"' "$TMPDIR/report.json" || fail "no zoom was tried"
echo "report.html: $graphs flame graphs drawn, frames as in perf.folded"

# A stall: nbdkit stopped for two seconds in the middle of a 7 s run.
write_stack "$TMPDIR/stall.json" '["nbd-unix"]'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/stall.json" --runtime 7 \
    --size 32M --collect cpu --desc stall >"$TMPDIR/stall.txt" 2>&1 &
bench=$!
# The layer's nbdkit: the newest one running once the measuring fio
# is (the runner first checks the job with fio --parse-only and
# test-loads the plugin in an nbdkit of its own).
pid=
for _ in $(seq 200); do
    if own_pgrep -f -- "--output-format=json" >/dev/null; then
        pid=$(own_pgrep -n -x nbdkit)
        [ -n "$pid" ] && break
    fi
    sleep 0.05
done
[ -n "$pid" ] || fail "no nbdkit to stop"
sleep 3
kill -STOP "$pid"
sleep 2
kill -CONT "$pid"
wait "$bench" || { cat "$TMPDIR/stall.txt"; fail "the stalled run failed"; }
srec=$TMPDIR/results/VM-2
stalls=$(jq -c '.targets[0].timeline.stalls' "$srec/run.json")
jq -e '.targets[0].timeline.stalls | length >= 1 and all(. >= 2 and . <= 6)' \
    "$srec/run.json" >/dev/null ||
    fail "stopping nbdkit for 2 s gave stalls $stalls ($(jq -c .targets[0].timeline.iops "$srec/run.json"))"
grep -q '| nbd-unix | .*\*\*stalled\*\* at' "$srec/report.md" ||
    fail "the report does not flag the stall"
echo "stall: seconds $stalls flagged"

# compare: B's nbdkit has one thread.
write_stack "$TMPDIR/s2.json" '["host", "direct", "nbd-unix"]' "" '{ "threads": 1 }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/s2.json" --runtime 4 \
    --size 32M --desc "B" >"$TMPDIR/out2.txt" 2>&1 ||
    { cat "$TMPDIR/out2.txt"; fail "run B failed"; }
(cd "$top" && "$VIPERBENCH" compare --results "$TMPDIR/results" VM-1 VM-3) \
    >"$TMPDIR/cmp.md" 2>"$TMPDIR/cmp.err" || { cat "$TMPDIR/cmp.err"; fail "compare failed"; }
cpage=$TMPDIR/results/VM-3/compare-VM-1.html
[ -s "$cpage" ] || fail "no compare-VM-1.html"
sed -n '/^## Largest changes in CPU per I\/O/,/^## /p' "$TMPDIR/cmp.md" >"$TMPDIR/top.md"
[ "$(grep -c '^| [a-z-]* | `' "$TMPDIR/top.md")" -eq 5 ] ||
    { cat "$TMPDIR/top.md"; fail "compare does not list five symbols"; }
check_page "$cpage" compare
diffs=0
while read -r line; do
    [ "$(jq -r '.kind // empty' <<<"$line")" = diff ] || continue
    title=$(jq -r .title <<<"$line")
    layer=${title%% / *}
    role=${title#* / }
    role=${role%%:*}
    want=$(frames_of "$role" "$rec/$layer/perf.folded" "$TMPDIR/results/VM-3/$layer/perf.folded")
    [ "$(jq .frames <<<"$line")" -eq "$want" ] && [ "$(jq .drawn <<<"$line")" -eq "$want" ] ||
        fail "$title: $(jq .drawn <<<"$line") frames drawn, both sides have $want"
    diffs=$((diffs + 1))
done <"$TMPDIR/compare.json"
[ "$diffs" -ge 4 ] || fail "only $diffs differential flame graphs"
echo "compare: $diffs differential flame graphs, five largest changes listed"

(cd "$top" && "$VIPERBENCH" history --results "$TMPDIR/results" randrw_70_30) \
    >/dev/null 2>"$TMPDIR/h.err" || { cat "$TMPDIR/h.err"; fail "history failed"; }
check_page "$TMPDIR/results/history-randrw_70_30.html" history
echo "history page: ok"

# Hostile text: a symbol and a description that would end the script
# element or open a tag, in a copy of the record.
h=$TMPDIR/results/VM-9
cp -r "$rec" "$h"
evil='</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
printf 'fio;main;%s 7\n' "$evil" >>"$h/host/perf.folded"
jq --arg d "$evil" --arg i VM-9 '.description = $d | .id = $i' "$h/run.json" >"$h/run.json.new"
mv "$h/run.json.new" "$h/run.json"
(cd "$top" && "$VIPERBENCH" report --results "$TMPDIR/results" VM-9) >/dev/null 2>&1 ||
    fail "report of the hostile copy failed"
grep -q '<script>window.__pwned' "$h/report.html" && fail "a symbol became markup"
check_page "$h/report.html" hostile
echo "hostile text: stays text"
no_orphans nbdkit
no_orphans chromium
echo "screenshots: $shots"
