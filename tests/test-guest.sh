#!/usr/bin/env bash
# test-guest.sh: the guest layer (fio in a VM on virtio-blk, QEMU's NBD
# client to nbdkit), with the VM build/guest holds.
# - A short run on the memory stack: a complete record whose guest
#   figures are the guest's own fio JSON's; its boundaries run from fio
#   through the guest's kernel and QEMU's block layer to nbdkit; the
#   acceleration and how it was decided are recorded and reported; the
#   QEMU command line is recorded, its threads named in the profile.
# - verify=crc32c inside the guest passes (data written through every
#   layer reads back whole).
# - SIGINT mid-boot and SIGKILL mid-run: no qemu-system, nbdkit or fio
#   left; the record whole.
# - A guest that cannot boot: a kernel path that does not exist (exit 2,
#   the key named), a file that is no kernel (the layer fails with QEMU's
#   reason), a kernel whose initramfs is no initramfs (the layer fails,
#   naming the console log), each without a hang.
# - The two reference stacks (guest-before, guest-after) run and compare.
# Run alone: tests/test-guest.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq qemu-system-x86_64

guestdir=$(dirname "$VIPERBENCH")/guest
[ -r "$guestdir/vmlinuz" ] && [ -r "$guestdir/initramfs.cpio" ] ||
    fail "no guest in $guestdir: make builds it"

# guest_stack FILE QEMU-JSON: the memory stack's guest layer alone.
guest_stack() {
    write_stack "$1" '["guest"]' "\"ready_timeout_s\": 60, \"qemu\": $2"
}

# wait_for FILE PATTERN: until FILE holds PATTERN (60 s).
wait_for() {
    local i
    for i in $(seq 600); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$1"
    fail "never saw '$2' in $1"
}

# runner_pid DESC: the runner's pid (not the subshell's, timeout's or
# that of the runner's own child speaking to the guest).
runner_pid() {
    own_pgrep -f -- "--desc $1" | while read -r p; do
        pp=$(awk '{ print $4 }' "/proc/$p/stat" 2>/dev/null)
        [ "$(cat /proc/$p/comm 2>/dev/null)" = viperbench ] &&
            [ "$(cat "/proc/$pp/comm" 2>/dev/null)" != viperbench ] && echo "$p"
    done
}

nothing_left() {
    no_orphans "qemu-system"
    no_orphans "nbdkit"
    no_orphans "$TMPDIR/results"
    no_orphans "viperbench\."
}

# 1. A short run, every collector, checked against the guest's own JSON.
guest_stack "$TMPDIR/g.json" '{ "accel": "tcg", "vcpus": 2, "iothread": true, "num-queues": 2, "cache": "none" }'
run_bench --scenario randrw_70_30 --stack "$TMPDIR/g.json" --runtime 3 \
    --size 16M --collect all --desc short >"$TMPDIR/run1.txt" 2>&1 ||
    { cat "$TMPDIR/run1.txt"; fail "the guest run failed"; }
rec=$TMPDIR/results/VM-1/run.json
dir=$TMPDIR/results/VM-1/guest
[ "$(jq -r .status "$rec")" = complete ] || fail "status $(jq -r .status "$rec")"
t='.targets[0]'
[ "$(jq -r "$t.name" "$rec")" = guest ] || fail "no guest target"
for d in read write; do
    a=$(jq -r "$t.$d.iops" "$rec")
    b=$(jq -r ".jobs[0].$d.iops" "$dir/fio.json")
    [ "$a" = "$b" ] && [ "$(jq -r ".jobs[0].$d.total_ios" "$dir/fio.json")" -gt 0 ] ||
        fail "$d IOPS $a in the record, $b in the guest's fio.json"
done
# fio ran in the guest with libaio, direct=1, on its virtio disk.
jq -r '."global options".ioengine, ."global options".filename' "$dir/fio.json" |
    tr '\n' ' ' | grep -qx 'libaio /dev/vda ' || fail "the guest's job: $(jq -c '."global options"' "$dir/fio.json")"
[ "$(jq -r "$t.setup.accel" "$rec")" = tcg ] || fail "accel not recorded"
jq -r "$t.setup.accel_reason" "$rec" | grep -q 'qemu.accel' || fail "accel reason"
[ "$(jq -r "$t.setup.queues_seen" "$rec")" = 2 ] || fail "the guest did not see 2 queues"
[ "$(jq -r "$t.setup.kernel_release" "$rec")" != null ] || fail "no kernel release"
cmd=$(jq -r "$t.servers[] | select(.role == \"qemu-system\") | .command" "$rec")
for w in "-accel tcg" "iothread=io0" "num-queues=2" "cache=none" "driver=nbd"; do
    case "$cmd" in *"$w"*) ;; *) fail "QEMU's command line lacks $w: $cmd" ;; esac
done
names=$(jq -r "[$t.boundaries[].name] | join(\" \")" "$rec")
[ "$names" = "fio guest-disk qemu-block nbdkit plugin" ] || fail "boundaries: $names"
for b in guest-disk qemu-block nbdkit; do
    n=$(jq -r "$t.boundaries[] | select(.name == \"$b\") | .ops.read.count" "$rec")
    [ "$n" -gt 0 ] || fail "boundary $b counted no reads"
done
# Every request fio made reached the guest's disk and QEMU's block layer.
fio_n=$(jq -r "$t.boundaries[0].ops.read.count" "$rec")
for b in guest-disk qemu-block; do
    n=$(jq -r "$t.boundaries[] | select(.name == \"$b\") | .ops.read.count" "$rec")
    [ "$n" = "$fio_n" ] || fail "$b counted $n reads, fio $fio_n"
done
jq -e "$t.boundaries[] | select(.name == \"qemu-block\") | .ops.read.p99_ns > 0" "$rec" >/dev/null ||
    fail "no p99 from QEMU's latency histogram"
u=$(jq -r "$t.boundaries[] | select(.name == \"guest-disk\") | .utilisation" "$rec")
awk -v u="$u" 'BEGIN { exit !(u > 0 && u <= 1.05) }' || fail "disk utilisation $u"
jq -e "$t.collectors.cpu.processes[] | select(.role == \"qemu-system\") | .cpu_s > 0" "$rec" >/dev/null ||
    fail "qemu-system's CPU not billed"
if jq -e "$t.collectors.perf" "$rec" >/dev/null; then
    jq -r "$t.collectors.perf.processes[] | select(.role == \"qemu-system\") | .threads[].thread" "$rec" |
        grep -q '^CPU [0-9]*/TCG$' || fail "no vCPU thread in the profile"
fi
grep -q '^## Layer setup' "$TMPDIR/results/VM-1/report.md" || fail "no layer setup in the report"
grep -q '^| guest | accelerator | TCG' "$TMPDIR/results/VM-1/report.md" ||
    fail "the report does not say the guest ran under TCG"
grep -q '^|  | its figures | measure an emulated CPU' "$TMPDIR/results/VM-1/report.md" ||
    fail "the report does not say what TCG means"
jq -e "[$t.facts[].label] | index(\"disk\") != null" "$rec" >/dev/null ||
    fail "the guest recorded no facts of its disk"
grep -q 'viperbench-guest: ready' "$dir/guest-console.log" || fail "no console log"
nothing_left
echo "short run: complete, figures are the guest's, $names"

# 2. verify=crc32c inside the guest.
mkdir -p "$TMPDIR/sc"
cat >"$TMPDIR/sc/verify.fio" <<'EOF'
[global]
rw=randwrite
bs=4k
size=8M
iodepth=16
verify=crc32c
do_verify=1
verify_fatal=1

[verify]
EOF
guest_stack "$TMPDIR/v.json" '{ "accel": "tcg" }'
run_bench --scenario verify --scenarios "$TMPDIR/sc" --stack "$TMPDIR/v.json" \
    --collect none >"$TMPDIR/verify.txt" 2>&1 ||
    { cat "$TMPDIR/verify.txt"; fail "verify run failed"; }
vj=$TMPDIR/results/VM-2/guest/fio.json
[ "$(jq -r '.jobs[0].error' "$vj")" = 0 ] || fail "fio error in verify"
[ "$(jq -r '.jobs[0].read.total_ios' "$vj")" -ge 2048 ] || fail "nothing verified"
echo "verify=crc32c in the guest: $(jq -r '.jobs[0].read.total_ios' "$vj") blocks read back"

# 3. SIGINT mid-boot.
run_bench --scenario randrw_70_30 --stack "$TMPDIR/g.json" --runtime 20 \
    --size 16M --collect none --desc midboot >"$TMPDIR/boot.txt" 2>&1 &
pid=$!
wait_for "$TMPDIR/boot.txt" "\[1/1\] guest"
for i in $(seq 100); do own_pgrep -f qemu-system >/dev/null && break; sleep 0.1; done
own_pgrep -f qemu-system >/dev/null || fail "no qemu-system to interrupt"
rpid=$(runner_pid midboot)
kill -INT "$rpid"
wait $pid
rc=$?
[ $rc -eq 130 ] || { cat "$TMPDIR/boot.txt"; fail "SIGINT mid-boot: exit $rc"; }
rec=$TMPDIR/results/VM-3/run.json
[ "$(jq -r .status "$rec")" = aborted ] || fail "mid-boot status $(jq -r .status "$rec")"
nothing_left
echo "SIGINT mid-boot: exit 130, aborted, nothing left"

# 4. SIGKILL mid-run (fio running in the guest).
run_bench --scenario randrw_70_30 --stack "$TMPDIR/g.json" --runtime 20 \
    --size 16M --collect none --desc midrun >"$TMPDIR/kill.txt" 2>&1 &
pid=$!
rec=$TMPDIR/results/VM-4
wait_for "$TMPDIR/kill.txt" "\[1/1\] guest"
for i in $(seq 600); do
    grep -qs 'viperbench-guest: ready' "$rec/guest/guest-console.log" && break
    sleep 0.1
done
sleep 2
rpid=$(runner_pid midrun)
kill -KILL "$rpid"
wait $pid
jq . "$rec/run.json" >/dev/null || fail "run.json does not parse after SIGKILL"
[ "$(jq -r .status "$rec/run.json")" = running ] || fail "status after SIGKILL"
ls "$rec"/guest/*.tmp 2>/dev/null && fail "half-written file left"
nothing_left
echo "SIGKILL mid-run: record whole, no qemu-system, nbdkit or fio left"

# 5. Guests that cannot boot.
guest_stack "$TMPDIR/nok.json" '{ "accel": "tcg", "kernel": "/nonexistent/vmlinuz" }'
run_bench --scenario lat1 --stack "$TMPDIR/nok.json" >"$TMPDIR/nok.txt" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$TMPDIR/nok.txt"; fail "missing kernel: exit $rc, not 2"; }
grep -q '/nonexistent/vmlinuz.*qemu.kernel' "$TMPDIR/nok.txt" || { cat "$TMPDIR/nok.txt"; fail "missing kernel: no clear message"; }
printf 'not a kernel\n' >"$TMPDIR/junk"
guest_stack "$TMPDIR/junk.json" "{ \"accel\": \"tcg\", \"kernel\": \"$TMPDIR/junk\" }"
t0=$(date +%s)
run_bench --scenario lat1 --stack "$TMPDIR/junk.json" >"$TMPDIR/junk.txt" 2>&1
rc=$?
[ $rc -ne 0 ] || fail "a junk kernel ran"
grep -Eq 'guest: (qemu-system exited before it was ready|QEMU stopped before the guest was ready): qemu: ' "$TMPDIR/junk.txt" ||
    { cat "$TMPDIR/junk.txt"; fail "junk kernel: no reason"; }
guest_stack "$TMPDIR/noinit.json" "{ \"accel\": \"tcg\", \"initrd\": \"$TMPDIR/junk\" }"
run_bench --scenario lat1 --stack "$TMPDIR/noinit.json" >"$TMPDIR/noinit.txt" 2>&1
rc=$?
[ $rc -ne 0 ] || fail "a guest without an initramfs ran"
grep -q 'guest-console.log' "$TMPDIR/noinit.txt" ||
    { cat "$TMPDIR/noinit.txt"; fail "no initramfs: the console log is not named"; }
[ $(( $(date +%s) - t0 )) -le 120 ] || fail "the unbootable guests took over 2 minutes"
for r in "$TMPDIR"/results/VM-*/run.json; do jq . "$r" >/dev/null || fail "$r"; done
nothing_left
echo "unbootable guests: exit 2 / failed layer with the reason, no hang"

# 6. The reference stacks, before and after, guest layer alone, into a
#    relative results directory (make bench's results/); compare.
for s in before after; do
    (cd "$TMPDIR" && timeout -k 5 300 "$VIPERBENCH" run --results rel \
        --scenarios "$top/scenarios" --scenario randrw_70_30 \
        --stack "$top/scenarios/stacks/guest-$s.json" --layers guest \
        --runtime 3 --size 16M --collect none --desc "$s") \
        >"$TMPDIR/$s.txt" 2>&1 || { cat "$TMPDIR/$s.txt"; fail "guest-$s failed"; }
    ! grep -q warning "$TMPDIR/$s.txt" || { cat "$TMPDIR/$s.txt"; fail "guest-$s warned"; }
done
b=$TMPDIR/rel/VM-1
a=$TMPDIR/rel/VM-2
for r in "$b" "$a"; do
    jq -e '.targets[0].setup.accel | test("^(tcg|kvm)$")' "$r/run.json" >/dev/null ||
        fail "$r: acceleration not decided"
    jq -e '.targets[0].boundaries[] | select(.name == "guest-disk")' "$r/run.json" >/dev/null ||
        fail "$r: no guest-disk boundary with a relative results directory"
done
"$VIPERBENCH" compare "$b" "$a" >"$TMPDIR/cmp.md" 2>&1 || { cat "$TMPDIR/cmp.md"; fail "compare failed"; }
grep -q '^| guest | read IOPS' "$TMPDIR/cmp.md" || fail "compare has no guest row"
grep -q 'stack key `qemu` differs' "$TMPDIR/cmp.md" || fail "compare does not name the qemu difference"
nothing_left
echo "guest-before and guest-after: ran and compared"

# 7. Paths that would be QEMU options if passed as they are: a results
#    directory and a kernel path with commas (QEMU reads ",," as one;
#    the console is no path at all).
hk="$TMPDIR/k,readonly=on"
mkdir -p "$hk"
cp "$guestdir/vmlinuz" "$hk/vmlinuz"
guest_stack "$TMPDIR/h.json" "{ \"accel\": \"tcg\", \"kernel\": \"$hk/vmlinuz\" }"
hres="$TMPDIR/res,id=con2"
timeout -k 5 300 "$VIPERBENCH" run --results "$hres" --scenarios "$top/scenarios" \
    --scenario randrw_70_30 --stack "$TMPDIR/h.json" --runtime 2 --size 16M \
    --collect none >"$TMPDIR/hostile.txt" 2>&1 || { cat "$TMPDIR/hostile.txt"; fail "commas in paths broke the guest"; }
[ "$(jq -r .status "$hres/VM-1/run.json")" = complete ] || fail "hostile paths: not complete"
grep -q 'viperbench-guest: ready' "$hres/VM-1/guest/guest-console.log" ||
    fail "the console log is not where the results directory says"
# The console goes through a pump on QEMU's fd 3: the results directory
# is never in QEMU's options.
qcmd=$(jq -r '.targets[0].servers[] | select(.role == "qemu-system") | .command' "$hres/VM-1/run.json")
case "$qcmd" in
*"file,id=con,path=/dev/fd/3"*) ;;
*) fail "the console is not QEMU's fd 3: $qcmd" ;;
esac
case "$qcmd" in *"id=con2"*) fail "the results directory reached QEMU's options: $qcmd" ;; esac
[ "$(jq -r '.targets[0].setup.kernel' "$hres/VM-1/run.json")" = "$hk/vmlinuz" ] || fail "kernel path"
nothing_left
echo "commas in the results directory and the kernel path: escaped for QEMU"

# 9. A custom initramfs whose init sends back files of its own choosing
# (run.json, notes.txt): only fio's files and the diskstats readings
# reach the record; the rest is refused, said, and the run completes.
# It floods its console too: the console log stops at the stack's
# log_max, the cut said in the log and the record.
kdir=$top/build/src/guest-kernel/root
if [ -d "$kdir/lib/modules" ] && [ -x /bin/busybox ]; then
    sed 's|^snap diskstats.end$|snap diskstats.end\necho "{\\"id\\": \\"forged\\"}" > run.json\necho hi > notes.txt\nhead -c 65536 /dev/zero \| tr "\\000" x >/dev/console|' \
        "$top/guest/init" >"$TMPDIR/init"
    grep -q forged "$TMPDIR/init" && grep -q 'head -c 65536' "$TMPDIR/init" ||
        fail "the forged init was not made (test premise)"
    sh "$top/guest/mkinitramfs.sh" "$kdir" "$TMPDIR/init" "$TMPDIR/forged.cpio" >/dev/null ||
        fail "mkinitramfs.sh failed"
    write_stack "$TMPDIR/f.json" '["guest"]' "\"ready_timeout_s\": 60, \"log_max\": \"4K\",
        \"qemu\": { \"accel\": \"tcg\", \"initrd\": \"$TMPDIR/forged.cpio\" }"
    run_bench --scenario randrw_70_30 --stack "$TMPDIR/f.json" --runtime 2 --size 16M \
        --collect none >"$TMPDIR/forged.txt" 2>&1 || { cat "$TMPDIR/forged.txt"; fail "the forged guest's run failed"; }
    rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/forged.txt")
    [ ! -e "$rec/guest/run.json" ] && [ ! -e "$rec/guest/notes.txt" ] ||
        fail "the guest wrote a file of its own into the record"
    # Said where the guest's job speaks: the layer's fio.stderr.
    grep -q "guest: a file named 'run.json' refused" "$TMPDIR/forged.txt" "$rec/guest/fio.stderr" ||
        { cat "$TMPDIR/forged.txt"; ls "$rec/guest"; fail "the refusal is not said"; }
    ls "$rec"/guest/hist_*.log >/dev/null 2>&1 || fail "fio's logs from the guest were lost"
    con=$rec/guest/guest-console.log
    grep -q '^\[viperbench: log cut at 4096 bytes\]$' "$con" &&
        [ "$(stat -c %s "$con")" -lt 4300 ] ||
        { ls -l "$con"; tail -c 300 "$con"; fail "the guest's console was not cut at log_max"; }
    [ "$(jq '.targets[0].setup.console_cut.at_bytes' "$rec/run.json")" = 4096 ] &&
        jq -e '.targets[0].setup.console_cut.dropped_bytes > 0' "$rec/run.json" >/dev/null ||
        fail "the record does not say the console was cut"
    nothing_left
    echo "a guest's own files refused; fio's kept; its console cut at log_max"
else
    echo "(no unpacked guest kernel: the forged initramfs case is not run)"
fi
