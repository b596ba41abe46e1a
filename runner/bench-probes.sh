#!/usr/bin/env bash
# bench-probes.sh: what the probes cost, measured side by side in one run.
#
#   nbd-unix   viper over NBD to nbdkit's memory plugin (-t 16), without
#              and with the probe filter at both ends of the chain (as
#              viperbench run loads them: "probes": "all")
#   direct     viper with the memory plugin in-process, without and with
#              the engine's probe (probe_file=)
# Each pair runs ROUNDS times, in the order A B B A A B ... so that drift
# hits both alike; the reference job (randrw 70/30, 4k, 4 jobs x iodepth
# 32).  Printed per pair: the median of the per-round ratios with/without
# of IOPS (read+write) and of CPU per I/O (fio's user+system time, plus
# nbdkit's, over the I/Os done), and the hot path's own cost per request
# (build/probe-cost) as a share of that CPU per I/O.  The target is 2%.
#
#   make bench-probes                 (RUNTIME=5 ROUNDS=6 by default)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/common/bench.sh"
BUILD=${BUILD:-$top/build}
ENGINE=$BUILD/viper
RUNTIME=${RUNTIME:-5}
ROUNDS=${ROUNDS:-6}
work=$(mktemp -d /tmp/viper-bench.XXXXXX)

cleanup() {
    for p in "$work"/*.pid; do
        [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for f in "$ENGINE" "$BUILD/probe.so" "$BUILD/probe-inner.so"; do
    [ -f "$f" ] || { echo "bench-probes: no $f: run make" >&2; exit 2; }
done
for c in fio nbdkit jq; do
    command -v $c >/dev/null || { echo "bench-probes: $c is missing" >&2; exit 2; }
done

nbdkit -U "$work/plain.sock" -P "$work/plain.pid" -t 16 memory 1G
nbdkit -U "$work/probed.sock" -P "$work/probed.pid" -t 16 \
    --filter="$BUILD/probe.so" --filter="$BUILD/probe-inner.so" memory 1G \
    probe-file="$work/outer" probe-inner-file="$work/inner"
for p in plain probed; do
    for _ in $(seq 100); do [ -s "$work/$p.pid" ] && break; sleep 0.1; done
    [ -s "$work/$p.pid" ] || { echo "bench-probes: nbdkit ($p) did not start" >&2; exit 2; }
done

job=(--name=randrw_70_30 --rw=randrw --rwmixread=70 --bs=4k --size=128M
     --numjobs=4 --iodepth=32 --group_reporting --time_based
     --runtime="$RUNTIME" --output-format=json --ioengine=external:"$ENGINE")

# CPU seconds (user+system) of PID so far.
cpu_of() {
    awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

# run_one VARIANT: one fio run; appends "variant iops cpu_per_io_us".
run_one() {
    local v=$1 out=$work/$1.json srv="" before=0 after=0 t
    case $v in
    nbd-plain)     srv=$(cat "$work/plain.pid"); set -- --uri="nbd+unix:///?socket=$work/plain.sock" ;;
    nbd-probed)    srv=$(cat "$work/probed.pid"); set -- --uri="nbd+unix:///?socket=$work/probed.sock" ;;
    direct-plain)  set -- --uri='plugin:memory?size=1G' --workers=16 ;;
    direct-probed) set -- --uri='plugin:memory?size=1G' --workers=16 --probe_file="$work/direct.probe" ;;
    esac
    [ -n "$srv" ] && before=$(cpu_of "$srv")
    TIMEFORMAT='%U %S'
    t=$( { time fio "${job[@]}" "$@" >"$out" 2>"$out.err"; } 2>&1 ) ||
        { cat "$out.err" >&2; exit 1; }
    [ -n "$srv" ] && after=$(cpu_of "$srv")
    sed -n '/^{/,/^}/p' "$out" | jq -r '.jobs[0] | [.read.total_ios + .write.total_ios, .read.iops + .write.iops] | @tsv' |
        awk -v v="$v" -v t="$t" -v s="$((0))" -v b="$before" -v a="$after" \
            '{ split(t, c, " "); cpu = c[1] + c[2] + a - b;
               printf "%s\t%s\t%.4f\n", v, $2, cpu / $1 * 1e6 }' >>"$work/all.tsv"
}

echo "bench-probes: 2 pairs x $ROUNDS rounds x ${RUNTIME}s, interleaved (ABBA), $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do
    for pair in nbd direct; do
        if [ $((r % 2)) = 1 ]; then order="plain probed"; else order="probed plain"; fi
        for w in $order; do
            run_one "$pair-$w"
            printf '  round %s %-14s %s\n' "$r" "$pair-$w" "$(tail -1 "$work/all.tsv" | cut -f2- | awk '{printf "%.0f IOPS, %.2f us CPU/IO", $1, $2}')"
        done
    done
done

echo
printf '%-9s %12s %12s %10s %14s %14s %10s\n' pair "IOPS off" "IOPS on" "ratio" \
    "CPU/IO off" "CPU/IO on" "ratio"
for pair in nbd direct; do
    # Per-round ratios (rounds pair up in file order), then medians.
    paste <(awk -F'\t' -v v="$pair-plain" '$1==v' "$work/all.tsv") \
          <(awk -F'\t' -v v="$pair-probed" '$1==v' "$work/all.tsv") >"$work/$pair.pairs"
    io0=$(cut -f2 "$work/$pair.pairs" | median); io1=$(cut -f5 "$work/$pair.pairs" | median)
    c0=$(cut -f3 "$work/$pair.pairs" | median); c1=$(cut -f6 "$work/$pair.pairs" | median)
    ri=$(awk -F'\t' '{print $5 / $2}' "$work/$pair.pairs" | median)
    rc=$(awk -F'\t' '{print $6 / $3}' "$work/$pair.pairs" | median)
    awk -v p="$([ $pair = nbd ] && echo nbd-unix || echo direct)" -v a="$io0" -v b="$io1" \
        -v ri="$ri" -v c="$c0" -v d="$c1" -v rc="$rc" \
        'BEGIN {printf "%-9s %12.0f %12.0f %10.3f %11.2f us %11.2f us %10.3f\n", p, a, b, ri, c, d, rc}'
done
echo "(ratio: probes on / off, median of $ROUNDS per-round ratios; $(date -u +%F))"

# The hot path alone, against the CPU per I/O measured above: a probe's
# share of a request, which the ratios above (rounds spread by 10% or
# more on a shared machine) cannot resolve down to 2%.
if [ -x "$BUILD/probe-cost" ]; then
    one=$("$BUILD/probe-cost" 1 4); many=$("$BUILD/probe-cost" 16 4)
    c_nbd=$(cut -f6 "$work/nbd.pairs" | median); c_dir=$(cut -f6 "$work/direct.pairs" | median)
    echo
    echo "hot path (build/probe-cost): $one ns of CPU per request alone, $many ns with 16 threads on $(nproc) CPUs"
    awk -v m="$many" -v n="$c_nbd" -v d="$c_dir" 'BEGIN {
        printf "  nbd-unix (two probes): %.2f%% of its CPU per I/O; direct (one): %.2f%%\n",
               200 * m / 1000 / n, 100 * m / 1000 / d }'
fi
