#!/usr/bin/env bash
# bench-collectors.sh: what the collectors cost, measured, not assumed.
#
# The same target (the memory stack's nbd-unix layer, randrw_70_30,
# RUNTIME seconds) runs ROUNDS times with each collector setting,
# interleaved (cpu, cpu+perf, all, cpu, ...), and the medians are
# printed with their ratio to the run with the cpu collector alone:
#   IOPS            what the workload achieved;
#   CPU per I/O     fio's and nbdkit's CPU per I/O (the cpu collector's
#                   figure), plus perf record's own CPU where perf ran.
# CPU per I/O is the steadier measure on a shared machine: other tenants
# change how much CPU the run gets (IOPS), far less what an I/O costs.
# The cpu collector itself only reads /proc (at both ends, and the
# server's threads every 100 ms).
#
#   make bench-collectors            (RUNTIME=10 ROUNDS=3 by default)
#   SETTINGS="cpu cpu,perf" ROUNDS=15 RUNTIME=6 runner/bench-collectors.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/common/bench.sh"
VIPERBENCH=${VIPERBENCH:-$top/build/viperbench}
RUNTIME=${RUNTIME:-10}
ROUNDS=${ROUNDS:-3}
work=$(mktemp -d /tmp/viper-bench-coll.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

cat >"$work/stack.json" <<EOS
{ "name": "memory", "dir": "$work/data", "size": "1G", "plugin": "memory",
  "plugin_args": { "size": "\${size}" }, "layers": ["nbd-unix"] }
EOS
# SETTINGS="cpu cpu,perf" narrows the comparison.
read -r -a settings <<<"${SETTINGS:-cpu cpu,perf all}"
echo "bench-collectors: nbd-unix on nbdkit memory, randrw_70_30, ${#settings[@]} settings x $ROUNDS rounds x ${RUNTIME}s"
for r in $(seq "$ROUNDS"); do
    for c in "${settings[@]}"; do
        (cd "$top" && "$VIPERBENCH" run --scenario randrw_70_30 \
            --stack "$work/stack.json" --runtime "$RUNTIME" --collect "$c" \
            --results "$work/results" --desc "$c") >"$work/out.txt" 2>&1 ||
            { cat "$work/out.txt" >&2; exit 1; }
        rec=$(sed -n 's/^record: //p' "$work/out.txt")
        line=$(jq -r --arg c "$c" '.targets[0] | [$c, .read.iops + .write.iops,
            (([.collectors.cpu.processes[].cpu_s] | add)
             + (.collectors.perf.perf_cpu_s // 0)) * 1e6 / .collectors.cpu.ios]
            | @tsv' "$rec")
        echo "$line" >>"$work/all.tsv"
        printf '  round %s %-8s %s\n' "$r" "$c" \
            "$(echo "$line" | awk -F'\t' '{printf "%.0f IOPS, %.2f us CPU per I/O", $2, $3}')"
    done
done
base=$(awk -F'\t' '$1=="cpu"{print $2}' "$work/all.tsv" | median)
cbase=$(awk -F'\t' '$1=="cpu"{print $3}' "$work/all.tsv" | median)
echo
printf '%-9s %10s %9s %14s %9s\n' collect IOPS "vs cpu" "CPU us per I/O" "vs cpu"
for c in "${settings[@]}"; do
    m=$(awk -F'\t' -v c="$c" '$1==c{print $2}' "$work/all.tsv" | median)
    u=$(awk -F'\t' -v c="$c" '$1==c{print $3}' "$work/all.tsv" | median)
    awk -v c="$c" -v m="$m" -v b="$base" -v u="$u" -v cb="$cbase" \
        'BEGIN {printf "%-9s %10.0f %8.3fx %14.2f %8.3fx\n", c, m, m/b, u, u/cb}'
done
echo "(median of $ROUNDS rounds of ${RUNTIME}s; $(nproc) CPUs; $(date -u +%F))"
echo
echo "CPU us per I/O, mean and standard error of the mean over the rounds:"
awk -F'\t' '{ n[$1]++; s[$1] += $3; q[$1] += $3 * $3 }
    END { for (k in n) { m = s[k] / n[k]; v = q[k] / n[k] - m * m
                         printf "  %-9s %.2f +- %.2f\n", k, m, sqrt(v > 0 ? v : 0) / sqrt(n[k]) } }' \
    "$work/all.tsv" | sort
