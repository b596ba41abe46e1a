#!/usr/bin/env bash
# bench-history.sh: how long `viperbench history` takes over 100 runs.
#
# Makes 100 records by importing real fio JSON output (one short fio run
# on the null engine, imported 100 times, each a numbered record), then
# times `viperbench history` over them (tables, per-layer trend charts
# with gnuplot) REPEAT times and prints the median.
#
#   make bench-history            (RUNS=100 REPEAT=5 by default)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
RUNS=${RUNS:-100}
REPEAT=${REPEAT:-5}
work=$(mktemp -d /tmp/viper-bench-hist.XXXXXX)
trap 'rm -rf "$work"' EXIT

(cd "$work" && fio --name=randrw_70_30 --ioengine=null --rw=randrw --bs=4k \
    --size=64M --time_based --runtime=1 --output-format=json \
    --output=fio.json >/dev/null)
for i in $(seq "$RUNS"); do
    # One output, 100 records on purpose: --force past the duplicate check.
    "$VIPERBENCH" import --force --results "$work/results" --desc "run $i" \
        "$work/fio.json" >/dev/null
done
for r in $(seq "$REPEAT"); do
    s=$(date +%s%N)
    "$VIPERBENCH" history --results "$work/results" randrw_70_30 >/dev/null 2>&1
    echo $(( ($(date +%s%N) - s) / 1000000 ))
done | sort -n | awk -v n="$RUNS" -v r="$REPEAT" '{ a[NR] = $1 }
    END { printf "viperbench history over %d runs: median %d ms of %d (min %d, max %d)\n",
          n, a[int((NR + 1) / 2)], r, a[1], a[NR] }'
