#!/usr/bin/env bash
# reports.sh OUT: writes into OUT what viperbench's reports make of the
# kept records today: each record's report.md, report.html (the
# libraries' script bodies and gnuplot's drawings left out: they are
# not ours) and charts/charts.gp; a gate's summary (md, page) and
# junit.xml, written again from its gate.json; compare.md and its page of ladder against ladder-b;
# history.md of randrw_70_30 over every kept record.  expect.sh keeps
# them as expected/, tests/test-kept-reports.sh checks today's against
# them byte for byte.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
kept=$top/tests/kept
out=$1
work=$(mktemp -d /tmp/viper-kept.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/results"

# html FILE: the page without the bodies of its library scripts and
# without the charts gnuplot drew (charts.gp is compared instead).
html() {
    awk '/<script>/ { print; skip = 1; next }
         /<\/script>/ { skip = 0 }
         !skip' "$1" |
        sed -E 's|src="data:image/([a-z+]*);base64,[A-Za-z0-9+/=]*"|src="data:image/\1;base64,(gnuplot)"|g'
}

for d in "$kept"/*/; do
    k=$(basename "$d")
    if [ -f "$d/run.json" ]; then id=$(jq -r .id "$d/run.json")
    elif [ -f "$d/gate.json" ]; then id=$(jq -r .id "$d/gate.json")
    else continue
    fi
    cp -r "$d" "$work/results/$id"
    echo "$k" >"$work/results/$id/.kind"
done
for r in "$work"/results/*/; do
    k=$(cat "$r/.kind")
    rc=0
    "$VIPERBENCH" report "$r" >/dev/null 2>"$work/err" || rc=$?
    [ $rc = 0 ] || { sed "s|$work|WORK|g" "$work/err"; echo "exit $rc"; } >"$out/$k.report.err"
    [ ! -f "$r/report.md" ] || cp "$r/report.md" "$out/$k.report.md"
    [ ! -f "$r/report.html" ] || html "$r/report.html" >"$out/$k.report.html"
    [ ! -f "$r/charts/charts.gp" ] || cp "$r/charts/charts.gp" "$out/$k.charts.gp"
    # A gate's: its summary and JUnit XML.
    [ ! -f "$r/summary.md" ] || cp "$r/summary.md" "$out/$k.summary.md"
    [ ! -f "$r/summary.html" ] || html "$r/summary.html" >"$out/$k.summary.html"
    [ ! -f "$r/junit.xml" ] || cp "$r/junit.xml" "$out/$k.junit.xml"
done
a=$(jq -r .id "$kept/ladder/run.json")
b=$(jq -r .id "$kept/ladder-b/run.json")
"$VIPERBENCH" compare --results "$work/results" "$a" "$b" >"$out/compare.out" 2>&1 ||
    { cat "$out/compare.out" >&2; echo "reports: compare failed" >&2; exit 1; }
sed -i "s|$work|WORK|g" "$out/compare.out"
for f in "$work/results/$b"/compare*.md; do cp "$f" "$out/$(basename "$f")"; done
for f in "$work/results/$b"/compare*.html; do html "$f" >"$out/$(basename "$f")"; done
"$VIPERBENCH" history --results "$work/results" randrw_70_30 >"$out/history.out" 2>&1 ||
    { cat "$out/history.out" >&2; echo "reports: history failed" >&2; exit 1; }
sed -i "s|$work|WORK|g" "$out/history.out"
cp "$work/results/history-randrw_70_30.md" "$out/history.md"
html "$work/results/history-randrw_70_30.html" >"$out/history.html"
cp "$work/results/history-randrw_70_30/trend.gp" "$out/history.trend.gp"
