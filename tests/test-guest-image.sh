#!/usr/bin/env bash
# test-guest-image.sh: the guest-image layer, the same VM as the guest
# layer on a local image in the stack's directory.
# - One ladder guest-image, host, guest (qcow2, "qemu-image" flags over
#   "qemu"): a complete record; guest-image's figures are its guest's
#   own fio JSON's; its image is a qcow2 file qemu-img reads back with
#   the stack's size; its QEMU ran the image's flags (iothread, cache
#   none, io_uring, two queues the guest saw) while the guest layer kept
#   its own (one queue, no iothread); no nbdkit in it; both boundaries
#   measured; the guest layer names guest-image as its peer and the
#   report gives their ratio, computed here from the record.
# (The device models, the filesystem and hot-plug: test-guest-disk.)
# - Bad input (exit 2, the key named, nothing run): an unknown format, a
#   qemu-image that is no object, an unknown device, nvme with an
#   iothread, someone else's guest-image.qcow2 in
#   the dir (left as it was), qemu-img missing (its Debian package named).
# - No QEMU left after any of them.
# Run alone: tests/test-guest-image.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq qemu-system-x86_64 qemu-img

stack() {   # FILE LAYERS QEMU-IMAGE-JSON
    write_stack "$1" "$2" "\"ready_timeout_s\": 60,
  \"qemu\": { \"accel\": \"tcg\", \"vcpus\": 2, \"memory\": \"512M\", \"num-queues\": 1 },
  \"qemu-image\": $3"
}

# 1. qcow2, the peer away from guest-image in the ladder.
stack "$TMPDIR/q.json" '["guest-image", "host", "guest"]' \
    '{ "format": "qcow2", "iothread": true, "cache": "none", "aio": "io_uring", "num-queues": 2 }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/q.json" --runtime 2 \
    --size 32M --collect none >"$TMPDIR/run1.txt" 2>&1 ||
    { cat "$TMPDIR/run1.txt"; fail "the qcow2 ladder failed"; }
rec=$TMPDIR/results/VM-1/run.json
gi='.targets[] | select(.name == "guest-image")'
g='.targets[] | select(.name == "guest")'
[ "$(jq -r .status "$rec")" = complete ] || fail "status $(jq -r .status "$rec")"
dir=$TMPDIR/results/VM-1/guest-image
for d in read write; do
    a=$(jq -r "$gi | .$d.iops" "$rec")
    b=$(jq -r ".jobs[0].$d.iops" "$dir/fio.json")
    [ "$a" = "$b" ] && [ "$(jq -r ".jobs[0].$d.total_ios" "$dir/fio.json")" -gt 0 ] ||
        fail "guest-image $d IOPS $a in the record, $b in its guest's fio.json"
done
img=$TMPDIR/data/guest-image.qcow2
[ "$(jq -r "$gi | .setup.image" "$rec")" = "$img" ] &&
    [ "$(jq -r "$gi | .setup.format" "$rec")" = qcow2 ] || fail "the image's setup: $(jq -c "$gi | .setup" "$rec")"
qemu-img info --output=json "$img" >"$TMPDIR/info.json" || fail "qemu-img cannot read $img"
[ "$(jq -r .format "$TMPDIR/info.json")" = qcow2 ] &&
    [ "$(jq -r '."virtual-size"' "$TMPDIR/info.json")" = $((256 << 20)) ] ||
    fail "the image: $(jq -c '{format, "virtual-size"}' "$TMPDIR/info.json")"
echo "ok: guest-image ran on a qcow2 image of the stack's size"

cmd=$(jq -r "$gi | .servers[] | select(.role == \"qemu-system\") | .command" "$rec")
case $cmd in
*"file=$img,format=qcow2,cache=none,aio=io_uring"*iothread=io0*num-queues=2*) ;;
*) fail "guest-image's QEMU: $cmd" ;;
esac
[ "$(jq "[$gi | .servers[] | select(.role == \"nbdkit\")] | length" "$rec")" = 0 ] ||
    fail "guest-image ran nbdkit"
[ "$(jq -r "$gi | .setup.queues_seen" "$rec")" = 2 ] && [ "$(jq -r "$gi | .setup.iothread" "$rec")" = true ] ||
    fail "guest-image's flags are not qemu-image's: $(jq -c "$gi | .setup" "$rec")"
[ "$(jq -r "$g | .setup.queues_seen" "$rec")" = 1 ] && [ "$(jq -r "$g | .setup.iothread" "$rec")" = false ] ||
    fail "qemu-image's flags reached the guest layer: $(jq -c "$g | .setup" "$rec")"
for b in guest-disk qemu-block; do
    n=$(jq "[$gi | .boundaries[] | select(.name == \"$b\") | .ops.read.count] | first // 0" "$rec")
    awk -v n="$n" 'BEGIN { exit !(n > 0) }' || fail "guest-image's $b measured no reads"
done
echo "ok: guest-image's QEMU ran qemu-image's flags, the guest layer its own; both boundaries measured"

[ "$(jq -r "$g | .peer.layer" "$rec")" = guest-image ] || fail "the guest layer names no peer"
want=$(jq -r "[$gi | .read.iops + .write.iops] + [$g | .read.iops + .write.iops] |
    if .[1] < .[0] then \"\(.[0] / .[1] * 10 | round / 10)x slower\"
    else \"\(.[1] / .[0] * 10 | round / 10)x faster\" end" "$rec" | sed 's/^\([0-9]*\)x/\1.0x/')
grep -F -- "- **guest against guest-image** (the same VM, its disk a local image instead of QEMU's NBD client to nbdkit): $want" \
    "$TMPDIR/results/VM-1/report.md" >/dev/null ||
    { grep -n 'against' "$TMPDIR/results/VM-1/report.md"; fail "the report's guest against guest-image is not $want"; }
echo "ok: the report gives guest against guest-image: $want"
no_orphans qemu-system

# 2. Bad input.
bad() {   # LABEL PATTERN QEMU-IMAGE-JSON: in a dir of its own, data2
    stack "$TMPDIR/b.json" '["guest-image"]' "$3"
    sed -i "s|\"$TMPDIR/data\"|\"$TMPDIR/data2\"|" "$TMPDIR/b.json"
    refused "$1" "$2" "$TMPDIR/b.json"
}
n_before=$(ls "$TMPDIR/results" | wc -l)
bad "an unknown format" 'format.*expected one of raw, qcow2' '{ "format": "vmdk" }'
bad "qemu-image not an object" 'qemu-image.*expected an object' '5'
bad "an unknown device" 'device.*expected one of virtio-blk, virtio-scsi, nvme' '{ "device": "ide" }'
bad "nvme with an iothread" "nvme device has no iothread" '{ "device": "nvme", "iothread": true }'
mkdir -p "$TMPDIR/data2"
printf 'mine\n' >"$TMPDIR/data2/guest-image.qcow2"
bad "someone's guest-image.qcow2" 'guest-image.qcow2 exists and was not made by viperbench' '{ "format": "qcow2" }'
[ "$(cat "$TMPDIR/data2/guest-image.qcow2")" = mine ] || fail "someone's guest-image.qcow2 was touched"
rm "$TMPDIR/data2/guest-image.qcow2"
BENCH_PATH=$(path_without qemu-img) bad "qemu-img missing" "needs 'qemu-img'.*qemu-utils" '{ "format": "qcow2" }'
[ "$(ls "$TMPDIR/results" | wc -l)" = "$n_before" ] || fail "a refused stack made a record"
no_orphans qemu-system
echo PASS
