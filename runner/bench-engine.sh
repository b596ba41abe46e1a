#!/usr/bin/env bash
# bench-engine.sh: the viper engine against fio's built-in nbd engine,
# measured side by side in one run.
#
# One nbdkit memory server; the reference job (randrw 70/30, 4k, 4 jobs x
# iodepth 32, group_reporting) runs ROUNDS times for each variant,
# interleaved (A B C D A B C D ...) so drift hits all alike:
#   nbd        fio's nbd engine (one connection per job)
#   viper-c1   viper over NBD, conns=1
#   viper-c4   viper over NBD, conns=4
#   viper-mem  viper in-process on the memory plugin (no NBD at all)
# It prints, per variant, the median of the rounds: IOPS (read+write),
# read p99 of the total latency (submission + completion: an in-process
# call completes inside fio's submit, so clat alone would read ~0), and
# the IOPS ratio to fio's nbd engine.
#
#   make bench-engine                 (RUNTIME=10 ROUNDS=3 by default)
#   RUNTIME=5 ROUNDS=5 runner/bench-engine.sh
#
# PIN=1 (the default on 2+ CPUs) runs nbdkit on the last CPU and fio on
# the others: client and server then do not steal each other's CPU, which
# on a small machine otherwise dominates (see README, "Benchmarking").
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/common/bench.sh"
ENGINE=${ENGINE:-$top/build/viper}
RUNTIME=${RUNTIME:-10}
ROUNDS=${ROUNDS:-3}
ncpu=$(nproc)
PIN=${PIN:-$([ "$ncpu" -ge 2 ] && echo 1 || echo 0)}
work=$(mktemp -d /tmp/viper-bench.XXXXXX)
pidf=$work/nbdkit.pid

cleanup() {
    [ -s "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$ENGINE" ] || { echo "bench-engine: no engine at $ENGINE: run make" >&2; exit 2; }
for c in fio nbdkit jq; do
    command -v $c >/dev/null || { echo "bench-engine: $c is missing" >&2; exit 2; }
done

server_pin=() client_pin=()
if [ "$PIN" = 1 ]; then
    server_pin=(taskset -c $((ncpu - 1)))
    client_pin=(taskset -c 0-$((ncpu - 2)))
fi
"${server_pin[@]}" nbdkit -U "$work/nbd.sock" -P "$pidf" memory 1G
for _ in $(seq 100); do [ -s "$pidf" ] && break; sleep 0.1; done
[ -s "$pidf" ] || { echo "bench-engine: nbdkit did not start" >&2; exit 2; }
uri="nbd+unix:///?socket=$work/nbd.sock"

job=(--name=randrw_70_30 --rw=randrw --rwmixread=70 --bs=4k --size=128M
     --numjobs=4 --iodepth=32 --group_reporting --time_based
     --runtime="$RUNTIME" --ramp_time=1 --lat_percentiles=1
     --output-format=json)
variants=(nbd viper-c1 viper-c4 viper-mem)

run_variant() {
    local v=$1 out=$2
    case $v in
    nbd)       "${client_pin[@]}" fio --ioengine=nbd --uri="$uri" "${job[@]}" ;;
    viper-c1)  "${client_pin[@]}" fio --ioengine=external:"$ENGINE" --uri="$uri" --conns=1 "${job[@]}" ;;
    viper-c4)  "${client_pin[@]}" fio --ioengine=external:"$ENGINE" --uri="$uri" --conns=4 "${job[@]}" ;;
    viper-mem) "${client_pin[@]}" fio --ioengine=external:"$ENGINE" --uri='plugin:memory?size=1G' "${job[@]}" ;;
    esac >"$out" 2>"$out.err" || { cat "$out.err" >&2; exit 1; }
}

echo "bench-engine: ${#variants[@]} variants x $ROUNDS rounds x ${RUNTIME}s, interleaved, PIN=$PIN"
for r in $(seq "$ROUNDS"); do
    for v in "${variants[@]}"; do
        run_variant "$v" "$work/$v.$r.json"
        sed -n '/^{/,/^}/p' "$work/$v.$r.json" |
            jq -r --arg v "$v" --arg r "$r" '.jobs[0] |
              [$v, $r, (.read.iops + .write.iops),
               .read.lat_ns.percentile["99.000000"]] | @tsv' >>"$work/all.tsv"
        printf '  round %s %-10s %s IOPS\n' "$r" "$v" \
            "$(tail -1 "$work/all.tsv" | cut -f3 | cut -d. -f1)"
    done
done

# Medians per variant, and the ratio to fio's nbd engine.
base=$(awk -F'\t' '$1=="nbd"{print $3}' "$work/all.tsv" | median)
echo
printf '%-10s %12s %14s %14s\n' variant "IOPS (r+w)" "read p99 (us)" "vs fio nbd"
for v in "${variants[@]}"; do
    iops=$(awk -F'\t' -v v="$v" '$1==v{print $3}' "$work/all.tsv" | median)
    p99=$(awk -F'\t' -v v="$v" '$1==v{print $4}' "$work/all.tsv" | median)
    awk -v v="$v" -v i="$iops" -v p="$p99" -v b="$base" \
        'BEGIN {printf "%-10s %12.0f %14.2f %13.2fx\n", v, i, p/1000, i/b}'
done
echo "(median of $ROUNDS rounds of ${RUNTIME}s each; $ncpu CPUs; PIN=$PIN; $(date -u +%F))"
