#!/usr/bin/env bash
# bench-collectors.sh: what the collectors cost, measured, not assumed.
#
# The same target (the memory stack's nbd-unix layer, randrw_70_30,
# RUNTIME seconds) runs ROUNDS times with each collector setting,
# interleaved (none, perf, all, none, perf, all, ...), and the median
# IOPS of each is printed with its ratio to the run without collectors.
#
#   make bench-collectors            (RUNTIME=10 ROUNDS=3 by default)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
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
settings=(none perf all)
echo "bench-collectors: nbd-unix on nbdkit memory, randrw_70_30, ${#settings[@]} settings x $ROUNDS rounds x ${RUNTIME}s"
for r in $(seq "$ROUNDS"); do
    for c in "${settings[@]}"; do
        (cd "$top" && "$VIPERBENCH" run --scenario randrw_70_30 \
            --stack "$work/stack.json" --runtime "$RUNTIME" --collect "$c" \
            --results "$work/results" --desc "$c") >"$work/out.txt" 2>&1 ||
            { cat "$work/out.txt" >&2; exit 1; }
        rec=$(sed -n 's/^record: //p' "$work/out.txt")
        iops=$(jq -r '.targets[0] | .read.iops + .write.iops' "$rec")
        printf '%s\t%s\n' "$c" "$iops" >>"$work/all.tsv"
        printf '  round %s %-5s %.0f IOPS\n' "$r" "$c" "$iops"
    done
done
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base=$(awk -F'\t' '$1=="none"{print $2}' "$work/all.tsv" | median)
echo
printf '%-8s %12s %12s\n' collect IOPS "vs none"
for c in "${settings[@]}"; do
    m=$(awk -F'\t' -v c="$c" '$1==c{print $2}' "$work/all.tsv" | median)
    awk -v c="$c" -v m="$m" -v b="$base" 'BEGIN {printf "%-8s %12.0f %11.3fx\n", c, m, m/b}'
done
echo "(median of $ROUNDS rounds of ${RUNTIME}s; $(nproc) CPUs; $(date -u +%F))"
