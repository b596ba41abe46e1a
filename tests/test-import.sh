#!/usr/bin/env bash
# test-import.sh: `viperbench import` turns fio output into records.
# - The five fio 3.36 text outputs in shared/fixtures/fio-text (VM-1..5,
#   one with a stray shell line and mis-encoded quotes) import with every
#   figure right: checked by hand for VM-1, and for all five against the
#   figures read back from the text by an independent awk.
# - Other variants fio prints: one direction only, group_reporting off
#   (IOPS summed, percentiles not merged), and fio's JSON; each against
#   fio's own JSON of the same run.
# - Bad input: no fio results in the file, exit 2 and no record.
# Run alone: tests/test-import.sh
. "$(dirname "$0")/functions.sh"
requires jq

fx=$top/../shared/fixtures/fio-text
[ -d "$fx" ] || skip "no shared/fixtures/fio-text beside the checkout"
imp() { "$VIPERBENCH" import --results "$TMPDIR/r" "$@" >/dev/null; }
for i in 1 2 3 4 5; do
    imp --desc-file "$fx/vm$i.desc" "$fx/vm$i.txt" || fail "import vm$i"
done
j() { jq -r "$2" "$TMPDIR/r/$1/run.json"; }

# VM-1 by hand, from the text.
[ "$(j VM-1 .description)" = "Original distributed predastore - prior to any tweaks." ] ||
    fail "VM-1 description"
[ "$(j VM-1 .status)" = imported ] || fail "status"
t='.targets[0]'
[ "$(j VM-1 "$t.read.iops, $t.write.iops" | tr '\n' ' ')" = "1143 494 " ] || fail "VM-1 IOPS"
[ "$(j VM-1 "$t.read.bw_bytes, $t.write.bw_bytes" | tr '\n' ' ')" = "4682752 2026496 " ] ||
    fail "VM-1 bandwidth"
[ "$(j VM-1 "$t.read.total_ios, $t.write.total_ios" | tr '\n' ' ')" = "91488 39584 " ] ||
    fail "VM-1 I/Os"
[ "$(j VM-1 "$t.read.lat_ns | .mean, .p50, .p99, .[\"p99.9\"]" | tr '\n' ' ')" = \
  "81330000 81000000 114000000 133000000 " ] || fail "VM-1 read latency"
[ "$(j VM-1 "$t.write.lat_ns | .mean, .p50, .p99, .[\"p99.9\"]" | tr '\n' ' ')" = \
  "70654500 70000000 99000000 114000000 " ] || fail "VM-1 write latency"
[ "$(j VM-1 "$t.runtime_s")" = 80.026 ] || fail "VM-1 runtime"
echo "VM-1: every figure right"

# All five against an independent reading of the text.
for i in 1 2 3 4 5; do
    want=$(awk '
        /^ *read: IOPS=/  { d = "r"; sub(/.*IOPS=/, ""); sub(/,.*/, ""); iops[d] = $0 }
        /^ *write: IOPS=/ { d = "w"; sub(/.*IOPS=/, ""); sub(/,.*/, ""); iops[d] = $0 }
        /^ *clat percentiles/ { u = ($0 ~ /msec/) ? 1e6 : ($0 ~ /usec/) ? 1e3 : 1 }
        /99\.00th=\[/ { s = $0; sub(/.*99\.00th=\[ */, "", s); sub(/\].*/, "", s); p99[d] = s * u }
        END { printf "%s %s %.0f %.0f", iops["r"], iops["w"], p99["r"], p99["w"] }' "$fx/vm$i.txt")
    got=$(j VM-$i "$t | \"\(.read.iops) \(.write.iops) \(.read.lat_ns.p99) \(.write.lat_ns.p99)\"")
    [ "$got" = "$want" ] || fail "VM-$i: imported '$got', text says '$want'"
    d=$(cat "$fx/vm$i.desc"); d=${d%$'\n'}
    [ "$(j VM-$i .description)" = "$d" ] || fail "VM-$i description"
    echo "VM-$i: $got"
done

# Variants from a real fio run: normal and JSON output of the same run.
variant() {
    local name=$1; shift
    (cd "$TMPDIR" && timeout 60 fio --name="$name" --ioengine=null --size=64M \
        --time_based --runtime=1 --output-format=normal,json \
        --output="$name.out" "$@") || fail "fio $name"
    # fio writes the JSON, then the normal output, into one file.
    sed -n '/^{/,/^}/p' "$TMPDIR/$name.out" >"$TMPDIR/$name.json"
    sed '1,/^}/d' "$TMPDIR/$name.out" >"$TMPDIR/$name.txt"
}
variant oneway --rw=randread --bs=4k --iodepth=1
imp "$TMPDIR/oneway.txt" || fail "import one direction"
id=VM-6
[ "$(j $id "$t.write.iops")" = 0 ] || fail "one direction: write IOPS"
fio_iops=$(jq '.jobs[0].read.iops' "$TMPDIR/oneway.json")
awk -v a="$(j $id "$t.read.iops")" -v b="$fio_iops" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d < 0.001) }' ||
    fail "one direction: read IOPS $(j $id "$t.read.iops") vs fio $fio_iops"

variant nogroup --rw=randrw --bs=4k --numjobs=2
imp "$TMPDIR/nogroup.txt" || fail "import group_reporting off"
id=VM-7
sum=$(jq '[.jobs[].read.iops] | add' "$TMPDIR/nogroup.json")
awk -v a="$(j $id "$t.read.iops")" -v b="$sum" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d < 0.001) }' ||
    fail "group_reporting off: read IOPS $(j $id "$t.read.iops") vs sum $sum"
[ "$(j $id "$t.read.lat_ns.p99")" = null ] || fail "percentiles merged from text"
[ "$(j $id .imported.job_entries)" = 2 ] || fail "job entries"

imp "$TMPDIR/nogroup.json" || fail "import JSON"
id=VM-8
[ "$(j $id .imported.format)" = json ] || fail "JSON not detected"
awk -v a="$(j $id "$t.read.iops")" -v b="$sum" 'BEGIN { d = (a - b) / b; if (d < 0) d = -d; exit !(d < 1e-9) }' ||
    fail "JSON: read IOPS $(j $id "$t.read.iops") vs $sum"
echo "variants: one direction, group_reporting off, JSON: ok"

echo "hello" >"$TMPDIR/junk.txt"
"$VIPERBENCH" import --results "$TMPDIR/r" "$TMPDIR/junk.txt" >/dev/null 2>"$TMPDIR/e.txt"
[ $? -eq 2 ] || fail "junk: not exit 2"
grep -q "no fio results found" "$TMPDIR/e.txt" || fail "junk: no message"
[ ! -d "$TMPDIR/r/VM-9" ] || fail "junk made a record"
echo "bad input: ok"

# The same output twice: refused, naming the record that has it, unless
# --force; the record keeps the output's SHA-256.
[ "$(j VM-1 .imported.sha256)" = "$(sha256sum "$fx/vm1.txt" | cut -d' ' -f1)" ] ||
    fail "VM-1's sha256 is not its output's"
"$VIPERBENCH" import --results "$TMPDIR/r" "$fx/vm1.txt" >/dev/null 2>"$TMPDIR/e.txt"; rc=$?
[ $rc -eq 2 ] && grep -q "was imported before, as $TMPDIR/r/VM-1 (the same SHA-256" "$TMPDIR/e.txt" ||
    { cat "$TMPDIR/e.txt"; fail "a second import of vm1: exit $rc"; }
[ ! -d "$TMPDIR/r/VM-9" ] || fail "the refused import made a record"
imp --force "$fx/vm1.txt" || fail "import --force"
[ "$(j VM-9 .imported.sha256)" = "$(j VM-1 .imported.sha256)" ] || fail "the forced import"
echo "the same output twice: refused, then --force: ok"
