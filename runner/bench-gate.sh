#!/usr/bin/env bash
# bench-gate.sh: the regression gate's calibration on this machine.
#
#   1. False alarms: TRIALS gates of a stack against a copy of itself
#      (A/A) at the gate's defaults; how many exit 0 (pass), 1 (a false
#      regression) and 3 (too noisy).
#   2. Sensitivity: regressions of known size injected with nbdkit's rate
#      filter, capping the server's read bandwidth at LEVELS x what the
#      A/A runs measured; per level, the change the gate measured and how
#      often it was caught (exit 1).  The smallest change caught in every
#      trial is what the gate detects reliably here.
#
# Target: nbdkit's memory plugin behind the nbd-unix layer, randrw_70_30,
# RUNTIME seconds per repetition, the gate's default repetitions unless
# REPEAT (and MAX_REPEAT, the most a too-noisy first look may go on to)
# are set.  Default thresholds (IOPS -10%, p99 +20%).
#
#   make bench-gate                      (TRIALS=10 TRIALS_AB=4 RUNTIME=3)
#   TRIALS=20 LEVELS="0.9 0.8" runner/bench-gate.sh
#   TRIALS=10 LEVELS= runner/bench-gate.sh      (A/A only)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/common/bench.sh"
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
RUNTIME=${RUNTIME:-3}
TRIALS=${TRIALS:-10}
TRIALS_AB=${TRIALS_AB:-4}
LEVELS=${LEVELS-0.95 0.90 0.85 0.80 0.70}
work=$(mktemp -d /tmp/viper-bench-gate.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

stack() {   # stack FILE NAME [FILTER-MEMBERS]
    cat >"$1" <<EOS
{ "name": "$2", "dir": "$work/data", "size": "1G", "plugin": "memory",
  "plugin_args": { "size": "\${size}" },
  "nbdkit": { "threads": 16${3:+, $3} },
  "layers": ["nbd-unix"] }
EOS
}
stack "$work/a.json" memory
stack "$work/a2.json" memory

gate() {    # gate CANDIDATE: prints "exit change-of-iops"
    local rc=0 g
    (cd "$top" && "$VIPERBENCH" gate --baseline-stack "$work/a.json" \
        --candidate-stack "$1" --scenario randrw_70_30 --runtime "$RUNTIME" \
        ${REPEAT:+--repeat "$REPEAT"} ${MAX_REPEAT:+--max-repeat "$MAX_REPEAT"} \
        --no-profile --results "$work/results") \
        >"$work/out.txt" 2>"$work/err.txt" || rc=$?
    if [ "$rc" -eq 2 ] || [ "$rc" -ge 4 ]; then
        cat "$work/err.txt" >&2
        exit 1
    fi
    g=$(ls -d "$work"/results/GATE-* | sort -V | tail -1)
    echo "$rc $(jq -r '.series[] | select(.metric == "iops") | .change' "$g/gate.json")"
}

echo "bench-gate: nbd-unix on nbdkit memory, randrw_70_30, ${RUNTIME}s per repetition, repeat ${REPEAT:-default}, max-repeat ${MAX_REPEAT:-default}"
echo
[ "$TRIALS" -gt 0 ] && echo "A/A, $TRIALS trials:"
: >"$work/aa.txt"
for t in $(seq 1 "$TRIALS"); do
    r=$(gate "$work/a2.json")
    echo "$r" >>"$work/aa.txt"
    echo "  trial $t: exit ${r%% *}, IOPS change $(echo "$r" | awk '{printf "%+.1f%%", $2 * 100}')"
done
[ "$TRIALS" -gt 0 ] && awk '{n[$1]++} END {printf "A/A: %d pass, %d false regression, %d too noisy of %d\n",
    n[0], n[1], n[3], NR}' "$work/aa.txt"

# LEVELS= (empty): the A/A trials only.
[ -n "$LEVELS" ] || exit 0

# TRIALS=0 skips the A/A trials: one plain run measures the bandwidth.
if [ "$TRIALS" -eq 0 ]; then
    (cd "$top" && "$VIPERBENCH" run --scenario randrw_70_30 --stack "$work/a.json" \
        --runtime "$RUNTIME" --collect none --no-report --prefix R- --results "$work/results/GATE-0/baseline") \
        >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
fi

# The read bandwidth the A/A runs measured (bits/s), to size the caps:
# the filter keeps a bucket for reads and one for writes, both at rate=,
# so with 70% reads the read bucket is the one that binds.
bps=$(jq -s '[.[].targets[0] | .read.bw_bytes * 8] | sort | .[length/2|floor]' \
      "$work"/results/GATE-*/baseline/R-*/run.json)
echo
echo "injected: rate filter at LEVEL x the read bandwidth, $(awk -v b="$bps" 'BEGIN {printf "%.2f Gbit/s", b/1e9}'), $TRIALS_AB trials each:"
printf '%-6s %14s %8s %8s %8s\n' level "IOPS change" caught noisy passed
: >"$work/levels.txt"
for lv in $LEVELS; do
    rate=$(awk -v b="$bps" -v l="$lv" 'BEGIN {printf "%.0f", b * l}')
    # A short bucket, so that the cap holds over a few seconds' run.
    stack "$work/b.json" "memory-rate-$lv" \
        "\"filters\": [\"rate\"], \"filter_args\": { \"rate\": \"$rate\", \"burstiness\": \"0.1\" }"
    : >"$work/ab.txt"
    for t in $(seq "$TRIALS_AB"); do
        gate "$work/b.json" >>"$work/ab.txt"
    done
    med=$(awk '{print $2}' "$work/ab.txt" | median)
    awk -v lv="$lv" -v m="$med" '{n[$1]++}
        END {printf "%-6s %13.1f%% %5d/%d %5d/%d %5d/%d\n", lv, m * 100,
                    n[1], NR, n[3], NR, n[0], NR}' "$work/ab.txt" | tee -a "$work/levels.txt"
done
echo
awk '{split($3, k, "/")} k[1] == k[2] && !found {print "smallest injected regression caught in every trial: IOPS " $2 " (rate cap " $1 "x)"; found = 1}
     END {if (!found) print "no level was caught in every trial"}' "$work/levels.txt"
