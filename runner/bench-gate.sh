#!/usr/bin/env bash
# bench-gate.sh: the regression gate's calibration on this machine, at
# the gate's defaults (or REPEAT, MAX_REPEAT, RUNTIME, PIN if set).
#
#   1. A/A: TRIALS gates of a stack against a copy of itself: how many
#      pass (exit 0), raise a false regression (1) or are too noisy (3).
#   2. Injected regressions, TRIALS_AB gates each, with tests/burn (a
#      test-only nbdkit filter spending N ns of CPU per request):
#        iops-10  the burn that lowers IOPS by 10%,
#        cpu+10   the burn that raises nbdkit's CPU per I/O by 10%;
#      each sized from the A/A runs, then corrected by calibration gates
#      (CAL_PAIRS pairs, default 10, not counted) until it does what the
#      level says within 1.5 points.  Per level the change the gates
#      measured (median), and how often the gate was caught (exit 1) by
#      the metric the level is about, by any metric, too noisy or passed.
#   3. The wall time of a default gate of two layers (nbd-unix, nbd-tcp).
#
# Target: nbdkit's memory plugin, SCENARIO (default randrw_70_30; lat1: one
# request in flight, where a cost per request adds to the CPU per I/O).
#
#   make bench-gate                 (TRIALS=20 TRIALS_AB=10 WALL=1)
#   TRIALS=5 LEVELS=cpu+10 TRIALS_AB=3 WALL=0 runner/bench-gate.sh
#   PIN=off make bench-gate         (the same, the scheduler placing)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/common/bench.sh"
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
BURN=${BURN:-$(cd "$(dirname "$VIPERBENCH")" && pwd)/tests/burn.so}
TRIALS=${TRIALS:-20}
TRIALS_AB=${TRIALS_AB:-10}
LEVELS=${LEVELS-iops-10 cpu+10}
WALL=${WALL:-1}
CAL_PAIRS=${CAL_PAIRS:-10}
SCENARIO=${SCENARIO:-randrw_70_30}
[ -f "$BURN" ] || { echo "bench-gate: no $BURN (make tests)" >&2; exit 1; }
work=$(mktemp -d /tmp/viper-bench-gate.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

stack() {   # stack FILE NAME LAYERS [BURN-NS]
    local filt=""
    [ -n "${4:-}" ] && filt=", \"filters\": [\"$BURN\"], \"filter_args\": { \"burn-ns\": \"$4\" }"
    cat >"$1" <<EOS
{ "name": "$2", "dir": "$work/data", "size": "1G", "plugin": "memory",
  "plugin_args": { "size": "\${size}" },
  "nbdkit": { "threads": 16$filt },
  "layers": $3 }
EOS
}
stack "$work/a.json" memory '["nbd-unix"]'
stack "$work/a2.json" memory '["nbd-unix"]'

# gate CANDIDATE [ARGS]: runs one gate, prints "exit seconds gate-dir".
gate() {
    local cand=$1 rc=0 g t0 t1; shift
    t0=$(date +%s.%N)
    (cd "$top" && "$VIPERBENCH" gate --baseline-stack "$work/a.json" \
        --candidate-stack "$cand" --scenario "$SCENARIO" \
        ${RUNTIME:+--runtime "$RUNTIME"} ${REPEAT:+--repeat "$REPEAT"} \
        ${MAX_REPEAT:+--max-repeat "$MAX_REPEAT"} ${PIN:+--pin "$PIN"} \
        --no-profile --results "$work/results" "$@") \
        >"$work/out.txt" 2>"$work/err.txt" || rc=$?
    t1=$(date +%s.%N)
    if [ "$rc" -eq 2 ] || [ "$rc" -ge 4 ]; then
        cat "$work/err.txt" >&2
        exit 1
    fi
    g=$(ls -d "$work"/results/GATE-* | sort -V | tail -1)
    echo "$rc $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", b - a}') $g"
}

# change G METRIC [PROCESS]: the gate's estimate for it (a fraction).
change() {
    jq -r --arg m "$2" --arg p "${3:-}" '[.series[] | select(.metric == $m and
        ((.process // "") == $p))][0].change // "nan"' "$1/gate.json"
}
verdict() {
    jq -r --arg m "$2" --arg p "${3:-}" '[.series[] | select(.metric == $m and
        ((.process // "") == $p))][0].verdict // "-"' "$1/gate.json"
}

echo "bench-gate: nbd-unix on nbdkit memory, $SCENARIO, at the gate's defaults${RUNTIME:+, runtime $RUNTIME s}${REPEAT:+, repeat $REPEAT}${MAX_REPEAT:+, max-repeat $MAX_REPEAT}${PIN:+, pin $PIN}"
: >"$work/aa.txt"
if [ "$TRIALS" -gt 0 ]; then
    echo
    echo "A/A, $TRIALS trials:"
fi
for t in $(seq 1 "$TRIALS"); do
    gate "$work/a2.json" >"$work/g.txt"; read -r rc secs g <"$work/g.txt"
    n=$(jq '.series[0].baseline | length' "$g/gate.json")
    echo "$rc $secs $n" >>"$work/aa.txt"
    printf '  trial %2d: exit %d, %2d pairs, %3d s, IOPS %+.1f%%, CPU/IO nbdkit %+.1f%%, fio %+.1f%%\n' \
        "$t" "$rc" "$n" "$secs" \
        "$(change "$g" iops | awk '{print $1 * 100}')" \
        "$(change "$g" cpu nbdkit | awk '{print $1 * 100}')" \
        "$(change "$g" cpu fio | awk '{print $1 * 100}')"
    [ "$t" -eq 1 ] && echo "  ($(jq -r '.cpus // "cpus not recorded"' "$g/gate.json"))"
done
if [ "$TRIALS" -gt 0 ]; then
    awk '{n[$1]++; s += $2} END {printf "A/A: %d pass, %d false regression, %d too noisy of %d (%.0f s a gate on average)\n",
        n[0], n[1], n[3], NR, s / NR}' "$work/aa.txt"
fi

[ -n "$LEVELS" ] || exit 0

# The baseline's own figures, from the A/A gates' baseline runs (or a
# few plain runs): nbdkit's CPU per I/O, in ns.
if [ "$TRIALS" -eq 0 ]; then
    for k in 1 2 3; do
        (cd "$top" && "$VIPERBENCH" run --scenario "$SCENARIO" --stack "$work/a.json" \
            --runtime "${RUNTIME:-2}" --collect cpu --no-report ${PIN:+--pin "$PIN"} \
            --prefix R- --results "$work/results/GATE-0/baseline") \
            >/dev/null 2>"$work/err.txt" || { cat "$work/err.txt" >&2; exit 1; }
    done
fi
cpu_ns=$(jq -s '[.[].targets[0].collectors.cpu.processes[] | select(.role == "nbdkit")
                 | .cpu_us_per_io * 1000] | sort | .[length/2|floor]' \
         "$work"/results/GATE-*/baseline/R-*/run.json)
echo
echo "nbdkit's CPU per I/O on the baseline: $(awk -v c="$cpu_ns" 'BEGIN {printf "%.2f us", c / 1000}')"

# size LEVEL: the first guess of burn-ns for LEVEL.  If nbdkit bounds
# IOPS, b ns more per I/O lowers them by b / (c + b): 10% at c / 9.
size() {
    case $1 in
        iops-10) awk -v c="$cpu_ns" 'BEGIN {printf "%.0f", c / 9}' ;;
        cpu+10)  awk -v c="$cpu_ns" 'BEGIN {printf "%.0f", c * 0.10}' ;;
    esac
}
# measured LEVEL G: what a gate measured of LEVEL's own metric.
measured() {
    case $1 in
        iops-10) change "$2" iops ;;
        cpu+10)  change "$2" cpu nbdkit ;;
    esac
}

printf '\n%-8s %8s %9s %8s %8s %8s %8s %8s\n' level burn-ns measured "by own" "by any" noisy passed "s/gate"
: >"$work/levels.txt"
for lv in $LEVELS; do
    case $lv in
        iops-10) want=-0.10 ;;
        cpu+10) want=0.10 ;;
        *) echo "bench-gate: unknown level '$lv' (iops-10, cpu+10)" >&2; exit 1 ;;
    esac
    burn=$(size "$lv")
    # Calibration gates (CAL_PAIRS each, not counted) until the burn does
    # what the level says within 1.5 points, four at most: the first
    # scales the guess by what it did, the next interpolate between the
    # two nearest measured on either side (the response is steep where
    # nbdkit's CPU runs out).  The burn measured closest is kept.
    : >"$work/cal.txt"
    for round in 1 2 3 4; do
        stack "$work/b.json" "memory-burn-$burn" '["nbd-unix"]' "$burn"
        gate "$work/b.json" --repeat "$CAL_PAIRS" --max-repeat "$CAL_PAIRS" >"$work/g.txt"; read -r rc secs g <"$work/g.txt"
        got=$(measured "$lv" "$g")
        echo "$burn $got" >>"$work/cal.txt"
        echo "  (calibration $lv: burn-ns $burn measured $(awk -v g="$got" 'BEGIN {printf "%+.1f%%", g * 100}'))"
        awk -v w="$want" -v g="$got" 'BEGIN {exit !(g != "nan" && (g - w < 0.015 && w - g < 0.015))}' && break
        burn=$(awk -v w="$want" '
            $2 != "nan" { b[NR] = $1; g[NR] = $2 }
            END {
                # the nearest below and above the wanted change (by size)
                for (i in b) {
                    d = (g[i] - w) * (w < 0 ? -1 : 1)
                    if (d < 0 && (lo == "" || d > dlo)) { lo = i; dlo = d }
                    if (d > 0 && (hi == "" || d < dhi)) { hi = i; dhi = d }
                }
                if (lo != "" && hi != "")
                    n = b[lo] + (w - g[lo]) * (b[hi] - b[lo]) / (g[hi] - g[lo])
                else {
                    i = (lo != "") ? lo : hi
                    r = (g[i] * w <= 0) ? 2 : w / g[i]
                    if (r > 4) r = 4
                    if (r < 0.25) r = 0.25
                    n = b[i] * r
                }
                printf "%.0f", n
            }' "$work/cal.txt")
    done
    burn=$(awk -v w="$want" '$2 != "nan" { d = $2 - w; if (d < 0) d = -d
                                           if (best == "" || d < bd) { best = $1; bd = d } }
                             END { print best }' "$work/cal.txt")
    [ -n "$burn" ] || { echo "bench-gate: $lv: no calibration gate measured it" >&2; exit 1; }
    stack "$work/b.json" "memory-burn-$burn" '["nbd-unix"]' "$burn"
    : >"$work/ab.txt"
    for t in $(seq "$TRIALS_AB"); do
        gate "$work/b.json" >"$work/g.txt"; read -r rc secs g <"$work/g.txt"
        case $lv in
            iops-10) own=$(verdict "$g" iops) ;;
            cpu+10) own=$(verdict "$g" cpu nbdkit) ;;
        esac
        echo "$rc $(measured "$lv" "$g") $own $secs" >>"$work/ab.txt"
    done
    med=$(awk '{print $2}' "$work/ab.txt" | median)
    awk -v lv="$lv" -v m="$med" -v b="$burn" '{n[$1]++; own += ($3 == "REGRESSION"); s += $4}
        END {printf "%-8s %8d %+8.1f%% %5d/%d %5d/%d %5d/%d %5d/%d %8.0f\n", lv, b, m * 100,
                    own, NR, n[1], NR, n[3], NR, n[0], NR, s / NR}' "$work/ab.txt" |
        tee -a "$work/levels.txt"
done

[ "$WALL" = 1 ] || exit 0
# The wall time of a default gate of two layers, A/A.
stack "$work/a.json" memory '["nbd-unix", "nbd-tcp"]'
stack "$work/a2.json" memory '["nbd-unix", "nbd-tcp"]'
echo
for t in $(seq "${WALL_TRIALS:-2}"); do
    gate "$work/a2.json" >"$work/g.txt"; read -r rc secs g <"$work/g.txt"
    echo "two layers (nbd-unix, nbd-tcp), A/A at the defaults: exit $rc, $(jq '.series[0].baseline | length' "$g/gate.json") pairs, $secs s"
done
