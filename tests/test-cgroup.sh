#!/usr/bin/env bash
# test-cgroup.sh: each server the runner starts runs in a cgroup of the
# run's own, so that what it starts is billed to it and killed with it.
# nbdkit's sh plugin runs a script whose get_size starts a process in a
# session of its own (setsid: out of nbdkit's process group, its parent
# 1 once the shell exits):
#   - after the run, that process is gone and so is the run's cgroup;
#   - the record says nbdkit was billed from its cgroup;
#   - a runner killed with SIGKILL mid-run leaves its cgroup (its guard
#     kills the process, test-contain); the next run removes the cgroup
#     and anything still in it.
# Skipped where cgroups cannot be made (not root, none mounted).
# Run alone: tests/test-cgroup.sh
. "$(dirname "$0")/functions.sh"
requires nbdkit jq

own=$(awk -F: '$2 ~ /cpuacct/ {print $3}' /proc/self/cgroup)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    root=/sys/fs/cgroup$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)
else
    root=/sys/fs/cgroup/cpuacct${own%/}
fi
[ -d "$root" ] && [ -w "$root" ] || skip "no writable cgroup hierarchy at $root"

tag=$((86000 + RANDOM % 1000))
cat >"$TMPDIR/disk.sh" <<EOS
#!/bin/sh
case "\$1" in
get_size) setsid sleep $tag </dev/null >/dev/null 2>&1 &
          echo 16777216 ;;
pread) head -c "\$3" /dev/zero ;;
pwrite) cat >/dev/null ;;
can_write) exit 0 ;;
*) exit 2 ;;
esac
EOS
chmod +x "$TMPDIR/disk.sh"
cat >"$TMPDIR/stack.json" <<EOS
{ "name": "cgroup", "dir": "$TMPDIR/data", "size": "16M", "plugin": "sh",
  "plugin_args": { "script": "$TMPDIR/disk.sh" },
  "nbdkit": { "threads": 4 }, "layers": ["nbd-unix"] }
EOS
sleepers() { pgrep -f "^sleep $tag\$" || true; }
cleanup_add pkill -KILL -f "^sleep $tag\$"

run_bench --scenario randrw_70_30 --stack "$TMPDIR/stack.json" --runtime 1 \
    --size 16M --collect cpu --no-report >"$TMPDIR/out" 2>&1 ||
    { cat "$TMPDIR/out"; fail "viperbench run failed"; }
rec=$(sed -n 's|^record: \(.*\)/run.json$|\1|p' "$TMPDIR/out")
b=$(jq -r '.targets[0].collectors.cpu.processes[] | select(.role=="nbdkit") | .billed' \
    "$rec/run.json")
[ "$b" = cgroup ] || fail "nbdkit billed from '$b', not its cgroup"
for _ in $(seq 50); do [ -z "$(sleepers)" ] && break; sleep 0.1; done
[ -z "$(sleepers)" ] || fail "the plugin's setsid child outlived the run: $(sleepers)"
ls -d "$root"/viperbench.* 2>/dev/null | grep -q . &&
    fail "cgroups left: $(ls -d "$root"/viperbench.*)"
echo "a setsid child of the plugin went with the run; nbdkit billed from its cgroup"

# SIGKILL mid-run: the cgroup stays; the next run sweeps it.
(cd "$top" && exec "$VIPERBENCH" run --scenario randrw_70_30 \
    --stack "$TMPDIR/stack.json" --runtime 20 --size 16M --collect none \
    --no-report --results "$TMPDIR/results") >"$TMPDIR/out2" 2>&1 &
runner=$!
for _ in $(seq 100); do [ -n "$(sleepers)" ] && break; sleep 0.1; done
[ -n "$(sleepers)" ] || fail "the plugin's child never started"
sleep 1
kill -KILL "$runner"
wait "$runner" 2>/dev/null
[ -d "$root/viperbench.$runner" ] || fail "no cgroup of the killed runner to sweep"
run_bench --scenario randrw_70_30 --stack "$TMPDIR/stack.json" --runtime 1 \
    --size 16M --collect none --no-report >"$TMPDIR/out3" 2>&1 ||
    { cat "$TMPDIR/out3"; fail "the run after SIGKILL failed"; }
[ -d "$root/viperbench.$runner" ] && fail "the killed runner's cgroup was not removed"
for _ in $(seq 50); do [ -z "$(sleepers)" ] && break; sleep 0.1; done
[ -z "$(sleepers)" ] || fail "the killed runner's setsid child survived the next run"
echo "after SIGKILL: the next run removed the cgroup and its processes"
