#!/usr/bin/env bash
# test-guest-disk.sh: how the guest layers' VM gets its disk and what it
# makes of it: a filesystem in the guest (the stack's "guest" section),
# the disk hot-plugged over QMP (qemu.attach "hotplug"), the device
# models (virtio-scsi, nvme, vhost-user-blk served by
# qemu-storage-daemon).  Each run is a ladder guest-image, guest.
# 1. ext4 (noatime), virtio-blk in an iothread, hot-plugged: fio ran on a
#    file in ext4 of the scenario's size, as the guest's /proc/mounts
#    says; the attach ran object-add, blockdev-add, device_add and the
#    detach device_del, blockdev-del, object-del; QEMU had more block
#    nodes and files while attached and as many as before after; both
#    boundaries measured on the hot-plugged drive; no -drive on QEMU's
#    command line.
# 2. xfs, hot-plugged: virtio-scsi for the guest (sda, sd; the controller
#    detached), vhost-user-blk for guest-image (qemu-storage-daemon a
#    server of the layer, its CPU billed; chardev-add/device_add, then
#    device_del/chardev-remove; qemu-block said not measured).
# 3. At boot, on the raw disk: vhost-user-blk on NBD for the guest (the
#    daemon between QEMU and nbdkit, the VM's memory shared), nvme for
#    guest-image (the shadow doorbell as QEMU traced it).
# 4. Bad input, exit 2, the key named, nothing run: an unknown fs, mount
#    options with a space or none to mount, an unknown attach, a guest
#    section that is no object, qemu-storage-daemon missing (its Debian
#    package named); a file that does not fit the filesystem: the run
#    fails saying so.
# - No QEMU or qemu-storage-daemon left after any of them.
# Run alone: tests/test-guest-disk.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq qemu-system-x86_64 qemu-storage-daemon

stack() {   # FILE SIZE QEMU-JSON QEMU-IMAGE-JSON GUEST-JSON
    write_stack "$1" '["guest-image", "guest"]' "\"ready_timeout_s\": 90,
  \"qemu\": $3,
  \"qemu-image\": $4,
  \"guest\": $5"
    sed -i "s|\"size\": \"256M\"|\"size\": \"$2\"|" "$1"
}
gi='.targets[] | select(.name == "guest-image")'
g='.targets[] | select(.name == "guest")'
last() { ls -d "$TMPDIR"/results/VM-* | sort -V | tail -1; }
setup() {   # RECORD LAYER-FILTER KEY
    jq -r "$2 | .setup.$3 | if type == \"array\" then join(\", \") else . end" "$1"
}
reads() {   # RECORD LAYER-FILTER BOUNDARY
    jq "[$2 | .boundaries[] | select(.name == \"$3\") | .ops.read.count] | first // 0" "$1"
}
base='"accel": "tcg", "vcpus": 2, "memory": "512M"'

# 1. ext4, hot-plugged virtio-blk in an iothread.
stack "$TMPDIR/a.json" 256M "{ $base, \"iothread\": true, \"cache\": \"none\", \"attach\": \"hotplug\" }" \
    '{}' '{ "fs": "ext4", "mount-options": "noatime" }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/a.json" --runtime 2 \
    --size 32M --collect none >"$TMPDIR/a.txt" 2>&1 ||
    { cat "$TMPDIR/a.txt"; fail "the ext4 hot-plug ladder failed"; }
rec=$(last)/run.json
[ "$(jq -r .status "$rec")" = complete ] || fail "status $(jq -r .status "$rec")"
for L in guest-image guest; do
    t=".targets[] | select(.name == \"$L\")"
    d=$(last)/$L
    [ "$(setup "$rec" "$t" fs_mounted)" = ext4 ] || fail "$L: fs $(setup "$rec" "$t" fs_mounted)"
    case ,$(setup "$rec" "$t" mount_options_seen), in *,noatime,*) ;;
    *) fail "$L: mounted $(setup "$rec" "$t" mount_options_seen)" ;; esac
    [ "$(setup "$rec" "$t" file_bytes)" = $((32 << 20)) ] || fail "$L: file of $(setup "$rec" "$t" file_bytes) bytes"
    [ "$(jq -r '."global options".filename' "$d/fio.json")" = /mnt/viperbench/fio.dat ] &&
        [ "$(jq -r '.jobs[0].read.total_ios' "$d/fio.json")" -gt 0 ] || fail "$L: fio did not run on the file"
    grep -q 'ext4 on /dev/vda mounted rw,noatime' "$d/guest-console.log" || fail "$L: the console says no ext4"
    for b in guest-disk qemu-block; do
        [ "$(reads "$rec" "$t" $b)" -gt 0 ] || fail "$L: $b measured no reads"
    done
    drv=raw; [ $L = guest ] && drv=nbd
    [ "$(setup "$rec" "$t" attach.sequence)" = "object-add iothread io0, blockdev-add $drv vbdisk, device_add virtio-blk-pci vbdisk0" ] ||
        fail "$L: attached by $(setup "$rec" "$t" attach.sequence)"
    [ "$(setup "$rec" "$t" attach.detach)" = "device_del vbdisk0, blockdev-del vbdisk, object-del io0" ] ||
        fail "$L: detached by $(setup "$rec" "$t" attach.detach)"
    jq -e "$t | .setup.attach | .left == [] and
        .block_nodes_attached > .block_nodes_before and .block_nodes_after == .block_nodes_before and
        .qemu_fds_attached > .qemu_fds_before and .qemu_fds_after == .qemu_fds_before" "$rec" >/dev/null ||
        fail "$L: the detach left something: $(jq -c "$t | .setup.attach" "$rec")"
    jq -r "$t | .servers[] | select(.role == \"qemu-system\") | .command" "$rec" | grep -q -- ' -drive ' &&
        fail "$L: a hot-plugged disk on QEMU's command line"
done
grep -q 'ext4 made by the guest at boot, mounted rw,noatime' "$(last)/report.md" ||
    fail "the report does not say the filesystem"
grep -q 'hot-plugged over QMP after boot .*nothing left in QEMU' "$(last)/report.md" ||
    fail "the report does not say the hot-plug"
echo "ok: ext4 (noatime) on a hot-plugged virtio-blk: attached and detached in order, nothing left"
no_orphans qemu-system

# 2. xfs, hot-plugged: virtio-scsi (guest), vhost-user-blk (guest-image).
stack "$TMPDIR/b.json" 512M "{ $base, \"iothread\": true, \"attach\": \"hotplug\", \"device\": \"virtio-scsi\" }" \
    '{ "device": "vhost-user-blk", "num-queues": 2 }' '{ "fs": "xfs" }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/b.json" --runtime 2 \
    --size 32M --collect cpu >"$TMPDIR/b.txt" 2>&1 ||
    { cat "$TMPDIR/b.txt"; fail "the xfs hot-plug ladder failed"; }
rec=$(last)/run.json
[ "$(jq -r .status "$rec")" = complete ] || fail "status $(jq -r .status "$rec")"
got=$(jq -r "$g | .setup | [.fs_mounted, .disk, .driver_seen] | join(\" \")" "$rec")
[ "$got" = "xfs sda sd" ] || fail "virtio-scsi: $got"
[ "$(setup "$rec" "$g" attach.detach)" = "device_del scsi0, blockdev-del vbdisk, object-del io0" ] &&
    [ "$(jq -c "$g | .setup.attach.left" "$rec")" = '[]' ] || fail "virtio-scsi's detach: $(jq -c "$g | .setup.attach" "$rec")"
[ "$(reads "$rec" "$g" qemu-block)" -gt 0 ] || fail "virtio-scsi: qemu-block measured nothing"
got=$(jq -r "$gi | .setup | [.fs_mounted, .disk, .driver_seen, .queues_seen] | join(\" \")" "$rec")
[ "$got" = "xfs vda virtio_blk 2" ] || fail "vhost-user-blk: $got"
[ "$(setup "$rec" "$gi" attach.sequence)" = "chardev-add socket vu, device_add vhost-user-blk-pci vbdisk0" ] &&
    [ "$(setup "$rec" "$gi" attach.detach)" = "device_del vbdisk0, chardev-remove vu" ] &&
    [ "$(jq -c "$gi | .setup.attach.left" "$rec")" = '[]' ] || fail "vhost-user-blk's hot-plug: $(jq -c "$gi | .setup.attach" "$rec")"
[ "$(jq -r "$gi | [.servers[].role] | join(\" \")" "$rec")" = "qemu-storage-daemon qemu-system" ] ||
    fail "vhost-user-blk's servers: $(jq -c "$gi | [.servers[].role]" "$rec")"
jq -r "$gi | .servers[] | select(.role == \"qemu-storage-daemon\") | .command" "$rec" |
    grep -F "\"filename\":\"$TMPDIR/data/guest-image.raw\"" | grep -qF '"type":"vhost-user-blk"' ||
    fail "the daemon does not export guest-image.raw"
[ "$(reads "$rec" "$gi" qemu-block)" = 0 ] && setup "$rec" "$gi" qemu_block | grep -q '^not measured' ||
    fail "vhost-user-blk: qemu-block should be said not measured"
[ "$(reads "$rec" "$gi" guest-disk)" -gt 0 ] || fail "vhost-user-blk: guest-disk measured nothing"
jq -r "$gi | .facts[] | select(.label == \"disk attached\") | .value" "$rec" |
    grep -qF 'hot-plugged over QMP after boot (chardev-add socket vu, device_add vhost-user-blk-pci vbdisk0); detached in order (device_del vbdisk0, chardev-remove vu) with nothing left in QEMU' ||
    fail "guest-image's facts do not say vhost-user-blk's own hot-plug sequence"
cpu=$(jq "[$gi | .. | objects | select(.role? == \"qemu-storage-daemon\" and has(\"cpu_s\")) | .cpu_s] | first // 0" "$rec")
awk -v c="$cpu" 'BEGIN { exit !(c > 0) }' || fail "qemu-storage-daemon's CPU is not billed: $cpu"
echo "ok: xfs on hot-plugged virtio-scsi and vhost-user-blk (qemu-storage-daemon billed), nothing left"
no_orphans qemu-system
no_orphans qemu-storage-daemon

# 3. At boot, the raw disk: vhost-user-blk on NBD, nvme on the image.
stack "$TMPDIR/c.json" 256M "{ $base, \"device\": \"vhost-user-blk\", \"num-queues\": 2 }" \
    '{ "device": "nvme" }' '{ "fs": "none" }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/c.json" --runtime 2 \
    --size 32M --collect none >"$TMPDIR/c.txt" 2>&1 ||
    { cat "$TMPDIR/c.txt"; fail "the boot ladder failed"; }
rec=$(last)/run.json
[ "$(jq -r "$g | [.servers[].role] | join(\" \")" "$rec")" = "nbdkit qemu-storage-daemon qemu-system" ] ||
    fail "vhost-user-blk on NBD: servers $(jq -c "$g | [.servers[].role]" "$rec")"
cmd=$(jq -r "$g | .servers[] | select(.role == \"qemu-system\") | .command" "$rec")
case $cmd in
*memory-backend-memfd,id=mem,size=512M,share=on*vhost-user-blk-pci,id=vbdisk0,chardev=vu,num-queues=2*) ;;
*) fail "vhost-user-blk's QEMU: $cmd" ;;
esac
jq -r "$g | .servers[] | select(.role == \"qemu-storage-daemon\") | .command" "$rec" |
    grep -qF '"driver":"nbd","server":{"type":"unix"' || fail "the daemon is not nbdkit's client"
[ "$(jq -r '."global options".filename' "$(last)/guest/fio.json")" = /dev/vda ] &&
    [ "$(setup "$rec" "$g" queues_seen)" = 2 ] || fail "vhost-user-blk at boot: $(jq -c "$g | .setup" "$rec")"
[ "$(reads "$rec" "$g" nbdkit)" -gt 0 ] || fail "vhost-user-blk: nbdkit saw no reads"
got=$(jq -r "$gi | .setup | [.disk, .driver_seen] | join(\" \")" "$rec")
[ "$got" = "nvme0n1 nvme" ] || fail "nvme: $got"
setup "$rec" "$gi" shadow_doorbell | grep -q '^used: ' ||
    fail "nvme: shadow doorbell $(setup "$rec" "$gi" shadow_doorbell)"
[ "$(reads "$rec" "$gi" qemu-block)" -gt 0 ] || fail "nvme: qemu-block measured nothing"
jq -r "$gi | .servers[] | select(.role == \"qemu-system\") | .command" "$rec" |
    grep -qF -- "-drive if=none,id=vbdisk,file=$TMPDIR/data/guest-image.raw,format=raw -device nvme,drive=vbdisk" ||
    fail "nvme: QEMU's drive is not the raw image"
[ "$(jq -r "$gi | .setup.attach // \"none\"" "$rec")" = none ] || fail "a boot disk with an attach record"
echo "ok: vhost-user-blk on NBD and nvme (shadow doorbell used) at boot"
no_orphans qemu-system
no_orphans qemu-storage-daemon

# 4. Bad input.
bad() {   # LABEL PATTERN QEMU-JSON GUEST-JSON
    stack "$TMPDIR/x.json" 256M "$3" '{}' "$4"
    refused "$1" "$2" "$TMPDIR/x.json"
}
n_before=$(ls "$TMPDIR/results" | wc -l)
bad "an unknown fs" 'key .fs..*expected one of none, ext4, xfs' "{ $base }" '{ "fs": "btrfs" }'
bad "mount options with a space" 'key .mount-options..*expected mount -o options' "{ $base }" '{ "fs": "ext4", "mount-options": "noatime quiet=1" }'
bad "mount options without a fs" 'key .mount-options..*no filesystem to mount' "{ $base }" '{ "mount-options": "noatime" }'
bad "an unknown guest key" 'key .size..*unknown key in guest' "{ $base }" '{ "size": "1G" }'
bad "a guest section that is no object" 'key .guest..*expected an object' "{ $base }" '"ext4"'
bad "an unknown attach" 'key .attach..*expected one of boot, hotplug' "{ $base, \"attach\": \"later\" }" '{}'
BENCH_PATH=$(path_without qemu-storage-daemon) bad "qemu-storage-daemon missing" "needs 'qemu-storage-daemon'.*qemu-system-common" \
    "{ $base, \"device\": \"vhost-user-blk\" }" '{}'
[ "$(ls "$TMPDIR/results" | wc -l)" = "$n_before" ] || fail "a refused stack made a record"

# The scenario's file larger than the filesystem's room: said, not run.
write_stack "$TMPDIR/f.json" '["guest-image"]' "\"ready_timeout_s\": 90, \"qemu\": { $base }, \"guest\": { \"fs\": \"ext4\" }"
sed -i 's|"size": "256M"|"size": "64M"|' "$TMPDIR/f.json"
run_bench --scenario randrw_70_30 --stack "$TMPDIR/f.json" --runtime 1 \
    --size 63M --collect none >"$TMPDIR/f.txt" 2>&1
rc=$?
[ "$rc" != 0 ] && grep -q "does not fit in ext4's [0-9]* free bytes on /dev/vda: give the stack a larger size" "$TMPDIR/f.txt" ||
    { cat "$TMPDIR/f.txt"; fail "a file too large for ext4: exit $rc"; }
echo "ok: a file too large for the guest's ext4 is said: $(grep -o 'fio.s file.*larger size' "$TMPDIR/f.txt")"
no_orphans qemu-system
no_orphans qemu-storage-daemon
echo PASS
